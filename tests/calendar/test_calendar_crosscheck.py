"""The shipped table against the two PyPI packages (test-only dependencies).

In: every date of the table years.  Out: agreement, except the documented corrections.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import chinese_calendar  # type: ignore[import-untyped]
import holidays
import pytest

from engine.calendar import load_cn_calendar, load_cn_table
from engine.data import build_cn_workdays


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


ALL_DAYS = _days(date(2004, 1, 1), date(2026, 12, 31))


def test_table_covers_2004_to_2026() -> None:
    cal = load_cn_calendar()
    assert (cal.first_year, cal.last_year) == (2004, 2026)
    assert [y["year"] for y in load_cn_table()["years"]] == list(range(2004, 2027))


def test_every_day_2004_2026_matches_chinesecalendar_except_documented_corrections() -> None:
    cal = load_cn_calendar()
    mismatches = {d for d in ALL_DAYS if cal.is_workday(d) != chinese_calendar.is_workday(d)}
    corrections = {date.fromisoformat(c["date"]) for c in load_cn_table()["corrections"]}
    # chinesecalendar 1.11.0 misses one make-up day: 2005-12-31 (Sat) was worked under
    # 国办发明电〔2005〕35号.  Any other disagreement is a bug in the table.
    assert corrections == {date(2005, 12, 31)}
    assert mismatches == corrections


def test_every_day_2024_2026_matches_holidays_package() -> None:
    cal = load_cn_calendar()
    cn = holidays.country_holidays("CN", years=range(2024, 2027))
    days = _days(date(2024, 1, 1), date(2026, 12, 31))
    assert [d for d in days if cal.is_workday(d) != cn.is_working_day(d)] == []


def test_every_day_2004_2026_matches_holidays_package() -> None:
    # Wider than required: the holidays package agrees on every day, including the
    # 2005-12-31 make-up day that chinesecalendar lacks -- an independent second source.
    cal = load_cn_calendar()
    cn = holidays.country_holidays("CN", years=range(2004, 2027))
    assert [d for d in ALL_DAYS if cal.is_workday(d) != cn.is_working_day(d)] == []


def test_committed_json_is_what_the_build_script_produces() -> None:
    text = build_cn_workdays.OUT.read_text(encoding="utf-8")
    assert text == build_cn_workdays.render(build_cn_workdays.build())


@pytest.mark.parametrize("module", ["engine.calendar", "engine.calendar_cmd"])
def test_engine_does_not_import_the_packages_at_run_time(module: str) -> None:
    code = (
        f"import sys, io, {module}\n"
        "from engine.calendar import load_cn_calendar\n"
        "from engine.calendar_cmd import run_calendar\n"
        "load_cn_calendar()\n"
        "run_calendar(['status', '2026-02-14'], io.StringIO(), io.StringIO())\n"
        "bad = [m for m in ('chinese_calendar', 'holidays') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
