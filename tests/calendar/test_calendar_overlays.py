"""Local overlays on the national table, and foreign weekend-plus-holiday calendars."""

from __future__ import annotations

import pickle
from datetime import date

import holidays
import pytest

from engine.calendar import WorkCalendar, load_cn_calendar

CN = load_cn_calendar()
D = date.fromisoformat


def test_local_holiday_on_top_of_national_table() -> None:
    # A local rest day on Tuesday 2026-03-10 and a local working Saturday 2026-03-14.
    local = CN.with_overrides([D("2026-03-10")], [D("2026-03-14")], "地方假日")
    assert not local.is_workday(D("2026-03-10"))
    assert local.status(D("2026-03-10")).holiday == "地方假日"
    assert local.status(D("2026-03-14")).kind == "makeup_workday"
    # Counting across it: the same number of days, one moved.
    assert local.workdays_between(D("2026-03-09"), D("2026-03-16")) == 5
    assert CN.workdays_between(D("2026-03-09"), D("2026-03-16")) == 5
    assert local.add_workdays(D("2026-03-09"), 1) == D("2026-03-11")
    # National entries stay in force; the base calendar is untouched.
    assert local.status(D("2026-02-14")).kind == "makeup_workday"
    assert CN.is_workday(D("2026-03-10"))
    assert local.name.endswith("+地方假日")
    assert "地方调整：地方假日" in local.source_of(2026)
    assert (local.first_year, local.last_year) == (CN.first_year, CN.last_year)


def test_overlay_accepts_named_mapping_and_overrides_national_days() -> None:
    local = CN.with_overrides({D("2026-10-08"): "州庆"}, {D("2026-02-23"): "地方调整"}, "某州")
    assert local.status(D("2026-10-08")).holiday == "州庆"
    assert local.is_workday(D("2026-02-23"))  # a national 春节 day worked locally
    assert local.working_days_in_year(2026) == CN.working_days_in_year(2026)


def test_overlay_rejects_a_day_both_rest_and_work() -> None:
    with pytest.raises(ValueError):
        CN.with_overrides([D("2026-03-10")], [D("2026-03-10")], "x")


def test_foreign_calendar_weekends_plus_listed_holidays() -> None:
    it = holidays.country_holidays("IT", years=range(2024, 2027))
    cal = WorkCalendar.weekends_plus(it, "Italia", 2024, 2026, source="holidays.Italy")
    assert not cal.is_workday(D("2025-04-25"))  # Festa della Liberazione (Friday)
    assert cal.status(D("2025-04-25")).holiday == it.get(D("2025-04-25"))
    assert not cal.is_workday(D("2025-04-26"))  # Saturday
    assert cal.is_workday(D("2025-04-28"))
    assert cal.add_workdays(D("2025-04-24"), 1) == D("2025-04-28")
    assert cal.source_of(2025) == "holidays.Italy"
    assert not cal.status(D("2025-04-25")).provisional
    assert cal.status(D("2027-04-26")).provisional  # outside the listed years
    assert "provisional" in cal.source_of(2027)


def test_foreign_calendar_from_plain_dates() -> None:
    nl = WorkCalendar.weekends_plus([D("2025-04-28")], "Nederland", 2025, 2025)
    assert nl.status(D("2025-04-28")).holiday == "Nederland"
    assert nl.workdays_between(D("2025-04-25"), D("2025-04-29")) == 1
    assert nl.working_days_in_year(2025) == 261 - 1


def test_calendars_pickle_compactly_for_worker_processes() -> None:
    local = CN.with_overrides([D("2026-03-10")], [], "地方假日")
    for cal in (CN, local):
        blob = pickle.dumps(cal)
        assert len(blob) < 100_000
        back = pickle.loads(blob)
        assert back.name == cal.name and back.source_of(2026) == cal.source_of(2026)
        assert back.add_workdays(D("2026-03-09"), 20) == cal.add_workdays(D("2026-03-09"), 20)
        assert back.status(D("2026-03-10")) == cal.status(D("2026-03-10"))
