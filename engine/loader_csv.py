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


class _Interner:
    """Low-cardinality columns (activity, role, unit, actor) repeat across a million rows;
    sharing one string object per distinct value keeps peak memory down."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, s: str) -> str:
        return self._seen.setdefault(s, s)


def parse_time(text: str, zone: tzinfo) -> tuple[datetime, bool]:
    """ISO 8601 date or date-time; naive values are local time in `zone`.
    Returns (aware datetime in `zone`, day_precision). Raises ValueError."""
    text = text.strip()
    if len(text) == 10:
        d = date.fromisoformat(text)
        return datetime.combine(d, time(0, 0), zone), True
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        return dt.replace(tzinfo=zone), False
    return dt.astimezone(zone), False


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
    zone = ZoneInfo(zone_name)
    result = LoadResult(cases={})
    rows: list[Event] = []
    case_attrs: dict[str, dict[str, tuple[str, SourceLine]]] = {}
    seen_ids: dict[str, SourceLine] = {}
    digest = hashlib.sha256()
    intern = _Interner()
    for path in paths:
        digest.update(_file_sha256(path))
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
        try:
            _read_one(
                path,
                handle,
                zone,
                known_activities,
                as_of_end,
                progress,
                result,
                rows,
                case_attrs,
                seen_ids,
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
    zone: tzinfo,
    known_activities: frozenset[str] | None,
    as_of_end: datetime | None,
    progress: Callable[[int], None] | None,
    result: LoadResult,
    rows: list[Event],
    case_attrs: dict[str, dict[str, tuple[str, SourceLine]]],
    seen_ids: dict[str, SourceLine],
    intern: _Interner,
) -> None:
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
    for row in reader:
        line_no = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line: not a record
        result.rows_in += 1
        if progress is not None and result.rows_in % 100_000 == 0:
            progress(result.rows_in)
        src = SourceLine(path, line_no)
        raw_row = dict(zip(header, row, strict=False))
        if len(row) != width:
            _quarantine(
                result,
                raw_row,
                "bad_row",
                src,
                "*",
                f"{len(row)} fields where the header has {width}",
            )
            continue
        case_id = row[i_case].strip()
        event_id = row[i_ev].strip()
        if not case_id:
            _quarantine(result, raw_row, "missing_case_id", src, "case_id", "case id is empty")
            continue
        if not event_id:
            _quarantine(
                result, raw_row, "missing_event_id", src, "event_id", "event id is empty", case_id
            )
            continue
        activity = row[i_act].strip()
        if not activity:
            _quarantine(
                result,
                raw_row,
                "missing_activity",
                src,
                "activity",
                "activity is empty",
                case_id,
                event_id,
            )
            continue
        if known_activities is not None and activity not in known_activities:
            _quarantine(
                result,
                raw_row,
                "unknown_activity",
                src,
                "activity",
                f"activity {activity!r} is not in the policy vocabulary",
                case_id,
                event_id,
            )
            continue
        time_text = row[i_time]
        if not time_text.strip():
            _quarantine(
                result, raw_row, "missing_time", src, "time", "time is empty", case_id, event_id
            )
            continue
        try:
            when, day_precision = parse_time(time_text, zone)
        except ValueError:
            _quarantine(
                result,
                raw_row,
                "bad_time",
                src,
                "time",
                f"{time_text!r} is not an ISO 8601 date or date-time",
                case_id,
                event_id,
            )
            continue
        if as_of_end is not None and when > as_of_end:
            _quarantine(
                result,
                raw_row,
                "after_as_of",
                src,
                "time",
                f"{time_text} is after the audit's as-of date",
                case_id,
                event_id,
            )
            continue
        first = seen_ids.get(event_id)
        if first is not None:
            _quarantine(
                result,
                raw_row,
                "duplicate_event_id",
                src,
                "event_id",
                f"event id {event_id!r} already used at {first}",
                case_id,
                event_id,
            )
            continue
        seen_ids[event_id] = src
        attrs = {h: row[i] for i, h in attr_cols if row[i] != ""}
        seq += 1
        rows.append(
            Event(
                case_id=intern(case_id),
                event_id=event_id,
                time=when,
                activity=intern(activity),
                actor=intern(row[i_actor].strip()),
                assignee=intern(row[i_asg].strip()),
                role=intern(row[i_role].strip()),
                unit=intern(row[i_unit].strip()),
                attrs=attrs if attrs else _NO_ATTRS,
                source=src,
                day_precision=day_precision,
                seq=seq,
            )
        )
        if case_cols:
            _record_case_attrs(
                result, case_attrs.setdefault(case_id, {}), case_cols, row, src, case_id
            )


_NO_ATTRS: dict[str, str] = {}


def _record_case_attrs(
    result: LoadResult,
    attrs: dict[str, tuple[str, SourceLine]],
    case_cols: list[tuple[int, str]],
    row: list[str],
    src: SourceLine,
    case_id: str,
) -> None:
    for i, name in case_cols:
        value = row[i].strip()
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
                    src.file,
                    src.line,
                    CASE_PREFIX + name,
                    f"case {case_id}: {value!r} differs from {prior[0]!r} at {prior[1]}; "
                    f"the first value is used",
                    case_id,
                )
            )


def _quarantine(
    result: LoadResult,
    raw_row: dict[str, str],
    code: str,
    src: SourceLine,
    fld: str,
    message: str,
    case_id: str = "",
    event_id: str = "",
) -> None:
    d = Defect(code, src.file, src.line, fld, message, case_id, event_id)
    result.defects.append(d)
    result.quarantined.append((d, raw_row))


def _build_cases(
    result: LoadResult, rows: list[Event], case_attrs: dict[str, dict[str, tuple[str, SourceLine]]]
) -> None:
    by_case: dict[str, list[Event]] = {}
    for e in rows:
        by_case.setdefault(e.case_id, []).append(e)
    for case_id in sorted(by_case):
        events = by_case[case_id]
        events.sort(key=_order_key)
        attrs = {k: v for k, (v, _src) in sorted(case_attrs.get(case_id, {}).items())}
        result.cases[case_id] = CaseHistory(case_id, events, attrs)


def _order_key(e: Event) -> tuple[datetime, int]:
    return (e.time, e.seq)


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
