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
from engine.clocks import ActivityCounts, ClockPlan, ClockResult, plan_of, positions_of
from engine.expr_eval import ClockView, Scope
from engine.ir import Clock, ForEachKind, Policy
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


@dataclass
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
    views: dict[str, ClockView]  # started clocks, as conditions read them
    positions: dict[str, list[int]]
    counts: ActivityCounts
    scope: Scope  # the case-level scope of history, views and counts, as clocks read it


def derive_clocks(
    history: CaseHistory, policy: Policy, cal: WorkCalendar, as_of: date
) -> ClockFacts:
    """Every clock of the policy on one case, in policy order."""
    setting, plans = _plans(policy, cal)
    if setting.zone is not None:
        history = _in_zone(history, setting.zone)
    positions = positions_of(history.events)
    counts = ActivityCounts(positions)
    clocks: dict[str, ClockResult] = {}
    views: dict[str, ClockView] = {}
    scope = Scope(history, views, counts)
    office = setting.office_hours
    work_cal = setting.cal
    for plan in plans:
        result = plan.evaluate(history, views, counts, work_cal, as_of, positions, office, scope)
        name = plan.name
        clocks[name] = result
        if result.state != "inactive":
            views[name] = result
        if result.deemed_at is not None:
            history = _with_deemed(history, plan.clock, result)
            positions = positions_of(history.events)
            counts = ActivityCounts(positions)
            scope = Scope(history, views, counts)
    return ClockFacts(history, clocks, views, positions, counts, scope)


_Plans = tuple[ClockSetting, tuple[ClockPlan, ...]]
_LAST_PLANS: list[tuple[Policy, WorkCalendar, _Plans]] = []


def _plans(policy: Policy, cal: WorkCalendar) -> _Plans:
    """The policy's clock setting and clock plans, looked up once per case: the last
    (policy, calendar) pair is kept, since an audit runs one policy over many cases. The
    entry holds both objects, so it can never answer for another policy or calendar."""
    if _LAST_PLANS:
        last_policy, last_cal, found = _LAST_PLANS[0]
        if last_policy is policy and last_cal is cal:
            return found
    found = (clock_setting(policy, cal), tuple(plan_of(c) for c in policy.clocks))
    _LAST_PLANS[:] = [(policy, cal, found)]
    return found


def derive_case(history: CaseHistory, policy: Policy, cal: WorkCalendar, as_of: date) -> CaseFacts:
    cf = derive_clocks(history, policy, cal, as_of)
    history, views, counts, positions = cf.history, cf.views, cf.counts, cf.positions
    case_scope = cf.scope
    candidates: list[Candidate] = []
    for i, lapse in enumerate(policy.lapses):
        fe = lapse.for_each
        if fe is None:
            candidates.append(Candidate("c", i, case_scope))
        elif fe.kind is ForEachKind.EVENT:
            for k, pos in enumerate(positions.get(fe.target, ()), start=1):
                e = history.events[pos]
                candidates.append(Candidate(f"{i}.{k}", i, Scope(history, views, counts, e, k)))
        else:
            clock_result = cf.clocks.get(fe.target)
            if clock_result is None:
                continue
            k = 0
            for x in clock_result.extensions:
                if not x.accepted:
                    k += 1
                    candidates.append(
                        Candidate(f"{i}.{k}", i, Scope(history, views, counts, x.event, k))
                    )
    return CaseFacts(history, cf.clocks, counts, case_scope, candidates)


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
