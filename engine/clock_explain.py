"""The explanation trail of an evaluated clock, in the inspector's language.

In: a `ClockResult` (engine.clocks). Out: `Step`s — start (and restarts), limit (with
the promised limit), suspensions, extensions, deadline, state — each citing the policy
line and the event it rests on. Built lazily: only clocks that reach a finding pay for it.

A large audit explains tens of thousands of clocks, so the texts that depend on the
policy alone (a rule's `file:line`, a limit's wording) are built once per rule.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from engine.clock_parts import Step
from engine.ir import Limit, PolicyRef

if TYPE_CHECKING:
    from engine.clocks import ClockResult

# id(ref) -> (ref, "file:line"). Holding the ref keeps its id from being reused while the
# entry exists. A policy has a few hundred refs; the table starts afresh when it grows
# past many policies' worth (a process that loads policy after policy, as the tests do).
_REF_TEXT: dict[int, tuple[PolicyRef, str]] = {}
CACHE_LIMIT = 10_000


def ref_text(ref: PolicyRef) -> str:
    """`str(ref)`, formatted once per rule: every step of every finding cites one.
    Shared by the modules that write explanation steps (attribution, grading, findings)."""
    hit = _REF_TEXT.get(id(ref))
    if hit is None:
        if len(_REF_TEXT) >= CACHE_LIMIT:
            _REF_TEXT.clear()
        hit = _REF_TEXT[id(ref)] = (ref, str(ref))
    return hit[1]


def explain_clock(r: ClockResult) -> list[Step]:
    clock = r.clock
    if r.state == "inactive" or r.origin_event is None or r.trigger is None:
        return []
    e, trig = r.origin_event, r.trigger
    why = f"（{trig.note}）" if trig.note else ""
    part = f"（环节时限，属于「{clock.step_of}」）" if clock.step_of else ""
    steps = [
        Step(
            "clock_start",
            f"「{clock.label}」{part}自 {e.activity}（{e.time.date().isoformat()}）起算{why}",
            ref_text(trig.ref),
            e.event_id,
        )
    ]
    limit = r.limit
    if limit is None:
        steps.append(
            Step(
                "limit",
                f"「{clock.label}」没有适用于本案的期限（案件属性不符合任何 limit 条件），未计算",
                ref_text(clock.ref),
            )
        )
        return steps
    # Most clocks never restart, suspend or extend: skip building empty lists for them.
    if r.restarts:
        steps.extend(_restart_steps(r))
    limit_ref = ref_text(limit.ref)
    steps.append(_limit_step(r, limit, limit_ref))
    if r.suspensions:
        steps.extend(_suspension_steps(r))
    if r.extensions:
        steps.extend(_extension_steps(r, limit_ref))
    assert r.as_of is not None
    steps.append(Step("deadline", _deadline_text(r), limit_ref))
    if limit.promised is not None:
        steps.append(Step("promised", _promised_text(r), ref_text(limit.promised.ref)))
    end_day = r.stop_event.time.date() if r.stop_event is not None else r.as_of
    steps.append(_state_step(r, end_day, r.as_of))
    return steps


def _restart_steps(r: ClockResult) -> list[Step]:
    out = []
    rules = {rs.activity: rs for rs in r.clock.restarts}
    for ev in r.restarts:
        rs = rules.get(ev.activity)
        note = f"（{rs.note}）" if rs is not None and rs.note else ""
        out.append(
            Step(
                "restart",
                f"{ev.activity}（{ev.event_id}，{ev.time.date().isoformat()}）：期限自该日重新起算{note}",
                ref_text(rs.ref) if rs is not None else "",
                ev.event_id,
            )
        )
    return out


def _limit_step(r: ClockResult, limit: Limit, ref: str) -> Step:
    assert r.start_event is not None
    start = r.start_event
    is_hours, words = _limit_words(limit)
    if not is_hours:
        text = f"{words}自 {start.time.date().isoformat()} 次日起算，不计中止期间"
    else:
        if r.day_precision_start:
            since = f"{start.activity}只记录了日期，自 {start.time.date().isoformat()} 终了起算"
        else:
            since = f"自 {start.time.isoformat(timespec='minutes')} 起算"
        text = f"{words}，{since}，不计中止期间"
    return Step("limit", text, ref)


# id(limit) -> (limit, (counted in hours?, its words before the start)); the limit is held
# so that its id stays its own. A unit's label and kind are enum properties: read once.
_LIMIT_WORDS: dict[int, tuple[Limit, tuple[bool, str]]] = {}


def _limit_words(limit: Limit) -> tuple[bool, str]:
    hit = _LIMIT_WORDS.get(id(limit))
    if hit is None:
        if len(_LIMIT_WORDS) >= CACHE_LIMIT:
            _LIMIT_WORDS.clear()
        unit = limit.unit
        if unit.is_hours:
            office = "（仅计工作日的办公时间）" if unit.value == "workhours" else ""
            words = (True, f"期限 {limit.amount}{unit.label}{office}")
        else:
            words = (False, f"期限 {limit.amount}{unit.label}，{_rollover_note(limit)}")
        hit = _LIMIT_WORDS[id(limit)] = (limit, words)
    return hit[1]


def _suspension_steps(r: ClockResult) -> list[Step]:
    steps = []
    for susp, (start, end, iv) in zip(r.suspension_rules, r.suspensions, strict=True):
        if end is not None:
            text = f"{start.activity}至{end.activity}（{iv[0].isoformat()}—{iv[1].isoformat()}）不计入期限"
        else:
            text = (
                f"{start.activity}（{iv[0].isoformat()}起）至 as_of {iv[1].isoformat()} 仍未结束，"
                f"期间不计入期限"
            )
        steps.append(Step("suspension", text, ref_text(susp.ref), start.event_id))
    return steps


def _extension_steps(r: ClockResult, ref: str) -> list[Step]:
    steps = []
    for x in r.extensions:
        ev = x.event
        if x.accepted:
            text = (
                f"{ev.activity}（{ev.event_id}，{ev.time.date().isoformat()}，{ev.role}）"
                f"有效：延长期限由 {x.deadline_before.isoformat()} 延至 {x.deadline_after.isoformat()}"
                f"（{x.reason}）"
            )
        else:
            text = (
                f"{ev.activity}（{ev.event_id}，{ev.time.date().isoformat()}，"
                f"{ev.role or '角色空'}）不予认可：{x.reason}；期限仍为 {x.deadline_before.isoformat()}"
            )
        steps.append(Step("extension", text, ref, ev.event_id))
    return steps


def _rollover_note(limit: Limit) -> str:
    return "末日为休息日的顺延至下一工作日，" if limit.unit.natural and limit.rollover else ""


def _deadline_text(r: ClockResult) -> str:
    assert r.deadline is not None and r.limit is not None
    if not (r.merged or r.extensions or r.provisional or r.deadline_at is not None):
        return f"期限届满日 {r.deadline.isoformat()}"  # the plain case, most clocks
    extra = ""
    if r.merged:
        spans = "、".join(f"{a.isoformat()}—{b.isoformat()}" for a, b in r.merged)
        extra = f"（已扣除中止期间 {spans}）"
    ext = sum(1 for x in r.extensions if x.accepted)
    ext_note = f"，含有效延长 {ext} 次" if ext else ""
    prov = "；该日期超出工作日历表范围，期限为暂定（provisional）" if r.provisional else ""
    when = (
        r.deadline_at.isoformat(timespec="minutes")
        if r.deadline_at is not None
        else r.deadline.isoformat()
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
        else r.promised_deadline.isoformat()
    )
    state = (
        f"已超过承诺期限 {r.promised_overdue_workdays} 个工作日"
        if r.promised_breached
        else "未超过承诺期限"
    )
    return f"承诺期限 {r.promised_amount}{unit}，届满于 {when}；{state}"


def _state_step(r: ClockResult, end: date, as_of: date) -> Step:
    assert r.deadline is not None
    state = r.state
    if state == "met":
        assert r.stop_event is not None
        text = f"{r.stop_event.activity}于 {end.isoformat()}，在期限内"
    elif state == "late":
        assert r.stop_event is not None
        hours = (
            f"（{r.overdue_hours} 小时）"
            if r.deadline_at is not None
            else f"（{r.overdue_days} 日）"
        )
        text = f"{r.stop_event.activity}于 {end.isoformat()}，超过期限 {r.overdue_workdays} 个工作日{hours}"
    elif state == "overdue":
        text = (
            f"截至 {as_of.isoformat()} 仍未{'、'.join(r.clock.stops)}，已超过期限 "
            f"{r.overdue_workdays} 个工作日（持续中）"
        )
    else:
        text = f"截至 {as_of.isoformat()} 尚在期限内，剩余 {r.remaining_workdays} 个工作日"
    ev = r.stop_event.event_id if r.stop_event is not None else ""
    return Step("stop", text, ref_text(r.clock.ref), ev)
