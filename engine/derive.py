"""The derive stage: one case history → its derived facts and lapse candidates.

In: a `CaseHistory`, the compiled `Policy`, a calendar and `as_of` (a date: the audit sees
every event up to the end of that day in the case's zone).
Out: `CaseFacts` — every clock evaluated (in policy order, so later clocks can read earlier
ones), activity counts, and one `Candidate` per thing a lapse could be found on: the case
itself for case-level lapses, each event of the activity for `for each ACTIVITY`, each
refused extension for `for each refused extension of CLOCK`.

The policy picks the calendar (engine.clock_calendar): the passed calendar is the
national one, which a policy may overlay with local days or replace by a foreign one; a
policy with a zone has its events' instants read in that zone. A clock breached with
`on breach deem A` adds a derived event of A to the history (at the moment its deadline
passed) that later clocks, counts and lapses see like a recorded one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, tzinfo

from engine.calendar import WorkCalendar
from engine.clock_calendar import ClockSetting, clock_setting
from engine.clock_parts import Positions
from engine.clocks import ActivityCounts, ClockPlan, ClockResult, plan_of, positions_of
from engine.expr_eval import Scope, counted_activities
from engine.ir import Clock, ForEach, ForEachKind, Policy
from engine.model import CaseHistory, Event


@dataclass(slots=True, eq=False)
class Candidate:
    """Something a lapse may be found on. `key` is unique within the case. Not frozen:
    every case makes several, and a frozen dataclass pays for `object.__setattr__` on
    every field; treat it as read-only."""

    key: str
    lapse: int  # index into policy.lapses
    scope: Scope

    @property
    def event(self) -> Event | None:
        return self.scope.event


@dataclass(slots=True)
class CaseFacts:
    history: CaseHistory  # with derived (deemed) events, in the policy's zone
    clocks: dict[str, ClockResult]
    counts: Mapping[str, int]  # events per activity (deemed events included)
    case_scope: Scope
    candidates: list[Candidate]


@dataclass(slots=True)
class ClockFacts:
    """The clocks of one case and what they were evaluated on."""

    history: CaseHistory
    clocks: dict[str, ClockResult]
    positions: Positions  # of the activities deriving looks up (see _indexed)
    counts: ActivityCounts
    scope: Scope  # the case-level scope of history, clocks and counts, as clocks read it


_CASE, _EVENT, _REFUSED = 0, 1, 2  # what a lapse is found on: see derive_case


@dataclass(frozen=True, slots=True)
class _Plans:
    """What deriving needs of a (policy, calendar) pair, worked out once per audit rather
    than read off the IR for every case."""

    setting: ClockSetting
    clocks: tuple[ClockPlan, ...]
    lapses: tuple[tuple[int, int, str], ...]  # (lapse index, _CASE/_EVENT/_REFUSED, target)
    indexed: frozenset[str]  # activities whose positions deriving reads: see _indexed


_LAST_PLANS: list[tuple[Policy, WorkCalendar, _Plans]] = []


def _plans(policy: Policy, cal: WorkCalendar) -> _Plans:
    """The policy's clock setting, clock plans and lapse targets, looked up once per
    case: the last (policy, calendar) pair is kept, since an audit runs one policy over
    many cases. The entry holds both objects, so it can never answer for another policy
    or calendar."""
    if _LAST_PLANS:
        last_policy, last_cal, found = _LAST_PLANS[0]
        if last_policy is policy and last_cal is cal:
            return found
    found = _Plans(
        clock_setting(policy, cal),
        tuple(plan_of(c) for c in policy.clocks),
        tuple(_lapse_target(i, lapse.for_each) for i, lapse in enumerate(policy.lapses)),
        _indexed(policy),
    )
    _LAST_PLANS[:] = [(policy, cal, found)]
    return found


def _indexed(policy: Policy) -> frozenset[str]:
    """The activities whose events deriving looks up: those the clocks start, stop,
    pause, extend, restart or give notice at, those a lapse is found on each event of,
    and those a condition anywhere in the policy counts (for speed only: the counts
    answer for any activity). A case's positions index holds these alone, so most of a
    case's events cost no entry; a new kind of positions lookup must be added here."""
    acts: set[str] = set()
    for c in policy.clocks:
        acts.update(t.activity for t in c.starts)
        acts.update(c.stops)
        acts.update(c.window_activities)
        acts.update(r.activity for r in c.restarts)
        acts.update(
            x.notice.activity for lim in c.limits for x in lim.extensions if x.notice is not None
        )
    for lapse in policy.lapses:
        if lapse.for_each is not None and lapse.for_each.kind is ForEachKind.EVENT:
            acts.add(lapse.for_each.target)
    acts.update(counted_activities(policy))
    return frozenset(acts)


def _lapse_target(i: int, fe: ForEach | None) -> tuple[int, int, str]:
    if fe is None:
        return i, _CASE, ""
    return i, _EVENT if fe.kind is ForEachKind.EVENT else _REFUSED, fe.target


def derive_clocks(
    history: CaseHistory, policy: Policy, cal: WorkCalendar, as_of: date
) -> ClockFacts:
    """Every clock of the policy on one case, in policy order."""
    return ClockFacts(*_clocks(history, _plans(policy, cal), as_of))


_ClockTuple = tuple[CaseHistory, dict[str, ClockResult], Positions, ActivityCounts, Scope]


def _clocks(history: CaseHistory, plans: _Plans, as_of: date) -> _ClockTuple:
    """derive_clocks' work, as a plain tuple in ClockFacts' field order: derive_case runs
    on every case and needs no ClockFacts."""
    setting, clock_plans = plans.setting, plans.clocks
    if setting.zone is not None:
        history = _in_zone(history, setting.zone)
    indexed = plans.indexed
    positions = positions_of(history.events, indexed)
    counts = ActivityCounts(positions, history.events, indexed)
    # Conditions read the clocks evaluated so far; one not started reads like one not
    # evaluated yet (ClockResult.prop), so they read the clocks dict itself.
    clocks: dict[str, ClockResult] = {}
    scope = Scope(history, clocks, counts)
    office = setting.office_hours
    work_cal = setting.cal
    for plan in clock_plans:
        result = plan.evaluate(history, clocks, counts, work_cal, as_of, positions, office, scope)
        clocks[plan.name] = result
        if plan.deems and result.deemed_at is not None:
            history = _with_deemed(history, plan.clock, result)
            positions = positions_of(history.events, indexed)
            counts = ActivityCounts(positions, history.events, indexed)
            scope = Scope(history, clocks, counts)
    return history, clocks, positions, counts, scope


def derive_case(history: CaseHistory, policy: Policy, cal: WorkCalendar, as_of: date) -> CaseFacts:
    plans = _plans(policy, cal)
    history, clocks, positions, counts, case_scope = _clocks(history, plans, as_of)
    candidates: list[Candidate] = []
    for i, kind, target in plans.lapses:
        if kind == _CASE:
            candidates.append(Candidate("c", i, case_scope))
        elif kind == _EVENT:
            for k, pos in enumerate(positions.get(target, ()), start=1):
                e = history.events[pos]
                candidates.append(Candidate(f"{i}.{k}", i, Scope(history, clocks, counts, e, k)))
        else:
            clock_result = clocks.get(target)
            if clock_result is None:
                continue
            k = 0
            for x in clock_result.extensions:
                if not x.accepted:
                    k += 1
                    candidates.append(
                        Candidate(f"{i}.{k}", i, Scope(history, clocks, counts, x.event, k))
                    )
    return CaseFacts(history, clocks, counts, case_scope, candidates)


def _in_zone(history: CaseHistory, tz: tzinfo) -> CaseHistory:
    """The history with every instant expressed in the policy's zone (§6.8: days are
    counted in the case's zone). Same instants, so the order does not change. A loader
    given the zone already read the instants in it: that history is returned as it is."""
    events = history.events
    for e in events:
        if e.time.tzinfo is not tz:
            break
    else:
        return history
    moved = [
        e if e.time.tzinfo is tz else dataclasses.replace(e, time=e.time.astimezone(tz))
        for e in events
    ]
    return CaseHistory(history.case_id, moved, history.attrs)


def _with_deemed(history: CaseHistory, clock: Clock, r: ClockResult) -> CaseHistory:
    """The history plus one derived event per `on breach deem` of a breached clock. Its
    source is the policy line that deems it, so evidence points at the rule."""
    assert r.deemed_at is not None
    seq = max((e.seq for e in history.events), default=0) + 1
    new = [
        Event(
            case_id=history.case_id,
            event_id=f"{clock.name}:{deem.activity}",
            time=r.deemed_at,
            activity=deem.activity,
            actor="",
            assignee="",
            role="",
            unit="",
            attrs={"deemed_by": clock.name},
            file=deem.ref.file,
            line=deem.ref.line,
            seq=seq + k,
        )
        for k, deem in enumerate(clock.deems)
    ]
    events = sorted([*history.events, *new], key=lambda e: (e.time, e.seq))
    return CaseHistory(history.case_id, events, history.attrs)
