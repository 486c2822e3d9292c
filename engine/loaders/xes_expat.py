"""The reference XES reader: expat, streaming, every XML feature, line numbers kept.

In: the bytes of an XES document (IEEE 1849), fed in chunks. Out: `XesTrace`s as each
`</trace>` closes — trace attributes, and per event its line and attributes (key → value;
a nested attribute is `parent/child`). Nothing of the document is kept beyond the trace
being read. engine.loaders.xes uses this for whatever its fast path does not take
(comments, entities, CDATA, namespaces, other encodings) and tests hold both to the same
output.
"""

from __future__ import annotations

import xml.parsers.expat as expat
from dataclasses import dataclass, field

from engine.loaders.result import ExportError


@dataclass(slots=True)
class XesTrace:
    index: int  # 1-based position of the trace in the file
    line: int  # line of its <trace> tag
    attrs: dict[str, str] = field(default_factory=dict)
    events: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line, attrs)


# Element kinds on the open-element stack.
_LOG, _TRACE, _EVENT, _ATTR, _OTHER = range(5)


class ExpatTraces:
    """Feed bytes; take finished traces after each feed."""

    def __init__(self, path: str, first_index: int = 1, line_offset: int = 0) -> None:
        self.path = path
        self.index = first_index - 1
        self.offset = line_offset
        self.done: list[XesTrace] = []
        self._stack: list[int] = []
        self._keys: list[str] = []  # keys of the open attribute elements (nesting)
        self._trace: XesTrace | None = None
        self._event: dict[str, str] | None = None
        self._event_line = 0
        p = expat.ParserCreate()
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        self._parser = p

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as exc:
            line = (exc.lineno or 0) + self.offset
            raise ExportError(
                f"{self.path}:{line}: not well-formed XES: {expat.ErrorString(exc.code)} "
                f"(column {exc.offset})"
            ) from None

    def take(self) -> list[XesTrace]:
        done, self.done = self.done, []
        return done

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        stack = self._stack
        if not stack:
            if local != "log":
                raise ExportError(
                    f"{self.path}:{self._line()}: the root element is <{name}>, "
                    f"not the <log> of an XES file"
                )
            stack.append(_LOG)
            return
        top = stack[-1]
        if (local == "trace" and top != _LOG) or (local == "event" and top != _TRACE):
            # Events out of place would otherwise be skipped without a word.
            raise ExportError(
                f"{self.path}:{self._line()}: <{name}> where XES does not allow it "
                f"(a trace belongs in the log, an event in a trace)"
            )
        if local == "trace":
            self.index += 1
            self._trace = XesTrace(self.index, self._line())
            stack.append(_TRACE)
        elif local == "event":
            self._event = {}
            self._event_line = self._line()
            stack.append(_EVENT)
        elif "key" in attrs and top in (_TRACE, _EVENT, _ATTR):
            key = attrs["key"]
            full = "/".join((*self._keys, key)) if self._keys else key
            self._keys.append(key)
            target = self._event
            if target is None and self._trace is not None:
                target = self._trace.attrs
            if target is not None:
                target[full] = attrs.get("value", "")
            stack.append(_ATTR)
        else:
            # log-level attributes, <global>, <extension>, <classifier>, a list's <values>
            stack.append(_OTHER)

    def _end(self, name: str) -> None:
        kind = self._stack.pop()
        if kind == _ATTR:
            self._keys.pop()
        elif kind == _EVENT:
            assert self._trace is not None and self._event is not None
            self._trace.events.append((self._event_line, self._event))
            self._event = None
        elif kind == _TRACE:
            assert self._trace is not None
            self.done.append(self._trace)
            self._trace = None

    def _line(self) -> int:
        return self._parser.CurrentLineNumber + self.offset
