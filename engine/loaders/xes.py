"""XES event logs (IEEE 1849; `.xes` or gzip'd `.xes.gz`), streamed trace by trace.

In: a path; the import profile (engine.profile; XES standard keys by default) and the
audit's checks. Out: events and defects in the shared batch — trace attributes become case
attributes, `concept:name` the activity, `time:timestamp` the time, `org:resource` the
actor, `org:role` the role, `lifecycle:transition` the event attribute `lifecycle`.
Defects are located by the line of the `<event>` and by "trace T event E".

Reading is streamed: the document is never held whole, each trace is dropped once its
events are taken. Two readers give the same traces:
- the fast path scans the raw bytes for the shape every XES writer emits (`<event>`
  children `<string key="…" value="…"/>`), several times faster than a tree-building
  parser. It cuts each event at its quotes; what is left without the values (tags, keys,
  whitespace) is one of a few *layouts* per log (the road-fines log has 14 in 561k
  events), proven once to be of that shape. Each distinct value is checked and decoded
  once, and shared. Anything else is not of that shape: a comment, entity, CDATA,
  nesting, another spelling of a tag, or a tab, newline or control character in a value
  (XML reads the first ones as spaces and rejects the others);
- from the first trace that is not so simple, the expat reader (xes_expat) takes over
  for the rest of the file, so nothing is ever guessed.
Events travel as rows (line, layout, values). `load_xes` maps each layout onto the
profile's fields once (`_EventPlan`), so mapping an event is a few lookups by position.
"""

from __future__ import annotations

import gzip
import re
import xml.parsers.expat as expat
import zlib
from collections.abc import Generator, Iterator
from operator import itemgetter
from typing import Any, BinaryIO, Protocol, cast

from engine.loaders.records import RecordSink
from engine.loaders.result import ExportError, ShardingUnsupported
from engine.loaders.sources import open_binary
from engine.loaders.xes_expat import ExpatTraces, XesTrace
from engine.profile import XES_DEFAULT, Profile

_CHUNK = 1 << 22

# The pieces of an event's text between its quotes, values left out: before each simple
# attribute `WS<TYPE key=` (after the previous one `/>`), the key, ` value=`; once,
# `</event>`; after it, attributes of the trace may follow (XES allows them anywhere in the
# trace). Whitespace is XML's, a CR only before a LF (expat counts a lone CR as a line).
_WS = rb"(?:[ \t\n]|\r\n)*"
_OPEN = rb"<(?:string|date|int|float|boolean|id) key="
_EVENT_PIECE = re.compile(rb"(/>)?" + _WS + rb"(</event>" + _WS + rb")?(" + _OPEN + rb")?")
_HEAD_PIECE = re.compile(rb"(/>)?(" + _WS + rb"<trace>)?" + _WS + rb"(" + _OPEN + rb")?")
# Text XML would not give back as written: markup, an entity, a control character (a tab,
# CR or LF in an attribute value is read as a space), or a non-character.
_NOT_PLAIN = re.compile(rb"[\x00-\x1f<&]|\xef\xbf[\xbe\xbf]")
_VALUE = b" value="
_QUOTE = b'"'


class _Layout:
    """An event's (or a trace head's) text without its attribute values, once proven to be
    of the simple shape: its keys, trace attributes after `</event>` (`trailing`), its
    newlines (`nl`; `before`: those before `<trace>`) and, filled by load_xes, the mapping
    of its events onto the profile's fields."""

    __slots__ = ("before", "keys", "nl", "plan", "trailing")

    def __init__(
        self, keys: tuple[str, ...], trailing: tuple[str, ...] = (), nl: int = 0, before: int = 0
    ) -> None:
        self.keys, self.trailing, self.nl, self.before = keys, trailing, nl, before
        self.plan: _EventPlan | None = None


# An event as read: (line of its <event>, layout, its values as written and then a last "",
# which stands for a field the layout lacks, so that a mapping is one itemgetter).
_Row = tuple[int, _Layout, list[str]]


# A trace as read: (index, line of its <trace>, its attributes, its events). A tuple, not a
# class: the road-fines log has 150k of them.
_Trace = tuple[int, int, dict[str, str], list[_Row]]


class _Stop(Exception):
    """The fast path stops at `offset` of the block (at line `line`), before the trace
    whose index would be `index`."""

    def __init__(self, offset: int, line: int, index: int) -> None:
        self.offset, self.line, self.index = offset, line, index


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
    for index, line, attrs, rows in _traces(path, reference, blocks):
        events = [(ln, dict(zip(lay.keys, vals, strict=False))) for ln, lay, vals in rows]
        yield XesTrace(index, line, attrs, events)


def _traces(path: str, reference: bool, blocks: tuple[int, int] | None) -> Iterator[_Trace]:
    """The traces, their events as rows. Each is handed on as soon as it is read, and
    dropped by the reader, so its rows are freed before the next trace's are made."""
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
) -> Iterator[_Trace]:
    buf, pos, line, simple = _probe(path, f)
    if reference or not simple or pos < 0:
        _unsharded(blocks)
        yield from _expat(path, f, buf, 1, 0, synthetic_root=False)
        return
    index = 0
    scanner = _Scanner()
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
        try:
            line, index = yield from scanner.scan(buf[pos:end], line, index)
        except _Stop as stop:
            # (A share's load is dropped whole: the traces it was given before do not matter.)
            _unsharded(blocks)
            at = pos + stop.offset
            yield from _expat(path, f, buf[at:], stop.index, stop.line - 1, synthetic_root=True)
            return
        pos = end


def _unsharded(blocks: tuple[int, int] | None) -> None:
    if blocks is not None:
        raise ShardingUnsupported("this XES file needs the expat reader, which reads it whole")


def _probe(path: str, f: _Reader) -> tuple[bytes, int, int, bool]:
    """Read until the first <trace> tag with expat (comments and a BOM before the root are
    fine). Returns the bytes read, the byte offset and line of that tag (-1 if none) and
    whether the fast path may read on: UTF-8, a plain <log> root, no namespace, no DTD
    (which could declare entities, or attribute types that XML normalises)."""
    state = {"offset": -1, "line": 1, "simple": True}
    parser = expat.ParserCreate()

    def decl(_version: str, encoding: str | None, _standalone: int) -> None:
        if encoding is not None and encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            state["simple"] = False

    def doctype(*_args: object) -> None:
        state["simple"] = False

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "trace":
            state["offset"] = parser.CurrentByteIndex
            state["line"] = parser.CurrentLineNumber
            raise _Found
        if any(k == "xmlns" or k.startswith("xmlns:") for k in attrs) or ":" in name:
            state["simple"] = False

    parser.XmlDeclHandler = decl
    parser.StartDoctypeDeclHandler = doctype
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
) -> Iterator[_Trace]:
    """The rest of the file through the reference reader. Mid-file it is given a synthetic
    <log> root on the same line, so its line numbers stay those of the file."""
    reader = ExpatTraces(path, index, line_offset)
    layouts: dict[tuple[str, ...], _Layout] = {}
    if synthetic_root:
        reader.feed(b"<log>")
    reader.feed(head)
    yield from _rows(reader.take(), layouts)
    while chunk := f.read(1 << 20):
        reader.feed(chunk)
        yield from _rows(reader.take(), layouts)
    reader.feed(b"", final=True)
    yield from _rows(reader.take(), layouts)


def _rows(traces: list[XesTrace], layouts: dict[tuple[str, ...], _Layout]) -> list[_Trace]:
    """Expat's traces with their events as rows (layouts by their keys)."""
    out = []
    for t in traces:
        events: list[_Row] = []
        for line, d in t.events:
            keys = tuple(d)
            lay = layouts.get(keys)
            if lay is None:
                lay = _Layout(keys)
                if len(layouts) < _LAYOUT_LIMIT:
                    layouts[keys] = lay
            events.append((line, lay, [*d.values(), ""]))
        out.append((t.index, t.line, t.attrs, events))
    return out


_SHARED_LIMIT = 2_000_000
_LAYOUT_LIMIT = 20_000


class _Scanner:
    """The fast path over blocks of whole traces, with what it has learnt so far: the
    proven layouts of events and trace heads, and the checked values.

    Equal values are one string (`values`, raw bytes -> text): a log repeats few values
    (activity names, day stamps, amounts), so a million events hold one string of each
    rather than one per event. Bounded, for logs of distinct values. So are the layouts:
    past the bound (a writer that would order keys at random), a new layout is learnt for
    its event alone; the ones kept are the first seen, which are mostly the common ones."""

    def __init__(self) -> None:
        # Layouts by their pieces joined by the quotes they were cut at (one string hashes
        # faster than a tuple of thirty).
        self.events: dict[bytes, _Layout] = {}
        self.heads: dict[bytes, _Layout] = {}
        self.values: dict[bytes, str] = {b"": ""}
        # _piece_kind of the pieces seen (those between an event's attributes, a head's)
        self.event_pieces: dict[bytes, int] = {}
        self.head_pieces: dict[bytes, int] = {}

    def scan(self, block: bytes, line: int, index: int) -> Generator[_Trace, None, tuple[int, int]]:
        """The traces of a block of whole traces (`</trace>` ends it), the first being the
        `index`+1-th, at `line`; returns the line at its end and the index of its last trace.
        Raises _Stop at the first trace (or what stands in its place) that is not of the
        simple shape."""
        if len(self.values) > _SHARED_LIMIT:
            self.values.clear()
            self.values[b""] = ""
        layouts, heads, value, join = self.events, self.heads, self.values.__getitem__, _QUOTE.join
        at = 0  # offset of the trace's text in the block
        chunks = block.split(b"</trace>")
        chunks.pop()  # the block ends with </trace>: nothing after it
        for chunk in chunks:
            # Whitespace, <trace>, trace attributes, then the events: cut at each <event>,
            # each part then at its quotes (values at 3, 7, 11…).
            parts = chunk.split(b"<event>")
            p = parts[0].split(b'"')
            raw = p[3::4]
            del p[3::4]
            key = join(p)
            head = heads.get(key)
            if head is None:
                head = self._learn(p, key, head=True)
                if head is None:
                    raise _stop(chunk, at, line, index)
                if len(heads) < _LAYOUT_LIMIT:
                    heads[key] = head
            attrs: dict[str, str] = {}
            if raw:
                # Trace attributes: mostly the case id, distinct per trace, so not shared;
                # checked at once (joining them could only raise a false alarm).
                if _NOT_PLAIN.search(b"".join(raw)):
                    raise _stop(chunk, at, line, index)
                try:  # (as many values as keys: the layout says so)
                    attrs = dict(zip(head.keys, map(bytes.decode, raw)))  # noqa: B905
                except UnicodeDecodeError:
                    raise _stop(chunk, at, line, index) from None
            ev_line = line + head.nl
            events: list[_Row] = []
            add = events.append
            for part in parts[1:]:
                p = part.split(b'"')
                raw = p[3::4]
                del p[3::4]
                raw.append(b"")
                try:
                    lay = layouts[join(p)]
                    vals = list(map(value, raw))
                except KeyError:  # a layout or a value not seen yet: check it once
                    learnt = self._learn_event(p, raw)
                    if learnt is None:
                        raise _stop(chunk, at, line, index) from None
                    lay = learnt
                    vals = list(map(value, raw))
                add((ev_line, lay, vals))
                ev_line += lay.nl
                if lay.trailing:  # trace attributes after the event
                    attrs.update(zip(lay.trailing, vals[len(lay.keys) : -1], strict=True))
            index += 1
            yield index, line + head.before, attrs, events
            line = ev_line
            at += len(chunk) + len(b"</trace>")
        return line, index

    def _learn_event(self, p: list[bytes], raw: list[bytes]) -> _Layout | None:
        """The layout of an event's pieces once they and its new values are proven to read
        as written (they are then known); else None."""
        key = _QUOTE.join(p)
        lay = self.events.get(key) or self._learn(p, key, head=False)
        if lay is None:
            return None
        values = self.values
        for v in raw:
            if v not in values:
                text = _text(v)
                if text is None:
                    return None
                values[v] = text
        if len(self.events) < _LAYOUT_LIMIT:
            self.events[key] = lay
        return lay

    def _learn(self, p: list[bytes], key: bytes, head: bool) -> _Layout | None:
        """The layout of an event's (or a trace head's) pieces, values left out: [piece,
        key, b" value=", piece, key, b" value=", …, piece], `key` joined by quotes. None
        unless it is the simple shape: an event's pieces close it once (`</event>`), a
        head's open the trace at the start. (A writer may order keys differently in each
        event: each piece is then matched once, not once per event.)"""
        n, odd = divmod(len(p) - 1, 3)
        if odd or p[2::3].count(_VALUE) != n:  # a quote too many or too few, or another spelling
            return None
        pieces = self.head_pieces if head else self.event_pieces
        kinds: list[Any] = list(map(pieces.get, p[0::3]))
        if None in kinds:
            if len(pieces) > _LAYOUT_LIMIT:
                pieces.clear()
            for piece in p[0::3]:
                if piece not in pieces:
                    pieces[piece] = _piece_kind(piece, head)
            kinds = list(map(pieces.get, p[0::3]))
        # The first piece opens an attribute (if any), the last ends one (if any), each one
        # between does both; one of them holds the tag.
        first, last, middle = kinds[0], kinds[-1], kinds[1:-1]
        if n == 0:
            if first != _TAG:
                return None
        elif (
            first not in (_OPENS, _OPENS | _TAG)
            or last not in (_ENDS, _ENDS | _TAG)
            or middle.count(_ENDS | _OPENS) + middle.count(_ENDS | _OPENS | _TAG) != n - 1
            or (first == _OPENS | _TAG)
            + (last == _ENDS | _TAG)
            + middle.count(_ENDS | _OPENS | _TAG)
            != 1
        ):
            return None
        if first & _TAG:
            closed = 0  # attributes before </event> (before <trace>: none)
        elif last & _TAG:
            closed = n
        else:
            closed = 1 + middle.index(_ENDS | _OPENS | _TAG)
        if head and closed:
            return None
        keys: list[str] = []
        if n:
            # Keys hold no quote: checked and decoded at once, then cut apart again.
            joined = _QUOTE.join(p[1::3])
            if _NOT_PLAIN.search(joined):
                return None
            try:
                keys = joined.decode("utf-8").split('"')
            except UnicodeDecodeError:
                return None
        nl = key.count(b"\n")  # keys and values hold no newline
        if head:
            before = p[0][: p[0].index(b"<trace>")].count(b"\n")
            return _Layout(tuple(keys), nl=nl, before=before)
        return _Layout(tuple(keys[:closed]), tuple(keys[closed:]), nl)


def _stop(chunk: bytes, at: int, line: int, index: int) -> _Stop:
    """Where expat takes over for a trace's text (`chunk`, at offset `at` and line `line`
    of the block; the trace before it is the `index`-th): at its first tag, so that the
    columns expat reports on that line count from the same place whatever precedes it."""
    k = chunk.find(b"<")
    if k < 0:  # (text, then the </trace> that ends it)
        k = len(chunk)
    return _Stop(at + k, line + chunk.count(b"\n", 0, k), index + 1)


# What a piece between attributes holds (_piece_kind): `/>` ending one, `<TYPE key=` opening
# the next, `</event>` (`<trace>` in a head).
_ENDS, _TAG, _OPENS = 1, 2, 4


def _piece_kind(piece: bytes, head: bool) -> int:
    m = (_HEAD_PIECE if head else _EVENT_PIECE).fullmatch(piece)
    if m is None:
        return -1
    return (_ENDS if m[1] else 0) | (_TAG if m[2] else 0) | (_OPENS if m[3] else 0)


def _text(raw: bytes) -> str | None:
    """An attribute value as XML reads it, if it reads as written."""
    if _NOT_PLAIN.search(raw):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


_EVENT_FIELDS = ("time", "activity", "actor", "assignee", "role", "unit")
_NO_CASE: tuple[list[str], tuple[str, ...], dict[str, str]] = ([], (), {})
# Where an event's id comes from (_EventPlan.id_at, else the position of the given id).
_SYNTHESISED, _NO_ID = -1, -2


def load_xes(
    path: str, sink: RecordSink, profile: Profile, shard: tuple[int, int] | None = None
) -> None:
    """Map each event of the file onto the canonical fields and hand it to the sink.
    `shard` (k, n): only the traces of that share's blocks (`read_xes`); the shares' cases
    are then checked to be disjoint by the sharded audit (engine.shards), since a case may
    span traces."""
    plan = _Plan(profile)
    sink.describe = plan.describe
    add_many, case_attributes = sink.add_many, sink.case_attributes
    trace_keys, event_plan = plan.trace_keys, plan.event_plan
    suffix = [f"/{i}" for i in range(64)]  # "/N" of synthesised event ids, N = position
    # The usual shape: only the case id comes from the trace, from one key.
    only_case = list(trace_keys) == ["case_id"] and len(trace_keys["case_id"]) == 1
    case_key = trace_keys["case_id"][0] if only_case else ""
    tv: dict[str, str] = {}
    trace_id = ""
    for trace in _traces(path, False, shard):
        index, trace_line, t, events = trace
        if only_case:
            case_id = t.get(case_key, "")
        else:
            tv = {c: _join(t, names) for c, names in trace_keys.items()}
            case_id = tv.get("case_id", "")
            trace_id = tv.get("event_id", "")
        case_names, case_values, case_fields = plan.case_attrs(t) if t else _NO_CASE
        if not events:
            sink.note(
                "empty_trace",
                trace_line,
                "trace",
                f"trace {index} ({case_id!r}) has no events",
            )
            continue
        if len(events) >= len(suffix):
            suffix.extend(f"/{i}" for i in range(len(suffix), 2 * len(events)))
        records = []
        for ei, (line, lay, vals) in enumerate(events, 1):
            ep = lay.plan
            if ep is None:
                ep = lay.plan = event_plan(lay.keys)
            # XML attribute values are taken as written (no stripping, unlike CSV cells).
            popped = ep.fields(vals)
            if ep.outside:
                popped = ep.fill(popped, vals, tv)
            at = ep.id_at
            if at >= 0:
                event_id = vals[at]
            elif at == _SYNTHESISED:
                event_id = trace_id or case_id + suffix[ei]
            else:
                event_id = ""
            # (zip stops at the names' end; `strict=` would cost a tenth of the mapping)
            d = dict(zip(ep.names, ep.values(vals)))  # noqa: B905
            if "" in d.values():
                d = {k: x for k, x in d.items() if x}
            # `d` is the event attributes (its strings are shared already).
            v_time, v_act, v_actor, v_asg, v_role, v_unit = popped
            records.append(
                (
                    line,
                    case_id,
                    event_id,
                    v_time,
                    v_act,
                    v_actor,
                    v_asg,
                    v_role,
                    v_unit,
                    d,
                    (trace, ei, popped, event_id, d),
                )
            )
        if add_many(records) and case_names:  # once per trace: its attributes are the case's
            case_attributes(case_id, case_names, case_values, trace_line, case_fields)


class _EventPlan:
    """How the events of one layout (one sequence of keys) map onto the profile's fields:
    the position of each field's value, of the event id and of each event attribute. Made
    by doing what the mapping of one event does — pop the fields, the id, rename — on the
    positions instead of the values, so that it holds for every event of the layout."""

    __slots__ = ("fields", "id_at", "names", "outside", "values")

    def __init__(self, plan: _Plan, keys: tuple[str, ...]) -> None:
        # An attribute given twice counts once, at its first place, with its last value
        # (as a dict of the event's pairs has it).
        at = dict(zip(keys, range(len(keys)), strict=True))
        pop = at.pop
        joined = {
            c: [i for n in names if (i := pop(n, None)) is not None]
            for c, names in plan.joined.items()
        }
        # -1: the row's last value, "" (a field the event lacks or that comes from elsewhere).
        fields = []
        self.outside: list[tuple[int, list[int] | None, str]] = []
        for j, c in enumerate(_EVENT_FIELDS):
            key = plan.single.get(c)
            i = pop(key, None) if key else None
            fields.append(-1 if i is None else i)
            if not key and (c in joined or c in plan.trace_keys):
                self.outside.append((j, joined.get(c), c))
        self.fields = itemgetter(*fields)
        if plan.id_key is None:
            self.id_at = _SYNTHESISED
        else:
            i = pop(plan.id_key, None)
            self.id_at = i if i is not None else _SYNTHESISED if plan.id_optional else _NO_ID
        for src, name in plan.rename:
            i = pop(src, None)
            if i is not None:
                at[name] = i
        if not plan.keep:
            for k in [k for k in at if k not in plan.renamed]:
                del at[k]
        self.names = tuple(at)
        where = tuple(at.values())
        # itemgetter of one position gives a value, not a tuple: pad (zip stops at the names).
        self.values = itemgetter(*where) if len(where) > 1 else itemgetter(*where, -1, -1)

    def fill(self, popped: tuple[str, ...], vals: list[str], tv: dict[str, str]) -> tuple[str, ...]:
        """The fields that come from several keys (joined by a space) or from the trace."""
        out = list(popped)
        for j, joined, c in self.outside:
            if joined is None:
                out[j] = tv.get(c, "")
            else:
                out[j] = " ".join(v for i in joined if (v := vals[i]))
        return tuple(out)


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
        self._event_plans: dict[tuple[str, ...], _EventPlan] = {}

    def event_plan(self, keys: tuple[str, ...]) -> _EventPlan:
        ep = self._event_plans.get(keys)
        if ep is None:
            ep = _EventPlan(self, keys)
            if len(self._event_plans) < _LAYOUT_LIMIT:
                self._event_plans[keys] = ep
        return ep

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
        (index, _line, attrs, _events), ei, popped, event_id, rest = ctx
        row = {"trace": str(index), "event": str(ei)}
        row.update({"case:" + k: v for k, v in attrs.items()})
        for canonical, value in zip(_EVENT_FIELDS, popped, strict=True):
            if value and canonical not in self.trace_keys:
                row[self.source.get(canonical, canonical)] = value
        if event_id:
            row[self.source.get("event_id", "event_id")] = event_id
        row.update(rest)
        return row, f"trace {index} event {ei}: "


def _join(d: dict[str, str], names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return d.get(names[0], "")
    return " ".join(v for n in names if (v := d.get(n, "")))
