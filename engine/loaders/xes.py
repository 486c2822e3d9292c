"""XES event logs (IEEE 1849; `.xes` or gzip'd `.xes.gz`), streamed trace by trace.

In: a path; the import profile (engine.profile; XES standard keys by default) and the
audit's checks. Out: events and defects in the shared batch — trace attributes become case
attributes, `concept:name` the activity, `time:timestamp` the time, `org:resource` the
actor, `org:role` the role, `lifecycle:transition` the event attribute `lifecycle`.
Defects are located by the line of the `<event>` and by "trace T event E".

Reading is streamed: the document is never held whole, each trace is dropped once its
events are taken. Two readers give the same traces:
- the fast path scans the decompressed text for the shape every XES writer emits
  (`<event>` children `<string key="…" value="…"/>`), several times faster than a
  tree-building parser. It takes a trace only after proving it has that shape: every
  `<` in the trace is accounted for by a trace, event or simple attribute tag, and there
  is no comment, entity, CDATA or processing instruction;
- from the first trace that is not so simple, the expat reader (xes_expat) takes over
  for the rest of the file, so nothing is ever guessed.
"""

from __future__ import annotations

import gzip
import re
import xml.parsers.expat as expat
import zlib
from collections.abc import Generator, Iterator
from typing import Any, BinaryIO, Protocol, cast

from engine.loaders.records import RecordSink
from engine.loaders.result import ExportError, ShardingUnsupported
from engine.loaders.sources import open_binary
from engine.loaders.xes_expat import ExpatTraces, XesTrace
from engine.profile import XES_DEFAULT, Profile

_CHUNK = 1 << 22
# One simple attribute as XES writers (OpenXES, pm4py) emit it: self-closing (no
# nesting), no entity, no quote or `<` inside, single spaces. Any other spelling leaves a
# `<` unaccounted for and sends the trace to expat: slower, never wrong.
_PAIR = re.compile(r'<(?:string|date|int|float|boolean|id) key="([^"<&]*)" value="([^"<&]*)"/>')


Pair = tuple[str, str]


class _Stop(Exception):
    """The fast path stops at `offset` of the decoded block (at line `line`)."""

    def __init__(self, offset: int, line: int) -> None:
        self.offset, self.line = offset, line


class _Found(Exception):
    pass


def read_xes(
    path: str, *, reference: bool = False, blocks: tuple[int, int] | None = None
) -> Generator[XesTrace, None, None]:
    """The traces of an XES file in order (`reference`: expat only, for tests).

    `blocks` (k, n): only the traces of every n-th block of whole traces, from the k-th
    (a share of a sharded audit); the other blocks are skipped unparsed, their lines and
    traces only counted. Raises ShardingUnsupported where the file needs the expat reader,
    which cannot skip: the caller then reads the file whole."""
    try:
        with _open(path) as f:
            yield from _read(path, f, reference, blocks)
    except (OSError, EOFError, zlib.error) as exc:
        raise ExportError(f"{path}: cannot read the XES file: {exc}") from exc


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


def _open(path: str) -> gzip.GzipFile | _Prefixed:
    raw = open_binary(path)
    head = raw.read(2)
    stream = _Prefixed(head, raw)
    if head == b"\x1f\x8b":  # gzip, whatever the name says
        # GzipFile only calls read() on its file object.
        return gzip.GzipFile(fileobj=cast(BinaryIO, stream), mode="rb")
    return stream


class _Prefixed:
    """A stream with its first bytes given back (a ZIP member cannot seek back cheaply)."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            more = self._rest.read(size - len(head)) if size > len(head) else b""
            return head + more
        return self._rest.read(size)

    def close(self) -> None:
        self._rest.close()

    def __enter__(self) -> _Prefixed:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _read(
    path: str, f: _Reader, reference: bool, blocks: tuple[int, int] | None
) -> Iterator[XesTrace]:
    buf, pos, line, simple = _probe(path, f)
    if reference or not simple or pos < 0:
        _unsharded(blocks)
        yield from _expat(path, f, buf, 1, 0, synthetic_root=False)
        return
    index = 0
    shared: dict[Pair, Pair] = {}
    block = -1
    while True:
        end = buf.rfind(b"</trace>")
        if end < pos:  # no whole trace left in the buffer
            more = f.read(_CHUNK)
            if more:
                buf, pos = buf[pos:] + more, 0
                continue
            tail = buf[pos:]
            if tail.strip() != b"</log>":  # log-level content after the traces, or truncated
                _unsharded(blocks)
                yield from _expat(path, f, tail, index + 1, line - 1, synthetic_root=True)
            return
        end += len(b"</trace>")
        block += 1
        if blocks is not None and block % blocks[1] != blocks[0]:
            # Another share's block: every reader splits the stream alike, so counting its
            # lines and traces keeps locations right (its reader checks its shape).
            line += buf.count(b"\n", pos, end)
            index += buf.count(b"<trace>", pos, end)
            pos = end
            continue
        traces: list[XesTrace] = []
        try:
            text = buf[pos:end].decode("utf-8")
            line = _scan(text, line, index, traces, shared)
        except UnicodeDecodeError:
            _unsharded(blocks)
            yield from _expat(path, f, buf[pos:], index + 1, line - 1, synthetic_root=True)
            return
        except _Stop as stop:
            _unsharded(blocks)
            yield from traces
            at = pos + len(text[: stop.offset].encode("utf-8"))
            rest = index + len(traces) + 1
            yield from _expat(path, f, buf[at:], rest, stop.line - 1, synthetic_root=True)
            return
        index += len(traces)
        yield from traces
        pos = end


def _unsharded(blocks: tuple[int, int] | None) -> None:
    if blocks is not None:
        raise ShardingUnsupported("this XES file needs the expat reader, which reads it whole")


def _probe(path: str, f: _Reader) -> tuple[bytes, int, int, bool]:
    """Read until the first <trace> tag with expat (comments and a BOM before the root are
    fine). Returns the bytes read, the byte offset and line of that tag (-1 if none) and
    whether the fast path may read on: UTF-8, a plain <log> root, no namespace."""
    state = {"offset": -1, "line": 1, "simple": True}
    parser = expat.ParserCreate()

    def decl(_version: str, encoding: str | None, _standalone: int) -> None:
        if encoding is not None and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            state["simple"] = False

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "trace":
            state["offset"] = parser.CurrentByteIndex
            state["line"] = parser.CurrentLineNumber
            raise _Found
        if any(k == "xmlns" or k.startswith("xmlns:") for k in attrs) or ":" in name:
            state["simple"] = False

    parser.XmlDeclHandler = decl
    parser.StartElementHandler = start
    buf = b""
    while True:
        chunk = f.read(1 << 16)
        buf += chunk
        try:
            parser.Parse(chunk, not chunk)
        except _Found:
            break
        except expat.ExpatError as exc:
            raise ExportError(
                f"{path}:{exc.lineno}: not well-formed XES: {expat.ErrorString(exc.code)}"
            ) from None
        if not chunk:
            break
    return buf, int(state["offset"]), int(state["line"]), bool(state["simple"])


def _expat(
    path: str, f: _Reader, head: bytes, index: int, line_offset: int, synthetic_root: bool
) -> Iterator[XesTrace]:
    """The rest of the file through the reference reader. Mid-file it is given a synthetic
    <log> root on the same line, so its line numbers stay those of the file."""
    reader = ExpatTraces(path, index, line_offset)
    if synthetic_root:
        reader.feed(b"<log>")
    reader.feed(head)
    yield from reader.take()
    while chunk := f.read(1 << 20):
        reader.feed(chunk)
        yield from reader.take()
    reader.feed(b"", final=True)
    yield from reader.take()


_SHARED_LIMIT = 2_000_000


def _scan(text: str, line: int, index: int, out: list[XesTrace], shared: dict[Pair, Pair]) -> int:
    """The traces of a decoded block of whole traces; returns the line at its end.
    Raises _Stop at the first trace (or other tag) that is not of the simple shape.

    Equal (key, value) pairs are shared through `shared`: a log repeats a few keys and,
    mostly, few values (activity names, day stamps, amounts), so a million events hold
    one string of each rather than one per event. Bounded, for logs of distinct values."""
    pos = 0
    find, count = text.find, text.count
    findall = _PAIR.findall
    if len(shared) > _SHARED_LIMIT:
        shared.clear()
    share = shared.setdefault
    # A comment, CDATA, doctype or processing instruction anywhere in the block: look for
    # one in each trace (one search of the block spares two per trace when there is none).
    special = "<!" in text or "<?" in text
    while True:
        ts = find("<", pos)
        if ts < 0:
            return line + count("\n", pos)
        line = line + count("\n", pos, ts)
        if not text.startswith("<trace>", ts):
            raise _Stop(ts, line)
        te = find("</trace>", ts)
        if special and (find("<!", ts, te) >= 0 or find("<?", ts, te) >= 0):
            raise _Stop(ts, line)
        body = text[ts + 7 : te]
        parts = body.split("<event>")
        head = findall(parts[0])
        trace = XesTrace(index + len(out) + 1, line, dict(head), [])
        n_pairs = len(head)
        ev_line = line + parts[0].count("\n")
        events = trace.events
        for part in parts[1:]:
            k = part.find("</event>")
            if k < 0:
                raise _Stop(ts, line)
            pairs = findall(part, 0, k)
            events.append((ev_line, dict(map(share, pairs, pairs))))
            n_pairs += len(pairs)
            # What follows </event> is whitespace, unless trace attributes come after
            # the events (allowed); only a longer tail is worth searching.
            if len(part) - k > 40 and part.find("<", k + 8) >= 0:
                more = findall(part, k + 8)
                trace.attrs.update(more)
                n_pairs += len(more)
            ev_line += part.count("\n")
        # Every `<` must open a trace, event or simple attribute tag, or close a trace or
        # an event; anything else (nesting, an entity, a stray tag) goes to expat.
        if body.count("<") != 2 * (len(parts) - 1) + n_pairs:
            raise _Stop(ts, line)
        out.append(trace)
        line = ev_line
        pos = te + 8


_EVENT_FIELDS = ("time", "activity", "actor", "assignee", "role", "unit")
_NO_CASE: tuple[list[str], tuple[str, ...], dict[str, str]] = ([], (), {})


def load_xes(
    path: str, sink: RecordSink, profile: Profile, shard: tuple[int, int] | None = None
) -> None:
    """Map each event of the file onto the canonical fields and hand it to the sink.
    `shard` (k, n): only the traces of that share's blocks (`read_xes`); the shares' cases
    are then checked to be disjoint by the sharded audit (engine.shards), since a case may
    span traces."""
    plan = _Plan(profile)
    sink.describe = plan.describe
    rename, keep, id_key, id_optional = plan.rename, plan.keep, plan.id_key, plan.id_optional
    k_time, k_act, k_actor, k_asg, k_role, k_unit = (plan.single.get(f) for f in _EVENT_FIELDS)
    add_many, case_attributes = sink.add_many, sink.case_attributes
    trace_keys, joined = plan.trace_keys, plan.joined
    suffix = [f"/{i}" for i in range(64)]  # "/N" of synthesised event ids, N = position
    # The usual shape: only the case id comes from the trace, from one key.
    only_case = list(trace_keys) == ["case_id"] and len(trace_keys["case_id"]) == 1
    case_key = trace_keys["case_id"][0] if only_case else ""
    tv: dict[str, str] = {}
    for trace in read_xes(path, blocks=shard):
        t = trace.attrs
        if only_case:
            case_id = t.get(case_key, "")
        else:
            tv = {c: _join(t, names) for c, names in trace_keys.items()}
            case_id = tv.get("case_id", "")
        case_names, case_values, case_fields = plan.case_attrs(t) if t else _NO_CASE
        if not trace.events:
            sink.note(
                "empty_trace",
                trace.line,
                "trace",
                f"trace {trace.index} ({case_id!r}) has no events",
            )
            continue
        v_time, v_act = tv.get("time", ""), tv.get("activity", "")
        v_actor, v_asg = tv.get("actor", ""), tv.get("assignee", "")
        v_role, v_unit = tv.get("role", ""), tv.get("unit", "")
        records = []
        for ei, (line, d) in enumerate(trace.events, start=1):
            pop = d.pop
            # Pop the canonical fields so that what is left of `d` is the event attributes.
            if joined:
                jv = plan.pop_joined(d)
                v_time, v_act = jv.get("time", v_time), jv.get("activity", v_act)
                v_actor, v_asg = jv.get("actor", v_actor), jv.get("assignee", v_asg)
                v_role, v_unit = jv.get("role", v_role), jv.get("unit", v_unit)
            # XML attribute values are taken as written (no stripping, unlike CSV cells).
            popped = (
                pop(k_time, "") if k_time else v_time,
                pop(k_act, "") if k_act else v_act,
                pop(k_actor, "") if k_actor else v_actor,
                pop(k_asg, "") if k_asg else v_asg,
                pop(k_role, "") if k_role else v_role,
                pop(k_unit, "") if k_unit else v_unit,
            )
            if ei >= len(suffix):
                suffix.extend(f"/{i}" for i in range(len(suffix), 2 * ei))
            if id_key is None:
                event_id = tv.get("event_id") or case_id + suffix[ei]
            else:
                given = pop(id_key, None)
                if given is not None:
                    event_id = given
                else:  # the standard id is optional; a key the profile names is not
                    event_id = case_id + suffix[ei] if id_optional else ""
            for src, name in rename:
                x = pop(src, None)
                if x is not None:
                    d[name] = x
            if not keep:
                for k in [k for k in d if k not in plan.renamed]:
                    del d[k]
            if "" in d.values():
                for k in [k for k, x in d.items() if not x]:
                    del d[k]
            # What is left of `d` is the event attributes (its strings are shared already).
            records.append((line, case_id, event_id, *popped, d, (trace, ei, popped, event_id, d)))
        if add_many(records) and case_names:  # once per trace: its attributes are the case's
            case_attributes(case_id, case_names, case_values, trace.line, case_fields)


class _Plan:
    """Where each canonical field is found in an XES file, as the profile says."""

    def __init__(self, profile: Profile) -> None:
        fields = profile.fields
        # Trace keys are named "case:KEY" (pm4py's flattening); anything else is an event key.
        self.trace_keys = {
            c: tuple(n.removeprefix("case:") for n in names)
            for c, names in fields.items()
            if all(n.startswith("case:") for n in names)
        }
        event_keys = {c: names for c, names in fields.items() if c not in self.trace_keys}
        self.single = {c: names[0] for c, names in event_keys.items() if len(names) == 1}
        self.joined = {c: names for c, names in event_keys.items() if len(names) > 1}
        self.source = {c: " + ".join(names) for c, names in fields.items()}
        # The standard `identity:id` is used when an event has it, else the event gets the
        # id CASE/N (its position in the trace); an id key the profile names must be there.
        self.id_key = self.single.get("event_id")
        self.id_optional = fields.get("event_id") in (None, XES_DEFAULT.fields["event_id"])
        self.rename = [(src, name) for name, src in profile.event_attributes.items()]
        self.renamed = {name for _src, name in self.rename}
        self.keep = profile.keep_others
        self.case_rename = {
            src.removeprefix("case:"): n for n, src in profile.case_attributes.items()
        }
        self.trace_used = {n for names in self.trace_keys.values() for n in names}
        self._layouts: dict[tuple[str, ...], tuple[list[str], list[str], dict[str, str]]] = {}

    def pop_joined(self, d: dict[str, str]) -> dict[str, str]:
        out = {}
        for c, names in self.joined.items():
            out[c] = " ".join(v for n in names if (v := d.pop(n, "")))
        return out

    def case_attrs(self, t: dict[str, str]) -> tuple[list[str], tuple[str, ...], dict[str, str]]:
        """Case attribute names, values and source fields of a trace (layouts repeat)."""
        layout = self._layouts.get(tuple(t))
        if layout is None:
            rename = self.case_rename
            named = {
                rename.get(k, k): k
                for k in t
                if k not in self.trace_used and (self.keep or k in rename)
            }
            names = sorted(named)
            layout = (names, [named[n] for n in names], {n: "case:" + named[n] for n in names})
            self._layouts[tuple(t)] = layout
        names, sources, fields = layout
        if not sources:
            return _NO_CASE
        return names, tuple(t[s] for s in sources), fields

    def describe(self, ctx: Any) -> tuple[dict[str, str], str]:
        """The quarantine row of an event (source keys) and its location prefix."""
        trace, ei, popped, event_id, rest = ctx
        row = {"trace": str(trace.index), "event": str(ei)}
        row.update({"case:" + k: v for k, v in trace.attrs.items()})
        for canonical, value in zip(_EVENT_FIELDS, popped, strict=True):
            if value and canonical not in self.trace_keys:
                row[self.source.get(canonical, canonical)] = value
        if event_id:
            row[self.source.get("event_id", "event_id")] = event_id
        row.update(rest)
        return row, f"trace {trace.index} event {ei}: "


def _join(d: dict[str, str], names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return d.get(names[0], "")
    return " ".join(v for n in names if (v := d.get(n, "")))
