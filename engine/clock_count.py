"""Counting a clock once its events are known: deadline, extensions, state, overdue and
remaining amounts, promised deadline, provisional flag — for day units (§6) and hours.

In: a `ClockResult` with its start (and stop) set, the calendar, the applicable limit,
the case's events, the index window between start and stop, and the suspension pairs.
Out: the same `ClockResult`, filled in.

Day units (workdays, days, weeks, months) count dates per DESIGN.md §6. Hour units count
instants (engine.clock_hours); a date-only input is read the way that never makes an
office late: a start on day D counts from the end of D, a stop on day D happened at its
very beginning, a pause covers the whole of its days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from math import ceil
from typing import TYPE_CHECKING

from engine.calendar import WorkCalendar
from engine.clock_hours import HourCounter, Span, local_date, merge_spans, midnight
from engine.clock_parts import (
    ExtensionOutcome,
    Positions,
    SuspensionPair,
    extension_amount,
    extension_events,
    judge_extension,
    notice_given,
    simultaneous,
)
from engine.daycount import Interval, add_counted, counted, merge_intervals, natural_end
from engine.ir import Limit, Suspension, Unit
from engine.model import CaseHistory, Event

if TYPE_CHECKING:
    from engine.clocks import ClockResult

_DAY = timedelta(days=1)
_W = Unit.WORKDAYS
_D = Unit.DAYS


# ------------------------------------------------------------------------ days


def _day_deadline(
    cal: WorkCalendar, unit: Unit, rollover: bool, merged: Sequence[Interval], start: date, n: int
) -> date:
    if not merged and unit is _W:
        return cal.add_workdays(start, n)
    if not merged and unit is _D:
        d = start + timedelta(days=n)
    else:
        d = add_counted(cal, unit, merged, start, n)
    if rollover and unit.natural and not cal.is_workday(d):
        d = cal.next_workday_on_or_after(d)  # §6.7: civil-procedure rollover
    return d


def _day_intervals(r: ClockResult, pairs: Sequence[SuspensionPair]) -> list[Interval]:
    as_of = r.as_of
    rows: list[tuple[Event, Event | None, Interval]] = []
    rules: list[Suspension] = []
    days: list[Interval] = []
    for s, a, b in pairs:
        d0 = a.time.date()
        iv = (d0, b.time.date() if b is not None else max(d0, as_of))
        rows.append((a, b, iv))
        rules.append(s)
        days.append(iv)
    r.suspensions = rows
    r.suspension_rules = rules
    merged = merge_intervals(days)
    r.merged = merged
    return merged


def count_days(
    r: ClockResult,
    cal: WorkCalendar,
    limit: Limit,
    history: CaseHistory,
    positions: Positions,
    lo: int,
    hi: int,
    pairs: Sequence[SuspensionPair],
) -> None:
    """Fill in r for a limit in days, weeks or months: deadline, extensions, state,
    overdue or remaining days, promised deadline, provisional flag."""
    if pairs or limit.promised is not None or (lo < hi and r.clock.extension_activities):
        _count_days_fully(r, cal, limit, history, positions, lo, hi, pairs)
    else:
        count_plain_days(r, cal, limit)


def count_plain_days(r: ClockResult, cal: WorkCalendar, limit: Limit) -> None:
    """count_days for a day clock with no suspension, extension or promise — nearly
    every clock of a real audit, so it takes the shortest way to the same answer: for
    working days, day offsets on the calendar's tables instead of four calendar calls
    and date arithmetic (the same sums as add_workdays, workdays_between and covers)."""
    assert r.start_event is not None
    n = limit.amount
    if limit.unit is not _W or n <= 0:
        _count_plain_days(r, cal, limit)  # natural days, weeks or months
        return
    t = cal.table
    stop = r.stop_event
    end_day = r.as_of if stop is None else stop.time.date()
    start = r.start_event.time.toordinal() - t.epoch
    end = end_day.toordinal() - t.epoch
    k = t.index[start] + n if 0 <= start < t.size else 0  # the deadline's workday_index
    if not (0 < k <= len(t.dates) and 0 <= end < t.size):
        _count_plain_days(r, cal, limit)  # a day off the tables: the calendar raises
        return
    deadline = t.dates[k - 1]
    r.base_deadline = r.deadline = deadline
    due = deadline.toordinal() - t.epoch
    if end > due:
        r.state = "overdue" if stop is None else "late"
        r.overdue_workdays = t.index[end] - k
        r.overdue_days = end - due
        if r.clock.deems:
            r.deemed_at = datetime.combine(deadline + _DAY, time(0, 0), r.start_event.time.tzinfo)
    elif stop is None:
        r.state = "running"
        r.remaining_workdays = k - t.index[end]
    else:
        r.state = "met"
    r.provisional = not (t.exact_from <= start and (due if due > end else end) <= t.exact_to)


def _count_plain_days(r: ClockResult, cal: WorkCalendar, limit: Limit) -> None:
    """count_plain_days through the calendar's methods: any unit, and any day (outside
    the calendar's range they raise)."""
    assert r.start_event is not None
    start_day = r.start_event.time.date()
    unit, rollover = limit.unit, limit.rollover
    if unit is _W:
        deadline = cal.add_workdays(start_day, limit.amount)
    else:  # natural days, weeks or months
        deadline = natural_end(unit, start_day, limit.amount)
        if rollover and not cal.is_workday(deadline):
            deadline = cal.next_workday_on_or_after(deadline)  # §6.7
    r.base_deadline = r.deadline = deadline
    stop = r.stop_event
    if stop is not None:
        end_day = stop.time.date()
        late = end_day > deadline
        r.state = "late" if late else "met"
    else:
        end_day = r.as_of
        late = end_day > deadline
        if late:
            r.state = "overdue"
        else:
            r.state = "running"
            r.remaining_workdays = cal.workdays_between(end_day, deadline)
    if late:
        r.overdue_workdays = cal.workdays_between(deadline, end_day)
        r.overdue_days = (end_day - deadline).days
        if r.clock.deems:
            r.deemed_at = datetime.combine(deadline + _DAY, time(0, 0), r.start_event.time.tzinfo)
    if unit is _W or rollover:  # natural days without rollover need no calendar
        r.provisional = not cal.covers(start_day, deadline if deadline > end_day else end_day)


def _count_days_fully(
    r: ClockResult,
    cal: WorkCalendar,
    limit: Limit,
    history: CaseHistory,
    positions: Positions,
    lo: int,
    hi: int,
    pairs: Sequence[SuspensionPair],
) -> None:
    assert r.start_event is not None
    as_of = r.as_of
    merged = _day_intervals(r, pairs) if pairs else ()
    start_day = r.start_event.time.date()
    unit = limit.unit
    if unit is _W and not merged:  # the common case, one table lookup
        deadline = cal.add_workdays(start_day, limit.amount)
    else:
        deadline = _day_deadline(cal, unit, limit.rollover, merged, start_day, limit.amount)
    r.base_deadline = r.deadline = deadline
    if lo < hi and r.clock.extension_activities:
        events = extension_events(r.clock, history.events, positions, lo, hi)
        if events:
            deadline = _day_extensions(r, cal, limit, history, positions, events, merged)
    stop = r.stop_event
    if stop is not None:
        end_day = stop.time.date()
        state = r.state = "met" if end_day <= deadline else "late"
    else:
        end_day = as_of
        state = r.state = "overdue" if as_of > deadline else "running"
    if state == "running":
        r.remaining_workdays = (
            counted(cal, _W, merged, as_of, deadline)
            if merged
            else cal.workdays_between(as_of, deadline)
        )
    elif state != "met":
        if merged:
            r.overdue_workdays = counted(cal, _W, merged, deadline, end_day)
            r.overdue_days = counted(cal, _D, merged, deadline, end_day)
        else:
            r.overdue_workdays = cal.workdays_between(deadline, end_day)
            r.overdue_days = (end_day - deadline).days
        if r.clock.deems:
            tz = r.start_event.time.tzinfo
            r.deemed_at = datetime.combine(deadline + _DAY, time(0, 0), tz)
    if limit.promised is not None:
        _day_promise(r, cal, limit, history, merged, start_day, end_day)
    if unit is _W or limit.rollover:  # natural days without rollover need no calendar
        r.provisional = not cal.covers(start_day, deadline if deadline > end_day else end_day)


def _day_extensions(
    r: ClockResult,
    cal: WorkCalendar,
    limit: Limit,
    history: CaseHistory,
    positions: Positions,
    events: list[Event],
    merged: Sequence[Interval],
) -> date:
    """§6.5: an extension counts only with the required role, on or before the current
    deadline day, as often as allowed, and with the notice the rule requires."""
    assert r.deadline is not None
    used: dict[int, int] = {}  # approvals accepted, by id of the rule (hashing one is slow)
    out: list[ExtensionOutcome] = []
    for group in simultaneous(events):
        at_instant = r.deadline  # simultaneous approvals are judged against one deadline
        for e in group:
            before = r.deadline
            day = e.time.date()
            rule, reason = judge_extension(limit, e, day > at_instant, at_instant, used)
            if rule is not None and rule.notice is not None:
                due = add_counted(cal, rule.notice.unit, (), day, rule.notice.amount)
                ok, note = notice_given(rule.notice, e, history, positions, due, r.as_of)
                rule, reason = (rule, f"{reason}；{note}") if ok else (None, note)
            if rule is None:
                out.append(ExtensionOutcome(e, False, reason, at_instant, at_instant))
                continue
            used[id(rule)] = used.get(id(rule), 0) + 1
            amount, note = extension_amount(rule, e)
            after = _day_deadline(cal, rule.unit, limit.rollover, merged, before, amount)
            r.deadline = after
            text = f"延长 {amount}{rule.unit.label}；{reason}" + (f"；{note}" if note else "")
            out.append(ExtensionOutcome(e, True, text, before, after, amount, rule.unit))
    r.extensions = out
    return r.deadline


def promised_amount(r: ClockResult, limit: Limit, history: CaseHistory) -> int:
    """The promised amount for this case, or 0 (with the reason in r.promised_note)."""
    p = limit.promised
    assert p is not None
    if not p.attr:
        return p.amount
    raw = history.attrs.get(p.attr, "").strip()
    if raw.isdigit() and int(raw) >= 1:
        return int(raw)
    r.promised_note = f"案件未载明有效的承诺时限（case.{p.attr}={raw or '空'}），不计承诺期限"
    return 0


def _day_promise(
    r: ClockResult,
    cal: WorkCalendar,
    limit: Limit,
    history: CaseHistory,
    merged: Sequence[Interval],
    start_day: date,
    end_day: date,
) -> None:
    """The promised deadline counts like the statutory one; an accepted extension moves it
    too when approved on or before it (a promise already broken stays broken)."""
    p = limit.promised
    assert p is not None
    amount = promised_amount(r, limit, history)
    if amount == 0:
        return
    pd = _day_deadline(cal, p.unit, limit.rollover, merged, start_day, amount)
    for x in r.extensions:
        if x.accepted and x.unit is not None and x.event.time.date() <= pd:
            pd = _day_deadline(cal, x.unit, limit.rollover, merged, pd, x.amount)
    r.promised_amount = amount
    r.promised_deadline = pd
    breached = end_day > pd if r.stop_event is not None else r.as_of > pd
    if breached:
        r.promised_breached = True
        r.promised_overdue_workdays = counted(cal, _W, merged, pd, end_day)


# ----------------------------------------------------------------------- hours


def _instant(e: Event, *, end_of_day: bool) -> float:
    """An event's instant; a date-only event is taken at its day's start or end."""
    if not e.day_precision:
        return e.time.timestamp()
    d = e.time.date()
    return midnight(d + _DAY if end_of_day else d, e.time.tzinfo)


def _hour_spans(r: ClockResult, pairs: Sequence[SuspensionPair], as_of_end: float) -> list[Span]:
    _day_intervals(r, pairs)  # the days, for display and §6.4 day counts
    spans = [
        (
            _instant(a, end_of_day=False),
            _instant(b, end_of_day=True) if b is not None else as_of_end,
        )
        for _s, a, b in pairs
    ]
    return merge_spans(spans)


def _counter(
    cal: WorkCalendar, unit: Unit, tz: tzinfo | None, office: Sequence[tuple[int, int]]
) -> HourCounter:
    """Office hours count only for `workhours`; `hours` count every hour."""
    return HourCounter(cal, tz, office if unit is Unit.WORKHOURS else None)


def count_hours(
    r: ClockResult,
    cal: WorkCalendar,
    limit: Limit,
    history: CaseHistory,
    positions: Positions,
    lo: int,
    hi: int,
    pairs: Sequence[SuspensionPair],
    office: Sequence[tuple[int, int]],
) -> None:
    start = r.start_event
    assert start is not None
    tz = start.time.tzinfo
    as_of = r.as_of
    as_of_start, as_of_end = midnight(as_of, tz), midnight(as_of + _DAY, tz)
    spans = _hour_spans(r, pairs, as_of_end) if pairs else []
    counter = _counter(cal, limit.unit, tz, office)
    t0 = _instant(start, end_of_day=True)
    r.day_precision_start = start.day_precision
    deadline_ts = counter.add(t0, limit.amount * 3600, spans)
    r.base_deadline = local_date(deadline_ts, tz)
    if r.clock.extension_activities:
        events = extension_events(r.clock, history.events, positions, lo, hi)
        if events:
            deadline_ts = _hour_extensions(
                r, cal, limit, history, positions, events, spans, deadline_ts, office
            )
    deadline = local_date(deadline_ts, tz)
    r.deadline, r.deadline_at = deadline, datetime.fromtimestamp(deadline_ts, tz)
    stop = r.stop_event
    end_ts = _instant(stop, end_of_day=False) if stop is not None else as_of_end
    end_day = stop.time.date() if stop is not None else as_of
    late_by = counter.between(deadline_ts, end_ts, spans)
    if stop is not None:
        r.state = "late" if late_by > 0 else "met"
    else:
        # The export may have been taken at any moment of as_of: only counted time before
        # that day began is known to have passed without the act.
        r.state = "overdue" if counter.between(deadline_ts, as_of_start, spans) > 0 else "running"
    merged = r.merged
    if r.state == "late" or r.state == "overdue":
        r.overdue_hours = ceil(late_by / 3600)
        r.overdue_workdays = counted(cal, _W, merged, deadline, end_day)
        r.overdue_days = counted(cal, _D, merged, deadline, end_day)
        if r.clock.deems:
            r.deemed_at = r.deadline_at
    elif r.state == "running":
        r.remaining_workdays = counted(cal, _W, merged, as_of, deadline)
    if limit.promised is not None:
        _hour_promise(r, cal, limit, history, spans, t0, end_ts, as_of_start, office)
    if limit.unit is Unit.WORKHOURS:
        r.provisional = not cal.covers(start.time.date(), max(deadline, end_day))


def _hour_extensions(
    r: ClockResult,
    cal: WorkCalendar,
    limit: Limit,
    history: CaseHistory,
    positions: Positions,
    events: list[Event],
    spans: Sequence[Span],
    deadline_ts: float,
    office: Sequence[tuple[int, int]],
) -> float:
    tz = r.start_event.time.tzinfo if r.start_event is not None else None
    used: dict[int, int] = {}  # approvals accepted, by id of the rule (hashing one is slow)
    out: list[ExtensionOutcome] = []
    for group in simultaneous(events):
        at_ts = deadline_ts  # simultaneous approvals are judged against one deadline
        at_day = local_date(at_ts, tz)
        for e in group:
            before = local_date(deadline_ts, tz)
            rule, reason = judge_extension(limit, e, e.time.timestamp() > at_ts, at_day, used)
            if rule is not None and rule.notice is not None:
                due = add_counted(cal, rule.notice.unit, (), e.time.date(), rule.notice.amount)
                ok, note = notice_given(rule.notice, e, history, positions, due, r.as_of)
                rule, reason = (rule, f"{reason}；{note}") if ok else (None, note)
            if rule is None:
                out.append(ExtensionOutcome(e, False, reason, at_day, at_day))
                continue
            used[id(rule)] = used.get(id(rule), 0) + 1
            amount, note = extension_amount(rule, e)
            counter = _counter(cal, rule.unit, tz, office)
            deadline_ts = counter.add(deadline_ts, amount * 3600, spans)
            after = local_date(deadline_ts, tz)
            text = f"延长 {amount}{rule.unit.label}；{reason}" + (f"；{note}" if note else "")
            out.append(ExtensionOutcome(e, True, text, before, after, amount, rule.unit))
    r.extensions = out
    return deadline_ts


def _hour_promise(
    r: ClockResult,
    cal: WorkCalendar,
    limit: Limit,
    history: CaseHistory,
    spans: Sequence[Span],
    t0: float,
    end_ts: float,
    as_of_start: float,
    office: Sequence[tuple[int, int]],
) -> None:
    p = limit.promised
    assert p is not None and r.start_event is not None
    amount = promised_amount(r, limit, history)
    if amount == 0:
        return
    tz = r.start_event.time.tzinfo
    counter = _counter(cal, p.unit, tz, office)
    pts = counter.add(t0, amount * 3600, spans)
    for x in r.extensions:
        if x.accepted and x.unit is not None and x.event.time.timestamp() <= pts:
            pts = _counter(cal, x.unit, tz, office).add(pts, x.amount * 3600, spans)
    r.promised_amount = amount
    r.promised_deadline = local_date(pts, tz)
    r.promised_deadline_at = datetime.fromtimestamp(pts, tz)
    upto = end_ts if r.stop_event is not None else as_of_start
    if counter.between(pts, upto, spans) > 0:
        r.promised_breached = True
        end_day = r.stop_event.time.date() if r.stop_event is not None else r.as_of
        r.promised_overdue_workdays = counted(cal, _W, r.merged, r.promised_deadline, end_day)
