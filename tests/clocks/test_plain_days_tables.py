"""The plain working-day clock read off the calendar's tables (count_plain_days) gives
exactly what the calendar's own methods give (_count_plain_days): deadline, state,
overdue and remaining days, provisional flag and deemed instant — in the calendar's
exact years, in its provisional years, and off its range, where both raise."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.api import load_policies
from engine.calendar import load_cn_calendar
from engine.clock_count import _count_plain_days, count_plain_days
from engine.clocks import ClockResult
from engine.ir import Unit
from engine.model import Event

ROOT = Path(__file__).resolve().parents[2]
CAL = load_cn_calendar()
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCKS = [c for p in load_policies(str(ROOT / "policies"))[0] for c in p.clocks]
DEEMING = [c for c in CLOCKS if c.deems]
FIELDS = (
    "deadline",
    "base_deadline",
    "state",
    "overdue_workdays",
    "overdue_days",
    "remaining_workdays",
    "provisional",
    "deemed_at",
)
days = st.dates(min_value=date(1989, 6, 1), max_value=date(2101, 6, 30))


def _event(day: date, activity: str) -> Event:
    when = datetime.combine(day, time(10, 0), SHANGHAI)
    return Event("C1", activity, when, activity, "S1", "", "", "", {}, "t.csv", 2)


def _outcome(
    count: object, clock: object, limit: object, start: date, stop: date | None, as_of: date
) -> object:
    r = ClockResult(clock, as_of)  # type: ignore[arg-type]
    r.start_event = _event(start, "start")
    r.stop_event = None if stop is None else _event(stop, "stop")
    try:
        count(r, CAL, limit)  # type: ignore[operator]
    except Exception as exc:  # off the calendar's range: both must fail alike
        return type(exc)
    return tuple(getattr(r, f, None) for f in FIELDS)


@settings(max_examples=400, deadline=None)
@given(
    start=days,
    gap=st.integers(0, 200),
    stopped=st.booleans(),
    n=st.integers(-1, 70),
    deeming=st.booleans(),
)
def test_tables_and_calendar_give_the_same_clock(
    start: date, gap: int, stopped: bool, n: int, deeming: bool
) -> None:
    clock = (DEEMING if deeming and DEEMING else CLOCKS)[0]
    limit = dataclasses.replace(clock.limits[0], amount=n, unit=Unit.WORKDAYS, promised=None)
    later = date.fromordinal(min(start.toordinal() + gap, date(2101, 12, 31).toordinal()))
    stop, as_of = (later, date(2101, 12, 31)) if stopped else (None, later)
    fast = _outcome(count_plain_days, clock, limit, start, stop, as_of)
    slow = _outcome(_count_plain_days, clock, limit, start, stop, as_of)
    assert fast == slow


EDGES = [
    edge + timedelta(days=d)
    for edge in (date(CAL.first_year, 1, 1), date(CAL.last_year, 12, 31), date(1990, 1, 1))
    for d in (-40, -3, -1, 0, 1, 3)
]


@pytest.mark.parametrize("start", EDGES)
def test_the_edges_of_the_exact_years_and_of_the_range(start: date) -> None:
    """Starts and deadlines on either side of the first and last exact day."""
    clock = CLOCKS[0]
    for n in (1, 2, 5, 25):
        limit = dataclasses.replace(clock.limits[0], amount=n, unit=Unit.WORKDAYS, promised=None)
        for gap in (0, 1, 4, 40):
            later = date.fromordinal(start.toordinal() + gap)
            for stop, as_of in ((later, later), (None, later)):
                fast = _outcome(count_plain_days, clock, limit, start, stop, as_of)
                assert fast == _outcome(_count_plain_days, clock, limit, start, stop, as_of)
