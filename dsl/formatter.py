"""Format a policy in the canonical layout (docs/fmt.md), keeping every comment.

In: the text of a `.policy` file and the file name to report. Out: `(text, [])` with the
formatted text, or `(None, diagnostics)` when the text does not parse (the parser's P1xx
diagnostics). The layout is printed from the AST, so spacing, quoting and parentheses
are canonical and the meaning cannot change: `parse(format(src)) == parse(src)` (spans
aside). The grammar drops comments, so they are found in the text (dsl.comments) and
put back by line: a comment on the line of a statement stays after it, a comment on a
line of its own stays before the statement that follows it. Formatting is idempotent.

The work is in two steps: `_Layout` turns the tree into output lines, each knowing the
source lines it stands for; `_weave` puts the comments and blank lines between them.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from dsl import ast
from dsl.comments import Comment, scan_comments
from dsl.diagnostics import Diagnostic
from dsl.parser import parse

INDENT = "  "
# Blank lines before the first line of a top-level item: "keep" the drafter's (at most
# one), exactly "one" (around blocks, between kinds of statements), or "none".
Gap = Literal["keep", "one", "none"]
_HEADER = (ast.PolicyDecl, ast.VersionDecl, ast.SourceDecl, ast.VersionedByDecl, ast.PursuableDecl)


def format_policy(text: str, file: str) -> tuple[str | None, list[Diagnostic]]:
    """The canonical text of a policy, or None and the syntax diagnostics."""
    tree, diags = parse(text, file)
    if tree is None:
        return None, diags
    # As in the parser, a byte-order mark counts as a blank, so columns stay put.
    body = " " + text[1:] if text.startswith("\ufeff") else text
    source = body.split("\n")
    lines = _Layout(source).policy(tree)
    return _weave(lines, scan_comments(text), source), []


# ------------------------------------------------------------------- output lines


@dataclass(frozen=True)
class _Line:
    depth: int
    text: str
    first: int  # the first source line it stands for
    key: int  # the source line whose trailing comment it carries
    kind: Literal["code", "open", "close"] = "code"
    gap: Gap = "keep"


def _weave(lines: Sequence[_Line], comments: Sequence[Comment], source: Sequence[str]) -> str:
    """Lay the output lines out with the comments and blank lines between them."""
    pending = deque(comments)
    out: list[str] = []
    last = 0  # the last source line the output has reached
    after_open = True  # at the top of the file or of a block: no blank line

    def blank_before(gap: Gap, line: int) -> None:
        if after_open or gap == "none":
            return
        if gap == "one" or any(not source[i - 1].strip() for i in range(last + 1, line)):
            out.append("")

    for ln in lines:
        gap = ln.gap
        inner = ln.depth + (1 if ln.kind == "close" else 0)  # comments before `}` are inside
        while pending and pending[0].line < ln.key:
            c = pending.popleft()
            blank_before(gap, c.line)
            out.append(INDENT * inner + c.text)
            last, after_open, gap = c.line, False, "keep"
        if ln.kind != "close":
            blank_before(gap, ln.first)
        text = INDENT * ln.depth + ln.text
        if pending and pending[0].line == ln.key and not pending[0].own_line:
            text += "  " + pending.popleft().text
        out.append(text)
        last, after_open = max(last, ln.key), ln.kind == "open"
    for c in pending:  # after the last statement
        blank_before("keep", c.line)
        out.append(c.text)
        last, after_open = c.line, False
    return "\n".join(out) + "\n" if out else ""


# ------------------------------------------------------------------------ layout


class _Layout:
    """The AST as output lines. Every construct has exactly one printed form, except
    `rest`/`holiday` (two words for one thing, kept as written)."""

    def __init__(self, source: Sequence[str]) -> None:
        self.source = source

    def policy(self, tree: ast.PolicyFile) -> list[_Line]:
        out: list[_Line] = []
        items = tree.items
        widths = _activity_columns(items, self.source)
        for i, item in enumerate(items):
            gap: Gap = "none" if i == 0 else _gap(items[i - 1], item)
            lines = list(self.item(item, widths.get(i, 0)))
            out.append(_with_gap(lines[0], gap))
            out.extend(lines[1:])
        return out

    def item(self, item: ast.Item, width: int) -> Iterator[_Line]:
        match item:
            case ast.PolicyDecl(id=pid, title=title):
                yield _code(0, f"policy {pid.text} {quote(title)}", item.span)
            case ast.VersionDecl(version=v, effective=eff, until=until):
                end = "" if until is None else f" until {until.isoformat()}"
                yield _code(0, f"version {quote(v)} effective {eff.isoformat()}{end}", item.span)
            case ast.SourceDecl(text=t):
                yield _code(0, f"source {quote(t)}", item.span)
            case ast.VersionedByDecl(activity=a):
                yield _code(0, f"versioned by {a.text}", item.span)
            case ast.PursuableDecl(amount=n, unit=u):
                yield _code(0, f"pursuable for {n} {u.text}", item.span)
            case ast.ActivityDecl(name=name, label=label):
                pad = " " * max(width - _cells(name.text), 0)
                yield _code(0, f"activity {name.text}{pad} {quote(label)}", item.span)
            case ast.CustodyDecl(activities=acts):
                yield _code(0, "custody " + _names(acts), item.span)
            case ast.LadderDecl():
                yield from self.ladder(item)
            case ast.CalendarDecl():
                yield from self.calendar(item)
            case ast.ClockDecl():
                yield from self.clock(item)
            case ast.LapseDecl():
                yield from self.lapse(item)
            case _:  # pragma: no cover - a construct added to the AST but not here
                raise TypeError(f"the formatter does not know {type(item).__name__}")

    # ---------------------------------------------------------------- blocks
    def ladder(self, d: ast.LadderDecl) -> Iterator[_Line]:
        src = "" if d.source is None else f" source {quote(d.source)}"
        yield _open(0, f"ladder {d.name.text} {quote(d.label)}{src}", d.span)
        if d.levels:
            first, last = d.levels[0].span.line, d.levels[-1].span.line
            yield _Line(1, " < ".join(lv.text for lv in d.levels), first, last)
        yield _close(0, d.span)

    def calendar(self, d: ast.CalendarDecl) -> Iterator[_Line]:
        head = f"calendar {d.kind.text}"
        head += "" if d.label is None else f" {quote(d.label)}"
        head += "" if d.zone is None else f" zone {quote(d.zone)}"
        head += "" if d.covers is None else f" covers {d.covers[0]}..{d.covers[1]}"
        if not d.body:
            yield _code(0, head, d.span)
            return
        yield _open(0, head, d.span)
        for s in d.body:
            yield _code(1, self.calendar_stmt(s), s.span)
        yield _close(0, d.span)

    def calendar_stmt(self, s: ast.CalendarStmt) -> str:
        match s:
            case ast.OfficeHoursStmt(spans=spans):
                return "office hours " + ", ".join(_time_span(t) for t in spans)
            case ast.CalendarDay(rest=rest, day=day, label=label):
                word = "work"
                if rest:
                    written = self.source[s.span.line - 1][s.span.col - 1 :]
                    word = "holiday" if written.startswith("holiday") else "rest"
                return f"{word} {day.isoformat()} {quote(label)}"

    def clock(self, d: ast.ClockDecl) -> Iterator[_Line]:
        head = f"clock {d.name.text} {quote(d.label)}"
        head += "" if d.step_of is None else f" step of {d.step_of.text}"
        head += "" if d.source is None else f" source {quote(d.source)}"
        yield _open(0, head, d.span)
        for s in d.body:
            if isinstance(s, ast.LimitStmt) and s.extensions:
                yield _open(1, _limit(s), s.span)
                for e in s.extensions:
                    yield _code(2, _extend(e), e.span)
                yield _close(1, s.span)
            else:
                yield _code(1, _clock_stmt(s), s.span)
        yield _close(0, d.span)

    def lapse(self, d: ast.LapseDecl) -> Iterator[_Line]:
        src = "" if d.source is None else f" source {quote(d.source)}"
        yield _open(0, f"lapse {d.id.text} {d.category.text} {quote(d.label)}{src}", d.span)
        for s in d.body:
            if isinstance(s, ast.GradeStmt) and s.measure is not None:
                yield _open(1, f"grade {s.ladder.text} by {ast.ref_text(s.measure)}", s.span)
                # Bands are not padded into columns: `21.. 通报批评` is how reports,
                # coverage and documents quote a band, and a search should find it.
                for b in s.bands:
                    yield _code(2, f"{_band_range(b)} {b.level.text}", b.span)
                yield _close(1, s.span)
            else:
                yield _code(1, _lapse_stmt(s), s.span)
        yield _close(0, d.span)


def _code(depth: int, text: str, span: ast.Span) -> _Line:
    return _Line(depth, text, span.line, span.end_line)


def _open(depth: int, text: str, span: ast.Span) -> _Line:
    return _Line(depth, text + " {", span.line, span.line, "open")


def _close(depth: int, span: ast.Span) -> _Line:
    return _Line(depth, "}", span.end_line, span.end_line, "close")


def _with_gap(line: _Line, gap: Gap) -> _Line:
    return _Line(line.depth, line.text, line.first, line.key, line.kind, gap)


def _group(item: ast.Item) -> str:
    """Items of one group sit together; a block is a group of its own."""
    if isinstance(item, _HEADER):
        return "header"
    if isinstance(item, ast.CalendarDecl) and not item.body:
        return "calendar"
    if isinstance(item, ast.ActivityDecl | ast.CustodyDecl):
        return type(item).__name__
    return ""


def _gap(prev: ast.Item, item: ast.Item) -> Gap:
    a, b = _group(prev), _group(item)
    return "keep" if a and a == b else "one"


def _activity_columns(items: Sequence[ast.Item], source: Sequence[str]) -> dict[int, int]:
    """Item index -> the display width activity names are padded to: labels line up in a
    run of activities not broken by a blank line (comment lines do not break it)."""
    runs: list[list[tuple[int, ast.ActivityDecl]]] = []
    for i, item in enumerate(items):
        if not isinstance(item, ast.ActivityDecl):
            continue
        prev = items[i - 1] if i else None
        if isinstance(prev, ast.ActivityDecl) and all(
            source[n - 1].strip() for n in range(prev.span.end_line + 1, item.span.line)
        ):
            runs[-1].append((i, item))
        else:
            runs.append([(i, item)])
    widths: dict[int, int] = {}
    for run in runs:
        width = max(_cells(d.name.text) for _, d in run)
        widths.update((i, width) for i, _ in run)
    return widths


def _cells(text: str) -> int:
    """Display width: Chinese characters take two terminal (and editor) cells."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


# ------------------------------------------------------------------- statements


def _clock_stmt(s: ast.ClockStmt) -> str:
    match s:
        case (
            ast.StartStmt(activity=a, when=w, note=note)
            | ast.RestartStmt(activity=a, when=w, note=note)
        ):
            word = "start" if isinstance(s, ast.StartStmt) else "restart"
            return f"{word} at {a.text}{_when(w)}" + (
                "" if note is None else f" note {quote(note)}"
            )
        case ast.StopStmt(activities=acts):
            return "stop at " + _names(acts)
        case ast.SuspendStmt(start=a, end=b, start_when=aw, end_when=bw, more_ends=more):
            if aw is None and bw is None and not more:
                return f"suspend between {a.text} and {b.text}"
            return f"suspend from {a.text}{_when(aw)} until {_names((b, *more))}{_when(bw)}"
        case ast.DeemStmt(activity=a):
            return f"on breach deem {a.text}"
        case ast.LimitStmt():
            return _limit(s)
    raise TypeError(f"the formatter does not know {type(s).__name__}")  # pragma: no cover


def _limit(s: ast.LimitStmt) -> str:
    text = f"limit {s.amount} {s.unit.text}" + (" rollover" if s.rollover else "")
    p = s.promised
    if p is not None:
        amount = str(p.amount) if p.attr is None else f"case.{p.attr.text}"
        text += f" promised {amount} {p.unit.text}"
    return text + _when(s.when)


def _extend(e: ast.ExtendStmt) -> str:
    amount = f"{e.amount} {e.unit.text}"
    if e.amount_attr is not None:
        amount = f"up to {amount} as {e.amount_attr.text}"
    times = "time" if e.max_times == 1 else "times"
    text = (
        f"extend {amount} at most {e.max_times} {times} at {e.activity.text} "
        f"by role {e.role.text} before deadline"
    )
    n = e.notice
    return text + (
        "" if n is None else f" with notice {n.activity.text} within {n.amount} {n.unit.text}"
    )


def _lapse_stmt(s: ast.LapseStmt) -> str:
    match s:
        case ast.ForEachStmt(activity=a, when=w):
            return f"for each {a.text}{_when(w)}"
        case ast.ForEachRefusedStmt(clock=c, when=w):
            return f"for each refused extension of {c.text}{_when(w)}"
        case ast.WhenStmt(cond=c):
            return f"when {cond_text(c)}"
        case ast.ResponsibleStmt(responsibility=r, subject=subject):
            return f"responsible {r.text} {_subject(subject)}"
        case ast.GradeStmt(ladder=lad, fixed=level) if level is not None:
            return f"grade {lad.text} fixed {level.text}"
        case ast.ModifierStmt():
            return _modifier(s)
    raise TypeError(f"the formatter does not know {type(s).__name__}")  # pragma: no cover


def _subject(s: ast.Subject) -> str:
    match s:
        case ast.HolderAt(clock=c, prop=p):
            return f"holder at {c.text}.{p.text}"
        case ast.ActorOf(which=which, activity=a):
            return f"actor of {which} {a.text}"
        case ast.ActorOfIt():
            return "actor of it"
        case ast.LeaderOf(role=role, unit=unit):
            return f"{role} of unit" + ("" if unit is None else f" {quote(unit)}")
        case ast.VotersOf(activity=a):
            return f"voters of {a.text}"
    raise TypeError(f"the formatter does not know {type(s).__name__}")  # pragma: no cover


def _modifier(m: ast.ModifierStmt) -> str:
    head = "exempt" if m.kind == "exempt" else f"{m.kind} {m.levels}"
    if m.repeat_unit is not None:
        what = f"repeat within {m.repeat_within} {m.repeat_unit.text}"
        what += "" if m.repeat_category is None else f" of {m.repeat_category.text}"
    elif m.during_sanction:
        what = "during sanction"
    else:
        assert m.cond is not None  # the parser builds one of the three
        what = cond_text(m.cond)
    return f"{head} when {what}" + ("" if m.source is None else f" source {quote(m.source)}")


def _band_range(b: ast.BandNode) -> str:
    return f"{b.low}.." + ("" if b.high is None else str(b.high))


def _time_span(t: ast.TimeSpanNode) -> str:
    (h1, m1), (h2, m2) = t.start, t.end
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


def _names(names: Sequence[ast.Ident]) -> str:
    return ", ".join(n.text for n in names)


def _when(c: ast.CondNode | None) -> str:
    return "" if c is None else f" when {cond_text(c)}"


# ------------------------------------------------------------------- conditions


def cond_text(c: ast.CondNode, nested: bool = False) -> str:
    """A condition with single spaces and the fewest parentheses that keep its tree,
    plus one pair around every `and`/`or` inside another operator: `(a and b) or c`
    reads unambiguously to someone who never learnt which binds tighter."""
    match c:
        case ast.OrNode(operands=ops) | ast.AndNode(operands=ops):
            word = " or " if isinstance(c, ast.OrNode) else " and "
            text = word.join(cond_text(o, nested=True) for o in ops)
            return f"({text})" if nested else text
        case ast.NotNode(operand=o):
            return "not " + cond_text(o, nested=True)
        case ast.ExistsNode(activity=a, negated=negated):
            return ("absent " if negated else "exists ") + a.text
        case ast.TruthNode(ref=ref):
            return ast.ref_text(ref)
        case ast.CompareNode(op=op, left=left, right=right):
            return f"{_operand(left)} {op} {_operand(right)}"


def _operand(o: ast.Operand) -> str:
    if isinstance(o, ast.Literal):
        if isinstance(o.value, str):
            return quote(o.value)
        return ast.literal_text(o.value)
    return ast.ref_text(o)


# ---------------------------------------------------------------------- texts

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def quote(t: ast.Text | str) -> str:
    """A text in double quotes with the canonical escapes: `\\"`, `\\\\`, `\\n`, `\\t`,
    `\\r`, and `\\uXXXX` for other control and line-separator characters; everything
    else (Chinese included) as itself."""
    value = t.value if isinstance(t, ast.Text) else t
    return '"' + "".join(_escape(ch) for ch in value) + '"'


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    # Cs: a lone surrogate (written `\ud800`) cannot be saved as UTF-8 as itself.
    if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
        return f"\\u{ord(ch):04x}"
    return ch
