"""Known facts of the schedule (DOMAIN.md §15) and the WorkCalendar contract."""

from __future__ import annotations

import re
from datetime import date

import pytest

from engine.calendar import RANGE_END, RANGE_START, load_cn_calendar, load_cn_table

CAL = load_cn_calendar()
D = date.fromisoformat


def test_worked_examples_from_domain_15_4() -> None:
    assert CAL.add_workdays(D("2024-09-25"), 20) == D("2024-10-28")
    assert CAL.add_workdays(D("2026-02-10"), 20) == D("2026-03-16")


@pytest.mark.parametrize(("year", "count"), [(2024, 251), (2025, 248), (2026, 248)])
def test_working_days_per_year(year: int, count: int) -> None:
    assert CAL.working_days_in_year(year) == count
    entry = next(y for y in load_cn_table()["years"] if y["year"] == year)
    assert entry["working_days"] == count


# (holiday, first day off, last day off, make-up days) -- DOMAIN.md §15.2-15.4.
SCHEDULES = {
    2024: [
        ("春节", "2024-02-10", "2024-02-17", ["2024-02-04", "2024-02-18"]),
        ("清明节", "2024-04-04", "2024-04-06", ["2024-04-07"]),
        ("劳动节", "2024-05-01", "2024-05-05", ["2024-04-28", "2024-05-11"]),
        ("端午节", "2024-06-08", "2024-06-10", []),
        ("中秋节", "2024-09-15", "2024-09-17", ["2024-09-14"]),
        ("国庆节", "2024-10-01", "2024-10-07", ["2024-09-29", "2024-10-12"]),
    ],
    2025: [
        ("元旦", "2025-01-01", "2025-01-01", []),
        ("春节", "2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"]),
        ("清明节", "2025-04-04", "2025-04-06", []),
        ("劳动节", "2025-05-01", "2025-05-05", ["2025-04-27"]),
        ("端午节", "2025-05-31", "2025-06-02", []),
        ("国庆节、中秋节", "2025-10-01", "2025-10-08", ["2025-09-28", "2025-10-11"]),
    ],
    2026: [
        ("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"]),
        ("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
        ("清明节", "2026-04-04", "2026-04-06", []),
        ("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"]),
        ("端午节", "2026-06-19", "2026-06-21", []),
        ("中秋节", "2026-09-25", "2026-09-27", []),
        ("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
    ],
}


@pytest.mark.parametrize("year", sorted(SCHEDULES))
def test_schedules_2024_2026_match_domain(year: int) -> None:
    entry = next(y for y in load_cn_table()["years"] if y["year"] == year)
    got = {b["name"]: (b["from"], b["to"], b["makeup_workdays"]) for b in entry["holidays"]}
    for name, first, last, makeups in SCHEDULES[year]:
        assert got[name] == (first, last, makeups)
        assert CAL.status(D(first)).holiday == name
        for m in makeups:
            st = CAL.status(D(m))
            assert (st.kind, st.holiday) == ("makeup_workday", name)


def test_2025_entry_notes_order_795_and_13_days() -> None:
    entry = next(y for y in load_cn_table()["years"] if y["year"] == 2025)
    assert entry["statute"] == "国务院令第795号"
    assert "795" in entry["notice"]["note"] and "13天" in entry["notice"]["note"]
    statute = next(s for s in load_cn_table()["statutes"] if s["id"] == "国务院令第795号")
    assert statute["statutory_days"] == 13


def test_every_year_cites_its_notice() -> None:
    for entry in load_cn_table()["years"]:
        year = entry["year"]
        notice = entry["notice"]
        assert notice["title"] == f"国务院办公厅关于{year}年部分节假日安排的通知"
        number = notice["number"]
        # Either a confirmed number issued the year before, or an explicit "to verify".
        m = re.fullmatch(r"国办发明电〔(\d{4})〕(\d+)号", number)
        assert number == "文号待核" or (m is not None and int(m.group(1)) == year - 1)
        assert notice["date"].startswith(str(year - 1))
        assert notice["title"] in CAL.source_of(year)


def test_cross_year_and_amended_arrangements() -> None:
    # 2019 notice: 元旦 from 2018-12-30, 2018-12-29 worked.
    assert CAL.status(D("2018-12-29")).kind == "makeup_workday"
    assert CAL.status(D("2018-12-31")).holiday == "元旦"
    # 国办发明电〔2020〕1号 extended the Spring Festival; 2020-02-01 (Sat) no longer worked.
    assert not CAL.is_workday(D("2020-02-01"))
    assert not CAL.is_workday(D("2020-01-31"))
    assert CAL.is_workday(D("2020-02-03"))
    # 国发明电〔2015〕1号: 9月3日至5日 off, 9月6日 worked.
    assert not CAL.is_workday(D("2015-09-04"))
    assert CAL.status(D("2015-09-06")).kind == "makeup_workday"
    # 国办发明电〔2019〕3号: Labour Day 2019 became 1-4 May.
    assert CAL.status(D("2019-05-05")).kind == "makeup_workday"
    assert "国办发明电〔2019〕3号" in CAL.source_of(2019)
    # The documented correction: 2005-12-31 (Sat) worked for 元旦 2006.
    st = CAL.status(D("2005-12-31"))
    assert (st.kind, st.holiday) == ("makeup_workday", "元旦")


def test_status_kinds_and_labels() -> None:
    assert CAL.status(D("2026-02-14")).label_zh == "调休上班日"
    assert CAL.status(D("2026-02-16")).label_zh == "休息日（节假日）"
    assert CAL.status(D("2026-03-07")).label_zh == "休息日（周末）"
    assert CAL.status(D("2026-03-09")).label_zh == "工作日"
    weekend_in_block = CAL.status(D("2026-02-15"))  # a Sunday inside 春节
    assert (weekend_in_block.kind, weekend_in_block.holiday) == ("holiday", "春节")
    assert not weekend_in_block.is_workday
    assert CAL.status(D("2026-02-14")).is_workday


def test_provisional_beyond_the_table() -> None:
    assert CAL.in_table(D("2026-12-31")) and not CAL.in_table(D("2027-01-01"))
    assert CAL.in_table(D("2004-01-01")) and not CAL.in_table(D("2003-12-31"))
    st = CAL.status(D("2030-10-01"))  # would be 国庆节; unknown without a notice
    assert (st.kind, st.provisional) == ("workday", True)
    assert not CAL.is_workday(D("2030-10-05"))  # a Saturday
    assert CAL.is_workday(D("1995-05-02"))  # Mon-Fri rule before the table too
    assert CAL.provisional_between(D("2026-12-20"), D("2027-01-05"))
    assert not CAL.provisional_between(D("2026-12-01"), D("2026-12-31"))
    assert not CAL.provisional_between(D("2003-12-31"), D("2004-02-01"))
    assert CAL.provisional_between(D("2003-12-30"), D("2004-02-01"))
    assert not CAL.provisional_between(D("2030-01-05"), D("2030-01-01"))  # empty span
    assert "provisional" in CAL.source_of(2030)


def test_add_workdays_edges() -> None:
    sat = D("2026-03-07")
    assert CAL.add_workdays(sat, 0) == sat
    assert CAL.add_workdays(sat, 1) == D("2026-03-09")
    assert CAL.add_workdays(D("2026-02-13"), 1) == D("2026-02-14")  # make-up Saturday
    assert CAL.add_workdays(D("2026-03-10"), -1) == D("2026-03-09")
    assert CAL.add_workdays(D("2026-03-08"), -1) == D("2026-03-06")
    assert CAL.next_workday_on_or_after(D("2026-02-15")) == D("2026-02-24")
    assert CAL.next_workday_on_or_after(D("2026-02-14")) == D("2026-02-14")
    assert CAL.workdays_between(D("2026-02-13"), D("2026-02-24")) == 2  # 14th and 24th
    assert CAL.workdays_between(D("2026-02-24"), D("2026-02-13")) == 0


def test_range_limits() -> None:
    for bad in (date(1989, 12, 31), date(2101, 1, 1)):
        with pytest.raises(ValueError):
            CAL.is_workday(bad)
        with pytest.raises(ValueError):
            CAL.workday_index(bad)
    with pytest.raises(ValueError):
        CAL.add_workdays(RANGE_END, 5)
    with pytest.raises(ValueError):
        CAL.date_of_workday_index(0)
    assert CAL.workday_index(RANGE_START) == 1  # 1990-01-01 was a Monday
    assert CAL.date_of_workday_index(1) == RANGE_START


def test_datetime_counts_as_its_date() -> None:
    from datetime import datetime

    assert CAL.add_workdays(datetime(2026, 2, 10, 23, 59), 20) == D("2026-03-16")
    assert CAL.status(datetime(2026, 2, 14, 9, 0)).day == D("2026-02-14")


def test_calendar_is_immutable_and_cached() -> None:
    assert load_cn_calendar() is CAL
    with pytest.raises(AttributeError):
        CAL.first_year = 2000
    with pytest.raises(AttributeError):
        CAL.brand_new = 1
