"""Clock evaluation for one case at `as_of`, exactly per DESIGN.md §6.

In: a case history, one IR `Clock`, the clocks already evaluated for this case (a clock
may read earlier ones, e.g. deemed acceptance), activity counts, a calendar and as_of.
Out: a `ClockResult` — start (and restarts), applicable limit, suspensions, extensions
(each accepted or refused with the reason), deadline, promised deadline, state (inactive
/ undetermined / running / met / late / overdue), overdue and remaining days or hours,
provisional flag, and (built on demand) a trail of explanation steps.

Which events count is decided here; how periods are counted is engine.daycount (days,
weeks, months) and engine.clock_hours (hours), applied by engine.clock_count. Events at
the same instant are taken as simultaneous: the result never depends on their order in
the file (a start, stop, restart, suspension or extension at one instant is judged by
its time, not its row).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime

from engine.calendar import WorkCalendar
from engine.clock_count import count_days, count_hours, count_plain_days
from engine.clock_explain import explain_clock
from engine.clock_parts import (
    ExtensionOutcome,
    Positions,
    Step,
    SuspensionPair,
    pair_suspensions,
)
from engine.daycount import Interval
from engine.expr_eval import (
    NOT_STARTED,
    ClockView,
    EventTest,
    Scope,
    Test,
    compile_condition,
    compile_event_condition,
    holds,
)
from engine.ir import (
    DEFAULT_OFFICE_HOURS,
    Clock,
    ClockProperty,
    Limit,
    StartTrigger,
    Suspension,
    Unit,
)
from engine.model import CaseHistory, Event

__all__ = [
    "ActivityCounts",
    "ClockPlan",
    "ClockResult",
    "ExtensionOutcome",
    "Step",
    "evaluate_clock",
    "plan_of",
    "positions_of",
]


_P = ClockProperty
_HOURS, _WORKHOURS = Unit.HOURS, Unit.WORKHOURS  # module constants: enum lookups cost
_BREACHED, _OVERDUE_WORKDAYS, _STARTED = _P.BREACHED, _P.OVERDUE_WORKDAYS, _P.STARTED
_RUNNING, _MET, _LATE, _OVERDUE = _P.RUNNING, _P.MET, _P.LATE, _P.OVERDUE


class ClockResult:
    """What a clock came to in one case. Not a dataclass on purpose: a million-case audit
    builds three of these per case and most never suspend, extend, restart or promise;
    attributes left at their class defaults cost nothing to create."""

    state: str = "inactive"  # inactive | undetermined | running | met | late | overdue
    start_event: Event | None = None  # the event the period counts from (after restarts)
    origin_event: Event | None = None  # the event that first started the clock
    trigger: StartTrigger | None = None
    restarts: Sequence[Event] = ()  # restart events applied, in order
    limit: Limit | None = None
    base_deadline: date | None = None  # before extensions
    deadline: date | None = None  # the deadline day (for hours: the day of deadline_at)
    deadline_at: datetime | None = None  # hour clocks: the deadline instant
    stop_event: Event | None = None
    suspensions: Sequence[tuple[Event, Event | None, Interval]] = ()
    suspension_rules: Sequence[Suspension] = ()
    merged: Sequence[Interval] = ()  # suspended days, merged (§6.3)
    extensions: Sequence[ExtensionOutcome] = ()
    overdue_workdays: int = 0
    overdue_days: int = 0
    overdue_hours: int = 0
    remaining_workdays: int = 0
    promised_amount: int = 0  # 0: no promised limit applies
    promised_deadline: date | None = None
    promised_deadline_at: datetime | None = None
    promised_breached: bool = False
    promised_overdue_workdays: int = 0
    promised_note: str = ""  # why no promise applies although the limit declares one
    deemed_at: datetime | None = None  # breached: the moment the deadline passed
    day_precision_start: bool = False  # hour clock started by a date-only event
    provisional: bool = False
    _trail: list[Step] | None = None

    def __init__(self, clock: Clock, as_of: date) -> None:
        self.clock = clock
        self.as_of = as_of

    @property
    def trail(self) -> list[Step]:
        """The explanation steps, built on first use: most clocks never reach a finding,
        and formatting text for every one of a million cases would dominate the audit."""
        if self._trail is None:
            self._trail = explain_clock(self)
        return self._trail

    @property
    def breached(self) -> bool:
        return self.state in ("late", "overdue")

    def prop(self, p: ClockProperty) -> int | bool:
        s = self.state
        if s == "inactive":  # as if absent: derive lets conditions read inactive clocks
            return NOT_STARTED[p]
        if p is _BREACHED:
            return s == "late" or s == "overdue"
        if p is _OVERDUE_WORKDAYS:
            return self.overdue_workdays
        if p is _STARTED:
            return s != "inactive"
        if p is _RUNNING:
            return s == "running"
        if p is _MET:
            return s == "met"
        if p is _LATE:
            return s == "late"
        if p is _OVERDUE:
            return s == "overdue"
        return _OTHER_PROPS[p](self)

    def extra_facts(self) -> dict[str, object]:
        """Facts beyond the day-clock basics, only where they apply (so that findings of
        plain day clocks keep their shape)."""
        out: dict[str, object] = {}
        if self.deadline_at is not None:
            out["deadline_at"] = self.deadline_at.isoformat()
            out["overdue_hours"] = self.overdue_hours
        if self.promised_deadline is not None:
            out["promised_deadline"] = self.promised_deadline.isoformat()
            out["promised_breached"] = self.promised_breached
            out["promised_overdue_workdays"] = self.promised_overdue_workdays
        if self.clock.restarts:  # a clock that may restart says how often it did
            out["restarts"] = len(self.restarts)
        if self.clock.step_of:
            out["step_of"] = self.clock.step_of
        if self.day_precision_start:
            out["day_precision_start"] = True
        return out


def _accepted(r: ClockResult) -> int:
    return sum(1 for x in r.extensions if x.accepted)


def _refused(r: ClockResult) -> int:
    return sum(1 for x in r.extensions if not x.accepted)


_OTHER_PROPS: dict[ClockProperty, Callable[[ClockResult], int | bool]] = {
    _P.OVERDUE_DAYS: lambda r: r.overdue_days,
    _P.REMAINING_WORKDAYS: lambda r: r.remaining_workdays,
    _P.EXTENSIONS: _accepted,
    _P.REFUSED_EXTENSIONS: _refused,
    _P.PROMISED_BREACHED: lambda r: r.promised_breached,
    _P.PROMISED_OVERDUE_WORKDAYS: lambda r: r.promised_overdue_workdays,
    _P.OVERDUE_HOURS: lambda r: r.overdue_hours,
    _P.RESTARTS: lambda r: len(r.restarts),
}


class ActivityCounts(Mapping[str, int]):
    """Events per activity, a view: a case pays for a count only when something asks for
    one. Counts of the `indexed` activities (None: of every one) are read off the
    positions index; any other activity, which only readers beyond the policy ask about,
    is counted in one pass over the events on first use."""

    __slots__ = ("_events", "_every", "_indexed", "_positions")

    def __init__(
        self,
        positions: Positions,
        events: Sequence[Event] = (),
        indexed: frozenset[str] | None = None,
    ) -> None:
        self._positions = positions
        self._events = events
        self._indexed = indexed
        self._every: dict[str, int] | None = None

    def __getitem__(self, activity: str) -> int:
        n = self.get(activity)
        if n == 0:
            raise KeyError(activity)
        return n

    def get(self, activity: str, default: int = 0) -> int:  # type: ignore[override]
        indexed = self._indexed
        if indexed is None or activity in indexed:
            p = self._positions.get(activity)
            return default if p is None else len(p)
        return self._all().get(activity, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def _all(self) -> Mapping[str, int]:
        if self._indexed is None:
            return {a: len(p) for a, p in self._positions.items()}
        if self._every is None:
            every: dict[str, int] = {}
            for e in self._events:
                every[e.activity] = every.get(e.activity, 0) + 1
            self._every = every
        return self._every


_ONE = tuple((i,) for i in range(256))  # (i,) for the first rows of any case, shared


def positions_of(
    events: Sequence[Event], only: frozenset[str] | None = None
) -> dict[str, tuple[int, ...]]:
    """activity -> indexes into events, ascending; with `only`, for those activities
    alone. Tuples, not lists, and for the first 256 rows shared ones: this runs on every
    case, the counts keep it for the rest of the audit, and most activities occur once in
    a case, so most entries allocate nothing."""
    positions: dict[str, tuple[int, ...]] = {}
    ones = _ONE if len(events) <= len(_ONE) else [(i,) for i in range(len(events))]
    # No strict=False: a keyword argument costs zip its fast call (ones may run longer).
    for e, one in zip(events, ones):  # noqa: B905
        act = e.activity
        if only is not None and act not in only:
            continue
        if act in positions:
            positions[act] += one
        else:
            positions[act] = one
    return positions


def evaluate_clock(
    history: CaseHistory,
    clock: Clock,
    earlier: Mapping[str, ClockView],
    counts: Mapping[str, int],
    cal: WorkCalendar,
    as_of: date,
    positions: Positions | None = None,
    office_hours: Sequence[tuple[int, int]] = DEFAULT_OFFICE_HOURS,
    scope: Scope | None = None,
) -> ClockResult:
    """`positions`: activity -> indexes into history.events (built once per case);
    `scope`: the case-level scope (built once per case) for limit conditions."""
    if positions is None:
        positions = positions_of(history.events)
    if scope is None:
        scope = Scope(history, earlier, counts)
    return plan_of(clock).evaluate(
        history, earlier, counts, cal, as_of, positions, office_hours, scope
    )


class _Trigger:
    """A start trigger with its condition compiled once per clock."""

    __slots__ = ("activity", "event_test", "per_event", "test", "trigger")

    def __init__(self, trigger: StartTrigger) -> None:
        self.trigger = trigger
        self.activity = trigger.activity
        self.test: Test | None = None
        self.per_event = False
        self.event_test: EventTest | None = None  # a condition on the event alone
        if trigger.when is not None:
            self.test, self.per_event = compile_condition(trigger.when)
            self.event_test = compile_event_condition(trigger.when)


class ClockPlan:
    """A clock with what evaluating it needs worked out once: its trigger and limit
    conditions compiled, its only limit when it has one without a condition, and its
    only stop activity when it has one. A million-case audit evaluates each clock a
    million times; reading the IR afresh each time was a large share of the cost."""

    __slots__ = ("clock", "deems", "limit", "limits", "name", "start", "stop", "triggers", "window")

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.name = clock.name
        self.deems = bool(clock.deems)  # only then may a result have deemed_at set
        self.triggers = tuple(_Trigger(t) for t in clock.starts)
        # One trigger without a condition: the first event of its activity starts it.
        only_start = self.triggers[0] if len(self.triggers) == 1 else None
        self.start = only_start if only_start is not None and only_start.test is None else None
        self.limits = tuple(
            (lim, None if lim.when is None else compile_condition(lim.when)[0])
            for lim in clock.limits
        )
        only = clock.limits[0] if len(clock.limits) == 1 else None
        self.limit = only if only is not None and only.when is None else None
        self.stop = clock.stops[0] if len(clock.stops) == 1 else None
        # None when nothing can lie between start and stop: isdisjoint would still walk
        # every activity of the case to say so.
        self.window = clock.window_activities or None

    def evaluate(
        self,
        history: CaseHistory,
        earlier: Mapping[str, ClockView],
        counts: Mapping[str, int],
        cal: WorkCalendar,
        as_of: date,
        positions: Positions,
        office_hours: Sequence[tuple[int, int]],
        scope: Scope,
    ) -> ClockResult:
        """The clock on one case: `earlier`, `counts` and `scope` are the case's (see
        evaluate_clock)."""
        clock = self.clock
        r = ClockResult(clock, as_of)
        events = history.events
        if self.start is not None:
            where = positions.get(self.start.activity)
            if not where:
                return r
            start_pos = where[0]
            r.start_event = r.origin_event = events[start_pos]
            r.trigger = self.start.trigger
        else:
            start_pos = _find_start(history, self.triggers, scope, r, positions)
            if start_pos < 0:
                return r
        limit = self.limit if self.limit is not None else self._choose_limit(scope)
        if limit is None:
            r.state = "undetermined"
            return r
        r.limit = limit
        if self.stop is not None:
            where = positions.get(self.stop)
            if where and where[0] > start_pos:  # the common case: its first event stops it
                stop_pos = where[0]
            else:
                stop_pos = _first_stop(events, where, start_pos)
        else:
            stop_pos = _find_stop(events, clock.stops, positions, start_pos)
        # Set even when None: a read of an attribute left at its class default is a slow
        # lookup, and the counting below reads this one on every clock.
        r.stop_event = events[stop_pos] if stop_pos >= 0 else None
        if clock.restarts:
            start_pos = _apply_restarts(history, clock, earlier, counts, r, positions, start_pos)
        pairs: Sequence[SuspensionPair] = ()
        lo, hi = 0, 0  # the window is only worked out when something may lie in it
        window = self.window
        if window is not None and not window.isdisjoint(positions):
            lo, hi = _window(events, start_pos, stop_pos)
            if clock.suspensions:
                pairs = pair_suspensions(history, clock, earlier, counts, positions, lo, hi)
        unit = limit.unit
        if unit is _HOURS or unit is _WORKHOURS:
            count_hours(r, cal, limit, history, positions, lo, hi, pairs, office_hours)
        elif lo == hi and limit.promised is None:  # nothing in the window: no pause, no extension
            count_plain_days(r, cal, limit)
        else:
            count_days(r, cal, limit, history, positions, lo, hi, pairs)
        return r

    def _choose_limit(self, scope: Scope) -> Limit | None:
        """The first limit whose condition holds for the case (None: no limit applies)."""
        for lim, test in self.limits:
            if test is None or test(scope):
                return lim
        return None


_PLANS: dict[int, ClockPlan] = {}


def plan_of(clock: Clock) -> ClockPlan:
    """The clock's plan, cached by identity; the plan keeps its clock alive, so the id
    is never reused for another clock while the entry exists."""
    plan = _PLANS.get(id(clock))
    if plan is None or plan.clock is not clock:
        if len(_PLANS) > 10_000:  # many policies loaded in one process (tests)
            _PLANS.clear()
        plan = _PLANS[id(clock)] = ClockPlan(clock)
    return plan


def _find_start(
    history: CaseHistory,
    triggers: Sequence[_Trigger],
    scope: Scope,
    r: ClockResult,
    positions: Positions,
) -> int:
    """Triggers are alternatives in the order written; the first that fires starts the clock."""
    events = history.events
    for t in triggers:
        where = positions.get(t.activity)
        if not where:
            continue
        test = t.test
        pos = where[0]
        if test is not None:
            if not t.per_event:
                if not test(scope):
                    continue
            elif t.event_test is not None:  # of the event alone; inline, it runs on every case
                event_test, pos = t.event_test, -1
                for p in where:
                    if event_test(events[p]):
                        pos = p
                        break
                if pos < 0:
                    continue
            else:
                pos = _first_passing(history, scope, where, test)
                if pos < 0:
                    continue
        r.start_event = r.origin_event = events[pos]
        r.trigger = t.trigger
        return pos
    return -1


def _first_passing(history: CaseHistory, scope: Scope, where: Sequence[int], test: Test) -> int:
    """The first of these events for which the trigger's per-event condition holds, or -1."""
    events = history.events
    for pos in where:
        if test(Scope(history, scope.clocks, scope.counts, events[pos])):
            return pos
    return -1


def _first_stop(events: Sequence[Event], where: Sequence[int] | None, start: int) -> int:
    """The first of these events at or after the start's instant (not the start itself)."""
    if where:
        t0 = events[start].time
        for p in where:
            if p > start or (p < start and events[p].time == t0):
                return p
    return -1


def _find_stop(
    events: Sequence[Event], stops: Sequence[str], positions: Positions, start: int
) -> int:
    """The first stopping event at or after the start's instant (not the start itself)."""
    t0 = events[start].time
    best = -1
    for act in stops:
        for p in positions.get(act, ()):
            if p > start or (p < start and events[p].time == t0):
                if best < 0 or p < best:
                    best = p
                break
    return best


def _apply_restarts(
    history: CaseHistory,
    clock: Clock,
    earlier: Mapping[str, ClockView],
    counts: Mapping[str, int],
    r: ClockResult,
    positions: Positions,
    start: int,
) -> int:
    """Restart events after the start and strictly before the stop's instant restart the
    period; the last one is where it counts from (an event at the stop's own instant
    comes with the stop, too late to restart anything)."""
    events = history.events
    t0 = events[start].time
    t_stop = r.stop_event.time if r.stop_event is not None else None
    found: list[int] = []
    for rs in clock.restarts:
        for p in positions.get(rs.activity, ()):
            e = events[p]
            if p == start or e.time < t0:
                continue
            if t_stop is not None and e.time >= t_stop:
                break
            if rs.when is None or holds(rs.when, Scope(history, earlier, counts, e)):
                found.append(p)
    if not found:
        return start
    found = sorted(set(found))
    r.restarts = [events[p] for p in found]
    r.start_event = events[found[-1]]
    return found[-1]


def _window(events: Sequence[Event], start: int, stop: int) -> tuple[int, int]:
    """Index range [lo, hi) of the events whose instant lies between the start's and the
    stop's (both included), so that simultaneous events count whatever their row order."""
    lo = start
    t0 = events[start].time
    while lo > 0 and events[lo - 1].time == t0:
        lo -= 1
    n = len(events)
    if stop < 0:
        return lo, n
    hi = max(stop, start) + 1
    t1 = events[stop].time
    while hi < n and events[hi].time == t1:
        hi += 1
    return lo, hi
