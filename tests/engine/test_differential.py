"""Differential test: the durable_rules stage and the plain-Python oracle agree.

Both evaluate the same IR on the same derived facts; any difference is a bug in the
encoding, the JSON translation, the fence, or the oracle. Run on the shipped sample, on
every history in the Gherkin features, and on freshly generated histories of other seeds.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dsl.api import load_policies
from engine.calendar import load_cn_calendar
from engine.derive import derive_case
from engine.loader_csv import load_exports
from engine.match import DurableStage, match_python

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policies(str(ROOT / "policies" / "licensing"))[0][0]
CAL = load_cn_calendar()


def _compare(paths: list[str], as_of: date) -> int:
    loaded = load_exports(paths)
    facts = [derive_case(h, POLICY, CAL, as_of) for h in loaded.cases.values()]
    oracle = sorted(m for f in facts for m in match_python(f, POLICY))
    with DurableStage(POLICY) as stage:
        durable = stage.match(facts)
        assert stage.stats.engine_errors == []
    assert durable == oracle
    return len(oracle)


@pytest.mark.parametrize("as_of", ["2024-06-30", "2025-02-10", "2026-11-20"])
def test_shipped_sample(as_of: str) -> None:
    _compare(
        [str(ROOT / "fixtures" / "sample" / "licensing_sample.csv")], date.fromisoformat(as_of)
    )


def _feature_exports(tmp_path: Path) -> list[tuple[str, str]]:
    out = []
    for feature in sorted((ROOT / "tests" / "features").glob("*.feature")):
        text = feature.read_text(encoding="utf-8")
        for i, block in enumerate(re.findall(r'"""\n(.*?)\n\s*"""', text, re.S)):
            lines = [ln.strip() for ln in block.splitlines()]
            if not lines or not lines[0].startswith("case_id,"):
                continue
            for j, day in enumerate(("2026-03-16", "2026-03-17")):
                body = "\n".join(lines).replace("<决定日>", day)
                p = tmp_path / f"{feature.stem}_{i}_{j}.csv"
                p.write_text(body + "\n", encoding="utf-8")
                out.append((str(p), "2025-05-30" if "2025-" in body else "2026-11-20"))
    return out


def test_every_feature_history(tmp_path: Path) -> None:
    exports = _feature_exports(tmp_path)
    assert len(exports) >= 8
    for path, as_of in exports:
        _compare([path], date.fromisoformat(as_of))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_histories(tmp_path: Path, seed: int) -> None:
    out = tmp_path / f"gen{seed}.csv"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "fixtures.generate",
            "--cases",
            "1500",
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        check=True,
        cwd=ROOT,
    )
    assert _compare([str(out)], date(2026, 11, 20)) > 100


ENCODED = {
    "licensing": ("fixtures/sample/licensing_sample.csv", None, "policies/licensing", "2026-11-20"),
    "road_fines": (
        "fixtures/real_samples/road_fines_sample.xes.gz",
        "fixtures/profiles/road_fines.toml",
        "policies/road_fines",
        "2013-06-18",
    ),
    "wabo": (
        "fixtures/real_samples/bpic2015_1_sample.xes.gz",
        "fixtures/profiles/bpic2015.toml",
        "policies/wabo",
        "2015-03-10",
    ),
}


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_facts_written_directly_equal_the_fact_dicts_encoded(name: str) -> None:
    """DurableStage writes each fact's text from the scopes; it must be the text the
    matcher makes of `encode_case`'s dicts, fact for fact, under every policy version."""
    from engine.loaders import load
    from engine.match import encode_case
    from engine.profile import load_profile

    export, profile, policy_dir, as_of = ENCODED[name]
    loaded = load(
        [str(ROOT / export)], profile=load_profile(str(ROOT / profile)) if profile else None
    )
    checked = 0
    for policy in load_policies(str(ROOT / policy_dir))[0]:
        stage = DurableStage(policy, in_process=True)
        if not stage.table.specs:
            continue  # a policy file without lapses sends nothing
        facts = [
            derive_case(h, policy, CAL, date.fromisoformat(as_of)) for h in loaded.cases.values()
        ]
        direct = list(stage._encoded(facts))
        via_dicts = list(stage._matcher._cases(encode_case(f, stage.table) for f in facts))
        assert len(direct) == len(facts) > 10
        assert direct == via_dicts
        checked += 1
    assert checked


def test_facts_written_directly_carry_the_fault_hooks() -> None:
    """With test hooks, the direct texts carry the hook fields exactly as the dict path."""
    from engine.match import _getters, encode_case
    from engine.rules_durable import DurableMatcher, FaultHooks

    loaded = load_exports([str(ROOT / "fixtures/sample/licensing_sample.csv")])
    policy = load_policies(str(ROOT / "policies/licensing"))[0][0]
    table = DurableStage(policy, in_process=True).table
    facts = [derive_case(h, policy, CAL, date(2026, 11, 20)) for h in loaded.cases.values()]
    plain = list(DurableStage(policy, in_process=True)._encoded(facts))
    ids = [i for _case, case_ids, _texts in plain for i in case_ids]
    hooks = FaultHooks(crash_ids=frozenset(ids[:3]), raise_ids=frozenset(ids[2:5]))
    matcher = DurableMatcher(table.specs, table.field_of, hooks=hooks)
    encode = matcher.fact_encoder("c", None, _getters(table.case_fields))
    assert encode is not None
    via_dicts = {
        i: text
        for _case, case_ids, texts in matcher._cases(encode_case(f, table) for f in facts)
        for i, text in zip(case_ids, texts, strict=True)
    }
    hooked = [i for i in ids[:5] if i.endswith("#c")]
    assert hooked
    for f in facts:
        fact_id = f"{f.history.case_id}#c"
        if fact_id in via_dicts:
            assert encode(fact_id, f.case_scope) == via_dicts[fact_id]
    assert all("xcrash" in via_dicts[i] or "xraise" in via_dicts[i] for i in hooked)
