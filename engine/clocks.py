"""Clock evaluation for one case at `as_of`, exactly per DESIGN.md §6.

In: a case history, one IR `Clock`, the clocks already evaluated for this case (a clock
may read earlier ones, e.g. deemed acceptance), activity counts, a calendar and as_of.
Out: a `ClockResult` — start, applicable limit, suspensions, extensions (each accepted or
refused with the reason), deadline, state (inactive / undetermined / running / met / late /
overdue), overdue and remaining days, and a trail of explanation steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from engine.calendar import WorkCalendar
from engine.daycount import Interval, add_counted, counted, merge_intervals
from engine.expr_eval import ClockView, Scope, holds
from engine.ir import Clock, ClockProperty, Extension, Limit, StartTrigger, Suspension, Unit
from engine.model import CaseHistory, Event


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a finding's explanation trail."""

    kind: str  # clock_start, suspension, extension, limit, deadline, stop, holder, grade …
    text: str  # in the inspector's language (Chinese)
    policy: str = ""  # policy file:line of the rule text behind the step
    event: str = ""  # event id the step rests on

    def as_dict(self) -> dict[str, str]:
        d = {"step": self.kind, "text": self.text}
        if self.policy:
            d["policy"] = self.policy
        if self.event:
            d["event"] = self.event
        return d


@dataclass(frozen=True, slots=True)
class ExtensionOutcome:
    event: Event
    accepted: bool
    reason: str
    deadline_before: date
    deadline_after: date


@dataclass
class ClockResult:
    clock: Clock
    state: str = "inactive"  # inactive | undetermined | running | met | late | overdue
    start_event: Event | None = None
    trigger: StartTrigger | None = None
    limit: Limit | None = None
    base_deadline: date | None = None
    deadline: date | None = None
    stop_event: Event | None = None
    suspensions: list[tuple[Event, Event | None, Interval]] = field(default_factory=list)
    suspension_rules: list[Suspension] = field(default_factory=list)
    merged: list[Interval] = field(default_factory=list)
    extensions: list[ExtensionOutcome] = field(default_factory=list)
    overdue_workdays: int = 0
    overdue_days: int = 0
    remaining_workdays: int = 0
    provisional: bool = False
    as_of: date | None = None
    _trail: list[Step] | None = None

    @property
    def trail(self) -> list[Step]:
        """The explanation steps, built on first use: most clocks never reach a finding,
        and formatting text for every one of a million cases would dominate the audit."""
        if self._trail is None:
            self._trail = explain_clock(self)
        return self._trail

    @property
    def breached(self) -> bool:
        return self.state in ("late", "overdue")

    def prop(self, p: ClockProperty) -> int | bool:
        s = self.state
        if p is ClockProperty.STARTED:
            return s not in ("inactive",)
        if p is ClockProperty.RUNNING:
            return s == "running"
        if p is ClockProperty.MET:
            return s == "met"
        if p is ClockProperty.LATE:
            return s == "late"
        if p is ClockProperty.OVERDUE:
            return s == "overdue"
        if p is ClockProperty.BREACHED:
            return s in ("late", "overdue")
        if p is ClockProperty.OVERDUE_WORKDAYS:
            return self.overdue_workdays
        if p is ClockProperty.OVERDUE_DAYS:
            return self.overdue_days
        if p is ClockProperty.REMAINING_WORKDAYS:
            return self.remaining_workdays
        if p is ClockProperty.EXTENSIONS:
            return sum(1 for x in self.extensions if x.accepted)
        return sum(1 for x in self.extensions if not x.accepted)


def evaluate_clock(
    history: CaseHistory,
    clock: Clock,
    earlier: Mapping[str, ClockView],
    counts: Mapping[str, int],
    cal: WorkCalendar,
    as_of: date,
    positions: Mapping[str, list[int]] | None = None,
) -> ClockResult:
    """`positions`: activity -> indexes into history.events (built once per case)."""
    r = ClockResult(clock, as_of=as_of)
    events = history.events
    start_pos = _find_start(history, clock, earlier, counts, r, positions)
    if start_pos < 0:
        return r
    start = events[start_pos]
    start_day = start.time.date()
    scope = Scope(history, earlier, counts)
    limit = next((lim for lim in clock.limits if lim.when is None or holds(lim.when, scope)), None)
    if limit is None:
        r.state = "undetermined"
        return r
    r.limit = limit
    after = events[start_pos + 1 :]
    stops = clock.stops
    stop_pos = next((i for i, e in enumerate(after) if e.activity in stops), -1)
    r.stop_event = after[stop_pos] if stop_pos >= 0 else None
    window = after[:stop_pos] if stop_pos >= 0 else after
    if clock.suspensions:
        _collect_suspensions(clock, window, as_of, r)
    r.base_deadline = _deadline(cal, limit, r.merged, start_day, limit.amount)
    r.deadline = r.base_deadline
    _apply_extensions(cal, limit, window, r)
    end_day = r.stop_event.time.date() if r.stop_event is not None else as_of
    deadline = r.deadline
    if r.stop_event is not None:
        r.state = "met" if end_day <= deadline else "late"
    else:
        r.state = "overdue" if as_of > deadline else "running"
    if r.state in ("late", "overdue"):
        r.overdue_workdays = counted(cal, Unit.WORKDAYS, r.merged, deadline, end_day)
        r.overdue_days = counted(cal, Unit.DAYS, r.merged, deadline, end_day)
    elif r.state == "running":
        r.remaining_workdays = counted(cal, Unit.WORKDAYS, r.merged, as_of, deadline)
    r.provisional = _provisional(cal, limit, start_day, deadline, end_day)
    return r


def explain_clock(r: ClockResult) -> list[Step]:
    """The explanation trail of an evaluated clock, in the inspector's language."""
    clock = r.clock
    steps: list[Step] = []
    if r.state == "inactive" or r.start_event is None or r.trigger is None:
        return steps
    e, trig = r.start_event, r.trigger
    why = f"（{trig.note}）" if trig.note else ""
    steps.append(
        Step(
            "clock_start",
            f"「{clock.label}」自 {e.activity}（{e.time.date().isoformat()}）起算{why}",
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
    limit = r.limit
    steps.append(
        Step(
            "limit",
            f"期限 {limit.amount}{limit.unit.label}，{_rollover_note(limit)}"
            f"自 {e.time.date().isoformat()} 次日起算，不计中止期间",
            str(limit.ref),
        )
    )
    for susp, (start, end, iv) in zip(r.suspension_rules, r.suspensions, strict=True):
        if end is not None:
            text = f"{start.activity}至{end.activity}（{iv[0].isoformat()}—{iv[1].isoformat()}）不计入期限"
        else:
            text = (
                f"{start.activity}（{iv[0].isoformat()}起）至 as_of {iv[1].isoformat()} 仍未结束，"
                f"期间不计入期限"
            )
        steps.append(Step("suspension", text, str(susp.ref), start.event_id))
    for x in r.extensions:
        ev = x.event
        if x.accepted:
            steps.append(
                Step(
                    "extension",
                    f"{ev.activity}（{ev.event_id}，{ev.time.date().isoformat()}，{ev.role}）"
                    f"有效：延长期限由 {x.deadline_before.isoformat()} 延至 {x.deadline_after.isoformat()}"
                    f"（{x.reason}）",
                    str(limit.ref),
                    ev.event_id,
                )
            )
        else:
            steps.append(
                Step(
                    "extension",
                    f"{ev.activity}（{ev.event_id}，{ev.time.date().isoformat()}，"
                    f"{ev.role or '角色空'}）不予认可：{x.reason}；期限仍为 {x.deadline_before.isoformat()}",
                    str(limit.ref),
                    ev.event_id,
                )
            )
    assert r.as_of is not None
    end_day = r.stop_event.time.date() if r.stop_event is not None else r.as_of
    steps.append(Step("deadline", _deadline_text(r), str(limit.ref)))
    steps.append(_state_step(r, end_day, r.as_of))
    return steps


def _find_start(
    history: CaseHistory,
    clock: Clock,
    earlier: Mapping[str, ClockView],
    counts: Mapping[str, int],
    r: ClockResult,
    positions: Mapping[str, list[int]] | None,
) -> int:
    """Triggers are alternatives in the order written; the first that fires starts the clock."""
    events = history.events
    for trig in clock.starts:
        if positions is not None:
            where: Sequence[int] = positions.get(trig.activity, ())
        else:
            where = [i for i, e in enumerate(events) if e.activity == trig.activity]
        for pos in where:
            e = events[pos]
            if trig.when is None or holds(trig.when, Scope(history, earlier, counts, e)):
                r.start_event, r.trigger = e, trig
                return pos
    return -1


def _collect_suspensions(clock: Clock, window: list[Event], as_of: date, r: ClockResult) -> None:
    """Each start activity opens a suspension that the next end activity closes; one still
    open at as_of runs through as_of (§6.3)."""
    raw: list[Interval] = []
    for susp in clock.suspensions:
        open_ev: Event | None = None
        for e in window:
            if e.activity == susp.start_activity and open_ev is None:
                open_ev = e
            elif e.activity == susp.end_activity and open_ev is not None:
                iv = (open_ev.time.date(), e.time.date())
                r.suspensions.append((open_ev, e, iv))
                r.suspension_rules.append(susp)
                raw.append(iv)
                open_ev = None
        if open_ev is not None:
            iv = (open_ev.time.date(), max(open_ev.time.date(), as_of))
            r.suspensions.append((open_ev, None, iv))
            r.suspension_rules.append(susp)
            raw.append(iv)
    r.merged = merge_intervals(raw)


def _deadline(cal: WorkCalendar, limit: Limit, merged: list[Interval], start: date, n: int) -> date:
    d = add_counted(cal, limit.unit, merged, start, n)
    if limit.unit is Unit.DAYS and limit.rollover and not cal.is_workday(d):
        d = cal.next_workday_on_or_after(d)  # §6.7: civil-procedure rollover
    return d


def _apply_extensions(cal: WorkCalendar, limit: Limit, window: list[Event], r: ClockResult) -> None:
    """§6.5: an extension counts only with the required role, on or before the current
    deadline day, and only as often as allowed; any other extends nothing."""
    activities = r.clock.extension_activities
    if not activities:
        return
    used: dict[Extension, int] = {}
    for e in window:
        if e.activity not in activities:
            continue
        assert r.deadline is not None
        before = r.deadline
        rule, reason = _judge_extension(limit, e, before, used)
        if rule is None:
            r.extensions.append(ExtensionOutcome(e, False, reason, before, before))
            continue
        used[rule] = used.get(rule, 0) + 1
        after = add_counted(cal, rule.unit, r.merged, before, rule.amount)
        r.deadline = after
        note = f"延长 {rule.amount}{rule.unit.label}；{reason}"
        r.extensions.append(ExtensionOutcome(e, True, note, before, after))


def _judge_extension(
    limit: Limit, e: Event, deadline: date, used: dict[Extension, int]
) -> tuple[Extension | None, str]:
    if not limit.extensions:
        return None, "适用的期限不允许延长"
    rule = next(
        (x for x in limit.extensions if x.activity == e.activity and x.role == e.role), None
    )
    if rule is None:
        roles = "、".join(sorted({x.role for x in limit.extensions}))
        return None, f"批准人角色为「{e.role or '空'}」，须为「{roles}」"
    if rule.before_deadline and e.time.date() > deadline:
        return None, f"批准日 {e.time.date().isoformat()} 晚于当时期限 {deadline.isoformat()}"
    if used.get(rule, 0) >= rule.max_times:
        return None, f"已达到可延长次数上限（{rule.max_times} 次）"
    return rule, f"批准人角色「{e.role}」符合，且在期限届满前批准"


def _provisional(cal: WorkCalendar, limit: Limit, start: date, deadline: date, end: date) -> bool:
    if limit.unit is Unit.DAYS and not limit.rollover:
        return False
    return not (cal.in_table(start) and cal.in_table(deadline) and cal.in_table(end))


def _rollover_note(limit: Limit) -> str:
    return "末日为休息日的顺延至下一工作日，" if limit.unit is Unit.DAYS and limit.rollover else ""


def _deadline_text(r: ClockResult) -> str:
    assert r.deadline is not None and r.limit is not None
    extra = ""
    if r.merged:
        spans = "、".join(f"{a.isoformat()}—{b.isoformat()}" for a, b in r.merged)
        extra = f"（已扣除中止期间 {spans}）"
    ext = sum(1 for x in r.extensions if x.accepted)
    ext_note = f"，含有效延长 {ext} 次" if ext else ""
    prov = "；该日期超出工作日历表范围，期限为暂定（provisional）" if r.provisional else ""
    return f"期限届满日 {r.deadline.isoformat()}{extra}{ext_note}{prov}"


def _state_step(r: ClockResult, end: date, as_of: date) -> Step:
    assert r.deadline is not None
    if r.state == "met":
        assert r.stop_event is not None
        text = f"{r.stop_event.activity}于 {end.isoformat()}，在期限内"
    elif r.state == "late":
        assert r.stop_event is not None
        text = (
            f"{r.stop_event.activity}于 {end.isoformat()}，超过期限 {r.overdue_workdays} 个工作日"
            f"（{r.overdue_days} 日）"
        )
    elif r.state == "overdue":
        text = (
            f"截至 {as_of.isoformat()} 仍未{'、'.join(r.clock.stops)}，已超过期限 "
            f"{r.overdue_workdays} 个工作日（持续中）"
        )
    else:
        text = f"截至 {as_of.isoformat()} 尚在期限内，剩余 {r.remaining_workdays} 个工作日"
    ev = r.stop_event.event_id if r.stop_event is not None else ""
    return Step("stop", text, str(r.clock.ref), ev)
