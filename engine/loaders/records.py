"""The checks every non-canonical source goes through, once its fields are mapped.

In: records from a reader (tabular rows as dicts, XES events), an import profile, the
`Checks` of the audit. Out: events and defects added to the shared `Batch`.

The checks and their order are the canonical loader's (engine.loaders.canonical): row
shape, case id, event id, activity (mapped through the profile's value map, then
vocabulary), time (ISO 8601, then the profile's formats), as-of, duplicate id; then the
kept-but-reported ones (actor / assignee a policy needs, case attribute conflicts) and, at
the end of the source, the naive/aware mix. Defects name the field as the source names it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.loaders.canonical import check_responsibility
from engine.loaders.checks import Checks, case_owner
from engine.loaders.result import (
    CASE_PREFIX,
    DATE_ONLY,
    Batch,
    Defect,
    SourceInfo,
    finish_source,
    record_case_attrs,
)
from engine.loaders.timeparse import TimeParser
from engine.model import Event
from engine.profile import Profile

_NO_ATTRS: dict[str, str] = {}
_CACHE_LIMIT = 200_000  # distinct time texts remembered (day-precision logs repeat a lot)

Problem = tuple[str, str, str]  # (code, source field, message)
# (line, case_id, event_id, time, activity, actor, assignee, role, unit, attrs, ctx)
Rec = tuple[int, str, str, str, str, str, str, str, str, dict[str, str], Any]


Describe = Callable[[Any], tuple[dict[str, str], str]]  # record context -> (raw row, where)


def _plain(ctx: Any) -> tuple[dict[str, str], str]:
    return dict(ctx), ""


class RecordSink:
    """Validates the mapped records of one source and adds the sound ones to the batch.

    `add(line, case_id, event_id, time, activity, actor, assignee, role, unit, attrs, ctx)`
    returns the event, or None when the record went to quarantine. `ctx` is whatever the
    reader passes; `describe(ctx)` turns it into the quarantine row and a location prefix
    (e.g. "trace 3 event 2: ") only when a defect needs them, since that is rare and a
    million records are not.
    """

    def __init__(
        self,
        batch: Batch,
        checks: Checks,
        profile: Profile,
        path: str,
        fmt: str,
        encoding: str = "",
        progress: Callable[[int], None] | None = None,
        describe: Describe = _plain,
        shared: bool = False,
    ) -> None:
        self.batch, self.checks, self.profile, self.path = batch, checks, profile, path
        self.info = SourceInfo(path, fmt, encoding)
        self.describe = describe
        # The reader already shares equal strings (XES): interning them again is waste.
        self.shared = shared
        batch.files.append(path)
        self.first_row = len(batch.rows)
        self.first_defect = len(batch.result.defects)
        self.first_q = len(batch.result.quarantined)
        self.kinds = bytearray()
        self.counter = [0]  # records added (a cell: read on every record)
        self.f_time = profile.source_of("time")
        self.add_many = self._adder(progress)

    def add(self, *record: Any) -> bool:
        """One record: (line, case_id, event_id, time, activity, actor, assignee, role,
        unit, attrs, ctx). True when it was accepted, False when quarantined."""
        return self.add_many((record,)) == 1

    def _adder(self, progress: Callable[[int], None] | None) -> Callable[[Iterable[Rec]], int]:
        # A closure rather than a method: its state lives in cells, read faster than
        # attributes, and this runs once per record.
        batch, checks, profile, path = self.batch, self.checks, self.profile, self.path
        kinds, rows, seen_ids = self.kinds, batch.rows, batch.seen_ids
        intern = batch.intern.setdefault
        parse = TimeParser(profile.zone, profile.time_formats)
        # time text -> (time, kind, after the as-of day): a log repeats its stamps, so each
        # distinct one is parsed and compared once.
        cache: dict[str, tuple[datetime, int, bool]] = {}
        amap, day, file_key = profile.activity_map, profile.day_precision, self._file_key()
        as_of_end = checks.as_of_end
        known_cache: dict[str, bool] = {}  # a handful of activities, a million records

        def _learn(activity: str) -> bool:
            known_cache[activity] = ok = checks.is_known(activity)
            return ok

        custody, actor_required = checks.custody, checks.actor_required
        responsibility = bool(custody or actor_required)
        src = profile.source_of
        f_case, f_event, f_time, f_act = (
            src("case_id"),
            src("event_id"),
            self.f_time,
            src("activity"),
        )
        f_actor, f_assignee = src("actor"), src("assignee")
        counter, shared = self.counter, self.shared
        owns = case_owner(checks.shard)

        def add_many(records: Iterable[Rec]) -> int:
            """The records in order; returns how many were accepted."""
            n = counter[0]
            accepted = 0
            for (
                line,
                case_id,
                event_id,
                time_text,
                activity,
                actor,
                assignee,
                role,
                unit,
                attrs,
                ctx,
            ) in records:
                if owns is not None and not owns(case_id):
                    continue  # another share's case (a sharded audit)
                n += 1
                if progress is not None and n % 100_000 == 0:
                    progress(n)
                problem: Problem | None = None
                if amap:
                    activity = amap.get(activity, activity)
                hit = None
                if not case_id:
                    problem = ("missing_case_id", f_case, "case id is empty")
                elif not event_id:
                    problem = ("missing_event_id", f_event, "event id is empty")
                elif not activity:
                    problem = ("missing_activity", f_act, "activity is empty")
                elif not (known_cache.get(activity) or _learn(activity)):
                    problem = (
                        "unknown_activity",
                        f_act,
                        f"activity {activity!r} is neither in the policy vocabulary nor in the "
                        f"import profile (add it to [activities] map or known)",
                    )
                elif not time_text:
                    problem = ("missing_time", f_time, "time is empty")
                else:
                    hit = cache.get(time_text)
                    if hit is None:
                        try:
                            when, kind = parse.parse(time_text)
                        except ValueError:
                            problem = (
                                "bad_time",
                                f_time,
                                f"{time_text!r} is not {parse.describe()}",
                            )
                        else:
                            if len(cache) >= _CACHE_LIMIT:
                                cache.clear()
                            late = as_of_end is not None and when > as_of_end
                            hit = cache[time_text] = (when, kind, late)
                    if hit is not None:
                        if hit[2]:
                            problem = (
                                "after_as_of",
                                f_time,
                                f"{time_text} is after the audit's as-of date",
                            )
                        elif event_id in seen_ids:
                            first = batch.where(seen_ids[event_id])
                            problem = (
                                "duplicate_event_id",
                                f_event,
                                f"event id {event_id!r} already used at {first}",
                            )
                if problem is not None:
                    raw, where = self.describe(ctx)
                    self.reject(problem, line, case_id, event_id, raw, where)
                    continue
                assert hit is not None
                when, kind, _late = hit
                seen_ids[event_id] = file_key | line
                if not shared:
                    case_id, activity = intern(case_id, case_id), intern(activity, activity)
                    actor, assignee = intern(actor, actor), intern(assignee, assignee)
                    role, unit = intern(role, role), intern(unit, unit)
                rows.append(
                    Event(
                        case_id,
                        event_id,
                        when,
                        activity,
                        actor,
                        assignee,
                        role,
                        unit,
                        attrs or _NO_ATTRS,
                        path,
                        line,
                        day or kind == DATE_ONLY,
                        len(rows) + 1,
                    )
                )
                kinds.append(kind)
                accepted += 1
                if responsibility and (
                    (not actor and activity in actor_required)
                    or (not assignee and activity in custody)
                ):
                    check_responsibility(
                        batch,
                        checks,
                        path,
                        line,
                        activity,
                        actor,
                        assignee,
                        case_id,
                        event_id,
                        f_actor,
                        f_assignee,
                        self.describe(ctx)[1],
                    )
            counter[0] = n
            return accepted

        return add_many

    def _file_key(self) -> int:
        return (len(self.batch.files) - 1) << 32

    def reject(
        self,
        problem: Problem,
        line: int,
        case_id: str,
        event_id: str,
        raw: dict[str, str],
        where: str = "",
    ) -> None:
        code, fld, message = problem
        self.batch.quarantine(
            Defect(code, self.path, line, fld, where + message, case_id, event_id), raw
        )

    def bad_row(self, line: int, message: str, raw: dict[str, str]) -> None:
        """A line that cannot be a record at all: counted in, quarantined."""
        self.counter[0] += 1
        self.reject(("bad_row", "*", message), line, "", "", raw)

    def case_attributes(
        self,
        case_id: str,
        names: list[str],
        values: tuple[str, ...],
        line: int,
        fields: dict[str, str],
    ) -> None:
        known = self.batch.case_attrs.get(case_id)
        if known is None or known[0] != values:
            record_case_attrs(self.batch, names, values, self.path, line, case_id, fields)

    def note(self, code: str, line: int, fld: str, message: str, case_id: str = "") -> None:
        """A defect that quarantines nothing (e.g. an empty XES trace)."""
        owns = case_owner(self.checks.shard)
        if owns is not None and not owns(case_id):
            return  # another share reports it
        self.batch.result.defects.append(Defect(code, self.path, line, fld, message, case_id))

    def close(self) -> None:
        self.info.rows_in = self.counter[0]
        self.batch.result.rows_in += self.info.rows_in
        self.batch.result.sources.append(self.info)
        finish_source(
            self.batch,
            self.path,
            self.first_row,
            self.first_defect,
            self.first_q,
            self.kinds,
            self.f_time,
        )


class DictMapper:
    """Maps flat records (a tabular row by column name, a JSON object) onto canonical
    fields, case attributes and event attributes, as the profile says."""

    def __init__(self, profile: Profile, columns: list[str], stem: str) -> None:
        self.profile = profile
        self.stem = stem
        f = profile.fields
        self.case, self.time, self.activity = f["case_id"], f["time"], f["activity"]
        self.event_id = f.get("event_id")
        self.actor, self.assignee = f.get("actor", ()), f.get("assignee", ())
        self.role, self.unit = f.get("role", ()), f.get("unit", ())
        self.used = {name for names in f.values() for name in names}
        self.renamed = {src: name for name, src in profile.event_attributes.items()}
        # JSON Lines have no header: each record's keys give its layout (they repeat).
        self.layouts: dict[tuple[str, ...], _Layout] = {}
        self.fixed = self._layout(columns) if columns else None

    def _layout(self, columns: Iterable[str]) -> _Layout:
        profile = self.profile
        case_attrs = dict(profile.case_attributes)
        for col in columns:
            for prefix in (CASE_PREFIX, "case:"):
                if col.startswith(prefix) and col not in self.used and profile.keep_others:
                    case_attrs.setdefault(col[len(prefix) :], col)
        names = sorted(case_attrs)
        taken = self.used | set(case_attrs.values()) | set(self.renamed)
        pairs = list(self.renamed.items())
        if profile.keep_others:
            pairs += [(c, c) for c in columns if c not in taken]
        return _Layout(names, [case_attrs[n] for n in names], case_attrs, pairs)

    def missing(self, columns: list[str]) -> list[str]:
        """Mapped source fields absent from a tabular header (those must exist)."""
        have = set(columns)
        fields = self.profile.fields
        if not self.profile.path:  # the built-in canonical layout: the role columns may be absent
            fields = {c: n for c, n in fields.items() if c in _ID_FIELDS}
        wanted = [n for names in fields.values() for n in names]
        wanted += list(self.profile.case_attributes.values())
        return [n for n in dict.fromkeys(wanted) if n not in have]

    def feed(self, sink: RecordSink, line: int, rec: dict[str, str]) -> None:
        layout = self.fixed
        if layout is None:
            key = tuple(rec)
            layout = self.layouts.get(key)
            if layout is None:
                layout = self.layouts[key] = self._layout(key)
        case_id = _get(rec, self.case)
        event_id = _get(rec, self.event_id) if self.event_id else f"{self.stem}:{line}"
        attrs = {name: v for src, name in layout.attr_pairs if (v := rec.get(src, ""))}
        accepted = sink.add(
            line,
            case_id,
            event_id,
            _get(rec, self.time),
            _get(rec, self.activity),
            _get(rec, self.actor),
            _get(rec, self.assignee),
            _get(rec, self.role),
            _get(rec, self.unit),
            attrs,
            rec,
        )
        if accepted and layout.case_names:
            values = tuple(rec.get(s, "") for s in layout.case_sources)
            sink.case_attributes(case_id, layout.case_names, values, line, layout.case_fields)


_ID_FIELDS = ("case_id", "event_id", "time", "activity")


@dataclass(frozen=True)
class _Layout:
    case_names: list[str]
    case_sources: list[str]
    case_fields: dict[str, str]  # case attribute -> source field, for messages
    attr_pairs: list[tuple[str, str]]  # (source field, event attribute name)


def _get(rec: dict[str, str], names: tuple[str, ...] | None) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return rec.get(names[0], "").strip()
    return " ".join(v for n in names if (v := rec.get(n, "").strip()))
