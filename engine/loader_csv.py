"""Loader for the canonical case export (README "The canonical export").

In: paths of UTF-8 CSV files (BOM allowed) with the columns
`case_id, event_id, time, activity, actor, assignee, role, unit`, optional `case.NAME`
case-attribute columns and any other columns as event attributes.
Out: a `LoadResult` — case histories sorted by (time, file order), and every defect found
with its `file:line` and field. Nothing is dropped silently: a defective row goes to
`LoadResult.quarantined` with the reason, and `rows_in == rows_used + rows_quarantined`.
"""

from __future__ import annotations

import csv
import hashlib
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.model import CaseHistory, Event, SourceLine

REQUIRED_COLUMNS = ("case_id", "event_id", "time", "activity", "actor", "assignee", "role", "unit")
DEFAULT_ZONE = "Asia/Shanghai"
CASE_PREFIX = "case."


@dataclass(frozen=True)
class Defect:
    """One problem in the input, located to the row and field."""

    code: str  # stable: missing_case_id, bad_time, duplicate_event_id, …
    file: str
    line: int
    field: str
    message: str
    case_id: str = ""
    event_id: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.code} [{self.field}] {self.message}"


class ExportError(Exception):
    """The export cannot be read at all (missing file, missing column, bad encoding)."""


@dataclass
class LoadResult:
    cases: dict[str, CaseHistory]
    defects: list[Defect] = field(default_factory=list)
    quarantined: list[tuple[Defect, dict[str, str]]] = field(default_factory=list)
    rows_in: int = 0
    input_sha256: str = ""

    @property
    def rows_used(self) -> int:
        return sum(len(c.events) for c in self.cases.values())

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantined)


# Zones without daylight saving since the given year: a naive local time there can be
# read with a fixed offset, which datetime.fromisoformat parses five times faster than
# attaching a ZoneInfo afterwards (a million rows per audit make that count).
_FIXED_SINCE = {"Asia/Shanghai": ("+08:00", 1992), "UTC": ("+00:00", 1)}


class TimeParser:
    """ISO 8601 date or date-time → (aware datetime in the zone, day_precision).
    Naive values are local time in the zone. Raises ValueError."""

    def __init__(self, zone_name: str) -> None:
        self.zone: tzinfo = ZoneInfo(zone_name)
        fixed = _FIXED_SINCE.get(zone_name)
        self._suffix, self._since = fixed if fixed is not None else ("", 10_000)

    def __call__(self, text: str) -> tuple[datetime, bool]:
        if len(text) == 19 and self._suffix and text[10] in "T ":
            dt = datetime.fromisoformat(text + self._suffix)
            if dt.year >= self._since:
                return dt, False
        text = text.strip()
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime.combine(d, time(0, 0), self.zone), True
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            return dt.replace(tzinfo=self.zone), False
        return dt.astimezone(self.zone), False


def parse_time(text: str, zone_name: str = DEFAULT_ZONE) -> tuple[datetime, bool]:
    return TimeParser(zone_name)(text)


def load_exports(
    paths: Iterable[str],
    *,
    zone_name: str = DEFAULT_ZONE,
    known_activities: frozenset[str] | None = None,
    as_of_end: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Read every export and build case histories.

    `known_activities`: when given, rows with another activity are quarantined as
    `unknown_activity`. `as_of_end`: rows after this instant are quarantined as
    `after_as_of` (an audit as of a date cannot see the future).
    """
    parse = TimeParser(zone_name)
    result = LoadResult(cases={})
    rows: list[Event] = []
    case_attrs: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, SourceLine]]]] = {}
    seen_ids: dict[str, int] = {}
    files: list[str] = []
    digest = hashlib.sha256()
    intern: dict[str, str] = {}
    for path in paths:
        digest.update(_file_sha256(path))
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
        try:
            _read_one(
                path,
                handle,
                parse,
                known_activities,
                as_of_end,
                progress,
                result,
                rows,
                case_attrs,
                seen_ids,
                files,
                intern,
            )
        except UnicodeDecodeError as exc:
            line, byte = _first_bad_utf8(path)
            raise ExportError(
                f"{path}:{line}: not valid UTF-8 (byte 0x{byte:02x}); the canonical export is "
                f"UTF-8 — re-save it as UTF-8 (other encodings need an import profile)"
            ) from exc
        finally:
            handle.close()
    result.input_sha256 = digest.hexdigest()
    _build_cases(result, rows, case_attrs)
    return result


def _read_one(
    path: str,
    handle: Iterable[str],
    parse: TimeParser,
    known_activities: frozenset[str] | None,
    as_of_end: datetime | None,
    progress: Callable[[int], None] | None,
    result: LoadResult,
    rows: list[Event],
    case_attrs: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, SourceLine]]]],
    seen_ids: dict[str, int],
    files: list[str],
    intern_map: dict[str, str],
) -> None:
    # Low-cardinality columns (activity, role, unit, actor) repeat across a million rows:
    # one shared string per distinct value keeps peak memory down.
    intern = intern_map.setdefault
    seq = len(rows)
    reader = csv.reader(handle)
    header = next(reader, None)
    if header is None:
        raise ExportError(f"{path}:1: the file is empty (a header row is required)")
    header = [h.strip() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ExportError(
            f"{path}:1: missing column(s) {', '.join(missing)}; "
            f"the canonical export needs {', '.join(REQUIRED_COLUMNS)}"
        )
    col = {name: i for i, name in enumerate(header)}
    i_case, i_ev, i_time, i_act = col["case_id"], col["event_id"], col["time"], col["activity"]
    i_actor, i_asg, i_role, i_unit = col["actor"], col["assignee"], col["role"], col["unit"]
    case_cols = [
        (i, h[len(CASE_PREFIX) :]) for i, h in enumerate(header) if h.startswith(CASE_PREFIX)
    ]
    attr_cols = [
        (i, h)
        for i, h in enumerate(header)
        if h not in REQUIRED_COLUMNS and not h.startswith(CASE_PREFIX)
    ]
    width = len(header)
    case_values = _tuple_getter([i for i, _n in case_cols])
    one_attr, one_name = attr_cols[0] if len(attr_cols) == 1 else (-1, "")
    # Event ids map to one int (file number, line) rather than an object per row.
    files.append(path)
    file_key = (len(files) - 1) << 32
    rows_in = 0
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line: not a record
        rows_in += 1
        if progress is not None and rows_in % 100_000 == 0:
            progress(rows_in)
        line_no = reader.line_num
        problem: tuple[str, str, str] | None = None
        case_id = event_id = ""
        when: datetime | None = None
        day_precision = False
        if len(row) != width:
            problem = ("bad_row", "*", f"{len(row)} fields where the header has {width}")
        else:
            case_id = row[i_case].strip()
            event_id = row[i_ev].strip()
            activity = row[i_act].strip()
            time_text = row[i_time]
            if not case_id:
                problem = ("missing_case_id", "case_id", "case id is empty")
            elif not event_id:
                problem = ("missing_event_id", "event_id", "event id is empty")
            elif not activity:
                problem = ("missing_activity", "activity", "activity is empty")
            elif known_activities is not None and activity not in known_activities:
                problem = (
                    "unknown_activity",
                    "activity",
                    f"activity {activity!r} is not in the policy vocabulary",
                )
            elif not time_text.strip():
                problem = ("missing_time", "time", "time is empty")
            else:
                try:
                    when, day_precision = parse(time_text)
                except ValueError:
                    problem = (
                        "bad_time",
                        "time",
                        f"{time_text!r} is not an ISO 8601 date or date-time",
                    )
                else:
                    if as_of_end is not None and when > as_of_end:
                        problem = (
                            "after_as_of",
                            "time",
                            f"{time_text} is after the audit's as-of date",
                        )
                    elif event_id in seen_ids:
                        first = _where(seen_ids[event_id], files)
                        problem = (
                            "duplicate_event_id",
                            "event_id",
                            f"event id {event_id!r} already used at {first}",
                        )
        if problem is not None:
            code, fld, message = problem
            defect = Defect(code, path, line_no, fld, message, case_id, event_id)
            result.defects.append(defect)
            result.quarantined.append((defect, dict(zip(header, row, strict=False))))
            continue
        assert when is not None
        seen_ids[event_id] = file_key | line_no
        if one_attr >= 0:
            attrs = {one_name: row[one_attr]} if row[one_attr] else _NO_ATTRS
        elif attr_cols:
            attrs = {h: row[i] for i, h in attr_cols if row[i] != ""}
        else:
            attrs = _NO_ATTRS
        seq += 1
        case_id = intern(case_id, case_id)
        actor, assignee = row[i_actor].strip(), row[i_asg].strip()
        role, unit = row[i_role].strip(), row[i_unit].strip()
        rows.append(
            Event(
                case_id,
                event_id,
                when,
                intern(activity, activity),
                intern(actor, actor),
                intern(assignee, assignee),
                intern(role, role),
                intern(unit, unit),
                attrs or _NO_ATTRS,
                path,
                line_no,
                day_precision,
                seq,
            )
        )
        if case_cols:
            values = case_values(row)
            known = case_attrs.get(case_id)
            if known is None or known[0] != values:
                _record_case_attrs(result, case_attrs, case_cols, values, path, line_no, case_id)
    result.rows_in += rows_in


_NO_ATTRS: dict[str, str] = {}


def _record_case_attrs(
    result: LoadResult,
    case_attrs: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, SourceLine]]]],
    case_cols: list[tuple[int, str]],
    values: tuple[str, ...],
    path: str,
    line_no: int,
    case_id: str,
) -> None:
    """Slow path, taken when a row's case attributes differ from the last row's of the case."""
    entry = case_attrs.get(case_id)
    attrs: dict[str, tuple[str, SourceLine]] = {} if entry is None else entry[1]
    src = SourceLine(path, line_no)
    for (_i, name), raw in zip(case_cols, values, strict=True):
        value = raw.strip()
        if not value:
            continue
        prior = attrs.get(name)
        if prior is None:
            attrs[name] = (value, src)
        elif prior[0] != value:
            # The row is kept (its event is sound); the conflict is reported and the first
            # value wins, so the audit is reproducible and the inspector can see both.
            result.defects.append(
                Defect(
                    "inconsistent_case_attribute",
                    path,
                    line_no,
                    CASE_PREFIX + name,
                    f"case {case_id}: {value!r} differs from {prior[0]!r} at {prior[1]}; "
                    f"the first value is used",
                    case_id,
                )
            )
    case_attrs[case_id] = (values, attrs)


def _build_cases(
    result: LoadResult,
    rows: list[Event],
    case_attrs: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, SourceLine]]]],
) -> None:
    by_case: dict[str, list[Event]] = {}
    for e in rows:
        by_case.setdefault(e.case_id, []).append(e)
    for case_id in sorted(by_case):
        events = by_case[case_id]
        events.sort(key=_order_key)
        entry = case_attrs.get(case_id)
        attrs = {} if entry is None else {k: v for k, (v, _src) in sorted(entry[1].items())}
        result.cases[case_id] = CaseHistory(case_id, events, attrs)


def _order_key(e: Event) -> tuple[datetime, int]:
    return (e.time, e.seq)


def _where(key: int, files: list[str]) -> SourceLine:
    return SourceLine(files[key >> 32], key & 0xFFFFFFFF)


def _tuple_getter(indexes: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    if not indexes:
        return lambda row: ()
    if len(indexes) == 1:
        only = indexes[0]
        return lambda row: (row[only],)
    return operator.itemgetter(*indexes)


def _first_bad_utf8(path: str) -> tuple[int, int]:
    """Line number and value of the first byte that is not UTF-8 (for the error message)."""
    with Path(path).open("rb") as f:
        for line_no, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return line_no, raw[exc.start]
    return 0, 0


def _file_sha256(path: str) -> bytes:
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        raise ExportError(f"{path}: cannot read the export: {exc.strerror or exc}") from exc
    return h.digest()
