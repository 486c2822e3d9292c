"""Diagnostics are data; rendering is separate.

In: a code from `dsl.codes`, a message, a position (file, line, column span), related
spans and an optional hint. Out: `Diagnostic` values; `render(diag, source_text)` gives
the text form a drafter reads, `render_json(diags)` the machine form for tools.

Text form:

    policies/x.policy:12:12: N201 unknown activity '收件x'
      12 |   start at 收件x
         |            ^^^^
      note: policies/x.policy:3:10: activities are declared with `activity NAME "label"`
      hint: did you mean '收件'?

Columns count characters; the underline counts display cells, so that carets stay under
Chinese text (two cells per character) in a terminal.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from dsl.ast import Span
from dsl.codes import severity_of

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Related:
    """Another place in the text that explains a diagnostic ("first declared here")."""

    message: str
    file: str
    line: int
    col: int
    end_col: int = 0


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a policy text. `line` 0 means the whole file; `end_col` is
    exclusive, 0 meaning "to the end of the line"."""

    code: str
    severity: Severity
    message: str
    file: str
    line: int
    col: int
    end_col: int = 0
    related: tuple[Related, ...] = ()
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def diag(
    code: str,
    message: str,
    file: str,
    span: Span | None,
    *,
    related: Iterable[Related] = (),
    hint: str = "",
) -> Diagnostic:
    """Build a diagnostic whose severity comes from the code registry."""
    line, col, end_col = 0, 0, 0
    if span is not None and span.line > 0:
        line, col = span.line, span.col
        end_col = span.end_col if span.end_line == span.line else 0
    return Diagnostic(
        code, severity_of(code), message, file, line, col, end_col, tuple(related), hint
    )


def related(message: str, file: str, span: Span) -> Related:
    end_col = span.end_col if span.end_line == span.line else 0
    return Related(message, file, span.line, span.col, end_col)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`did you mean 'x'?` for the closest candidate, or "" when nothing is close."""
    pool = sorted(set(candidates))
    # 0.5 lets a two-character Chinese name with one character wrong still match.
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else ""


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)


# ----------------------------------------------------------------- rendering


def _cells(ch: str) -> int:
    if ch == "\t":
        return 4
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _display(text: str) -> str:
    return text.replace("\t", "    ")


def _underline(source_line: str, col: int, end_col: int) -> str:
    start = max(col - 1, 0)
    end = end_col - 1 if end_col > col else len(source_line)
    pad = sum(_cells(c) for c in source_line[:start])
    width = max(sum(_cells(c) for c in source_line[start:end]), 1)
    return " " * pad + "^" * width


def render(d: Diagnostic, source_text: str | None) -> str:
    """The text form of one diagnostic (see the module docstring)."""
    where = f"{d.file}:{d.line}:{d.col}" if d.line > 0 else d.file
    out = [f"{where}: {d.code} {d.message}"]
    lines = source_text.splitlines() if source_text is not None else []
    if 0 < d.line <= len(lines):
        src = lines[d.line - 1]
        num = str(d.line)
        gutter = " " * len(num)
        out.append(f"  {num} | {_display(src)}".rstrip())
        out.append(f"  {gutter} | {_underline(src, d.col, d.end_col)}")
    for r in d.related:
        at = f"{r.file}:{r.line}:{r.col}" if r.line > 0 else r.file
        out.append(f"  note: {at}: {r.message}")
    if d.hint:
        out.append(f"  hint: {d.hint}")
    return "\n".join(out)


def render_all(diags: Sequence[Diagnostic], sources: dict[str, str]) -> str:
    """Render several diagnostics, each with its file's text from `sources`."""
    return "\n".join(render(d, sources.get(d.file)) + "\n" for d in diags)


def render_json(diags: Iterable[Diagnostic]) -> str:
    """A JSON array of diagnostics (fields as in `Diagnostic`), UTF-8, stable order."""
    return json.dumps([asdict(d) for d in diags], ensure_ascii=False, indent=2)
