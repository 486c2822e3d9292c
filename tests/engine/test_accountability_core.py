"""Registers, grading modifiers and version spans — the accountability core below the DSL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from engine.clocks import Step
from engine.daycount import add_months
from engine.grading import GradeState, Prior, regrade
from engine.ir import Ladder, Modifier, ModifierKind, PolicyRef, RepeatRule
from engine.registers import RegisterError, Sanction, Sanctions, load_roster, load_votes

REF = PolicyRef("p.policy", 1)
LADDER = Ladder(
    "效能问责", "", ("提醒谈话", "批评教育", "责令书面检查", "效能告诫", "通报批评"), "", REF
)


def test_roster_answers_for_the_day_not_for_today(tmp_path: Path) -> None:
    p = tmp_path / "roster.csv"
    p.write_text(
        "person,name,unit,post,leader_role,area,valid_from,valid_to\n"
        "L1,王局长,审批局,局长,主要负责人,,2020-01-01,2025-06-30\n"
        "L2,赵局长,审批局,局长,主要负责人,,2025-07-01,\n"
        "D1,钱副局长,审批局,副局长,分管领导,食品经营许可;药品零售许可,2022-03-01,\n",
        encoding="utf-8",
    )
    roster = load_roster(str(p))
    assert roster.principal("审批局", date(2025, 3, 31)).person == "L1"  # type: ignore[union-attr]
    assert roster.principal("审批局", date(2026, 1, 5)).person == "L2"  # type: ignore[union-attr]
    assert roster.deputy("审批局", "食品经营许可", date(2025, 3, 31)).person == "D1"  # type: ignore[union-attr]
    assert roster.deputy("审批局", "排污许可", date(2025, 3, 31)) is None


def test_register_errors_name_file_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "roster.csv"
    p.write_text(
        "person,name,unit,post,leader_role,area,valid_from,valid_to\nL1,王,审批局,局长,局座,,2020-01-01,\n",
        encoding="utf-8",
    )
    with pytest.raises(RegisterError, match=r"roster\.csv:2: field leader_role"):
        load_roster(str(p))
    v = tmp_path / "votes.csv"
    v.write_text("event_id,person,vote,chair\nE1,P1,赞成,no\n", encoding="utf-8")
    with pytest.raises(RegisterError, match=r"votes\.csv:2: field vote: '赞成'"):
        load_votes(str(v))


def test_calendar_months_end_of_month() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 3, 15), -12) == date(2024, 3, 15)


@dataclass
class FakeFinding:
    id: str
    case_id: str
    conduct: date
    who: str
    grade_state: GradeState
    lapse: str = "decision_late"
    category: str = "慢作为"
    grade: str = ""
    explanation: list[Step] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)

    @property
    def person(self) -> str:
        return self.who


def _finding(fid: str, day: date, who: str = "S01", base: int = 0, *mods: Modifier) -> FakeFinding:
    state = GradeState(LADDER, base, [(m, None, "") for m in mods], final_rank=base)
    return FakeFinding(fid, f"C{fid}", day, who, state)


REPEAT = Modifier(ModifierKind.AGGRAVATE, 1, None, RepeatRule(12), False, "地方规定", REF)


def test_repeat_within_twelve_months_aggravates_and_order_is_by_conduct() -> None:
    later = _finding("b", date(2025, 6, 1), "S01", 1, REPEAT)
    first = _finding("a", date(2025, 1, 10), "S01", 1, REPEAT)
    other = _finding("c", date(2025, 7, 1), "S02", 1, REPEAT)
    regrade([later, first, other])  # input order must not matter
    assert (first.grade, later.grade, other.grade) == ("批评教育", "责令书面检查", "批评教育")
    assert any("从重 1 档" in s.text and "a" in s.text for s in later.explanation)


def test_confirmed_prior_counts_and_window_is_twelve_months() -> None:
    f = _finding("x", date(2025, 6, 1), "S01", 4, REPEAT)
    regrade([f], [Prior("old", "S01", "慢作为", date(2024, 6, 1))])
    assert f.grade == "通报批评"  # capped at the top of the ladder
    assert any("已到措施序列端点" in s.text for s in f.explanation)
    g = _finding("y", date(2025, 6, 2), "S01", 1, REPEAT)
    regrade([g], [Prior("old", "S01", "慢作为", date(2024, 6, 1))])
    assert g.grade == "批评教育"


def test_new_lapse_during_a_sanction_period_aggravates() -> None:
    during = Modifier(ModifierKind.AGGRAVATE, 2, None, None, True, "政务处分法第十三条", REF)
    f = _finding("s", date(2025, 5, 1), "S01", 0, during)
    regrade([f], sanctions=Sanctions((Sanction("S01", "记过", date(2024, 12, 1), 12, 2),)))
    assert f.grade == "责令书面检查"
    g = _finding("t", date(2026, 1, 1), "S01", 0, during)
    regrade([g], sanctions=Sanctions((Sanction("S01", "记过", date(2024, 12, 1), 12, 2),)))
    assert g.grade == "提醒谈话"


def test_time_barred_lapses_are_reported_not_dropped() -> None:
    f = _finding("old", date(2020, 1, 1))
    regrade([f], as_of=date(2026, 1, 1), pursuable_months={"decision_late": 24})
    assert f.facts["time_barred"] is True and f.grade == "提醒谈话"
