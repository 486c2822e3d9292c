"""Findings: matches → findings that name who answers, how heavily, and why.

In: the `CaseFacts` of a case, the `Match` records the rule stage found on it, the policy
and the registers (roster, votes). Out: `Finding` records with a stable id (hash of policy
id, lapse id, case id, first subject and anchor — never of the run), subjects with
responsibility types (engine.attribution), the base grade and modifier conditions
(engine.grading finishes the grade once the whole run is known), the facts, evidence
events with their source lines, and the explanation trail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.attribution import Subject, attribute
from engine.clocks import ClockResult, Step
from engine.derive import Candidate, CaseFacts
from engine.expr_eval import holds, resolve
from engine.grading import GradeState, level_of
from engine.ir import ClockRef, ForEachKind, Lapse, Policy
from engine.match import FIXED, NO_BAND, Match, refs_of
from engine.model import Event
from engine.registers import Registers

_EMPTY = Registers()


@dataclass
class Finding:
    id: str
    case_id: str
    lapse: str
    label: str
    category: str
    grade: str
    ladder: str
    subjects: list[Subject]
    facts: dict[str, Any]
    evidence: list[Event]
    explanation: list[Step]
    policy: Policy
    anchor: str  # ISO date or date-time the lapse is anchored at (for ids and ordering)
    conduct: date  # the day the conduct happened (deadline day, or the act's day)
    grade_state: GradeState
    provisional: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def person(self) -> str:
        return self.subjects[0].person if self.subjects else ""

    @property
    def grade_rank(self) -> int:
        """Position of the grade on its ladder, lightest = 0; -1 when ungraded or exempt."""
        try:
            return self.policy.ladder(self.ladder).levels.index(self.grade)
        except (KeyError, ValueError):
            return -1

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.case_id, self.lapse, self.anchor, self.id)

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "case_id": self.case_id,
            "lapse": self.lapse,
            "label": self.label,
            "category": self.category,
            "grade": self.grade,
            "grade_rank": self.grade_rank,
            "ladder": self.ladder,
            "subjects": [s.as_dict() for s in self.subjects],
            "facts": self.facts,
            "anchor": self.anchor,
            "conduct": self.conduct.isoformat(),
            "evidence": [e.event_id for e in self.evidence],
            "sources": {e.event_id: str(e.source) for e in self.evidence},
            "timeline": [
                {
                    "event": e.event_id,
                    "time": e.time.isoformat(),
                    "activity": e.activity,
                    "actor": e.actor,
                }
                for e in self.evidence
            ],
            "explanation": [s.as_dict() for s in self.explanation],
            "policy": {
                "id": self.policy.id,
                "version": self.policy.version,
                "source": self.policy.source,
                "lapse_source": self.extra.get("lapse_source", ""),
            },
        }
        if "versions" in self.extra:
            doc["policy"]["versions"] = self.extra["versions"]
        return doc


def build_findings(
    facts: CaseFacts, matches: list[Match], policy: Policy, registers: Registers = _EMPTY
) -> list[Finding]:
    by_key = {(c.lapse, c.key): c for c in facts.candidates}
    return [
        _finding(facts, by_key[(m.lapse, m.key)], policy.lapses[m.lapse], m.band, policy, registers)
        for m in matches
    ]


def _finding(
    facts: CaseFacts, cand: Candidate, lapse: Lapse, band: int, policy: Policy, registers: Registers
) -> Finding:
    history = facts.history
    trail: list[Step] = []
    evidence: list[Event] = []
    anchor_clock = facts.clocks.get(lapse.anchor_clock) if lapse.anchor_clock else None
    fact_values: dict[str, Any] = {}
    if anchor_clock is not None and anchor_clock.deadline is not None:
        trail.extend(anchor_clock.trail)
        evidence.extend(_clock_evidence(anchor_clock))
        fact_values.update(_clock_facts(anchor_clock))
    read = _clock_names(lapse)
    for name, clock in facts.clocks.items():
        # Other clocks this lapse's condition read (e.g. deemed acceptance) explain too.
        if clock is not anchor_clock and name in read and clock.deadline is not None:
            trail.extend(clock.trail)
    ev = cand.event
    if ev is not None:
        _event_facts(facts, lapse, ev, cand, fact_values, trail)
        evidence.append(ev)
    conduct = _conduct(anchor_clock, ev, history.events)
    custody = frozenset(policy.custody) if policy.custody else None
    subjects = attribute(facts, lapse.subjects, cand, conduct, custody, registers, trail)
    state = _base_grade(lapse, band, cand, policy, trail)
    anchor = _anchor(anchor_clock, ev)
    if anchor_clock is not None and anchor_clock.provisional:
        fact_values["provisional"] = True
    return Finding(
        id=finding_id(policy.id, lapse.id, history.case_id, subjects[0].person, anchor),
        case_id=history.case_id,
        lapse=lapse.id,
        label=lapse.label,
        category=lapse.category,
        grade=level_of(state),
        ladder=lapse.grading.ladder,
        subjects=subjects,
        facts=fact_values,
        evidence=_dedupe(evidence),
        explanation=trail,
        policy=policy,
        anchor=anchor,
        conduct=conduct,
        grade_state=state,
        provisional=bool(fact_values.get("provisional")),
        extra={"lapse_source": lapse.source},
    )


def finding_id(policy_id: str, lapse_id: str, case_id: str, person: str, anchor: str) -> str:
    raw = "\x1f".join((policy_id, lapse_id, case_id, person, anchor)).encode()
    return hashlib.sha256(raw).hexdigest()[:20]


_CLOCK_NAMES: dict[int, frozenset[str]] = {}


def _clock_names(lapse: Lapse) -> frozenset[str]:
    names = _CLOCK_NAMES.get(id(lapse))
    if names is None:
        names = frozenset(r.clock for r in refs_of(lapse.condition) if isinstance(r, ClockRef))
        _CLOCK_NAMES[id(lapse)] = names
    return names


def _event_facts(
    facts: CaseFacts,
    lapse: Lapse,
    ev: Event,
    cand: Candidate,
    values: dict[str, Any],
    trail: list[Step],
) -> None:
    values["event_time"] = ev.time.isoformat()
    values["index"] = cand.scope.index
    trail.append(
        Step(
            "event",
            f"{ev.activity}（{ev.event_id}，{ev.time.date().isoformat()}，{ev.actor or '经办人空'}）",
            str(lapse.ref),
            ev.event_id,
        )
    )
    fe = lapse.for_each
    if fe is None or fe.kind is not ForEachKind.REFUSED_EXTENSION:
        return
    clock = facts.clocks.get(fe.target)
    if clock is None:
        return
    trail.extend(s for s in clock.trail if s.kind in ("clock_start", "limit"))
    for x in clock.extensions:
        if x.event is ev and not x.accepted:
            values["reason"] = x.reason
            values["deadline"] = x.deadline_before.isoformat()
            trail.append(
                Step(
                    "extension",
                    f"该延期不予认可：{x.reason}；不延长期限",
                    str(lapse.ref),
                    ev.event_id,
                )
            )


def _conduct(clock: ClockResult | None, ev: Event | None, events: list[Event]) -> date:
    if ev is not None:
        return ev.time.date()
    if clock is not None and clock.deadline is not None:
        return clock.deadline
    return events[-1].time.date()


def _clock_facts(c: ClockResult) -> dict[str, Any]:
    assert c.deadline is not None
    return {
        "clock": c.clock.name,
        "deadline": c.deadline.isoformat(),
        "overdue_workdays": c.overdue_workdays,
        "overdue_days": c.overdue_days,
        "ongoing": c.state == "overdue",
        "state": c.state,
        "suspended": [[a.isoformat(), b.isoformat()] for a, b in c.merged],
        "extensions_accepted": sum(1 for x in c.extensions if x.accepted),
        "extensions_refused": sum(1 for x in c.extensions if not x.accepted),
        **c.extra_facts(),  # hour deadlines, promised limits, restarts, steps (if any)
    }


def _clock_evidence(c: ClockResult) -> list[Event]:
    out = [c.start_event] if c.start_event is not None else []
    for start, end, _iv in c.suspensions:
        out.append(start)
        if end is not None:
            out.append(end)
    out.extend(x.event for x in c.extensions)
    if c.stop_event is not None:
        out.append(c.stop_event)
    return out


def _dedupe(events: list[Event]) -> list[Event]:
    seen: dict[str, Event] = {}
    for e in events:
        seen.setdefault(e.event_id, e)
    return sorted(seen.values(), key=lambda e: (e.time, e.seq))


def _anchor(clock: ClockResult | None, ev: Event | None) -> str:
    if ev is not None:
        return f"{ev.time.isoformat()}#{ev.event_id}"
    if clock is not None and clock.deadline is not None:
        return clock.deadline.isoformat()
    return ""


def _base_grade(
    lapse: Lapse, band: int, cand: Candidate, policy: Policy, trail: list[Step]
) -> GradeState:
    g = lapse.grading
    try:
        ladder = policy.ladder(g.ladder)
    except KeyError:
        ladder = None
    rank = -1
    if band == FIXED:
        level = g.fixed or ""
        trail.append(Step("grade", f"处理：{level}（{g.ladder}，固定档）", str(g.ref)))
        rank = ladder.levels.index(level) if ladder is not None and level in ladder.levels else -1
    elif band == NO_BAND:
        value = resolve(g.measure, cand.scope) if g.measure is not None else ""
        trail.append(Step("grade", f"量度 {value} 不在任何分档内，未定档", str(g.ref)))
    else:
        assert g.measure is not None
        b = g.bands[band]
        value = resolve(g.measure, cand.scope)
        rng = f"{b.low}..{b.high}" if b.high is not None else f"{b.low}.."
        trail.append(
            Step(
                "grade",
                f"基准处理：{b.level}（{g.ladder}；量度 {value} 落在 {rng} 档）",
                str(b.ref),
            )
        )
        rank = (
            ladder.levels.index(b.level) if ladder is not None and b.level in ladder.levels else -1
        )
    state = GradeState(ladder, rank, final_rank=rank)
    for mod in g.modifiers:
        if mod.repeat is not None or mod.during_sanction:
            state.pending.append((mod, None, ""))  # decided by the person pass over the run
        else:
            applies = holds(mod.when, cand.scope)
            state.pending.append((mod, applies, "条件成立" if applies else ""))
    return state
