"""The durable_rules stage and the Python oracle agree on the policies that use the new
clock shapes (promised limits, step clocks, restarts, deemed events, hour clocks), on
every history of their Gherkin features, at several audit dates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from dsl.api import load_policies
from engine.calendar import load_cn_calendar
from engine.derive import derive_case
from engine.loader_csv import load_exports
from engine.match import DurableStage, match_python

ROOT = Path(__file__).resolve().parents[2]
FEATURES = {"gov_info": "clock_gov_info.feature", "hotline": "clock_hotline.feature"}


def _exports(feature: str, tmp_path: Path) -> list[str]:
    text = (ROOT / "tests" / "features" / feature).read_text(encoding="utf-8")
    paths = []
    for i, block in enumerate(re.findall(r'"""\n(.*?)\n\s*"""', text, re.S)):
        lines = [ln.strip() for ln in block.splitlines()]
        if not lines or not lines[0].startswith("case_id,"):
            continue
        body = "\n".join(lines)
        # Outline placeholders: fill in the first example row's kind of value.
        body = re.sub(r"<[^>]*日>", "2025-09-28", body).replace("<签收时刻>", "10:40")
        p = tmp_path / f"{i}.csv"
        p.write_text(body + "\n", encoding="utf-8")
        paths.append(str(p))
    return paths


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_durable_and_oracle_agree(name: str, tmp_path: Path) -> None:
    policy = load_policies(ROOT / "policies" / name)[0][0]
    # One file at a time: event ids repeat from scenario to scenario.
    histories = [
        h for p in _exports(FEATURES[name], tmp_path) for h in load_exports([p]).cases.values()
    ]
    assert histories, "the feature's histories were found"
    found = 0
    with DurableStage(policy) as stage:
        for as_of in ("2025-10-01", "2025-12-31", "2026-06-30"):
            day = date.fromisoformat(as_of)
            cal = load_cn_calendar()
            facts = [derive_case(h, policy, cal, day) for h in histories]
            oracle = sorted(m for f in facts for m in match_python(f, policy))
            assert stage.match(facts) == oracle, as_of
            found += len(oracle)
        assert stage.stats.engine_errors == []
    assert found > 0
