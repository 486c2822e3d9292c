"""``wenze calendar``: working-day calendar lookups for policy drafters.

In:  the sub-arguments after ``wenze calendar`` and two text streams.
Out: a readable answer on ``out`` (errors and warnings on ``err``) and an exit code:
     0 = exact answer, 1 = provisional (the date is outside the published table),
     2 = usage error.

Commands::

    show YEAR      month-by-month table of YEAR, holidays and make-up days marked
    status DATE    工作日 / 休息日 / 调休上班日, with the holiday's name
    add DATE N     the N-th working day after DATE (DATE itself not counted);
                   the ISO date is the last line of the output
"""

from __future__ import annotations

import argparse
import calendar as pycal
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NoReturn, TextIO

from engine.calendar import RANGE_END, RANGE_START, WorkCalendar, load_cn_calendar

EXIT_OK = 0
EXIT_PROVISIONAL = 1
EXIT_USAGE = 2

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_WEEK_HEAD = "".join(f"  {c}" for c in "一二三四五六日")  # 4 columns per day (CJK = 2)
_MARK = {"holiday": "*", "makeup_workday": "+"}


class _UsageError(Exception):
    """Raised instead of argparse's sys.exit so the caller gets an exit code."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _parser_class(out: TextIO, err: TextIO) -> type[argparse.ArgumentParser]:
    """An argparse class bound to our streams that never calls sys.exit.

    A class (not an instance attribute) because argparse builds the sub-command
    parsers itself from ``type(parent)``; they must write to the same streams.
    """

    class _Parser(argparse.ArgumentParser):
        def _print_message(self, message: str, file: object = None) -> None:
            # argparse passes sys.stderr for diagnostics, sys.stdout (or None) otherwise.
            if message:
                (err if file is sys.stderr else out).write(message)

        def print_help(self, file: object = None) -> None:
            out.write(self.format_help())

        def print_usage(self, file: object = None) -> None:
            err.write(self.format_usage())

        def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
            if message:
                err.write(message)
            raise _UsageError(status)

        def error(self, message: str) -> NoReturn:
            err.write(self.format_usage())
            self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    return _Parser


def _iso_date(text: str) -> date:
    """argparse type: an ISO date inside the calendar range."""
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None
    if not (RANGE_START <= d <= RANGE_END):
        raise argparse.ArgumentTypeError(f"{d} outside the supported range 1990..2100")
    return d


def _year(text: str) -> int:
    """argparse type: a year inside the calendar range."""
    try:
        y = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if not (RANGE_START.year <= y <= RANGE_END.year):
        raise argparse.ArgumentTypeError(f"{y} outside the supported range 1990..2100")
    return y


def _count(text: str) -> int:
    """argparse type: a non-negative number of working days."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("N must be 0 or more")
    return n


def _build_parser(out: TextIO, err: TextIO) -> argparse.ArgumentParser:
    parser = _parser_class(out, err)(
        prog="wenze calendar",
        description="Chinese working-day calendar (State Council holiday schedule).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{show,status,add}")
    show = sub.add_parser("show", help="month-by-month table of a year")
    show.add_argument("year", type=_year, metavar="YEAR")
    status = sub.add_parser("status", help="working day / rest day / make-up day")
    status.add_argument("day", type=_iso_date, metavar="DATE")
    add = sub.add_parser("add", help="the N-th working day after DATE")
    add.add_argument("day", type=_iso_date, metavar="DATE")
    add.add_argument("n", type=_count, metavar="N")
    return parser


def run_calendar(args: list[str], out: TextIO, err: TextIO, cal: WorkCalendar | None = None) -> int:
    """Run one ``wenze calendar`` command; return its exit code (0, 1 or 2).

    ``cal`` defaults to the national calendar; a caller (or test) may pass an overlay.
    """
    parser = _build_parser(out, err)
    try:
        ns = parser.parse_args(args)
    except _UsageError as exc:
        return exc.status
    calendar = cal if cal is not None else load_cn_calendar()
    try:
        if ns.command == "show":
            return _show(calendar, ns.year, out, err)
        if ns.command == "status":
            return _status(calendar, ns.day, out, err)
        return _add(calendar, ns.day, ns.n, out, err)
    except ValueError as exc:  # e.g. N working days run past 2100
        err.write(f"wenze calendar: error: {exc}\n")
        return EXIT_USAGE


def _weekday(d: date) -> str:
    return WEEKDAYS_ZH[d.weekday()]


def _warn_provisional(cal: WorkCalendar, year: int, err: TextIO) -> None:
    err.write(f"provisional: {cal.source_of(year)}\n")


def _status(cal: WorkCalendar, d: date, out: TextIO, err: TextIO) -> int:
    st = cal.status(d)
    label = st.label_zh
    if st.kind == "holiday" and st.holiday:
        label = f"休息日（{st.holiday}）"
    elif st.kind == "makeup_workday" and st.holiday:
        label = f"调休上班日（{st.holiday}）"
    out.write(f"{d.isoformat()} {_weekday(d)}：{label}\n")
    out.write(f"依据：{cal.source_of(d.year)}\n")
    if st.provisional:
        out.write("注意：本日不在已公布的放假安排表内，结果为临时（provisional）。\n")
        _warn_provisional(cal, d.year, err)
        return EXIT_PROVISIONAL
    return EXIT_OK


def _add(cal: WorkCalendar, d: date, n: int, out: TextIO, err: TextIO) -> int:
    result = cal.add_workdays(d, n)
    provisional = cal.provisional_between(d, result)
    out.write(f"起算日：{d.isoformat()} {_weekday(d)}（当日不计入）\n")
    out.write(f"第{n}个工作日：{result.isoformat()} {_weekday(result)}\n")
    if provisional:
        out.write(
            f"注意：{d.isoformat()} 至 {result.isoformat()} 超出已公布的放假安排表"
            f"（{cal.first_year}–{cal.last_year}），结果为临时（provisional）。\n"
        )
        beyond = result.year if result.year > cal.last_year else d.year
        _warn_provisional(cal, beyond, err)
    out.write(f"{result.isoformat()}\n")
    return EXIT_PROVISIONAL if provisional else EXIT_OK


@dataclass
class _Block:
    name: str
    start: date
    end: date
    makeups: list[date] = field(default_factory=list)


def _blocks_around(cal: WorkCalendar, year: int) -> list[_Block]:
    """Holiday blocks touching ``year`` with their make-up days (which may lie outside)."""
    lo = max(date(year, 1, 1) - timedelta(days=45), RANGE_START)
    hi = min(date(year, 12, 31) + timedelta(days=45), RANGE_END)
    blocks: list[_Block] = []
    makeups: list[tuple[date, str]] = []
    d = lo
    while d <= hi:
        st = cal.status(d)
        if st.kind == "holiday":
            name = st.holiday or ""
            prev = blocks[-1] if blocks else None
            if prev and prev.name == name and prev.end == d - timedelta(days=1):
                prev.end = d
            else:
                blocks.append(_Block(name, d, d))
        elif st.kind == "makeup_workday":
            makeups.append((d, st.holiday or ""))
        d += timedelta(days=1)
    for day, name in makeups:
        # A make-up day belongs to the nearest block of its holiday.
        owners = [b for b in blocks if b.name == name]
        if owners:
            nearest = min(
                owners, key=lambda b: min(abs((b.start - day).days), abs((b.end - day).days))
            )
            nearest.makeups.append(day)
    return [b for b in blocks if b.end.year >= year and b.start.year <= year]


def _show(cal: WorkCalendar, year: int, out: TextIO, err: TextIO) -> int:
    provisional = not (cal.first_year <= year <= cal.last_year)
    out.write(f"{year}年工作日历 — {cal.name}\n")
    out.write(f"依据：{cal.source_of(year)}\n")
    out.write("图例：* 节假日休息　+ 调休上班（周六、周日列为普通休息日）\n")
    for month in range(1, 13):
        out.write(f"\n{year}年{month}月\n{_WEEK_HEAD}\n")
        for week in pycal.Calendar(firstweekday=0).monthdayscalendar(year, month):
            cells = []
            for day in week:
                if day == 0:
                    cells.append("    ")
                    continue
                st = cal.status(date(year, month, day))
                cells.append(f"{day:>3}{_MARK.get(st.kind, ' ')}")
            out.write("".join(cells).rstrip() + "\n")
    blocks = _blocks_around(cal, year)
    out.write(f"\n{year}年节假日与调休：\n")
    if not blocks:
        out.write("  （无）\n")
    for b in blocks:
        days = (b.end - b.start).days + 1
        line = f"  {b.name}：{b.start.isoformat()} 至 {b.end.isoformat()} 放假，共{days}天"
        if b.makeups:
            line += "；调休上班：" + "、".join(m.isoformat() for m in sorted(b.makeups))
        out.write(line + "\n")
    out.write(f"全年工作日：{cal.working_days_in_year(year)}天\n")
    if provisional:
        out.write(
            "注意：该年份不在已公布的放假安排表内，只按周末推定，结果为临时（provisional）。\n"
        )
        _warn_provisional(cal, year, err)
        return EXIT_PROVISIONAL
    return EXIT_OK
