"""Day arithmetic with suspensions, per DESIGN.md §6 (normative).

In: a `WorkCalendar`, merged suspension intervals (inclusive date pairs) and dates.
Out: counted days between dates and the date N counted days after a trigger day.

Conventions (§6): a period never counts its trigger day (§6.1); every day d with
start ≤ d ≤ end of a suspension is not counted (§6.3); working-day periods count only
working days; natural-day, week and month periods count every day (a week is 7 days, a
month ends on the same day of the month, or the month's last day). Hour periods are
counted between instants in engine/clock_hours.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from engine.calendar import WorkCalendar, WorkdayTable
from engine.ir import Unit

Interval = tuple[date, date]  # inclusive

_DAY = timedelta(days=1)


def merge_intervals(intervals: Sequence[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals (§6.3: overlapping suspensions merge)."""
    if len(intervals) == 1:  # the common case: one pause
        return [intervals[0]]
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1] + _DAY:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def suspended(cal: WorkCalendar, unit: Unit, susp: Sequence[Interval], a: date, b: date) -> int:
    """Days of `unit` d with a < d ≤ b that fall inside a suspension (working days for a
    working-day unit, every day otherwise)."""
    total = 0
    for lo, hi in susp:
        left = max(a, lo - _DAY)
        right = min(b, hi)
        if right > left:
            total += _raw(cal, unit, left, right)
    return total


def counted(cal: WorkCalendar, unit: Unit, susp: Sequence[Interval], a: date, b: date) -> int:
    """Counted (unsuspended) days of `unit` d with a < d ≤ b; 0 when b ≤ a."""
    if b <= a:
        return 0
    if not susp:
        return _raw(cal, unit, a, b)
    return _raw(cal, unit, a, b) - suspended(cal, unit, susp, a, b)


def add_counted(
    cal: WorkCalendar, unit: Unit, susp: Sequence[Interval], start: date, n: int
) -> date:
    """The n-th counted day of `unit` strictly after `start` (n ≥ 1); for weeks, the day
    7n counted days after; for months, the same day of the month n months on (or that
    month's last day), pushed out by the suspended days up to it. `susp`: merged
    intervals (sorted, disjoint), as merge_intervals gives them.

    The answer D is the least fixed point of D = (period end without suspensions) +
    (suspended days in (start, D]), and it is never a suspended day (were it one, the
    last counted day before it would be an earlier fixed point). So a suspension that
    begins on or before the period end found so far lies wholly before the answer: all
    its days after the start are skipped, and the end moves out by as many. One pass
    over the sorted suspensions, stopping at the first that begins after the end.
    """
    if n <= 0:
        return start
    if unit is Unit.WORKDAYS:  # the unit of most pauses
        found = _add_workdays(cal.table, susp, start, n)
        if found is not None:
            return found
    end = _shift(cal, unit, start, n, 0)
    skipped = 0
    for lo, hi in susp:
        if lo > end:
            break
        if hi > start:
            skipped += _raw(cal, unit, max(start, lo - _DAY), hi)
            end = _shift(cal, unit, start, n, skipped)
    return end


def _add_workdays(t: WorkdayTable, susp: Sequence[Interval], start: date, n: int) -> date | None:
    """add_counted's walk for working days on the calendar's tables: the period end as a
    workday_index (k), moved out by the working days of each suspension before it, with
    no calendar call per step. None when a day lies off the tables: the walk through the
    calendar's methods then raises as they do."""
    epoch, index, dates = t.epoch, t.index, t.dates
    s = start.toordinal() - epoch
    if not 0 <= s < t.size:
        return None
    k = index[s] + n
    for lo, hi in susp:
        if k > len(dates):
            return None
        if lo > dates[k - 1]:
            break
        if hi > start:
            a = max(s, lo.toordinal() - epoch - 1)  # the suspended days after max(start, lo - 1)
            b = hi.toordinal() - epoch
            if b >= t.size:
                return None
            if b > a:
                k += index[b] - index[a]
    return dates[k - 1] if k <= len(dates) else None


def add_months(d: date, n: int) -> date:
    """The same day of the month n months after d, or the last day of that month when it
    is shorter (a month after 31 January ends on the last day of February)."""
    year, month = divmod(d.year * 12 + d.month - 1 + n, 12)
    month += 1
    day = d.day
    if day > 28:  # every month has the days up to the 28th
        day = min(day, _month_days(year, month))
    return date(year, month, day)


def natural_end(unit: Unit, start: date, n: int) -> date:
    """Where a natural-day, week or month period of n units from start ends when nothing
    is suspended (add_counted with no suspensions, without its calendar)."""
    if n <= 0:
        return start
    if unit is Unit.MONTHS:
        return add_months(start, n)
    return start + timedelta(days=n * 7 if unit is Unit.WEEKS else n)


def _month_days(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _raw(cal: WorkCalendar, unit: Unit, a: date, b: date) -> int:
    if unit is Unit.WORKDAYS:
        return cal.workdays_between(a, b)
    return (b - a).days


def _shift(cal: WorkCalendar, unit: Unit, start: date, n: int, skipped: int) -> date:
    """Where a period of n units from start ends when `skipped` days are not counted."""
    if unit is Unit.WORKDAYS:
        return cal.add_workdays(start, n + skipped)
    if unit is Unit.MONTHS:
        return add_months(start, n) + timedelta(days=skipped)
    days = n * 7 if unit is Unit.WEEKS else n
    return start + timedelta(days=days + skipped)
