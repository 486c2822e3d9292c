"""Working-day calendars: the State Council schedule, local overlays, foreign calendars.

In:  dates (``datetime.date``; a ``datetime`` counts as its own calendar date, so
     callers convert instants to the case's zone first, DESIGN.md §6.8).
Out: working/rest status, working-day arithmetic per DESIGN.md §6.1 (a period never
     counts its trigger day), and whether an answer is *provisional*.

The Chinese table (``engine/data/cn_workdays.json``, built by
``engine/data/build_cn_workdays.py``) covers the years of the published notices.
Outside them the calendar still answers — Monday to Friday work — but every such
answer is provisional: make-up working days are not known before their notice, so a
deadline that depends on them is never silently presented as exact (DESIGN.md §4).

Speed: everything a clock needs (``is_workday``, ``workday_index``,
``date_of_workday_index``, ``add_workdays``, ``workdays_between``) is one or two list
lookups.  The tables are built once per calendar over the fixed span 1990-01-01 ..
2100-12-31 (about 40,500 days), so no call ever loops over days.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

__all__ = [
    "RANGE_END",
    "RANGE_START",
    "DayKind",
    "DayStatus",
    "WorkCalendar",
    "WorkdayTable",
    "load_cn_calendar",
]

#: The span every calendar covers.  Dates outside it raise ``ValueError``.
RANGE_START = date(1990, 1, 1)
RANGE_END = date(2100, 12, 31)

DayKind = Literal["workday", "weekend", "holiday", "makeup_workday"]

# Kind codes in the per-day byte table.
_WORK, _WEEKEND, _HOLIDAY, _MAKEUP = 0, 1, 2, 3
_KINDS: tuple[DayKind, ...] = ("workday", "weekend", "holiday", "makeup_workday")
_LABELS_ZH = ("工作日", "休息日（周末）", "休息日（节假日）", "调休上班日")


@dataclass(frozen=True, slots=True)
class DayStatus:
    """What a calendar says about one day.

    ``kind``: "workday" (ordinary working day), "weekend" (ordinary rest day),
    "holiday" (a rest day of a holiday block, including weekend days joined to it),
    "makeup_workday" (a weekend day worked, 调休上班).  ``holiday``: the holiday's name
    for "holiday" days and the holiday a make-up day belongs to; otherwise ``None``.
    ``provisional``: the day lies outside the years the calendar's table covers, so the
    answer is the weekday rule, not a published schedule.
    """

    day: date
    kind: DayKind
    holiday: str | None
    provisional: bool

    @property
    def is_workday(self) -> bool:
        """True for ordinary working days and make-up working days."""
        return self.kind in ("workday", "makeup_workday")

    @property
    def label_zh(self) -> str:
        """Chinese label: 工作日 / 休息日（周末） / 休息日（节假日） / 调休上班日."""
        return _LABELS_ZH[_KINDS.index(self.kind)]


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class WorkdayTable:
    """A calendar's working-day tables, for the one caller that cannot afford a method
    call per lookup: the plain working-day clock (engine.clock_count), which is nearly
    every clock of an audit. Days are offsets from ``epoch`` (the ordinal of
    1990-01-01), valid from 0 to ``size - 1``:

    - ``index[o]``: :meth:`WorkCalendar.workday_index` of the day at offset o;
    - ``dates[k - 1]``: the working day whose workday_index is k (k from 1 to len);
    - ``exact_from`` .. ``exact_to``: the offsets of the table's years, where answers
      are not provisional.
    """

    epoch: int
    size: int
    index: tuple[int, ...]
    dates: tuple[date, ...]
    exact_from: int
    exact_to: int


def _as_named(days: Iterable[date] | Mapping[date, str], default: str) -> dict[date, str]:
    """Normalise an iterable of dates or a date->name mapping to date->name."""
    if isinstance(days, Mapping):
        return {_plain(d): str(n) if n else default for d, n in days.items()}
    return {_plain(d): default for d in days}


def _plain(d: date) -> date:
    """A ``datetime`` (a ``date`` subclass) is reduced to its calendar date."""
    return date(d.year, d.month, d.day) if type(d) is not date else d


class WorkCalendar:
    """An immutable working-day calendar over 1990-01-01 .. 2100-12-31.

    Build one with :func:`load_cn_calendar` (the national table),
    :meth:`with_overrides` (a local overlay on top of another calendar) or
    :meth:`weekends_plus` (plain Saturday/Sunday weekends plus listed public holidays).

    The constructor takes: ``name``; the years its table covers (``first_year`` ..
    ``last_year``; outside them results are provisional); ``rest_days`` and
    ``work_days`` (date -> holiday name) that override the weekday rule; ``sources``
    (year -> citation); ``default_source`` (citation for table years without an entry).
    A day listed in both ``rest_days`` and ``work_days`` is an error.
    """

    __slots__ = (
        "_cum",
        "_default_source",
        "_epoch",
        "_first_ord",
        "_kind",
        "_last_ord",
        "_n",
        "_names",
        "_rest",
        "_sources",
        "_wd_dates",
        "_work",
        "_work_days",
        "first_year",
        "last_year",
        "name",
        "table",
    )

    name: str
    first_year: int
    last_year: int
    table: WorkdayTable

    def __init__(
        self,
        name: str,
        first_year: int,
        last_year: int,
        rest_days: Mapping[date, str],
        work_days: Mapping[date, str],
        sources: Mapping[int, str] | None = None,
        default_source: str = "",
    ) -> None:
        if not (RANGE_START.year <= first_year <= last_year <= RANGE_END.year):
            raise ValueError(f"table years {first_year}..{last_year} outside 1990..2100")
        both = set(rest_days) & set(work_days)
        if both:
            raise ValueError(f"days both rest and work: {sorted(both)[:5]}")
        for d in (*rest_days, *work_days):
            if not (RANGE_START <= d <= RANGE_END):
                raise ValueError(f"{d} outside the calendar range 1990..2100")

        self.name = name
        self.first_year = first_year
        self.last_year = last_year
        self._rest = dict(rest_days)
        self._work_days = dict(work_days)
        self._sources = dict(sources or {})
        self._default_source = default_source
        self._epoch = RANGE_START.toordinal()
        self._n = RANGE_END.toordinal() - self._epoch + 1
        self._first_ord = date(first_year, 1, 1).toordinal()
        self._last_ord = date(last_year, 12, 31).toordinal()

        # One pass over the whole span builds every table; after this, no call loops.
        kind = bytearray(self._n)
        names: dict[int, str] = {}
        wd0 = RANGE_START.weekday()
        for i in range(self._n):
            kind[i] = _WEEKEND if (wd0 + i) % 7 >= 5 else _WORK
        for d, label in rest_days.items():
            o = d.toordinal() - self._epoch
            kind[o] = _HOLIDAY
            names[o] = label
        for d, label in work_days.items():
            o = d.toordinal() - self._epoch
            kind[o] = _MAKEUP if kind[o] == _WEEKEND else _WORK
            names[o] = label
        self._kind = bytes(kind)
        self._names = names

        work: list[bool] = [k in (_WORK, _MAKEUP) for k in self._kind]
        cum: list[int] = []
        wd_dates: list[date] = []
        count = 0
        for i, w in enumerate(work):
            if w:
                count += 1
                wd_dates.append(RANGE_START + timedelta(days=i))
            cum.append(count)
        self._work = work
        self._cum = tuple(cum)  # tuples: shared with the table, which must not change
        self._wd_dates = tuple(wd_dates)
        self.table = WorkdayTable(
            self._epoch,
            self._n,
            self._cum,
            self._wd_dates,
            self._first_ord - self._epoch,
            self._last_ord - self._epoch,
        )

    def __setattr__(self, key: str, value: object) -> None:
        # Immutable after construction: only __init__ may set each slot, once.
        try:
            object.__getattribute__(self, key)
        except AttributeError:
            object.__setattr__(self, key, value)
            return
        raise AttributeError(f"WorkCalendar is immutable (tried to set {key!r})")

    def __reduce__(self) -> tuple[type[WorkCalendar], tuple[Any, ...]]:
        # Pickle the definition, not the ~40,000-entry tables: small to ship to Dask
        # workers, rebuilt there in milliseconds.
        return (
            WorkCalendar,
            (
                self.name,
                self.first_year,
                self.last_year,
                self._rest,
                self._work_days,
                self._sources,
                self._default_source,
            ),
        )

    def __repr__(self) -> str:
        return f"WorkCalendar({self.name!r}, table {self.first_year}..{self.last_year})"

    # ---- hot path: O(1) lookups -------------------------------------------------------

    def _off(self, d: date) -> int:
        o = d.toordinal() - self._epoch
        if 0 <= o < self._n:
            return o
        raise ValueError(f"{d} outside the calendar range {RANGE_START}..{RANGE_END}")

    def is_workday(self, d: date) -> bool:
        """True if ``d`` is a working day (ordinary or 调休上班)."""
        o = d.toordinal() - self._epoch
        if 0 <= o < self._n:
            return self._work[o]
        raise ValueError(f"{d} outside the calendar range {RANGE_START}..{RANGE_END}")

    def workday_index(self, d: date) -> int:
        """Working days from 1990-01-01 up to and including ``d``.

        ``workday_index(b) - workday_index(a)`` counts working days x with a < x <= b.
        """
        o = d.toordinal() - self._epoch
        if 0 <= o < self._n:
            return self._cum[o]
        raise ValueError(f"{d} outside the calendar range {RANGE_START}..{RANGE_END}")

    def date_of_workday_index(self, k: int) -> date:
        """The working day whose :meth:`workday_index` is ``k`` (k >= 1)."""
        if 1 <= k <= len(self._wd_dates):
            return self._wd_dates[k - 1]
        raise ValueError(f"working-day index {k} outside the calendar range")

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day strictly after ``d`` (DESIGN.md §6.1).

        ``n == 0`` returns ``d`` unchanged.  ``n < 0`` gives the |n|-th working day
        strictly before ``d``.  Raises ``ValueError`` past the calendar range.  The
        result may be provisional: check :meth:`provisional_between`.
        """
        o = d.toordinal() - self._epoch
        if not 0 <= o < self._n:
            raise ValueError(f"{d} outside the calendar range {RANGE_START}..{RANGE_END}")
        if n > 0:
            k = self._cum[o] + n
        elif n == 0:
            return d
        else:
            # Working days strictly before d end at index cum[o] - (d is a working day).
            k = self._cum[o] - self._work[o] + n + 1
        if 1 <= k <= len(self._wd_dates):
            return self._wd_dates[k - 1]
        raise ValueError(f"{n} working days from {d} leave the calendar range")

    def next_workday_on_or_after(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first working day after it."""
        o = self._off(d)
        if self._work[o]:
            return d
        k = self._cum[o] + 1
        if k <= len(self._wd_dates):
            return self._wd_dates[k - 1]
        raise ValueError(f"no working day after {d} inside the calendar range")

    def workdays_between(self, a: date, b: date) -> int:
        """Working days x with a < x <= b; 0 if b <= a."""
        oa, ob, n = a.toordinal() - self._epoch, b.toordinal() - self._epoch, self._n
        if 0 <= oa < n and 0 <= ob < n:
            k = self._cum[ob] - self._cum[oa]
            return k if k > 0 else 0
        raise ValueError(f"{a}..{b} outside the calendar range {RANGE_START}..{RANGE_END}")

    # ---- provisional answers ----------------------------------------------------------

    def in_table(self, d: date) -> bool:
        """True if ``d`` lies in the years the table covers (answers are exact)."""
        return self._first_ord <= d.toordinal() <= self._last_ord

    def covers(self, a: date, b: date) -> bool:
        """True if every day from a to b (either order) lies in the table's years."""
        x, y = a.toordinal(), b.toordinal()
        if x > y:
            x, y = y, x
        return self._first_ord <= x and y <= self._last_ord

    def provisional_between(self, a: date, b: date) -> bool:
        """True if any day x with a < x <= b lies outside the table.

        A working-day count or deadline over that span then rests on the weekday rule
        for some days, so the result must be reported as provisional.
        """
        if b <= a:
            return False
        return a.toordinal() + 1 < self._first_ord or b.toordinal() > self._last_ord

    # ---- descriptive ------------------------------------------------------------------

    def status(self, d: date) -> DayStatus:
        """Kind of day, holiday name (if any) and provisional flag for ``d``."""
        o = self._off(d)
        return DayStatus(
            day=_plain(d),
            kind=_KINDS[self._kind[o]],
            holiday=self._names.get(o),
            provisional=not self.in_table(d),
        )

    def working_days_in_year(self, year: int) -> int:
        """Number of working days from 1 January to 31 December of ``year``."""
        end = self._cum[self._off(date(year, 12, 31))]
        start = self._cum[self._off(date(year, 1, 1))] - self._work[self._off(date(year, 1, 1))]
        return end - start

    def source_of(self, year: int) -> str:
        """The citation of the schedule for ``year`` (or why there is none)."""
        if self.first_year <= year <= self.last_year:
            return self._sources.get(year, self._default_source) or self.name
        return (
            f"{year}年不在“{self.name}”日历表内（{self.first_year}–{self.last_year}）："
            "按周一至周五工作、周六周日休息推定，结果为临时（provisional）"
        )

    @property
    def epoch_ordinal(self) -> int:
        """``date.toordinal()`` of 1990-01-01, the origin of the index tables."""
        return self._epoch

    def workday_index_table(self) -> array[int]:
        """A copy of the cumulative table: entry i is ``workday_index`` of epoch + i days.

        For vectorised (columnar) clock derivation: ``table[ordinal - epoch_ordinal]``.
        """
        return array("l", self._cum)

    # ---- derived calendars ------------------------------------------------------------

    def with_overrides(
        self,
        rest_days: Iterable[date] | Mapping[date, str],
        work_days: Iterable[date] | Mapping[date, str],
        name: str,
    ) -> WorkCalendar:
        """A new calendar: this one plus local rest days and local working days.

        In: ``rest_days`` (e.g. a local holiday) and ``work_days`` (a local make-up
        day), each an iterable of dates (labelled ``name``) or a date->label mapping.
        Out: a calendar named "<this name>+<name>"; table years and citations are
        inherited, with the overlay noted in :meth:`source_of`.  A later override wins
        over the national entry for the same day.
        """
        rest_new = _as_named(rest_days, name)
        work_new = _as_named(work_days, name)
        rest = {d: n for d, n in self._rest.items() if d not in work_new}
        work = {d: n for d, n in self._work_days.items() if d not in rest_new}
        rest.update(rest_new)
        work.update(work_new)
        sources = {
            y: f"{self.source_of(y)}；地方调整：{name}"
            for y in range(self.first_year, self.last_year + 1)
        }
        return WorkCalendar(
            name=f"{self.name}+{name}",
            first_year=self.first_year,
            last_year=self.last_year,
            rest_days=rest,
            work_days=work,
            sources=sources,
        )

    @classmethod
    def weekends_plus(
        cls,
        holidays: Iterable[date] | Mapping[date, str],
        name: str,
        first_year: int,
        last_year: int,
        *,
        source: str = "",
    ) -> WorkCalendar:
        """A foreign calendar: Saturday/Sunday weekends plus listed public holidays.

        In: ``holidays`` (dates, or date->holiday name, e.g. ``holidays.Italy(years=…)``),
        the calendar ``name``, the years the holiday list is complete for, and an
        optional ``source`` citation.  Out: a calendar whose answers outside
        ``first_year``..``last_year`` are provisional (weekends only).
        """
        return cls(
            name=name,
            first_year=first_year,
            last_year=last_year,
            rest_days=_as_named(holidays, name),
            work_days={},
            default_source=source or f"{name}: Saturday/Sunday weekends plus listed holidays",
        )


# ---- the national table ---------------------------------------------------------------


def _cite(entry: Mapping[str, Any]) -> str:
    """Human citation of one year's notice plus any later amending notices."""
    notice = entry["notice"]
    parts = [f"{notice['title']}（{notice['number']}，{notice['date']}）"]
    for sup in entry.get("supplements", []):
        parts.append(f"{sup['title']}（{sup['number']}，{sup['date']}）")
    return "；".join(parts)


def calendar_from_table(doc: Mapping[str, Any], name: str = "中国国务院节假日安排") -> WorkCalendar:
    """Build a :class:`WorkCalendar` from the parsed ``cn_workdays.json`` document.

    Checks the invariants the arithmetic relies on: holiday blocks do not overlap,
    make-up days are weekend days and never inside a block.
    """
    rest: dict[date, str] = {}
    work: dict[date, str] = {}
    sources: dict[int, str] = {}
    for entry in doc["years"]:
        sources[int(entry["year"])] = _cite(entry)
        for block in entry["holidays"]:
            d = date.fromisoformat(block["from"])
            end = date.fromisoformat(block["to"])
            while d <= end:
                if d in rest:
                    raise ValueError(f"holiday blocks overlap on {d}")
                rest[d] = str(block["name"])
                d += timedelta(days=1)
        for m in entry["makeup_workdays"]:
            d = date.fromisoformat(m["date"])
            if d.weekday() < 5:
                raise ValueError(f"make-up working day {d} is not a weekend day")
            work[d] = str(m["holiday"])
    clash = set(rest) & set(work)
    if clash:
        raise ValueError(f"make-up days inside holiday blocks: {sorted(clash)}")
    return WorkCalendar(
        name=name,
        first_year=int(doc["first_year"]),
        last_year=int(doc["last_year"]),
        rest_days=rest,
        work_days=work,
        sources=sources,
    )


@cache
def load_cn_table() -> dict[str, Any]:
    """The parsed ``engine/data/cn_workdays.json`` (read once per process)."""
    text = resources.files("engine.data").joinpath("cn_workdays.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


@cache
def load_cn_calendar() -> WorkCalendar:
    """The national Chinese working-day calendar (cached; built once per process)."""
    return calendar_from_table(load_cn_table())
