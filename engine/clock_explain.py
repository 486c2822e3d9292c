"""The explanation trail of an evaluated clock, in the inspector's language.

In: a `ClockResult` (engine.clocks). Out: `Step`s — start (and restarts), limit (with
the promised limit), suspensions, extensions, deadline, state — each citing the policy
line and the event it rests on. Built lazily: only clocks that reach a finding pay for it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from engine.clock_parts import Step
from engine.ir import Limit

if TYPE_CHECKING:
    from engine.clocks import ClockResult


def explain_clock(r: ClockResult) -> list[Step]:
    clock = r.clock
    steps: list[Step] = []
    if r.state == "inactive" or r.origin_event is None or r.trigger is None:
        return steps
    e, trig = r.origin_event, r.trigger
    why = f"（{trig.note}）" if trig.note else ""
    part = f"（环节时限，属于「{clock.step_of}」）" if clock.step_of else ""
    steps.append(
        Step(
            "clock_start",
            f"「{clock.label}」{part}自 {e.activity}（{_day(e.time.date())}）起算{why}",
            str(trig.ref),
            e.event_id,
        )
    )
    if r.limit is None:
        steps.append(
            Step(
                "limit",
                f"「{clock.label}」没有适用于本案的期限（案件属性不符合任何 limit 条件），未计算",
                str(clock.ref),
            )
        )
        return steps
    steps.extend(_restart_steps(r))
    steps.append(_limit_step(r, r.limit))
    steps.extend(_suspension_steps(r))
    steps.extend(_extension_steps(r, r.limit))
    assert r.as_of is not None
    steps.append(Step("deadline", _deadline_text(r), str(r.limit.ref)))
    if r.limit.promised is not None:
        steps.append(Step("promised", _promised_text(r), str(r.limit.promised.ref)))
    end_day = r.stop_event.time.date() if r.stop_event is not None else r.as_of
    steps.append(_state_step(r, end_day, r.as_of))
    return steps


def _day(d: date) -> str:
    return d.isoformat()


def _restart_steps(r: ClockResult) -> list[Step]:
    out = []
    rules = {rs.activity: rs for rs in r.clock.restarts}
    for ev in r.restarts:
        rs = rules.get(ev.activity)
        note = f"（{rs.note}）" if rs is not None and rs.note else ""
        out.append(
            Step(
                "restart",
                f"{ev.activity}（{ev.event_id}，{_day(ev.time.date())}）：期限自该日重新起算{note}",
                str(rs.ref) if rs is not None else "",
                ev.event_id,
            )
        )
    return out


def _limit_step(r: ClockResult, limit: Limit) -> Step:
    assert r.start_event is not None
    start = r.start_event
    if limit.unit.is_hours:
        if r.day_precision_start:
            since = f"{start.activity}只记录了日期，自 {_day(start.time.date())} 终了起算"
        else:
            since = f"自 {start.time.isoformat(timespec='minutes')} 起算"
        office = "（仅计工作日的办公时间）" if limit.unit.value == "workhours" else ""
        text = f"期限 {limit.amount}{limit.unit.label}{office}，{since}，不计中止期间"
    else:
        text = (
            f"期限 {limit.amount}{limit.unit.label}，{_rollover_note(limit)}"
            f"自 {_day(start.time.date())} 次日起算，不计中止期间"
        )
    return Step("limit", text, str(limit.ref))


def _suspension_steps(r: ClockResult) -> list[Step]:
    steps = []
    for susp, (start, end, iv) in zip(r.suspension_rules, r.suspensions, strict=True):
        if end is not None:
            text = f"{start.activity}至{end.activity}（{_day(iv[0])}—{_day(iv[1])}）不计入期限"
        else:
            text = (
                f"{start.activity}（{_day(iv[0])}起）至 as_of {_day(iv[1])} 仍未结束，"
                f"期间不计入期限"
            )
        steps.append(Step("suspension", text, str(susp.ref), start.event_id))
    return steps


def _extension_steps(r: ClockResult, limit: Limit) -> list[Step]:
    steps = []
    for x in r.extensions:
        ev = x.event
        if x.accepted:
            text = (
                f"{ev.activity}（{ev.event_id}，{_day(ev.time.date())}，{ev.role}）"
                f"有效：延长期限由 {_day(x.deadline_before)} 延至 {_day(x.deadline_after)}"
                f"（{x.reason}）"
            )
        else:
            text = (
                f"{ev.activity}（{ev.event_id}，{_day(ev.time.date())}，"
                f"{ev.role or '角色空'}）不予认可：{x.reason}；期限仍为 {_day(x.deadline_before)}"
            )
        steps.append(Step("extension", text, str(limit.ref), ev.event_id))
    return steps


def _rollover_note(limit: Limit) -> str:
    return "末日为休息日的顺延至下一工作日，" if limit.unit.natural and limit.rollover else ""


def _deadline_text(r: ClockResult) -> str:
    assert r.deadline is not None and r.limit is not None
    extra = ""
    if r.merged:
        spans = "、".join(f"{_day(a)}—{_day(b)}" for a, b in r.merged)
        extra = f"（已扣除中止期间 {spans}）"
    ext = sum(1 for x in r.extensions if x.accepted)
    ext_note = f"，含有效延长 {ext} 次" if ext else ""
    prov = "；该日期超出工作日历表范围，期限为暂定（provisional）" if r.provisional else ""
    when = (
        r.deadline_at.isoformat(timespec="minutes")
        if r.deadline_at is not None
        else _day(r.deadline)
    )
    return f"期限届满{'时间' if r.deadline_at is not None else '日'} {when}{extra}{ext_note}{prov}"


def _promised_text(r: ClockResult) -> str:
    if r.promised_deadline is None:
        return r.promised_note or "本案无承诺期限"
    assert r.limit is not None and r.limit.promised is not None
    unit = r.limit.promised.unit.label
    when = (
        r.promised_deadline_at.isoformat(timespec="minutes")
        if r.promised_deadline_at is not None
        else _day(r.promised_deadline)
    )
    state = (
        f"已超过承诺期限 {r.promised_overdue_workdays} 个工作日"
        if r.promised_breached
        else "未超过承诺期限"
    )
    return f"承诺期限 {r.promised_amount}{unit}，届满于 {when}；{state}"


def _state_step(r: ClockResult, end: date, as_of: date) -> Step:
    assert r.deadline is not None
    hours = (
        f"（{r.overdue_hours} 小时）" if r.deadline_at is not None else f"（{r.overdue_days} 日）"
    )
    if r.state == "met":
        assert r.stop_event is not None
        text = f"{r.stop_event.activity}于 {_day(end)}，在期限内"
    elif r.state == "late":
        assert r.stop_event is not None
        text = (
            f"{r.stop_event.activity}于 {_day(end)}，超过期限 {r.overdue_workdays} 个工作日{hours}"
        )
    elif r.state == "overdue":
        text = (
            f"截至 {_day(as_of)} 仍未{'、'.join(r.clock.stops)}，已超过期限 "
            f"{r.overdue_workdays} 个工作日（持续中）"
        )
    else:
        text = f"截至 {_day(as_of)} 尚在期限内，剩余 {r.remaining_workdays} 个工作日"
    ev = r.stop_event.event_id if r.stop_event is not None else ""
    return Step("stop", text, str(r.clock.ref), ev)
