"""The explanation trail of an evaluated clock, in the inspector's language.

In: a `ClockResult` (engine.clocks). Out: `Step`s — start (and restarts), limit (with
the promised limit), suspensions, extensions, deadline, state — each citing the policy
line and the event it rests on. Built lazily: only clocks that reach a finding pay for it.

A large audit explains tens of thousands of clocks, so the texts that depend on the
policy alone (a rule's `file:line`, a limit's wording, a clock's start wording) are built
once per rule, and the steps that depend on one day alone once per day (`shared_step`:
the findings' JSON writer then writes each of those once too). `day_text` and
`instant_text` give the ISO texts of days and instants from per-day texts.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from engine.clock_parts import Step
from engine.ir import Clock, Limit, PolicyRef, StartTrigger

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


# day -> its ISO text. date.isoformat() costs more than a lookup, and the steps and facts
# of an audit's findings name a few thousand distinct days tens of thousands of times.
_DAY_TEXT: dict[date, str] = {}


def day_text(day: date) -> str:
    """`day.isoformat()`, formatted once per day (for a `date`, not a `datetime`)."""
    text = _DAY_TEXT.get(day)
    if text is None:
        if len(_DAY_TEXT) >= 100_000:
            _DAY_TEXT.clear()
        text = _DAY_TEXT[day] = day.isoformat()
    return text


# A fixed-offset zone -> the offset as isoformat() ends an instant with it ("+08:00"), and
# a time of day in whole seconds -> "THH:MM:SS". Both come from small sets.
_OFFSET_TEXT: dict[timezone, str] = {}
_TIME_OF_DAY: dict[int, str] = {}


def instant_text(t: datetime) -> str:
    """`t.isoformat()`, from per-day, per-time-of-day and per-zone texts: formatting an
    aware instant asks its zone for the offset and costs three times as much. The evidence
    of every finding shows its instants. Only for a fixed-offset zone (whose offset never
    depends on the day) and whole seconds; anything else is formatted as it is."""
    tz = t.tzinfo
    if type(tz) is not timezone or t.microsecond:  # timezone cannot be subclassed
        return t.isoformat()
    offset = _OFFSET_TEXT.get(tz)
    if offset is None:
        if len(_OFFSET_TEXT) >= 1000:
            _OFFSET_TEXT.clear()
        # timezone equality is offset equality: equal zones end an instant alike.
        offset = _OFFSET_TEXT[tz] = datetime(2000, 1, 1, tzinfo=tz).isoformat()[19:]
    seconds = t.hour * 3600 + t.minute * 60 + t.second
    clock = _TIME_OF_DAY.get(seconds)
    if clock is None:
        clock = _TIME_OF_DAY[seconds] = f"T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return f"{day_text(t.date())}{clock}{offset}"


# id(step) -> step: the steps that many findings share, made once per day, value or rule
# (limit, plain deadline, grade and leader steps). engine.finding_text writes the text of
# each once rather than once per finding. The step is held, so that its id stays its own
# while the entry lasts.
SHARED_STEPS: dict[int, Step] = {}


def shared_step(kind: str, text: str, ref: str) -> Step:
    """A step without an event that findings will share (see SHARED_STEPS)."""
    step = Step(kind, text, ref)
    if len(SHARED_STEPS) >= 100_000:
        SHARED_STEPS.clear()
    SHARED_STEPS[id(step)] = step
    return step


def explain_clock(r: ClockResult) -> list[Step]:
    clock = r.clock
    if r.state == "inactive" or r.origin_event is None or r.trigger is None:
        return []
    texts = _clock_texts(clock)
    e = r.origin_event
    head, tail, trig_ref = texts.trigger(r.trigger)
    steps = [
        Step(
            "clock_start",
            f"{head}{e.activity}（{day_text(e.time.date())}）{tail}",
            trig_ref,
            e.event_id,
        )
    ]
    limit = r.limit
    if limit is None:
        steps.append(
            Step(
                "limit",
                f"「{clock.label}」没有适用于本案的期限（案件属性不符合任何 limit 条件），未计算",
                texts.ref,
            )
        )
        return steps
    # Most clocks never restart, suspend or extend: skip building empty lists for them.
    if r.restarts:
        steps.extend(_restart_steps(r))
    lt = texts.limit(limit)
    steps.append(lt.limit_step(r))
    if r.suspensions:
        steps.extend(_suspension_steps(r))
    if r.extensions:
        steps.extend(_extension_steps(r, lt.ref))
    assert r.as_of is not None
    steps.append(lt.deadline_step(r))
    if limit.promised is not None:
        steps.append(Step("promised", _promised_text(r), ref_text(limit.promised.ref)))
    steps.append(_state_step(r, texts))
    return steps


class _ClockTexts:
    """What a clock's explanation says whatever the case: its start wording per trigger,
    the policy lines it cites, its stop activities in words."""

    __slots__ = ("clock", "limits", "ref", "start_head", "stops", "triggers")

    def __init__(self, clock: Clock) -> None:
        self.clock = clock  # held: the cache is keyed by its id
        part = f"（环节时限，属于「{clock.step_of}」）" if clock.step_of else ""
        self.start_head = f"「{clock.label}」{part}自 "
        self.ref = ref_text(clock.ref)
        self.stops = "、".join(clock.stops)
        # id(trigger) -> (trigger, (head, tail, ref)); id(limit) -> its texts. The objects
        # are held so that their ids stay their own.
        self.triggers: dict[int, tuple[StartTrigger, tuple[str, str, str]]] = {}
        self.limits: dict[int, _LimitTexts] = {}

    def trigger(self, trig: StartTrigger) -> tuple[str, str, str]:
        """The clock_start text around the event's activity and day, and the line cited."""
        hit = self.triggers.get(id(trig))
        if hit is None:
            why = f"（{trig.note}）" if trig.note else ""
            hit = self.triggers[id(trig)] = (
                trig,
                (self.start_head, f"起算{why}", ref_text(trig.ref)),
            )
        return hit[1]

    def limit(self, limit: Limit) -> _LimitTexts:
        lt = self.limits.get(id(limit))
        if lt is None:
            lt = self.limits[id(limit)] = _LimitTexts(limit)
        return lt


class _LimitTexts:
    """A limit's wording and the steps that depend on one day only. A day limit's `limit`
    step depends on the start day alone, a plain `deadline` step on the deadline day
    alone: an audit has a few thousand distinct days and tens of thousands of clocks, so
    those steps are built once per day and shared (a `Step` is immutable)."""

    __slots__ = ("by_deadline", "by_start", "is_hours", "limit", "ref", "words")

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.ref = ref_text(limit.ref)
        self.is_hours, self.words = _limit_words(limit)
        self.by_start: dict[date, Step] = {}
        self.by_deadline: dict[date, Step] = {}

    def limit_step(self, r: ClockResult) -> Step:
        assert r.start_event is not None
        start = r.start_event
        if self.is_hours:
            if r.day_precision_start:
                since = f"{start.activity}只记录了日期，自 {start.time.date().isoformat()} 终了起算"
            else:
                since = f"自 {start.time.isoformat(timespec='minutes')} 起算"
            return Step("limit", f"{self.words}，{since}，不计中止期间", self.ref)
        day = start.time.date()
        step = self.by_start.get(day)
        if step is None:
            text = f"{self.words}自 {day.isoformat()} 次日起算，不计中止期间"
            step = self.by_start[day] = shared_step("limit", text, self.ref)
        return step

    def deadline_step(self, r: ClockResult) -> Step:
        assert r.deadline is not None
        if r.merged or r.extensions or r.provisional or r.deadline_at is not None:
            return Step("deadline", _deadline_text(r), self.ref)
        step = self.by_deadline.get(r.deadline)  # the plain case, most clocks
        if step is None:
            text = f"期限届满日 {r.deadline.isoformat()}"
            step = self.by_deadline[r.deadline] = shared_step("deadline", text, self.ref)
        return step


# id(clock) -> its texts (which hold the clock, so that its id stays its own).
_CLOCK_TEXTS: dict[int, _ClockTexts] = {}


def _clock_texts(clock: Clock) -> _ClockTexts:
    texts = _CLOCK_TEXTS.get(id(clock))
    if texts is None or texts.clock is not clock:
        if len(_CLOCK_TEXTS) >= CACHE_LIMIT:
            _CLOCK_TEXTS.clear()
        texts = _CLOCK_TEXTS[id(clock)] = _ClockTexts(clock)
    return texts


def _restart_steps(r: ClockResult) -> list[Step]:
    out = []
    rules = {rs.activity: rs for rs in r.clock.restarts}
    for ev in r.restarts:
        rs = rules.get(ev.activity)
        note = f"（{rs.note}）" if rs is not None and rs.note else ""
        out.append(
            Step(
                "restart",
                f"{ev.activity}（{ev.event_id}，{day_text(ev.time.date())}）：期限自该日重新起算{note}",
                ref_text(rs.ref) if rs is not None else "",
                ev.event_id,
            )
        )
    return out


def _limit_words(limit: Limit) -> tuple[bool, str]:
    """Whether the limit counts hours, and its words before the start."""
    unit = limit.unit
    if unit.is_hours:
        office = "（仅计工作日的办公时间）" if unit.value == "workhours" else ""
        return True, f"期限 {limit.amount}{unit.label}{office}"
    return False, f"期限 {limit.amount}{unit.label}，{_rollover_note(limit)}"


def _suspension_steps(r: ClockResult) -> list[Step]:
    steps = []
    for susp, (start, end, iv) in zip(r.suspension_rules, r.suspensions, strict=True):
        if end is not None:
            text = (
                f"{start.activity}至{end.activity}（{day_text(iv[0])}—{day_text(iv[1])}）不计入期限"
            )
        else:
            text = (
                f"{start.activity}（{day_text(iv[0])}起）至 as_of {day_text(iv[1])} 仍未结束，"
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
                f"{ev.activity}（{ev.event_id}，{day_text(ev.time.date())}，{ev.role}）"
                f"有效：延长期限由 {day_text(x.deadline_before)} 延至 {day_text(x.deadline_after)}"
                f"（{x.reason}）"
            )
        else:
            text = (
                f"{ev.activity}（{ev.event_id}，{day_text(ev.time.date())}，"
                f"{ev.role or '角色空'}）不予认可：{x.reason}；期限仍为 {day_text(x.deadline_before)}"
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
        spans = "、".join([f"{day_text(a)}—{day_text(b)}" for a, b in r.merged])
        extra = f"（已扣除中止期间 {spans}）"
    ext = sum(1 for x in r.extensions if x.accepted)
    ext_note = f"，含有效延长 {ext} 次" if ext else ""
    prov = "；该日期超出工作日历表范围，期限为暂定（provisional）" if r.provisional else ""
    when = (
        r.deadline_at.isoformat(timespec="minutes")
        if r.deadline_at is not None
        else day_text(r.deadline)
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


def _state_step(r: ClockResult, texts: _ClockTexts) -> Step:
    assert r.deadline is not None and r.as_of is not None
    state = r.state
    stop = r.stop_event
    if state == "late":  # first: the state of most clocks that reach a finding
        assert stop is not None
        hours = (
            f"（{r.overdue_hours} 小时）"
            if r.deadline_at is not None
            else f"（{r.overdue_days} 日）"
        )
        text = (
            f"{stop.activity}于 {day_text(stop.time.date())}，"
            f"超过期限 {r.overdue_workdays} 个工作日{hours}"
        )
    elif state == "met":
        assert stop is not None
        text = f"{stop.activity}于 {day_text(stop.time.date())}，在期限内"
    elif state == "overdue":
        text = (
            f"截至 {day_text(r.as_of)} 仍未{texts.stops}，已超过期限 "
            f"{r.overdue_workdays} 个工作日（持续中）"
        )
    else:
        text = f"截至 {day_text(r.as_of)} 尚在期限内，剩余 {r.remaining_workdays} 个工作日"
    return Step("stop", text, texts.ref, stop.event_id if stop is not None else "")
