"""engine.daycount.add_counted walks the merged suspensions once; checked here against
the definition it rests on (DESIGN.md §6.1, §6.3): the least fixed point of D = period
end without suspensions + suspended days in (start, D], found by iterating from the
suspension-free end, on random starts, amounts, units and pauses."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import WorkCalendar, load_cn_calendar
from engine.daycount import (
    Interval,
    _shift,
    add_counted,
    merge_intervals,
    natural_end,
    suspended,
)
from engine.ir import Unit

CAL = load_cn_calendar()
DAY_UNITS = (Unit.WORKDAYS, Unit.DAYS, Unit.WEEKS, Unit.MONTHS)


def fixed_point(cal: WorkCalendar, unit: Unit, susp: list[Interval], start: date, n: int) -> date:
    """The definition, by iteration: only moves forward, stops at the least fixed point."""
    skipped = 0
    while True:
        candidate = _shift(cal, unit, start, n, skipped)
        now = suspended(cal, unit, susp, start, candidate)
        if now == skipped:
            return candidate
        skipped = now


@st.composite
def pauses(draw: st.DrawFn, around: date) -> list[Interval]:
    """Up to six pauses from a little before `around` to a year after, some touching,
    overlapping or lying on rest days only, merged as the clocks merge them."""
    out = []
    for _ in range(draw(st.integers(0, 6))):
        a = around + timedelta(days=draw(st.integers(-40, 360)))
        out.append((a, a + timedelta(days=draw(st.integers(0, 45)))))
    return merge_intervals(out)


@settings(max_examples=1500, deadline=None)
@given(
    data=st.data(),
    start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30)),
    n=st.integers(min_value=1, max_value=90),
    unit=st.sampled_from(DAY_UNITS),
)
def test_add_counted_is_the_least_fixed_point(
    data: st.DataObject, start: date, n: int, unit: Unit
) -> None:
    n = n if unit in (Unit.WORKDAYS, Unit.DAYS) else max(1, n // 10)
    susp = data.draw(pauses(start))
    assert add_counted(CAL, unit, susp, start, n) == fixed_point(CAL, unit, susp, start, n)


def test_a_pause_on_the_day_after_the_start_and_one_after_the_deadline() -> None:
    start = date(2025, 3, 3)  # a Monday
    plain = add_counted(CAL, Unit.WORKDAYS, [], start, 5)
    assert plain == date(2025, 3, 10)
    susp = [(date(2025, 3, 4), date(2025, 3, 4)), (date(2025, 3, 20), date(2025, 3, 25))]
    assert add_counted(CAL, Unit.WORKDAYS, susp, start, 5) == date(2025, 3, 11)
    # A pause ending on the start day itself skips nothing.
    assert add_counted(CAL, Unit.DAYS, [(date(2025, 2, 20), start)], start, 5) == date(2025, 3, 8)


@settings(max_examples=500, deadline=None)
@given(
    start=st.dates(min_value=date(1995, 1, 1), max_value=date(2090, 12, 31)),
    n=st.integers(min_value=0, max_value=400),
    unit=st.sampled_from((Unit.DAYS, Unit.WEEKS, Unit.MONTHS)),
)
def test_natural_end_is_add_counted_without_suspensions(start: date, n: int, unit: Unit) -> None:
    assert natural_end(unit, start, n) == add_counted(CAL, unit, [], start, n)
