"""Property tests of the working-day arithmetic (DESIGN.md §6.1), with a naive oracle."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from engine.calendar import WorkCalendar, load_cn_calendar

CAL = load_cn_calendar()
# Start days from 1990 to 2099, so that n <= 400 working days never leaves the range.
days = st.dates(min_value=date(1990, 1, 2), max_value=date(2099, 6, 30))  # d - 1 must exist too
table_days = st.dates(min_value=date(2003, 12, 1), max_value=date(2027, 1, 31))
counts = st.integers(min_value=1, max_value=400)


def naive_add(cal: WorkCalendar, d: date, n: int) -> date:
    """Oracle: step day by day, counting working days strictly after d."""
    x = d
    while n:
        x += timedelta(days=1)
        n -= cal.is_workday(x)
    return x


@given(d=days | table_days, n=counts)
def test_add_workdays_lands_on_a_working_day(d: date, n: int) -> None:
    r = CAL.add_workdays(d, n)
    assert r > d
    assert CAL.is_workday(r)


@given(d=days | table_days, n=counts)
def test_between_inverts_add(d: date, n: int) -> None:
    assert CAL.workdays_between(d, CAL.add_workdays(d, n)) == n


@given(d=table_days, n=st.integers(min_value=1, max_value=60))
def test_add_workdays_matches_naive_stepping(d: date, n: int) -> None:
    assert CAL.add_workdays(d, n) == naive_add(CAL, d, n)


@given(d=days | table_days, n=counts)
def test_result_is_the_first_day_reaching_n(d: date, n: int) -> None:
    # Minimality: the day before the result has only n - 1 working days after d.
    r = CAL.add_workdays(d, n)
    assert CAL.workdays_between(d, r - timedelta(days=1)) == n - 1


@given(d=days | table_days)
def test_index_date_round_trip(d: date) -> None:
    k = CAL.workday_index(d)
    if CAL.is_workday(d):
        assert CAL.date_of_workday_index(k) == d
    else:
        assert CAL.date_of_workday_index(k + 1) == CAL.next_workday_on_or_after(d)
    assert CAL.workday_index(CAL.date_of_workday_index(k + 1)) == k + 1


@given(a=days | table_days, b=days | table_days, c=days | table_days)
def test_between_is_additive(a: date, b: date, c: date) -> None:
    a, b, c = sorted((a, b, c))
    ab, bc = CAL.workdays_between(a, b), CAL.workdays_between(b, c)
    assert ab + bc == CAL.workdays_between(a, c)


@given(d=days | table_days, n=counts)
def test_negative_n_steps_back(d: date, n: int) -> None:
    r = CAL.add_workdays(d, n)
    back = CAL.add_workdays(r, -n)
    # n working days back from r lands on the last working day on or before d.
    assert back <= d and CAL.is_workday(back)
    assert CAL.workdays_between(back, d) == 0


@given(d=days | table_days)
def test_next_workday_on_or_after(d: date) -> None:
    r = CAL.next_workday_on_or_after(d)
    assert r >= d and CAL.is_workday(r)
    assert CAL.workdays_between(d - timedelta(days=1), r - timedelta(days=1)) == 0
