"""A finding's directly written JSON text is the text of its JSON form, character for
character (engine.finding_text against `compact(as_json())`), on every shipped kind of
audit: licensing (holders, extensions, suspensions), road fines (versions and the
从旧兼从轻 record), Wabo, and subjects and steps with every optional part and odd text."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from dsl.api import load_policies
from engine.attribution import Subject
from engine.audit import audit_policies
from engine.calendar import load_cn_calendar
from engine.clock_parts import Step
from engine.finding_text import finding_rows, finding_text
from engine.findings import Finding
from engine.jsonfmt import compact
from engine.loaders import Checks, load
from engine.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "fixtures" / "real_samples"

AUDITS = {
    "licensing": (
        [ROOT / "fixtures/sample/licensing_sample.csv"],
        None,
        "policies/licensing",
        "2026-11-20",
    ),
    "road_fines": (
        [SAMPLES / "road_fines_sample.xes.gz"],
        "fixtures/profiles/road_fines.toml",
        "policies/road_fines",
        "2013-06-18",
    ),
    "wabo": (
        [SAMPLES / "bpic2015_1_sample.xes.gz"],
        "fixtures/profiles/bpic2015.toml",
        "policies/wabo",
        "2015-03-10",
    ),
}


def _findings(name: str) -> list[Finding]:
    paths, profile, policy, as_of = AUDITS[name]
    policies = load_policies(str(ROOT / policy))[0]
    known = frozenset(a for p in policies for a in p.activities)
    loaded = load(
        [str(p) for p in paths],
        profile=load_profile(str(ROOT / profile)) if profile else None,
        checks=Checks(known_activities=known),
    )
    day = date.fromisoformat(as_of)
    return audit_policies(loaded.cases, policies, load_cn_calendar(), day, stage="python").findings


@pytest.mark.parametrize("name", sorted(AUDITS))
def test_direct_text_is_the_compact_json_form(name: str) -> None:
    findings = _findings(name)
    assert findings, f"the {name} sample audit should have findings"
    for f in findings:
        assert finding_text(f) == compact(f.as_json()), f.id
    rows = list(finding_rows(findings))
    assert [r[0] for r in rows] == [f.id for f in findings]
    assert all(r[-1] == compact(f.as_json()) for r, f in zip(rows, findings, strict=True))


def test_versions_record_is_written() -> None:
    versioned = [f for f in _findings("road_fines") if "versions" in f.extra]
    assert versioned, "road-fines findings record the versions they were judged by"
    assert '"versions": ' in finding_text(versioned[0])


def test_optional_parts_and_odd_characters() -> None:
    f = _findings("licensing")[0]
    odd = 'a "quoted" \\ back\nslash\t\x01 ① 😀 \u2028'
    f = replace(
        f,
        subjects=[
            Subject("S1", "直接责任"),
            Subject("", "领导责任", unit=odd, reason=odd),
            Subject(odd, "责任主体不明确", reason="无经办人"),
        ],
        explanation=[
            Step("clock_start", odd),
            Step("limit", "期限", policy=odd),
            Step("stop", "", event=odd),
            Step(odd, odd, policy="p.policy:1", event="E1"),
        ],
        facts={**f.facts, "note": odd, "ratio": 0.5, "none": None},
        anchor=odd,
    )
    assert finding_text(f) == compact(f.as_json())
