"""The policy IR: plain, frozen dataclasses the engine owns and `dsl` compiles into.

In: nothing (this module is data definitions only).
Out: the types `dsl.compiler.compile_policy` returns and every engine stage reads.

The engine never imports `dsl`; the DSL depends on these types, not the reverse
(DESIGN.md §2). Every construct carries a `PolicyRef` (policy file and line) so that
explanations in findings can point at the rule text that produced each step.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class PolicyRef:
    """Where a construct stands in the policy text (1-based line and column)."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class Unit(enum.Enum):
    """Units a limit or an extension is counted in (DESIGN.md §6; DOMAIN.md §1)."""

    WORKDAYS = "workdays"
    DAYS = "days"  # natural days
    WEEKS = "weeks"  # 7 natural days each
    MONTHS = "months"  # calendar months: same day of the month, or its last day
    HOURS = "hours"  # natural hours, counted between instants
    WORKHOURS = "workhours"  # hours within office hours on working days

    @property
    def label(self) -> str:
        return _UNIT_LABELS[self.value]

    @property
    def is_hours(self) -> bool:
        """Counted between instants (hours), not between dates (days)."""
        return self in (Unit.HOURS, Unit.WORKHOURS)

    @property
    def natural(self) -> bool:
        """Counts every day: the civil-procedure rollover (§6.7) may apply."""
        return self in (Unit.DAYS, Unit.WEEKS, Unit.MONTHS)


_UNIT_LABELS = {
    "workdays": "个工作日",
    "days": "日",
    "weeks": "周",
    "months": "个月",
    "hours": "小时",
    "workhours": "个工作小时",
}


# ---------------------------------------------------------------- expressions
# Conditions are total, side-effect free expressions over one case's derived facts.
# Leaves that read facts are "refs"; the rule stage turns each distinct ref into one
# field of a flat fact (see engine.facts), so refs must be hashable and comparable.


class ClockProperty(enum.Enum):
    STARTED = "started"  # bool: the clock has a start at or before as_of
    RUNNING = "running"  # bool: started, not stopped, deadline not passed
    MET = "met"  # bool: stopped on or before the deadline
    LATE = "late"  # bool: stopped after the deadline
    OVERDUE = "overdue"  # bool: not stopped and as_of is after the deadline (ongoing)
    BREACHED = "breached"  # bool: late or overdue
    OVERDUE_WORKDAYS = "overdue_workdays"  # int (§6.4), 0 unless breached
    OVERDUE_DAYS = "overdue_days"  # int natural days after the deadline, 0 unless breached
    REMAINING_WORKDAYS = "remaining_workdays"  # int, 0 unless running
    EXTENSIONS = "extensions"  # int: accepted extensions
    REFUSED_EXTENSIONS = "refused_extensions"  # int: extensions that extended nothing
    # Promised limit (承诺时限) beside the statutory one: yellow before red (DOMAIN §12.4).
    PROMISED_BREACHED = "promised_breached"  # bool: stopped after, or open past, the promise
    PROMISED_OVERDUE_WORKDAYS = "promised_overdue_workdays"  # int, 0 unless promised_breached
    OVERDUE_HOURS = "overdue_hours"  # int: hours past the deadline (hour clocks; else 0)
    RESTARTS = "restarts"  # int: times the clock started afresh (`restart at`)

    @property
    def is_bool(self) -> bool:
        return self in _BOOL_CLOCK_PROPS


_BOOL_CLOCK_PROPS = frozenset(
    {
        ClockProperty.STARTED,
        ClockProperty.RUNNING,
        ClockProperty.MET,
        ClockProperty.LATE,
        ClockProperty.OVERDUE,
        ClockProperty.BREACHED,
        ClockProperty.PROMISED_BREACHED,
    }
)


@dataclass(frozen=True)
class ClockRef:
    """`clock.property`, e.g. `许可决定时限.breached`."""

    clock: str
    prop: ClockProperty


@dataclass(frozen=True)
class CountRef:
    """`count ACTIVITY`: events of the activity in the case up to as_of (int)."""

    activity: str


@dataclass(frozen=True)
class CaseAttrRef:
    """`case.NAME`: a case attribute (text; absent = ""). `number case.NAME` reads it as a
    whole number (absent or not a number = -1)."""

    name: str
    numeric: bool = False


@dataclass(frozen=True)
class EventAttrRef:
    """`NAME` inside a start trigger or a `for each` lapse: attribute of that event
    (text; absent = ""). The built-ins `actor`, `role`, `unit`, `assignee` read the
    canonical columns. `number NAME` reads it as a whole number (absent or not a
    number = -1)."""

    name: str
    numeric: bool = False


@dataclass(frozen=True)
class EventIndexRef:
    """`index` inside `for each ACTIVITY`: 1-based position among the case's events of
    that activity, in history order (int)."""


Ref = ClockRef | CountRef | CaseAttrRef | EventAttrRef | EventIndexRef


@dataclass(frozen=True)
class Const:
    value: str | int | bool


class CompareOp(enum.Enum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True)
class Compare:
    """`ref OP const`. The compiler normalises `const OP ref` to this order, so the
    left side is always a ref and the right side always a constant of the same type."""

    op: CompareOp
    left: Ref
    right: Const


@dataclass(frozen=True)
class Truth:
    """A boolean ref used as a condition on its own, e.g. `许可决定时限.late`."""

    ref: Ref


@dataclass(frozen=True)
class Exists:
    """`exists ACTIVITY` (negate with Not for `absent ACTIVITY`)."""

    activity: str


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


Expr = Compare | Truth | Exists | Not | And | Or


# --------------------------------------------------------------------- clocks


@dataclass(frozen=True)
class StartTrigger:
    """`start at ACTIVITY [when COND]`. Triggers are alternatives tried in the order
    written: the first whose activity occurs (first occurrence whose event satisfies
    `when`, with event attributes in scope) starts the clock."""

    activity: str
    when: Expr | None
    ref: PolicyRef
    note: str = ""  # drafter's words for the explanation, e.g. "视为受理"


@dataclass(frozen=True)
class Restart:
    """`restart at ACTIVITY [when COND] [note "…"]`: the period starts afresh from such an
    event (政府信息公开条例 art. 30: from receipt of the corrected request). The last
    restart before the stop wins; suspensions and extensions before it no longer count."""

    activity: str
    when: Expr | None
    ref: PolicyRef
    note: str = ""


@dataclass(frozen=True)
class Suspension:
    """`suspend between A and B`: each A opens a suspension that the next B closes.
    `suspend from A [when C] until B [when C]`: the same, with conditions on the events
    (status events: `from 状态变更 when 状态 == "挂起" until 状态变更 when 状态 != "挂起"`)."""

    start_activity: str
    end_activity: str
    ref: PolicyRef
    start_when: Expr | None = None  # event attributes of the opening event in scope
    end_when: Expr | None = None  # … of the closing event
    also_ends: tuple[str, ...] = ()  # `until B, C`: the first of these closes it too

    @property
    def end_activities(self) -> tuple[str, ...]:
        return (self.end_activity, *self.also_ends)


@dataclass(frozen=True)
class NoticeRule:
    """`with notice ACTIVITY within N UNIT`: an extension counts only if the applicant is
    told (an event of ACTIVITY) within N units after the approval's day."""

    activity: str
    amount: int
    unit: Unit
    ref: PolicyRef


@dataclass(frozen=True)
class Extension:
    """`extend [up to] N UNIT [as ATTR] at most K times at ACTIVITY by role ROLE before
    deadline [with notice …]`. With `as ATTR` each approval adds the amount its event
    records in ATTR (at most N; N when it records none)."""

    amount: int
    unit: Unit
    max_times: int
    activity: str
    role: str
    ref: PolicyRef
    before_deadline: bool = True
    amount_attr: str = ""  # event attribute holding this approval's own amount
    notice: NoticeRule | None = None


@dataclass(frozen=True)
class Promised:
    """`promised N UNIT` or `promised case.ATTR UNIT`: a promised limit (承诺时限) counted
    like the statutory one (same start, suspensions and accepted extensions)."""

    amount: int  # 0 when read from the case attribute
    attr: str  # case attribute holding the amount ("" for a written amount)
    unit: Unit
    ref: PolicyRef


@dataclass(frozen=True)
class Limit:
    """`limit N UNIT [when COND] [{ extend … }]`. The first limit whose condition holds
    applies (case attributes in scope); a limit without `when` matches every case."""

    amount: int
    unit: Unit
    when: Expr | None
    extensions: tuple[Extension, ...]
    ref: PolicyRef
    # Natural-day limits that borrow the civil-procedure rule (DESIGN.md §6.7).
    rollover: bool = False
    promised: Promised | None = None


@dataclass(frozen=True)
class Deem:
    """`on breach deem ACTIVITY`: when the clock is breached, the case gets a derived
    event of ACTIVITY at the moment the deadline passed (视为受理, 视为准予延续)."""

    activity: str
    ref: PolicyRef


@dataclass(frozen=True)
class Clock:
    name: str
    label: str
    starts: tuple[StartTrigger, ...]
    stops: tuple[str, ...]  # the first event of any of these activities stops it
    suspensions: tuple[Suspension, ...]
    limits: tuple[Limit, ...]
    ref: PolicyRef
    source: str = ""  # legal source of this clock
    restarts: tuple[Restart, ...] = ()
    deems: tuple[Deem, ...] = ()
    step_of: str = ""  # the whole-case clock this step clock (环节时限) belongs to

    @functools.cached_property
    def extension_activities(self) -> frozenset[str]:
        """Activities that ask to extend this clock under any of its limits."""
        return frozenset(x.activity for lim in self.limits for x in lim.extensions)

    @functools.cached_property
    def window_activities(self) -> frozenset[str]:
        """Activities whose events between start and stop matter: they open or close a
        suspension or ask for an extension."""
        pauses = {a for s in self.suspensions for a in (s.start_activity, *s.end_activities)}
        return frozenset(pauses) | self.extension_activities


# ------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class CalendarSpec:
    """`calendar national|weekends_plus ["label"] [zone "Z"] [covers Y1..Y2] { … }`: the
    working-day calendar a policy's clocks count on. `national` is the State Council
    table with local `rest` / `work` days on top; `weekends_plus` is Saturday/Sunday
    plus the listed holidays, complete for the `covers` years (provisional outside)."""

    base: str  # "national" | "weekends_plus"
    label: str
    zone: str  # IANA zone for day arithmetic ("" = as the events were loaded)
    first_year: int  # weekends_plus only (0 for national)
    last_year: int
    rest: tuple[tuple[date, str], ...]
    work: tuple[tuple[date, str], ...]
    # Office hours as minutes after midnight, e.g. ((540, 720), (810, 1050)).
    office_hours: tuple[tuple[int, int], ...]
    ref: PolicyRef


#: 09:00–12:00 and 13:30–17:30: office hours when a policy names none.
DEFAULT_OFFICE_HOURS: tuple[tuple[int, int], ...] = ((540, 720), (810, 1050))


# -------------------------------------------------------------------- lapses


class Responsibility(enum.Enum):
    DIRECT = "直接责任"
    PRINCIPAL_LEADER = "主要领导责任"  # the unit's principal leader at the time of the lapse
    IMPORTANT_LEADER = "重要领导责任"  # the deputy in charge of the area at that time
    COLLECTIVE = "集体决策责任"  # voters in favour and the chair of a collective decision


class SubjectKind(enum.Enum):
    HOLDER_AT_DEADLINE = "holder_at_deadline"  # holder at the end of CLOCK's deadline day
    ACTOR_OF_FIRST = "actor_of_first"  # actor of the first event of ACTIVITY
    ACTOR_OF_LAST = "actor_of_last"  # actor of the last event of ACTIVITY
    ACTOR_OF_IT = "actor_of_it"  # actor of the `for each` event itself
    # Leadership from the roster, at the lapse's conduct date, of the unit of the
    # direct subject (target "") or of a named unit (target = unit name).
    PRINCIPAL_OF_UNIT = "principal_of_unit"
    DEPUTY_OF_UNIT = "deputy_of_unit"
    # Voters in favour and the chair of the (first) decision event of ACTIVITY, from the
    # votes file; recorded dissent, reservation and absence exempt (问责条例 art. 17).
    VOTERS_OF = "voters_of"


@dataclass(frozen=True)
class SubjectRule:
    """`responsible 直接责任 holder at CLOCK.deadline` / `actor of first A` / `actor of it`."""

    responsibility: Responsibility
    kind: SubjectKind
    target: str  # clock name or activity name; "" for ACTOR_OF_IT
    ref: PolicyRef


class ForEachKind(enum.Enum):
    EVENT = "event"  # one candidate per event of `activity`
    REFUSED_EXTENSION = "refused_extension"  # one per refused extension of `clock`


@dataclass(frozen=True)
class ForEach:
    kind: ForEachKind
    target: str  # activity (EVENT) or clock name (REFUSED_EXTENSION)


@dataclass(frozen=True)
class Ladder:
    """An ordered measure ladder, lightest first."""

    name: str
    label: str
    levels: tuple[str, ...]
    source: str
    ref: PolicyRef


@dataclass(frozen=True)
class Band:
    """`LOW..HIGH MEASURE` (inclusive; HIGH None = open-ended)."""

    low: int
    high: int | None
    level: str
    ref: PolicyRef

    def contains(self, value: int) -> bool:
        return value >= self.low and (self.high is None or value <= self.high)


@dataclass(frozen=True)
class Grading:
    """`grade LADDER by MEASURE { bands }` or `grade LADDER fixed LEVEL`, then modifiers."""

    ladder: str
    measure: Ref | None  # an int ref; None for a fixed grade
    bands: tuple[Band, ...]
    fixed: str | None
    ref: PolicyRef
    modifiers: tuple[Modifier, ...] = ()


class ModifierKind(enum.Enum):
    AGGRAVATE = "aggravate"  # 从重/加重: k levels up the ladder
    MITIGATE = "mitigate"  # 从轻/减轻: k levels down
    EXEMPT = "exempt"  # 免予/不予问责: no measure (the finding stays, marked exempt)


@dataclass(frozen=True)
class RepeatRule:
    """`repeat within N months [of category C]`: the same person had a lapse of that
    category (default: this lapse's) in the N months before this one — earlier in the same
    run, or confirmed in an earlier run; dismissed findings never count."""

    months: int
    category: str = ""


@dataclass(frozen=True)
class Modifier:
    """`aggravate K when …` / `mitigate K when …` / `exempt when …`, applied in order."""

    kind: ModifierKind
    levels: int
    when: Expr | None  # a condition over the case's facts
    repeat: RepeatRule | None  # or a repeat offence
    during_sanction: bool  # or a new lapse during an active sanction period (政务处分法 art. 13)
    source: str
    ref: PolicyRef


@dataclass(frozen=True)
class Lapse:
    id: str
    label: str
    category: str  # 慢作为, 一次告知 …
    for_each: ForEach | None
    condition: Expr | None  # None = always (for `for each` lapses: every candidate)
    subjects: tuple[SubjectRule, ...]
    grading: Grading
    source: str
    ref: PolicyRef
    # Clock whose deadline anchors a case-level lapse (for ids, ordering and facts);
    # "" when the lapse is per event.
    anchor_clock: str = ""


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    version: str
    effective: date
    source: str
    activities: dict[str, str]  # name -> label, in declaration order
    custody: tuple[str, ...]  # activities whose assignee takes custody of the case
    ladders: tuple[Ladder, ...]
    clocks: tuple[Clock, ...]  # in evaluation order: a clock only reads earlier clocks
    lapses: tuple[Lapse, ...]
    file: str
    text_sha256: str = field(default="", compare=False)
    calendar: CalendarSpec | None = None  # None: the national calendar, default office hours
    effective_until: date | None = None  # last day this version is in force (None: open)
    pursuable_months: int | None = None  # time bar: older lapses are reported time-barred
    # Versions are chosen by the conduct day, or by the day of the first event of this
    # activity when set (e.g. road fines: the version in force when the fine was created).
    version_by: str = ""

    def clock(self, name: str) -> Clock:
        for c in self.clocks:
            if c.name == name:
                return c
        raise KeyError(name)

    def ladder(self, name: str) -> Ladder:
        for lad in self.ladders:
            if lad.name == name:
                return lad
        raise KeyError(name)
