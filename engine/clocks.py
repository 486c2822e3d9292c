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
from engine.clock_count import count_days, count_hours
from engine.clock_parts import ExtensionOutcome, Step, SuspensionPair, pair_suspensions
from engine.daycount import Interval
from engine.expr_eval import ClockView, Scope, Test, compile_condition, holds
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
    "ClockResult",
    "ExtensionOutcome",
    "Step",
    "evaluate_clock",
    "positions_of",
]


_P = ClockProperty
_HOURS, _WORKHOURS = Unit.HOURS, Unit.WORKHOURS  # module constants: enum lookups cost


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
            from engine.clock_explain import explain_clock

            self._trail = explain_clock(self)
        return self._trail

    @property
    def breached(self) -> bool:
        return self.state in ("late", "overdue")

    def prop(self, p: ClockProperty) -> int | bool:
        s = self.state
        if p is _P.BREACHED:
            return s == "late" or s == "overdue"
        if p is _P.OVERDUE_WORKDAYS:
            return self.overdue_workdays
        if p is _P.STARTED:
            return s != "inactive"
        if p is _P.RUNNING:
            return s == "running"
        if p is _P.MET:
            return s == "met"
        if p is _P.LATE:
            return s == "late"
        if p is _P.OVERDUE:
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
    """Events per activity, read off the positions index: a view, so a case pays for a
    count only when a condition asks for one."""

    __slots__ = ("_positions",)

    def __init__(self, positions: Mapping[str, list[int]]) -> None:
        self._positions = positions

    def __getitem__(self, activity: str) -> int:
        return len(self._positions[activity])

    def get(self, activity: str, default: int = 0) -> int:  # type: ignore[override]
        p = self._positions.get(activity)
        return default if p is None else len(p)

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


def positions_of(events: Sequence[Event]) -> dict[str, list[int]]:
    """activity -> indexes into events, ascending."""
    positions: dict[str, list[int]] = {}
    for i, e in enumerate(events):
        act = e.activity
        if act in positions:
            positions[act].append(i)
        else:
            positions[act] = [i]
    return positions


def evaluate_clock(
    history: CaseHistory,
    clock: Clock,
    earlier: Mapping[str, ClockView],
    counts: Mapping[str, int],
    cal: WorkCalendar,
    as_of: date,
    positions: Mapping[str, list[int]] | None = None,
    office_hours: Sequence[tuple[int, int]] = DEFAULT_OFFICE_HOURS,
    scope: Scope | None = None,
) -> ClockResult:
    """`positions`: activity -> indexes into history.events (built once per case);
    `scope`: the case-level scope (built once per case) for limit conditions."""
    r = ClockResult(clock, as_of)
    events = history.events
    if positions is None:
        positions = positions_of(events)
    if scope is None:
        scope = Scope(history, earlier, counts)
    start_pos = _find_start(history, clock, scope, r, positions)
    if start_pos < 0:
        return r
    limit: Limit | None = None
    for lim, test in _limit_tests(clock):
        if test is None or test(scope):
            limit = lim
            break
    if limit is None:
        r.state = "undetermined"
        return r
    r.limit = limit
    stop_pos = _find_stop(events, clock.stops, positions, start_pos)
    if stop_pos >= 0:
        r.stop_event = events[stop_pos]
    if clock.restarts:
        start_pos = _apply_restarts(history, clock, earlier, counts, r, positions, start_pos)
    pairs: Sequence[SuspensionPair] = ()
    lo, hi = 0, 0  # the window is only worked out when something may lie in it
    if not clock.window_activities.isdisjoint(positions):
        lo, hi = _window(events, start_pos, stop_pos)
        if clock.suspensions:
            pairs = pair_suspensions(history, clock, earlier, counts, positions, lo, hi)
    unit = limit.unit
    if unit is _HOURS or unit is _WORKHOURS:
        count_hours(r, cal, limit, history, positions, lo, hi, pairs, office_hours)
    else:
        count_days(r, cal, limit, history, positions, lo, hi, pairs)
    return r


class _Trigger:
    """A start trigger with its condition compiled once per clock."""

    __slots__ = ("activity", "per_event", "test", "trigger")

    def __init__(self, trigger: StartTrigger) -> None:
        self.trigger = trigger
        self.activity = trigger.activity
        self.test: Test | None = None
        self.per_event = False
        if trigger.when is not None:
            self.test, self.per_event = compile_condition(trigger.when)


_TRIGGERS: dict[int, tuple[Clock, tuple[_Trigger, ...]]] = {}
_LIMITS: dict[int, tuple[Clock, tuple[tuple[Limit, Test | None], ...]]] = {}


def _limit_tests(clock: Clock) -> tuple[tuple[Limit, Test | None], ...]:
    """A clock's limits with their conditions compiled once (cached by identity, as the
    triggers are): choosing the limit is done for every started clock of every case."""
    hit = _LIMITS.get(id(clock))
    if hit is not None and hit[0] is clock:
        return hit[1]
    if len(_LIMITS) > 10_000:
        _LIMITS.clear()
    tests = tuple(
        (lim, None if lim.when is None else compile_condition(lim.when)[0]) for lim in clock.limits
    )
    _LIMITS[id(clock)] = (clock, tests)
    return tests


def _triggers(clock: Clock) -> tuple[_Trigger, ...]:
    """Compile a clock's triggers; cached by identity (the entry keeps the clock alive,
    so its id is never reused while the entry exists)."""
    if len(_TRIGGERS) > 10_000:
        _TRIGGERS.clear()
    hit = (clock, tuple(_Trigger(t) for t in clock.starts))
    _TRIGGERS[id(clock)] = hit
    return hit[1]


def _find_start(
    history: CaseHistory,
    clock: Clock,
    scope: Scope,
    r: ClockResult,
    positions: Mapping[str, list[int]],
) -> int:
    """Triggers are alternatives in the order written; the first that fires starts the clock."""
    events = history.events
    hit = _TRIGGERS.get(id(clock))
    triggers = hit[1] if hit is not None and hit[0] is clock else _triggers(clock)
    for t in triggers:
        where = positions.get(t.activity)
        if not where:
            continue
        test = t.test
        if test is not None and not t.per_event:
            if not test(scope):
                continue
            test = None  # holds for every event of the activity
        for pos in where:
            e = events[pos]
            if test is None or test(Scope(history, scope.clocks, scope.counts, e)):
                r.start_event = r.origin_event = e
                r.trigger = t.trigger
                return pos
    return -1


def _find_stop(
    events: Sequence[Event], stops: Sequence[str], positions: Mapping[str, list[int]], start: int
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
    positions: Mapping[str, list[int]],
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
