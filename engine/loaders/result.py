"""What every loader returns, and the state that several sources of one audit share.

In: nothing (data definitions and the helpers all readers use).
Out: `Defect` and the `DEFECT_KINDS` registry, `ExportError`, `LoadResult`, `Batch` (rows,
case attributes, event ids and interned strings shared across the files of one load) and
`finish_source`/`build_cases`, which close a source and build the case histories.

Nothing is dropped silently: a defect either quarantines its row (`LoadResult.quarantined`,
so `rows_in == rows_used + rows_quarantined`) or keeps it and is only reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter

from engine.model import CaseHistory, Event, SourceLine

CASE_PREFIX = "case."


@dataclass(frozen=True)
class Defect:
    """One problem in the input, located to the row (or XES event) and the source field."""

    code: str  # stable, one of DEFECT_KINDS
    file: str
    line: int  # CSV/JSONL line, XLSX row, XES line of the <event> (or <trace>)
    field: str  # the field as the source names it (a CSV column, an XES key)
    message: str
    case_id: str = ""
    event_id: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.code} [{self.field}] {self.message}"


@dataclass(frozen=True)
class DefectKind:
    code: str
    quarantines: bool  # True: the row is not used; False: used, and reported
    summary: str


# The registry docs/import-profiles.md lists and a test keeps in step with it.
DEFECT_KINDS: dict[str, DefectKind] = {
    k.code: k
    for k in (
        DefectKind("bad_row", True, "a row that cannot be read as a record"),
        DefectKind("missing_case_id", True, "the case id is empty"),
        DefectKind("missing_event_id", True, "the event id field is mapped but empty"),
        DefectKind("missing_activity", True, "the activity is empty"),
        DefectKind(
            "unknown_activity", True, "the activity is neither in the profile nor in the policies"
        ),
        DefectKind("missing_time", True, "the time is empty"),
        DefectKind("bad_time", True, "the time matches neither ISO 8601 nor a profile format"),
        DefectKind("after_as_of", True, "the time is after the end of the as-of day"),
        DefectKind("duplicate_event_id", True, "the event id was already used"),
        DefectKind(
            "mixed_naive_aware",
            True,
            "a source mixes times with and without a UTC offset; the fewer kind is quarantined",
        ),
        DefectKind(
            "missing_actor",
            False,
            "an event whose actor a policy holds responsible has no actor "
            "(kept: the lapse is then attributed to 责任主体不明确)",
        ),
        DefectKind(
            "missing_assignee",
            False,
            "a custody event names nobody to take the case (kept: the case has left its "
            "previous holder, so a lapse after it goes to 责任主体不明确 rather than to the wrong person)",
        ),
        DefectKind(
            "inconsistent_case_attribute",
            False,
            "a case attribute differs between rows of one case; the first value is used",
        ),
        DefectKind("empty_trace", False, "an XES trace without events (no row to count)"),
    )
}


class ExportError(Exception):
    """The export cannot be read at all (missing file, missing column, bad encoding)."""


@dataclass
class SourceInfo:
    """How one input file was read (for the summary and the run record)."""

    path: str
    format: str  # csv | xlsx | jsonl | xes
    encoding: str = ""  # as read (csv, jsonl); "" where the format fixes it
    rows_in: int = 0


class ShardingUnsupported(Exception):
    """A share of a sharded audit cannot read its part of this file on its own; the audit
    reads it in one process instead (engine.shards)."""


@dataclass
class LoadResult:
    cases: dict[str, CaseHistory]
    defects: list[Defect] = field(default_factory=list)
    quarantined: list[tuple[Defect, dict[str, str]]] = field(default_factory=list)
    rows_in: int = 0
    input_sha256: str = ""
    sources: list[SourceInfo] = field(default_factory=list)
    # Per source: accepted rows with naive and with aware times (a sharded audit checks
    # that no source mixes them across shares).
    kind_counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    # The accepted event ids, kept only by a sharded load (ids must be unique across shares).
    event_ids: list[str] = field(default_factory=list)

    @property
    def rows_used(self) -> int:
        return sum(len(c.events) for c in self.cases.values())

    @property
    def rows_quarantined(self) -> int:
        return len(self.quarantined)


# case id -> (the raw values last recorded, {name: (first value, file, line)} or None while
# every value is from the case's first row, {name: first value} in name order as the case
# history takes them, the file and line of the case's first row)
CaseAttrs = dict[
    str,
    tuple[tuple[str, ...], dict[str, tuple[str, str, int]] | None, dict[str, str], str, int],
]


class Cleaned(dict[str, str]):
    """Raw field text -> the text stripped and interned, worked out on first sight: one
    dict lookup per field of a row, where strip() and intern() were two calls."""

    def __init__(self, intern: dict[str, str]) -> None:
        super().__init__()
        self._intern = intern.setdefault

    def __missing__(self, raw: str) -> str:
        value = raw.strip()
        value = self[raw] = self._intern(value, value)
        return value


@dataclass
class Batch:
    """State shared by all sources of one load: event ids must be unique across files and
    a case may be spread over several exports."""

    result: LoadResult
    rows: list[Event] = field(default_factory=list)
    case_attrs: CaseAttrs = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    # Low-cardinality values (activity, role, actor, attribute names and values) repeat
    # across a million rows: one shared string per distinct value keeps memory down.
    intern: dict[str, str] = field(default_factory=dict)
    # Raw text of a low-cardinality field -> its stripped value, interned (CSV readers).
    cleaned: Cleaned = field(init=False)
    # (case-attribute names, raw values) -> the attributes (first_attrs).
    attr_sets: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, str]] = field(
        default_factory=dict
    )
    # Accepted events (with their file key) whose ids are not in `seen_ids` yet: see defer_ids.
    unindexed: list[tuple[int, list[Event]]] = field(default_factory=list)
    _seen_ids: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cleaned = Cleaned(self.intern)

    @property
    def seen_ids(self) -> dict[str, int]:
        """Event id -> file number << 32 | line of the event that took it, in the order
        the ids were taken."""
        if self.unindexed:
            seen = self._seen_ids
            for file_key, events in self.unindexed:
                keys = map(file_key.__or__, map(_LINE, events))
                seen.update(zip(map(_EVENT_ID, events), keys, strict=True))
            self.unindexed = []
        return self._seen_ids

    def defer_ids(self, file_key: int, events: list[Event]) -> None:
        """Leave these accepted events' ids out of `seen_ids` until it is next read: the
        canonical reader checks a file's ids against a set, and most audits never look an
        id up after that (a million inserts saved). The ids must be new to `seen_ids`."""
        if events:
            self.unindexed.append((file_key, events))

    def where(self, key: int) -> SourceLine:
        return SourceLine(self.files[key >> 32], key & 0xFFFFFFFF)

    def quarantine(self, defect: Defect, raw: dict[str, str]) -> None:
        self.result.defects.append(defect)
        self.result.quarantined.append((defect, raw))


def record_case_attrs(
    batch: Batch,
    names: Sequence[str],
    values: tuple[str, ...],
    path: str,
    line_no: int,
    case_id: str,
    field_of: dict[str, str] | None = None,
) -> None:
    """Merge a row's case attributes into the case's; a conflict is reported (the row is
    kept, its event is sound) and the first value wins, so the audit is reproducible and
    the inspector can see both values."""
    entry = batch.case_attrs.get(case_id)
    if entry is None:  # the case's first row (nearly every call): nothing to compare with
        batch.case_attrs[case_id] = (values, None, first_attrs(batch, names, values), path, line_no)
        return
    _, attrs, final, first_path, first_line = entry
    if attrs is None:  # every attribute so far is from the case's first row
        attrs = {k: (v, first_path, first_line) for k, v in final.items()}
    for name, raw in zip(names, values, strict=True):
        value = batch.cleaned[raw]
        if not value:
            continue
        prior = attrs.get(name)
        if prior is None:
            attrs[name] = (value, path, line_no)
        elif prior[0] != value:
            source_field = field_of.get(name, name) if field_of else CASE_PREFIX + name
            batch.result.defects.append(
                Defect(
                    "inconsistent_case_attribute",
                    path,
                    line_no,
                    source_field,
                    f"case {case_id}: {value!r} differs from {prior[0]!r} at "
                    f"{SourceLine(prior[1], prior[2])}; the first value is used",
                    case_id,
                )
            )
    # The history's attributes, in name order: built here, while the case is in cache,
    # rather than for 100,000 cases at once in build_cases; rebuilt only for a new name.
    if len(final) != len(attrs):
        final = {k: attrs[k][0] for k in sorted(attrs)}
    batch.case_attrs[case_id] = (values, attrs, final, first_path, first_line)


def first_attrs(batch: Batch, names: Sequence[str], values: tuple[str, ...]) -> dict[str, str]:
    """A case's attributes from its first row, {name: value} in name order, values
    stripped, empty ones left out. Cases with the same names and raw values share one dict
    (read-only, as a history's attributes are): the cases of an export mostly hold few
    combinations. `names` is best a tuple, which the key takes as it is."""
    key = (tuple(names), values)
    found = batch.attr_sets.get(key)
    if found is None:
        clean = batch.cleaned
        pairs = sorted((n, clean[raw]) for n, raw in zip(names, values, strict=True))
        found = batch.attr_sets[key] = {n: v for n, v in pairs if v}
    return found


# Kinds of time value, per row, for the mixed naive/aware check.
NAIVE, AWARE, DATE_ONLY = 0, 1, 2


def finish_source(
    batch: Batch,
    path: str,
    first_row: int,
    first_defect: int,
    first_quarantined: int,
    kinds: bytearray,
    time_field: str = "time",
) -> None:
    """Close one source: quarantine the fewer kind of a naive/aware mix, then put this
    source's defects in line order (the mix is only known at the end of the source)."""
    n_naive, n_aware = kinds.count(NAIVE), kinds.count(AWARE)
    batch.result.kind_counts[path] = (n_naive, n_aware)
    if n_naive and n_aware:
        if n_aware != n_naive:
            odd = AWARE if n_aware < n_naive else NAIVE
        else:  # a tie: the kind that came second is the odd one
            odd = AWARE if kinds.index(AWARE) > kinds.index(NAIVE) else NAIVE
        _quarantine_mix(batch, path, first_row, kinds, odd, time_field)
    result = batch.result
    if len(result.defects) - first_defect > 1:
        result.defects[first_defect:] = sorted(result.defects[first_defect:], key=_line)
    if len(result.quarantined) - first_quarantined > 1:
        result.quarantined[first_quarantined:] = sorted(
            result.quarantined[first_quarantined:], key=lambda q: q[0].line
        )


def _line(d: Defect) -> int:
    return d.line


def _quarantine_mix(
    batch: Batch, path: str, first_row: int, kinds: bytearray, odd: int, time_field: str
) -> None:
    rows = batch.rows
    usual_kind = AWARE if odd == NAIVE else NAIVE
    example = rows[first_row + kinds.index(usual_kind)]
    file_key = (len(batch.files) - 1) << 32  # the source being closed is the last one
    kept: list[Event] = []
    odd_name = "has a UTC offset" if odd == AWARE else "has no UTC offset"
    usual = "without" if odd == AWARE else "with"
    seen_ids = batch.seen_ids
    for e, kind in zip(rows[first_row:], kinds, strict=True):
        if kind != odd:
            kept.append(e)
            continue
        if seen_ids.get(e.event_id) == file_key | e.line:
            del seen_ids[e.event_id]  # a later row may use the id: it is not taken
        batch.quarantine(
            Defect(
                "mixed_naive_aware",
                path,
                e.line,
                time_field,
                f"this time {odd_name} while most times of this source are {usual} one "
                f"(e.g. {example.source}); which zone it is in cannot be told",
                e.case_id,
                e.event_id,
            ),
            event_row(e),
        )
    rows[first_row:] = kept


def event_row(e: Event) -> dict[str, str]:
    """An accepted event written back as a quarantine row (its source text is gone)."""
    row = {
        "case_id": e.case_id,
        "event_id": e.event_id,
        "time": e.time.isoformat(),
        "activity": e.activity,
        "actor": e.actor,
        "assignee": e.assignee,
        "role": e.role,
        "unit": e.unit,
    }
    row.update(e.attrs)
    return row


def build_cases(batch: Batch) -> None:
    """Group the accepted rows by case and sort each case by (time, file order)."""
    by_case: dict[str, list[Event]] = {}
    # Exports mostly list a case's rows together (XES always): take runs of one case id
    # at C speed, and merge the runs of a case that comes back.
    for case_id, run in groupby(batch.rows, key=_CASE_ID):
        events = by_case.get(case_id)
        if events is None:
            by_case[case_id] = list(run)
        else:
            events.extend(run)
    result = batch.result
    for case_id in sorted(by_case):
        events = by_case[case_id]
        # The rows are in file order (seq) already, and the sort is stable: sorting by
        # time alone gives (time, file order) without a key tuple per event.
        events.sort(key=_TIME)
        entry = batch.case_attrs.get(case_id)
        attrs = {} if entry is None else entry[2]
        result.cases[case_id] = CaseHistory(case_id, events, attrs)
    batch.rows = []


_CASE_ID = attrgetter("case_id")
_EVENT_ID = attrgetter("event_id")
_LINE = attrgetter("line")
_TIME = attrgetter("time")
