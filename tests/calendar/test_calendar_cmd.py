"""`wenze calendar show / status / add` through run_calendar (no main CLI needed)."""

from __future__ import annotations

import io
from datetime import date

from engine.calendar import load_cn_calendar
from engine.calendar_cmd import run_calendar


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_calendar(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def test_status_of_a_makeup_saturday() -> None:
    code, out, _ = run("status", "2026-02-14")
    assert code == 0
    assert out.splitlines()[0] == "2026-02-14 星期六：调休上班日（春节）"
    assert "国办发明电〔2025〕7号" in out


def test_status_of_holiday_weekend_and_workday() -> None:
    assert run("status", "2026-02-16")[1].startswith("2026-02-16 星期一：休息日（春节）")
    assert run("status", "2026-03-07")[1].startswith("2026-03-07 星期六：休息日（周末）")
    assert run("status", "2026-03-09")[1].startswith("2026-03-09 星期一：工作日")


def test_status_beyond_the_table_is_provisional() -> None:
    code, out, err = run("status", "2030-10-01")
    assert code == 1
    assert "provisional" in out and "provisional" in err


def test_add_prints_the_iso_date_last() -> None:
    code, out, err = run("add", "2026-02-10", "20")
    assert code == 0 and err == ""
    assert out.splitlines()[-1] == "2026-03-16"
    code, out, _ = run("add", "2024-09-25", "20")
    assert (code, out.splitlines()[-1]) == (0, "2024-10-28")


def test_add_beyond_the_table_warns_and_exits_1() -> None:
    code, out, err = run("add", "2030-02-10", "20")
    assert code == 1
    assert "provisional" in err
    assert (
        out.splitlines()[-1] == load_cn_calendar().add_workdays(date(2030, 2, 10), 20).isoformat()
    )
    # A span that starts inside and ends beyond the table is provisional too.
    code, out, _ = run("add", "2026-12-20", "20")
    assert code == 1 and out.splitlines()[-1].startswith("2027-")


def test_add_zero_returns_the_day() -> None:
    assert run("add", "2026-02-15", "0")[1].splitlines()[-1] == "2026-02-15"


def test_show_year_marks_holidays_and_makeup_days() -> None:
    code, out, err = run("show", "2026")
    assert code == 0 and err == ""
    assert "国办发明电〔2025〕7号" in out
    assert "2026年2月" in out and "2026年12月" in out
    assert " 14+ 15*" in out  # make-up Saturday, then the first day of 春节
    assert "春节：2026-02-15 至 2026-02-23 放假，共9天；调休上班：2026-02-14、2026-02-28" in out
    assert "全年工作日：248天" in out


def test_show_lists_cross_year_blocks_with_their_makeup_days() -> None:
    out = run("show", "2019")[1]
    assert "元旦：2018-12-30 至 2019-01-01 放假，共3天；调休上班：2018-12-29" in out


def test_show_beyond_the_table_is_provisional() -> None:
    code, out, err = run("show", "2030")
    assert code == 1
    assert "（无）" in out and "provisional" in err


def test_usage_errors_exit_2() -> None:
    for args in (
        [],
        ["add", "2026-02-10"],
        ["add", "2026-02-10", "x"],
        ["add", "x", "1"],
        ["add", "2026-02-10", "-1"],
        ["status", "2026-02-30"],
        ["show", "1900"],
        ["frobnicate"],
    ):
        code, out, err = run(*args)
        assert code == 2, args
        assert "usage:" in err and out == ""


def test_add_past_the_supported_range_is_a_usage_error() -> None:
    code, _, err = run("add", "2100-12-20", "30")
    assert code == 2 and "range" in err


def test_help_exits_0_on_out() -> None:
    code, out, _ = run("--help")
    assert code == 0 and "show" in out and "status" in out and "add" in out
