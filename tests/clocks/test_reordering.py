"""Idempotence under re-ordering: events at the same instant are simultaneous, so a
clock's result never depends on the order in which a file lists them (§6.8: instants are
compared as instants; ties in the file are not a fact about the case)."""

from __future__ import annotations

from datetime import datetime, timedelta

from clockkit import SHANGHAI, facts, policy
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.clocks import ClockResult
from engine.model import CaseHistory, Event

POLICY = policy(
    """clock 办理 "办理期限" {
  start at 受理
  restart at 补正完成
  suspend between 挂起 and 恢复
  suspend from 状态变更 when 状态 == "挂起" until 状态变更 when 状态 != "挂起"
  stop at 办结
  limit 5 workdays promised 3 workdays {
    extend up to 4 workdays as 天数 at most 2 times at 延期 by role 负责人 before deadline with notice 告知 within 2 workdays
  }
}
clock 签收 "签收期限" {
  start at 收件
  suspend between 挂起 and 恢复
  stop at 受理
  limit 3 workhours
}
"""
)
ACTS = ["收件", "受理", "补正完成", "挂起", "恢复", "状态变更", "延期", "告知", "办结"]
BASE = datetime(2025, 9, 22, 9, 0, tzinfo=SHANGHAI)  # crosses 国庆 and two make-up days


@st.composite
def rows(draw: st.DrawFn) -> list[tuple[int, str, dict[str, str], str]]:
    """Up to 14 events on a coarse grid of instants, so that many share one instant."""
    out = []
    for _ in range(draw(st.integers(1, 14))):
        slot = draw(st.integers(0, 24))  # half-days over 12 days
        act = draw(st.sampled_from(ACTS))
        attrs: dict[str, str] = {}
        role = ""
        if act == "状态变更":
            attrs["状态"] = draw(st.sampled_from(["挂起", "办理中"]))
        if act == "延期":
            attrs["天数"] = draw(st.sampled_from(["1", "3", "9", ""]))
            role = draw(st.sampled_from(["负责人", "科员"]))
        out.append((slot, act, attrs, role))
    return out


def _history(rs: list[tuple[int, str, dict[str, str], str]], order: list[int]) -> CaseHistory:
    events = []
    for seq, i in enumerate(order):  # ids follow the rows, the file order is `order`
        slot, act, attrs, role = rs[i]
        t = BASE + timedelta(hours=12 * slot)
        events.append(Event("C", f"E{i}", t, act, "S", "", role, "U", attrs, "x", i + 2, seq=seq))
    events.sort(key=lambda e: (e.time, e.seq))
    return CaseHistory("C", events, {})


def _summary(c: ClockResult) -> tuple[object, ...]:
    return (
        c.state,
        c.deadline,
        c.deadline_at,
        c.base_deadline,
        c.overdue_workdays,
        c.overdue_days,
        c.overdue_hours,
        c.remaining_workdays,
        tuple(c.merged),
        sorted((x.accepted, x.amount, x.deadline_after) for x in c.extensions),
        c.promised_deadline,
        c.promised_breached,
        c.start_event.time if c.start_event is not None else None,
        c.stop_event.time if c.stop_event is not None else None,
        len(c.restarts),
    )


@settings(max_examples=300, deadline=None)
@given(rs=rows(), data=st.data())
def test_the_order_of_simultaneous_events_does_not_change_any_clock(
    rs: list[tuple[int, str, dict[str, str], str]], data: st.DataObject
) -> None:
    order = list(range(len(rs)))
    shuffled = data.draw(st.permutations(order))
    a = facts(POLICY, _history(rs, order), "2025-11-30")
    b = facts(POLICY, _history(rs, list(shuffled)), "2025-11-30")
    for name in ("办理", "签收"):
        assert _summary(a.clocks[name]) == _summary(b.clocks[name]), name


def test_simultaneous_approvals_are_judged_against_one_deadline() -> None:
    """A valid and an invalid approval at one instant: the invalid one is refused against
    the deadline in force at that instant, whichever the file lists first."""
    rs = [
        (0, "受理", {}, ""),
        (2, "延期", {"天数": "3"}, "负责人"),
        (2, "延期", {"天数": "3"}, "科员"),
        (2, "告知", {}, ""),
    ]
    a = facts(POLICY, _history(rs, [0, 1, 2, 3]), "2025-11-30").clocks["办理"]
    b = facts(POLICY, _history(rs, [0, 2, 1, 3]), "2025-11-30").clocks["办理"]
    assert _summary(a) == _summary(b)
    assert [(x.event.event_id, x.accepted) for x in a.extensions] == [("E1", True), ("E2", False)]
