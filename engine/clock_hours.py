"""Hour arithmetic for clocks: natural hours and office hours (工作时间) between instants.

In: POSIX timestamps (instants), the calendar, the case's zone, office hours (minutes
after midnight, e.g. 09:00–12:00 and 13:30–17:30) and suspensions as instant spans.
Out: the instant N counted hours after a start (`HourCounter.add`) and the counted
seconds between two instants (`HourCounter.between`).

Natural hours are elapsed time: the arithmetic runs on timestamps, so a daylight-saving
change in the case's zone moves the wall clock, never the length of the period
(DESIGN.md §6.8: instants are compared as instants). Office hours are wall-clock spans
on the calendar's working days in the case's zone; a period that starts outside them
starts counting at the next opening, and one that ends exactly at closing time ends
then, not at the next opening.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from engine.calendar import WorkCalendar

Span = tuple[float, float]  # [start, end) as POSIX timestamps

_FOREVER = float("inf")
_DAY = timedelta(days=1)


def midnight(d: date, tz: tzinfo | None) -> float:
    """The instant the day d begins in zone tz."""
    return datetime.combine(d, time(0, 0), tz).timestamp()


def local_date(ts: float, tz: tzinfo | None) -> date:
    return datetime.fromtimestamp(ts, tz).date()


def merge_spans(spans: Sequence[Span]) -> list[Span]:
    """Sort and merge overlapping or touching spans."""
    merged: list[Span] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


class HourCounter:
    """Counts hours from instant to instant: every hour (`office is None`) or only the
    hours inside `office` spans on the calendar's working days."""

    __slots__ = ("cal", "office", "tz")

    def __init__(
        self, cal: WorkCalendar, tz: tzinfo | None, office: Sequence[tuple[int, int]] | None
    ) -> None:
        self.cal = cal
        self.tz = tz
        self.office = tuple(office) if office is not None else None

    def _segments(self, t0: float) -> Iterator[Span]:
        """Counting time from t0 on, in order, before suspensions are taken out."""
        if self.office is None:
            yield (t0, _FOREVER)
            return
        d = local_date(t0, self.tz)
        while True:  # ends: the calendar raises ValueError past its range
            if self.cal.is_workday(d):
                for lo, hi in self.office:
                    a = datetime.combine(d, time(lo // 60, lo % 60), self.tz).timestamp()
                    b = (
                        midnight(d + _DAY, self.tz)
                        if hi >= 1440
                        else datetime.combine(d, time(hi // 60, hi % 60), self.tz).timestamp()
                    )
                    if b > t0:
                        yield (max(a, t0), b)
            d += _DAY

    def _free(self, t0: float, susp: Sequence[Span]) -> Iterator[Span]:
        """Counting spans from t0 on with the (merged, sorted) suspensions taken out."""
        k = 0
        for a, b in self._segments(t0):
            while k < len(susp) and susp[k][1] <= a:
                k += 1
            j = k
            while a < b:
                if j >= len(susp) or susp[j][0] >= b:
                    yield (a, b)
                    break
                s_lo, s_hi = susp[j]
                if s_lo > a:
                    yield (a, s_lo)
                a = max(a, s_hi)
                j += 1

    def add(self, t0: float, seconds: float, susp: Sequence[Span] = ()) -> float:
        """The instant at which `seconds` of counted time after t0 have run."""
        left = seconds
        for a, b in self._free(t0, susp):
            if left <= b - a:
                return a + left
            left -= b - a
        raise AssertionError("unreachable: counting time never ends")  # pragma: no cover

    def between(self, a: float, b: float, susp: Sequence[Span] = ()) -> float:
        """Counted seconds in (a, b]; 0 when b ≤ a."""
        if b <= a:
            return 0.0
        total = 0.0
        for lo, hi in self._free(a, susp):
            if lo >= b:
                break
            total += min(hi, b) - lo
        return total
