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
from datetime import date

from engine.calendar import WorkCalendar
from engine.clock_calendar import ClockSetting, clock_setting
from engine.clocks import ActivityCounts, ClockResult, evaluate_clock, positions_of
from engine.expr_eval import ClockView, Scope
from engine.ir import Clock, ForEachKind, Policy
from engine.model import CaseHistory, Event


@dataclass(frozen=True, slots=True)
class Candidate:
    """Something a lapse may be found on. `key` is unique within the case."""

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


@dataclass
class ClockFacts:
    """The clocks of one case and what they were evaluated on."""

    history: CaseHistory
    clocks: dict[str, ClockResult]
    views: dict[str, ClockView]  # started clocks, as conditions read them
    positions: dict[str, list[int]]
    counts: ActivityCounts


def derive_clocks(
    history: CaseHistory, policy: Policy, cal: WorkCalendar, as_of: date
) -> ClockFacts:
    """Every clock of the policy on one case, in policy order."""
    setting = clock_setting(policy, cal)
    if setting.zone is not None:
        history = _in_zone(history, setting)
    positions = positions_of(history.events)
    counts = ActivityCounts(positions)
    clocks: dict[str, ClockResult] = {}
    views: dict[str, ClockView] = {}
    scope = Scope(history, views, counts)
    office = setting.office_hours
    work_cal = setting.cal
    for clock in policy.clocks:
        result = evaluate_clock(
            history, clock, views, counts, work_cal, as_of, positions, office, scope
        )
        clocks[clock.name] = result
        if result.state != "inactive":
            views[clock.name] = result
        if result.deemed_at is not None:
            history = _with_deemed(history, clock, result)
            positions = positions_of(history.events)
            counts = ActivityCounts(positions)
            scope = Scope(history, views, counts)
    return ClockFacts(history, clocks, views, positions, counts)


def derive_case(history: CaseHistory, policy: Policy, cal: WorkCalendar, as_of: date) -> CaseFacts:
    cf = derive_clocks(history, policy, cal, as_of)
    history, views, counts, positions = cf.history, cf.views, cf.counts, cf.positions
    case_scope = Scope(history, views, counts)
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


def _in_zone(history: CaseHistory, setting: ClockSetting) -> CaseHistory:
    """The history with every instant expressed in the policy's zone (§6.8: days are
    counted in the case's zone). Same instants, so the order does not change."""
    tz = setting.zone
    events = [
        e if e.time.tzinfo is tz else dataclasses.replace(e, time=e.time.astimezone(tz))
        for e in history.events
    ]
    return CaseHistory(history.case_id, events, history.attrs)


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
