"""The derive stage: one case history → its derived facts and lapse candidates.

In: a `CaseHistory`, the compiled `Policy`, a calendar and `as_of` (a date: the audit sees
every event up to the end of that day in the case's zone).
Out: `CaseFacts` — every clock evaluated (in policy order, so later clocks can read earlier
ones), activity counts, and one `Candidate` per thing a lapse could be found on: the case
itself for case-level lapses, each event of the activity for `for each ACTIVITY`, each
refused extension for `for each refused extension of CLOCK`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.calendar import WorkCalendar
from engine.clocks import ClockResult, evaluate_clock
from engine.expr_eval import ClockView, Scope
from engine.ir import ForEachKind, Policy
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
    history: CaseHistory
    clocks: dict[str, ClockResult]
    counts: dict[str, int]
    case_scope: Scope
    candidates: list[Candidate]


def derive_case(history: CaseHistory, policy: Policy, cal: WorkCalendar, as_of: date) -> CaseFacts:
    positions: dict[str, list[int]] = {}
    for i, e in enumerate(history.events):
        positions.setdefault(e.activity, []).append(i)
    counts = {a: len(p) for a, p in positions.items()}
    clocks: dict[str, ClockResult] = {}
    views: dict[str, ClockView] = {}
    for clock in policy.clocks:
        result = evaluate_clock(history, clock, views, counts, cal, as_of, positions)
        clocks[clock.name] = result
        if result.state != "inactive":
            views[clock.name] = result
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
            clock_result = clocks.get(fe.target)
            if clock_result is None:
                continue
            k = 0
            for x in clock_result.extensions:
                if not x.accepted:
                    k += 1
                    candidates.append(
                        Candidate(f"{i}.{k}", i, Scope(history, views, counts, x.event, k))
                    )
    return CaseFacts(history, clocks, counts, case_scope, candidates)
