"""Properties of the counting (DESIGN.md §6), checked with hypothesis on the national
calendar 2004–2026: suspensions only ever push a deadline out; a working-day deadline is
a counted working day; elapsed = limit - remaining + overdue; pauses on rest days change
no working-day deadline; months end on the same day or the month's last day; office-hour
arithmetic is its own inverse."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import load_cn_calendar
from engine.clock_hours import HourCounter
from engine.daycount import Interval, add_counted, add_months, counted, merge_intervals
from engine.ir import DEFAULT_OFFICE_HOURS, Unit

CAL = load_cn_calendar()
DAY_UNITS = (Unit.WORKDAYS, Unit.DAYS, Unit.WEEKS, Unit.MONTHS)
SHANGHAI = ZoneInfo("Asia/Shanghai")

days = st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 6, 30))
amounts = st.integers(min_value=1, max_value=60)


@st.composite
def suspensions(draw: st.DrawFn, around: date) -> list[Interval]:
    """Up to four pauses within a few months after `around`, possibly overlapping."""
    out = []
    for _ in range(draw(st.integers(0, 4))):
        a = around + timedelta(days=draw(st.integers(-5, 120)))
        out.append((a, a + timedelta(days=draw(st.integers(0, 30)))))
    return merge_intervals(out)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), start=days, n=amounts, unit=st.sampled_from(DAY_UNITS))
def test_adding_a_suspension_never_moves_a_deadline_earlier(
    data: st.DataObject, start: date, n: int, unit: Unit
) -> None:
    n = n if unit in (Unit.WORKDAYS, Unit.DAYS) else max(1, n // 10)
    susp = data.draw(suspensions(start))
    extra = data.draw(suspensions(start))
    before = add_counted(CAL, unit, susp, start, n)
    after = add_counted(CAL, unit, merge_intervals([*susp, *extra]), start, n)
    assert after >= before


@settings(max_examples=300, deadline=None)
@given(data=st.data(), start=days, n=amounts)
def test_a_working_day_deadline_is_the_nth_counted_working_day(
    data: st.DataObject, start: date, n: int
) -> None:
    susp = data.draw(suspensions(start))
    d = add_counted(CAL, Unit.WORKDAYS, susp, start, n)
    assert CAL.is_workday(d)
    assert not any(lo <= d <= hi for lo, hi in susp)  # a counted day, not a paused one
    assert counted(CAL, Unit.WORKDAYS, susp, start, d) == n
    assert counted(CAL, Unit.WORKDAYS, susp, start, d - timedelta(days=1)) == n - 1


@settings(max_examples=300, deadline=None)
@given(data=st.data(), start=days, n=amounts, later=st.integers(0, 200))
def test_elapsed_equals_limit_minus_remaining_plus_overdue(
    data: st.DataObject, start: date, n: int, later: int
) -> None:
    """For any end day e after the start: counted(start, e) = n - remaining + overdue,
    where remaining = counted(e, deadline) and overdue = counted(deadline, e); at most one
    of the two is non-zero."""
    susp = data.draw(suspensions(start))
    deadline = add_counted(CAL, Unit.WORKDAYS, susp, start, n)
    e = start + timedelta(days=later)
    remaining = counted(CAL, Unit.WORKDAYS, susp, e, deadline)
    overdue = counted(CAL, Unit.WORKDAYS, susp, deadline, e)
    assert remaining == 0 or overdue == 0
    assert counted(CAL, Unit.WORKDAYS, susp, start, e) == n - remaining + overdue


@settings(max_examples=300, deadline=None)
@given(start=days, n=amounts, picks=st.lists(st.integers(0, 200), max_size=12))
def test_pauses_on_rest_days_only_change_no_working_day_deadline(
    start: date, n: int, picks: list[int]
) -> None:
    rest = [start + timedelta(days=k) for k in picks]
    rest = [d for d in rest if not CAL.is_workday(d)]
    susp = merge_intervals([(d, d) for d in rest])
    assert add_counted(CAL, Unit.WORKDAYS, susp, start, n) == CAL.add_workdays(start, n)


@settings(max_examples=300, deadline=None)
@given(start=days, n=st.integers(1, 36))
def test_a_month_ends_on_the_same_day_or_the_last_day_of_a_shorter_month(
    start: date, n: int
) -> None:
    end = add_months(start, n)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == n
    if end.day != start.day:
        assert end.day < start.day and (end + timedelta(days=1)).day == 1


def test_month_examples() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 31), 2) == date(2025, 3, 31)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)
    assert add_counted(CAL, Unit.MONTHS, [], date(2025, 1, 31), 1) == date(2025, 2, 28)
    # A pause of 3 days pushes a month period out by 3 days.
    pause = [(date(2025, 2, 10), date(2025, 2, 12))]
    assert add_counted(CAL, Unit.MONTHS, pause, date(2025, 1, 31), 1) == date(2025, 3, 3)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 10, 1)),
    hours=st.integers(1, 40),
    office=st.booleans(),
)
def test_hour_counting_is_its_own_inverse(start: datetime, hours: int, office: bool) -> None:
    counter = HourCounter(CAL, SHANGHAI, DEFAULT_OFFICE_HOURS if office else None)
    t0 = start.replace(tzinfo=SHANGHAI).timestamp()
    end = counter.add(t0, hours * 3600)
    assert abs(counter.between(t0, end) - hours * 3600) < 1e-6
    assert end >= t0 + (0 if office else hours * 3600 - 1e-6)
    if office:  # an office-hour deadline lies inside office hours on a working day
        local = datetime.fromtimestamp(end, SHANGHAI)
        assert CAL.is_workday(local.date())
        second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        assert any(lo * 60 < second <= hi * 60 for lo, hi in DEFAULT_OFFICE_HOURS)
