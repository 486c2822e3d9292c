"""Steps of the clock features (tests/features/clock_*.feature): legal time in the users'
words — units, calendars, restarts, suspensions, extensions with notice, deemed outcomes,
step clocks and promised limits.

The audit itself and the finding checks are the shared steps of tests/bdd/conftest.py;
the steps here choose a policy (a shipped one, or one written in the scenario) and read
a case's clocks the way the derive stage computes them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, scenarios, then

from dsl.api import load_policies
from engine.calendar import load_cn_calendar
from engine.clocks import ClockResult
from engine.derive import CaseFacts, derive_case
from engine.loader_csv import load_exports

ROOT = Path(__file__).resolve().parents[2]

scenarios(
    "clock_units.feature",
    "clock_calendars.feature",
    "clock_gov_info.feature",
    "clock_hotline.feature",
)


@given("适用政府信息公开答复时限政策")
def gov_info_policy(ctx: dict[str, Any]) -> None:
    ctx["policy"] = str(ROOT / "policies" / "gov_info")


@given("适用12345热线工单时限政策")
def hotline_policy(ctx: dict[str, Any]) -> None:
    ctx["policy"] = str(ROOT / "policies" / "hotline")


@given("适用如下政策:")
def policy_from_docstring(ctx: dict[str, Any], docstring: str) -> None:
    path = ctx["tmp"] / "scenario.policy"
    path.write_text(docstring.strip() + "\n", encoding="utf-8")
    ctx["policy"] = str(path)


@given("工单记录如下:")
def orders_from_docstring(ctx: dict[str, Any], docstring: str) -> None:
    path = ctx["tmp"] / "orders.csv"
    path.write_text(docstring.strip() + "\n", encoding="utf-8")
    ctx["export"] = str(path)


def _facts(ctx: dict[str, Any], case: str) -> CaseFacts:
    policies, diags = load_policies(ctx["policy"])
    assert policies, diags
    history = load_exports([ctx["export"]]).cases[case]
    as_of = date.fromisoformat(ctx["as_of"])
    return derive_case(history, policies[0], load_cn_calendar(), as_of)


def _clock(ctx: dict[str, Any], case: str, clock: str) -> ClockResult:
    return _facts(ctx, case).clocks[clock]


@then(parsers.parse("案件 {case} 的 {clock} 期限届满时间为 {moment}，状态为 {state}"))
def clock_deadline_at(ctx: dict[str, Any], case: str, clock: str, moment: str, state: str) -> None:
    c = _clock(ctx, case, clock)
    assert c.deadline_at is not None, "not an hour clock"
    assert (c.deadline_at.isoformat(timespec="minutes"), c.state) == (moment, state)


@then(parsers.parse("案件 {case} 的 {clock} 逾期 {n:d} 小时"))
def clock_overdue_hours(ctx: dict[str, Any], case: str, clock: str, n: int) -> None:
    assert _clock(ctx, case, clock).overdue_hours == n


@then(parsers.parse("案件 {case} 的 {clock} 逾期 {n:d} 个工作日"))
def clock_overdue_workdays(ctx: dict[str, Any], case: str, clock: str, n: int) -> None:
    assert _clock(ctx, case, clock).overdue_workdays == n


@then(parsers.parse("案件 {case} 的 {clock} 尚余 {n:d} 个工作日"))
def clock_remaining(ctx: dict[str, Any], case: str, clock: str, n: int) -> None:
    c = _clock(ctx, case, clock)
    assert (c.state, c.remaining_workdays) == ("running", n)


@then(parsers.parse("案件 {case} 的 {clock} 承诺期限届满日为 {day}"))
def clock_promised(ctx: dict[str, Any], case: str, clock: str, day: str) -> None:
    c = _clock(ctx, case, clock)
    assert c.promised_deadline is not None and c.promised_deadline.isoformat() == day


@then(parsers.parse("案件 {case} 的 {clock} 期限为暂定"))
def clock_provisional(ctx: dict[str, Any], case: str, clock: str) -> None:
    assert _clock(ctx, case, clock).provisional


@then(parsers.parse("案件 {case} 的 {clock} 期限不是暂定"))
def clock_not_provisional(ctx: dict[str, Any], case: str, clock: str) -> None:
    assert not _clock(ctx, case, clock).provisional


@then(parsers.parse("案件 {case} 的 {clock} 自 {event} 重新起算"))
def clock_restarted(ctx: dict[str, Any], case: str, clock: str, event: str) -> None:
    c = _clock(ctx, case, clock)
    assert c.restarts and c.start_event is not None and c.start_event.event_id == event


@then(parsers.parse("案件 {case} 的 {clock} 没有重新起算"))
def clock_not_restarted(ctx: dict[str, Any], case: str, clock: str) -> None:
    assert not _clock(ctx, case, clock).restarts


@then(parsers.parse("案件 {case} 有推定事件 {activity}，时间为 {moment}"))
def deemed_event(ctx: dict[str, Any], case: str, activity: str, moment: str) -> None:
    found = [e for e in _facts(ctx, case).history.events if e.activity == activity]
    assert [e.time.isoformat(timespec="minutes") for e in found] == [moment]


@then(parsers.parse("案件 {case} 没有推定事件 {activity}"))
def no_deemed_event(ctx: dict[str, Any], case: str, activity: str) -> None:
    assert all(e.activity != activity for e in _facts(ctx, case).history.events)


@then(parsers.parse("案件 {case} 没有任何发现"))
def no_findings(ctx: dict[str, Any], case: str) -> None:
    assert [f["lapse"] for f in ctx["doc"]["findings"] if f["case_id"] == case] == []


@then(parsers.parse("该发现的事实 {key} 为 {value}"))
def finding_fact(ctx: dict[str, Any], key: str, value: str) -> None:
    got = ctx["finding"]["facts"].get(key)
    shown = {True: "true", False: "false"}.get(got, got) if isinstance(got, bool) else got
    assert str(shown) == value, ctx["finding"]["facts"]
