"""Day arithmetic with suspensions, per DESIGN.md §6 (normative).

In: a `WorkCalendar`, merged suspension intervals (inclusive date pairs) and dates.
Out: counted days between dates and the date N counted days after a trigger day.

Conventions (§6): a period never counts its trigger day (§6.1); every day d with
start ≤ d ≤ end of a suspension is not counted (§6.3); working-day periods count only
working days, natural-day periods count every day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from engine.calendar import WorkCalendar
from engine.ir import Unit

Interval = tuple[date, date]  # inclusive

_DAY = timedelta(days=1)


def merge_intervals(intervals: Sequence[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals (§6.3: overlapping suspensions merge)."""
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1] + _DAY:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def suspended(cal: WorkCalendar, unit: Unit, susp: Sequence[Interval], a: date, b: date) -> int:
    """Days of `unit` d with a < d ≤ b that fall inside a suspension."""
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
    return _raw(cal, unit, a, b) - suspended(cal, unit, susp, a, b)


def add_counted(
    cal: WorkCalendar, unit: Unit, susp: Sequence[Interval], start: date, n: int
) -> date:
    """The n-th counted day of `unit` strictly after `start` (n ≥ 1).

    Least fixed point of D = n-th raw day after start, pushed out by the suspended days in
    (start, D]; iterating from the suspension-free answer only moves forward and stops at a
    counted day (a suspended D would leave an earlier fixed point, contradicting leastness).
    """
    if n <= 0:
        return start
    skipped = 0
    while True:
        candidate = _nth(cal, unit, start, n + skipped)
        now = suspended(cal, unit, susp, start, candidate)
        if now == skipped:
            return candidate
        skipped = now


def _raw(cal: WorkCalendar, unit: Unit, a: date, b: date) -> int:
    if unit is Unit.WORKDAYS:
        return cal.workdays_between(a, b)
    return (b - a).days


def _nth(cal: WorkCalendar, unit: Unit, start: date, n: int) -> date:
    if unit is Unit.WORKDAYS:
        return cal.add_workdays(start, n)
    return start + timedelta(days=n)
