"""Loader for the canonical case export (README "The canonical export"), tuned for speed.

In: paths of UTF-8 CSV files (BOM allowed) with the columns
`case_id, event_id, time, activity, actor, assignee, role, unit`, optional `case.NAME`
case-attribute columns and any other columns as event attributes.
Out: a `LoadResult` — case histories sorted by (time, file order), and every defect found
with its `file:line` and field. Nothing is dropped silently: a defective row goes to
`LoadResult.quarantined` with the reason, and `rows_in == rows_used + rows_quarantined`.

This is the hot path of a million-row audit (~2.5 µs a row with the collector off, case
histories built): rows come a block at a time from engine.loaders.csv_blocks (split at
commas where the text has no quotes, csv.reader where it has), then one loop, locals
only, the common case first, and per row only what a row needs — a case's id and
attributes are looked up once per run of its rows, the other short fields are stripped
and interned once per distinct raw text (Batch.cleaned), event ids go into a set (the id
index is built only if something asks, Batch.defer_ids), and naive times share one tzinfo. Other formats and mapped exports go through
engine.loaders.records, which applies the same checks in the same order.
"""

from __future__ import annotations

import csv
import hashlib
import operator
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TextIO, cast

from engine.loaders.checks import Checks, case_owner
from engine.loaders.csv_blocks import BLOCK_CHARS, row_blocks
from engine.loaders.result import (
    CASE_PREFIX,
    DATE_ONLY,
    NAIVE,
    Batch,
    Defect,
    ExportError,
    LoadResult,
    SourceInfo,
    build_cases,
    finish_source,
    record_case_attrs,
)
from engine.loaders.timeparse import DEFAULT_ZONE, TimeParser
from engine.model import Event

REQUIRED_COLUMNS = ("case_id", "event_id", "time", "activity", "actor", "assignee", "role", "unit")
_NO_ATTRS: dict[str, str] = {}


def load_exports(
    paths: Iterable[str],
    *,
    zone_name: str = DEFAULT_ZONE,
    known_activities: frozenset[str] | None = None,
    as_of_end: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    custody: frozenset[str] = frozenset(),
    actor_required: frozenset[str] = frozenset(),
) -> LoadResult:
    """Read every canonical export and build case histories.

    `known_activities`: when given, rows with another activity are quarantined as
    `unknown_activity`. `as_of_end`: rows after this instant are quarantined as
    `after_as_of` (an audit as of a date cannot see the future). `custody` /
    `actor_required`: events of these activities without an assignee / actor are
    reported (and kept) as `missing_assignee` / `missing_actor`.
    """
    checks = Checks(known_activities, None, as_of_end, custody, actor_required)
    batch = Batch(LoadResult(cases={}))
    digest = hashlib.sha256()
    parse = TimeParser(zone_name)
    for path in paths:
        digest.update(file_sha256(path))
        read_canonical(path, batch, checks, parse, progress)
    batch.result.input_sha256 = digest.hexdigest()
    build_cases(batch)
    return batch.result


def read_canonical(
    path: str,
    batch: Batch,
    checks: Checks,
    parse: TimeParser,
    progress: Callable[[int], None] | None,
    display: str | None = None,
) -> None:
    """Read one canonical UTF-8 CSV into the batch (`display`: the name used in locations)."""
    name = display or path
    handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    # The text is read a block at a time (csv_blocks): decode it in blocks that size too,
    # not in the wrapper's default 8 KiB steps (a sixth of the reading time).
    handle._CHUNK_SIZE = BLOCK_CHARS  # type: ignore[attr-defined]
    try:
        _read_one(name, handle, parse, checks, progress, batch)
    except UnicodeDecodeError as exc:
        line, byte = first_bad_utf8(path)
        raise ExportError(
            f"{name}:{line}: not valid UTF-8 (byte 0x{byte:02x}); the canonical export is "
            f"UTF-8 — give --encoding (e.g. gbk) or an import profile with its encoding"
        ) from exc
    finally:
        handle.close()


def _read_one(
    path: str,
    handle: TextIO,
    parse: TimeParser,
    checks: Checks,
    progress: Callable[[int], None] | None,
    batch: Batch,
) -> None:
    intern = batch.intern.setdefault
    # Raw field text -> its stripped, interned value: one dict lookup per field where
    # strip() and intern() were two calls (five fields of a million rows).
    clean = batch.cleaned
    case_attrs = batch.case_attrs
    rows, result = batch.rows, batch.result
    known_activities, as_of_end = checks.known_activities, checks.as_of_end
    custody, actor_required = checks.custody, checks.actor_required
    first_row, first_defect, first_q = len(rows), len(result.defects), len(result.quarantined)
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
            f"the canonical export needs {', '.join(REQUIRED_COLUMNS)} "
            f"(for another layout give --profile; draft one with: wenze profile infer {path})"
        )
    col = {name: i for i, name in enumerate(header)}
    cols = _Columns(header, col)
    i_case, i_ev, i_time, i_act = col["case_id"], col["event_id"], col["time"], col["activity"]
    i_actor, i_asg, i_role, i_unit = col["actor"], col["assignee"], col["role"], col["unit"]
    case_cols = [
        (i, h[len(CASE_PREFIX) :]) for i, h in enumerate(header) if h.startswith(CASE_PREFIX)
    ]
    case_names = tuple(n for _i, n in case_cols)  # a tuple: first_attrs keys on it as it is
    attr_cols = [
        (i, h)
        for i, h in enumerate(header)
        if h not in REQUIRED_COLUMNS and not h.startswith(CASE_PREFIX)
    ]
    width = len(header)
    case_values = _tuple_getter([i for i, _n in case_cols])
    one_attr, one_name = attr_cols[0] if len(attr_cols) == 1 else (-1, "")
    # seen_ids maps an event id to one int (file number, line) rather than an object.
    batch.files.append(path)
    file_key = (len(batch.files) - 1) << 32
    kinds = bytearray()  # NAIVE / AWARE / DATE_ONLY per accepted row, for the mix check
    rows_in = 0
    owns = case_owner(checks.shard)
    parse_time = parse.parse
    fromiso = datetime.fromisoformat
    fixed_suffix, fixed_since = parse.fixed_offset()
    # fromisoformat(text + suffix) makes a tzinfo per value; the same wall time added to one
    # aware epoch is the same instant and shares the epoch's tzinfo: a million fewer objects,
    # and times with one tzinfo compare several times faster (the sort in build_cases).
    fixed_epoch = fromiso("2000-01-01T00:00:00" + (fixed_suffix or "+00:00"))
    naive_epoch = fixed_epoch.replace(tzinfo=None)
    if as_of_end is not None:
        # The same instant with the epoch's tzinfo: two times that share a tzinfo object
        # compare without asking either zone for its offset (a ZoneInfo lookup per row).
        as_of_end = as_of_end.astimezone(fixed_epoch.tzinfo)
    # Ids taken by earlier sources and by this file's accepted rows. A set costs half what
    # the seen_ids dict does per row; the dict gets this file's ids only when read (defer_ids).
    taken = set(batch.seen_ids)
    take = taken.add
    deferred = len(rows)  # this file's accepted rows from here on are not in seen_ids yet
    append_row, append_kind = rows.append, kinds.append
    raw_case, case_id = "", ""
    last_case, last_values = "", cast(tuple[str, ...], ())
    for block, numbers in row_blocks(handle, reader.line_num + 1):
        for row, line_no in zip(block, numbers, strict=True):
            # Fast path: a sound row passes every check below without building a message; any
            # doubt sends it to _problem, which re-checks in the documented order.
            if len(row) == width:
                if row[i_case] != raw_case:
                    # A case's rows mostly come together: strip its id once per run of rows.
                    raw_case = row[i_case]
                    case_id = raw_case.strip()
                if owns is not None and not owns(case_id):
                    continue  # another share's case (a sharded audit)
                rows_in += 1
                if progress is not None and rows_in % 100_000 == 0:
                    progress(rows_in)
                event_id = row[i_ev].strip()
                activity = clean[row[i_act]]
                when = None
                if (
                    case_id
                    and event_id
                    and activity
                    and (known_activities is None or activity in known_activities)
                ):
                    text = row[i_time]
                    if len(text) == 19 and fixed_suffix and text[10] in "T ":
                        # TimeParser.parse's first case, inlined: a naive local date-time in a
                        # zone with a fixed offset (a million calls make the call count), as a
                        # wall time from fixed_epoch so that it shares the epoch's tzinfo.
                        try:
                            when, kind = fixed_epoch + (fromiso(text) - naive_epoch), NAIVE
                        except (ValueError, TypeError):  # TypeError: the text has an offset
                            when = None
                        if when is not None and when.year < fixed_since:
                            when = None  # before the zone's offset was fixed: the full parser
                    if when is None:
                        try:
                            when, kind = parse_time(text)
                        except ValueError:
                            when = None
                    if when is not None and as_of_end is not None and when > as_of_end:
                        when = None
            elif not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line: not a record
            else:
                if owns is not None and not owns(""):
                    continue  # not a record: share 0 reports it
                rows_in += 1
                when = None
            if when is None or event_id in taken:
                if when is not None:  # a duplicate id: seen_ids must say which row took it
                    batch.defer_ids(file_key, rows[deferred:])
                    deferred = len(rows)
                code, fld, message = _problem(row, width, cols, checks, parse, batch)
                batch.quarantine(
                    Defect(
                        code,
                        path,
                        line_no,
                        fld,
                        message,
                        row[i_case].strip() if len(row) == width else "",
                        row[i_ev].strip() if len(row) == width else "",
                    ),
                    dict(zip(header, row, strict=False)),
                )
                continue
            if one_attr >= 0:
                attrs = {one_name: row[one_attr]} if row[one_attr] else _NO_ATTRS
            elif attr_cols:
                attrs = {h: row[i] for i, h in attr_cols if row[i] != ""} or _NO_ATTRS
            else:
                attrs = _NO_ATTRS
            take(event_id)
            seq += 1
            if case_id is not last_case:
                case_id = intern(case_id, case_id)  # once per run: later rows reuse it
            actor = clean[row[i_actor]]
            assignee = clean[row[i_asg]]
            role = clean[row[i_role]]
            unit = clean[row[i_unit]]
            append_row(
                Event(
                    case_id,
                    event_id,
                    when,
                    activity,
                    actor,
                    assignee,
                    role,
                    unit,
                    attrs,
                    path,
                    line_no,
                    kind == DATE_ONLY,
                    seq,
                )
            )
            append_kind(kind)
            if (not assignee and activity in custody) or (not actor and activity in actor_required):
                check_responsibility(
                    batch, checks, path, line_no, activity, actor, assignee, case_id, event_id
                )
            if case_cols:
                values = case_values(row)
                # A case's rows mostly come together with the same values: compare with the
                # previous row's before looking the case up.
                if case_id is not last_case or values != last_values:
                    known = case_attrs.get(case_id)
                    if known is None or known[0] != values:
                        record_case_attrs(batch, case_names, values, path, line_no, case_id)
                    last_values = values
            last_case = case_id
    batch.defer_ids(file_key, rows[deferred:])
    result.rows_in += rows_in
    result.sources.append(SourceInfo(path, "csv", "utf-8", rows_in))
    finish_source(batch, path, first_row, first_defect, first_q, kinds)


class _Columns:
    """Where the required columns are in this file's header (for _problem)."""

    def __init__(self, header: list[str], col: dict[str, int]) -> None:
        self.case, self.event, self.time = col["case_id"], col["event_id"], col["time"]
        self.activity = col["activity"]


def _problem(
    row: list[str],
    width: int,
    cols: _Columns,
    checks: Checks,
    parse: TimeParser,
    batch: Batch,
) -> tuple[str, str, str]:
    """Why a row cannot be used: the first failing check, in the documented order."""
    if len(row) != width:
        return ("bad_row", "*", f"{len(row)} fields where the header has {width}")
    case_id, event_id = row[cols.case].strip(), row[cols.event].strip()
    activity, time_text = row[cols.activity].strip(), row[cols.time]
    known = checks.known_activities
    if not case_id:
        return ("missing_case_id", "case_id", "case id is empty")
    if not event_id:
        return ("missing_event_id", "event_id", "event id is empty")
    if not activity:
        return ("missing_activity", "activity", "activity is empty")
    if known is not None and activity not in known:
        return (
            "unknown_activity",
            "activity",
            f"activity {activity!r} is not in the policy vocabulary",
        )
    if not time_text.strip():
        return ("missing_time", "time", "time is empty")
    try:
        when, _kind = parse.parse(time_text)
    except ValueError:
        return ("bad_time", "time", f"{time_text!r} is not an ISO 8601 date or date-time")
    if checks.as_of_end is not None and when > checks.as_of_end:
        return ("after_as_of", "time", f"{time_text} is after the audit's as-of date")
    first = batch.where(batch.seen_ids[event_id])
    return ("duplicate_event_id", "event_id", f"event id {event_id!r} already used at {first}")


def check_responsibility(
    batch: Batch,
    checks: Checks,
    path: str,
    line_no: int,
    activity: str,
    actor: str,
    assignee: str,
    case_id: str,
    event_id: str,
    actor_field: str = "actor",
    assignee_field: str = "assignee",
    where: str = "",
) -> None:
    """Report (and keep) an event a responsibility clause reads when it names nobody."""
    if not assignee and activity in checks.custody:
        batch.result.defects.append(
            Defect(
                "missing_assignee",
                path,
                line_no,
                assignee_field,
                f"{where}custody event {activity!r} names nobody to take the case; from here the "
                f"holder is unknown (findings name 责任主体不明确)",
                case_id,
                event_id,
            )
        )
    if not actor and activity in checks.actor_required:
        batch.result.defects.append(
            Defect(
                "missing_actor",
                path,
                line_no,
                actor_field,
                f"{where}{activity!r} has no actor, and a policy holds its actor responsible "
                f"(findings name 责任主体不明确)",
                case_id,
                event_id,
            )
        )


def _tuple_getter(indexes: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    if not indexes:
        return lambda row: ()
    if len(indexes) == 1:
        only = indexes[0]
        return lambda row: (row[only],)
    return operator.itemgetter(*indexes)


def first_bad_utf8(path: str) -> tuple[int, int]:
    """Line number and value of the first byte that is not UTF-8 (for the error message)."""
    with Path(path).open("rb") as f:
        for line_no, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return line_no, raw[exc.start]
    return 0, 0


def file_sha256(path: str) -> bytes:
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        raise ExportError(f"{path}: cannot read the export: {exc.strerror or exc}") from exc
    return h.digest()
