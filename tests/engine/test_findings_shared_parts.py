"""Findings share what depends on the policy or on a day alone (explanation steps, day
texts); what is a finding's own (its explanation list, facts, grade state) stays its own.
The person pass orders findings by (conduct day, case, lapse, id) whatever the input."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from operator import attrgetter
from pathlib import Path

import pytest

from dsl.api import load_policies
from engine.calendar import load_cn_calendar
from engine.clock_explain import day_text
from engine.clocks import Step
from engine.derive import derive_case
from engine.findings import Finding, build_findings
from engine.grading import GradeState, _in_run_order, regrade
from engine.loader_csv import load_exports
from engine.match import match_python

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "sample" / "licensing_sample.csv"
AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    pol = load_policies(str(ROOT / "policies" / "licensing"))[0][0]
    cal = load_cn_calendar()
    loaded = load_exports([str(SAMPLE)], known_activities=frozenset(pol.activities))
    out: list[Finding] = []
    for h in loaded.cases.values():
        facts = derive_case(h, pol, cal, AS_OF)
        out.extend(build_findings(facts, match_python(facts, pol), pol))
    regrade(out, as_of=AS_OF)
    return out


def test_each_finding_owns_its_lists_and_state(findings: list[Finding]) -> None:
    assert len(findings) > 100
    for attr in ("explanation", "facts", "evidence", "subjects", "grade_state", "extra"):
        owned = {id(getattr(f, attr)) for f in findings}
        assert len(owned) == len(findings), attr


def test_shared_steps_are_shared_across_findings_not_copied_into_one(
    findings: list[Finding],
) -> None:
    """Steps that depend on a day alone are one object in many findings (that is the
    point), and no finding lists the same step object twice."""
    uses: dict[int, int] = {}
    for f in findings:
        ids = [id(s) for s in f.explanation]
        assert len(ids) == len(set(ids)), f.id
        for i in ids:
            uses[i] = uses.get(i, 0) + 1
    assert max(uses.values()) > 1


def test_a_step_added_to_one_finding_stays_there(findings: list[Finding]) -> None:
    a, b = findings[0], findings[1]
    before = list(b.explanation)
    a.explanation.append(Step("note", "only a"))
    try:
        assert b.explanation == before
    finally:
        a.explanation.pop()


def test_day_text_is_isoformat() -> None:
    day = date(2024, 2, 29)
    for n in range(400):
        d = day + timedelta(days=n)
        assert day_text(d) == d.isoformat()
        assert day_text(d) is day_text(d)  # formatted once


def test_instant_text_is_isoformat() -> None:
    """Fixed offsets east and west (some with seconds), named zones, fractions of a
    second, naive instants and years before 1000 all read as isoformat() writes them."""
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from engine.clock_explain import instant_text

    rng = random.Random(11)
    zones = [
        UTC,
        timezone(timedelta(hours=8)),
        timezone(timedelta(hours=-5, minutes=-30)),
        timezone(timedelta(hours=5, minutes=45, seconds=7)),
        ZoneInfo("Asia/Shanghai"),
        ZoneInfo("Europe/Rome"),
        None,
    ]
    for _ in range(5000):
        t = datetime(1, 1, 1) + timedelta(
            days=rng.randrange(3_650_000), seconds=rng.randrange(86_400)
        )
        if rng.random() < 0.2:
            t = t.replace(microsecond=rng.randrange(1_000_000))
        t = t.replace(tzinfo=rng.choice(zones))
        assert instant_text(t) == t.isoformat()


@dataclass
class _F:
    id: str
    case_id: str
    lapse: str
    conduct: date
    grade_state: GradeState = field(default_factory=lambda: GradeState(None, -1))


def test_run_order_is_day_case_lapse_id_with_ties_in_input_order() -> None:
    rng = random.Random(5)
    items = [
        _F(
            rng.choice("abc"),
            rng.choice(["C1", "C2", "C10"]),
            rng.choice(["x", "y"]),
            date(2025, 1, rng.randint(1, 4)),
        )
        for _ in range(300)
    ]
    expected = sorted(items, key=attrgetter("conduct", "case_id", "lapse", "id"))
    got = _in_run_order(items)  # type: ignore[arg-type]
    assert [id(x) for x in got] == [id(x) for x in expected]
