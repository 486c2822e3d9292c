"""The policy AST: what the parser builds and the checker and compiler read.

In: nothing (data definitions, plus a few pure tree helpers at the end). Out: frozen
dataclasses, one per construct of the language (docs/policy-language.md). Every node
keeps the `Span` of its text; spans are excluded from equality so that two texts with
the same meaning give equal trees. Names are `Ident`s (text + span) so that diagnostics
can point at the exact word.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Span:
    """1-based line and column of the first character; end is exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int


NO_SPAN = Span(0, 0, 0, 0)


@dataclass(frozen=True)
class Ident:
    text: str
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class Text:
    """A double-quoted string, escapes already decoded."""

    value: str
    span: Span = field(default=NO_SPAN, compare=False)


# ----------------------------------------------------------------- conditions


@dataclass(frozen=True)
class PropRef:
    """`OWNER.PROP`: a clock property (OWNER must name a clock)."""

    owner: Ident
    prop: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class CaseRef:
    """`case.NAME`, or `number case.NAME` (numeric)."""

    name: Ident
    span: Span = field(default=NO_SPAN, compare=False)
    numeric: bool = False


@dataclass(frozen=True)
class CountRef:
    """`count ACTIVITY`."""

    activity: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class IndexRef:
    """`index`."""

    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class NameRef:
    """A bare `NAME`: an attribute of the event in scope (the checker decides)."""

    name: Ident
    span: Span = field(default=NO_SPAN, compare=False)
    numeric: bool = False


RefNode = PropRef | CaseRef | CountRef | IndexRef | NameRef


@dataclass(frozen=True)
class Literal:
    value: str | int | bool
    span: Span = field(default=NO_SPAN, compare=False)


Operand = RefNode | Literal


@dataclass(frozen=True)
class CompareNode:
    op: str  # "==", "!=", "<", "<=", ">", ">="
    left: Operand
    right: Operand
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class TruthNode:
    ref: RefNode
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ExistsNode:
    activity: Ident
    negated: bool  # `absent ACTIVITY`
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class NotNode:
    operand: CondNode
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class AndNode:
    operands: tuple[CondNode, ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class OrNode:
    operands: tuple[CondNode, ...]
    span: Span = field(default=NO_SPAN, compare=False)


CondNode = CompareNode | TruthNode | ExistsNode | NotNode | AndNode | OrNode


# ------------------------------------------------------------------- header


@dataclass(frozen=True)
class PolicyDecl:
    id: Ident
    title: Text
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class VersionDecl:
    version: Text
    effective: date
    span: Span = field(default=NO_SPAN, compare=False)
    until: date | None = None


@dataclass(frozen=True)
class VersionedByDecl:
    """`versioned by ACTIVITY`."""

    activity: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class PursuableDecl:
    """`pursuable for N months|years` (time bar)."""

    amount: int
    unit: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class SourceDecl:
    text: Text
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ActivityDecl:
    name: Ident
    label: Text
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class CustodyDecl:
    activities: tuple[Ident, ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class LadderDecl:
    name: Ident
    label: Text
    source: Text | None
    levels: tuple[Ident, ...]
    span: Span = field(default=NO_SPAN, compare=False)


# ------------------------------------------------------------------- clocks


@dataclass(frozen=True)
class StartStmt:
    activity: Ident
    when: CondNode | None
    note: Text | None
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class StopStmt:
    activities: tuple[Ident, ...]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class RestartStmt:
    """`restart at ACTIVITY [when COND] [note "…"]`."""

    activity: Ident
    when: CondNode | None
    note: Text | None
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class SuspendStmt:
    """`suspend between A and B`, or `suspend from A [when C] until B[, B2 …] [when C]`."""

    start: Ident
    end: Ident
    span: Span = field(default=NO_SPAN, compare=False)
    start_when: CondNode | None = None
    end_when: CondNode | None = None
    more_ends: tuple[Ident, ...] = ()  # further activities that end the pause


@dataclass(frozen=True)
class DeemStmt:
    """`on breach deem ACTIVITY`."""

    activity: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class NoticeNode:
    """`with notice ACTIVITY within N UNIT` after an `extend`."""

    activity: Ident
    amount: int
    unit: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ExtendStmt:
    amount: int
    unit: Ident
    max_times: int
    activity: Ident
    role: Ident
    span: Span = field(default=NO_SPAN, compare=False)
    amount_attr: Ident | None = None  # `extend up to N UNIT as ATTR`
    notice: NoticeNode | None = None


@dataclass(frozen=True)
class PromisedNode:
    """`promised N UNIT` (attr None) or `promised case.ATTR UNIT` (amount 0)."""

    amount: int
    attr: Ident | None
    unit: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class LimitStmt:
    amount: int
    unit: Ident
    rollover: bool
    when: CondNode | None
    extensions: tuple[ExtendStmt, ...]
    span: Span = field(default=NO_SPAN, compare=False)
    promised: PromisedNode | None = None


ClockStmt = StartStmt | RestartStmt | StopStmt | SuspendStmt | LimitStmt | DeemStmt


@dataclass(frozen=True)
class ClockDecl:
    name: Ident
    label: Text
    source: Text | None
    body: tuple[ClockStmt, ...]
    span: Span = field(default=NO_SPAN, compare=False)
    step_of: Ident | None = None  # `step of CLOCK`: a step clock (环节时限)


# ----------------------------------------------------------------- calendar


@dataclass(frozen=True)
class CalendarDay:
    """`rest DATE "label"` / `holiday DATE "label"` (rest) or `work DATE "label"`."""

    rest: bool
    day: date
    label: Text
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class TimeSpanNode:
    """`HH:MM-HH:MM` as written: hours and minutes, checked by the checker."""

    start: tuple[int, int]
    end: tuple[int, int]
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class OfficeHoursStmt:
    spans: tuple[TimeSpanNode, ...]
    span: Span = field(default=NO_SPAN, compare=False)


CalendarStmt = CalendarDay | OfficeHoursStmt


@dataclass(frozen=True)
class CalendarDecl:
    """`calendar KIND ["label"] [zone "Z"] [covers Y1..Y2] [{ … }]`."""

    kind: Ident
    label: Text | None
    zone: Text | None
    covers: tuple[int, int] | None
    body: tuple[CalendarStmt, ...]
    span: Span = field(default=NO_SPAN, compare=False)


# ------------------------------------------------------------------- lapses


@dataclass(frozen=True)
class ForEachStmt:
    """`for each ACTIVITY [when COND]`."""

    activity: Ident
    when: CondNode | None
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ForEachRefusedStmt:
    """`for each refused extension of CLOCK [when COND]`."""

    clock: Ident
    when: CondNode | None
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class WhenStmt:
    cond: CondNode
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class HolderAt:
    """`holder at CLOCK.deadline` (the checker insists on `deadline`)."""

    clock: Ident
    prop: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ActorOf:
    """`actor of first A` / `actor of last A`."""

    which: str  # "first" | "last"
    activity: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ActorOfIt:
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class LeaderOf:
    """`principal of unit ["UNIT"]` / `deputy of unit ["UNIT"]`."""

    role: str  # "principal" | "deputy"
    unit: Text | None
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class VotersOf:
    """`voters of ACTIVITY`."""

    activity: Ident
    span: Span = field(default=NO_SPAN, compare=False)


Subject = HolderAt | ActorOf | ActorOfIt | LeaderOf | VotersOf


@dataclass(frozen=True)
class ModifierStmt:
    """`aggravate K when …` / `mitigate K when …` / `exempt when …` [source "…"]."""

    kind: str  # aggravate | mitigate | exempt
    levels: int
    cond: CondNode | None  # a plain condition, or None for repeat / sanction
    repeat_within: int  # 0 unless `repeat within N UNIT`
    repeat_unit: Ident | None
    repeat_category: Ident | None
    during_sanction: bool
    source: Text | None
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class ResponsibleStmt:
    responsibility: Ident
    subject: Subject
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class BandNode:
    low: int
    high: int | None
    level: Ident
    span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True)
class GradeStmt:
    """`grade LADDER by MEASURE { bands }` (fixed is None) or `grade LADDER fixed LEVEL`."""

    ladder: Ident
    measure: RefNode | None
    bands: tuple[BandNode, ...]
    fixed: Ident | None
    span: Span = field(default=NO_SPAN, compare=False)


LapseStmt = ForEachStmt | ForEachRefusedStmt | WhenStmt | ResponsibleStmt | GradeStmt | ModifierStmt


@dataclass(frozen=True)
class LapseDecl:
    id: Ident
    category: Ident
    label: Text
    source: Text | None
    body: tuple[LapseStmt, ...]
    span: Span = field(default=NO_SPAN, compare=False)


Item = (
    PolicyDecl
    | VersionDecl
    | SourceDecl
    | ActivityDecl
    | CustodyDecl
    | LadderDecl
    | ClockDecl
    | LapseDecl
    | CalendarDecl
    | VersionedByDecl
    | PursuableDecl
)


@dataclass(frozen=True)
class PolicyFile:
    """One parsed `.policy` file: its items in the order written."""

    items: tuple[Item, ...]
    file: str = field(default="", compare=False)
    text_sha256: str = field(default="", compare=False)


# ----------------------------------------------------------------- tree helpers


def declared_name(d: ActivityDecl | ClockDecl | LadderDecl | LapseDecl) -> Ident:
    return d.id if isinstance(d, LapseDecl) else d.name


def ref_text(ref: RefNode) -> str:
    """A ref as the drafter wrote it (modulo spacing)."""
    match ref:
        case PropRef():
            return f"{ref.owner.text}.{ref.prop.text}"
        case CaseRef():
            return ("number " if ref.numeric else "") + f"case.{ref.name.text}"
        case CountRef():
            return f"count {ref.activity.text}"
        case IndexRef():
            return "index"
        case NameRef():
            return ("number " if ref.numeric else "") + ref.name.text


def literal_text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)


def clocks_read(c: CondNode) -> Iterator[Ident]:
    """The `CLOCK` of every `CLOCK.PROP` a condition reads, in the order written."""
    match c:
        case OrNode(operands=ops) | AndNode(operands=ops):
            for o in ops:
                yield from clocks_read(o)
        case NotNode(operand=o):
            yield from clocks_read(o)
        case TruthNode(ref=PropRef(owner=owner)):
            yield owner
        case CompareNode(left=left, right=right):
            for side in (left, right):
                if isinstance(side, PropRef):
                    yield side.owner


def clock_conditions(stmt: ClockStmt) -> tuple[CondNode, ...]:
    """The conditions a clock statement carries (start, restart, suspension, limit)."""
    match stmt:
        case StartStmt(when=w) | RestartStmt(when=w) | LimitStmt(when=w):
            return (w,) if w is not None else ()
        case SuspendStmt(start_when=a, end_when=b):
            return tuple(c for c in (a, b) if c is not None)
    return ()


def activities_named(stmt: ClockStmt | LapseStmt) -> tuple[Ident, ...]:
    """Activities a statement names outside its conditions."""
    match stmt:
        case StartStmt(activity=act) | RestartStmt(activity=act) | ForEachStmt(activity=act):
            return (act,)
        case DeemStmt(activity=act):
            return (act,)
        case StopStmt(activities=acts):
            return acts
        case SuspendStmt(start=a, end=b, more_ends=more):
            return (a, b, *more)
        case LimitStmt(extensions=exts):
            notices = tuple(e.notice.activity for e in exts if e.notice is not None)
            return tuple(e.activity for e in exts) + notices
        case ResponsibleStmt(subject=ActorOf(activity=act)):
            return (act,)
    return ()
