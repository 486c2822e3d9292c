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
from datetime import date, datetime
from typing import Any

from engine.attribution import Subject, attribute
from engine.clock_explain import ref_text
from engine.clocks import ClockResult, Step
from engine.derive import Candidate, CaseFacts
from engine.expr_eval import holds, resolve
from engine.grading import GradeState, level_of
from engine.ir import ClockRef, ForEachKind, Ladder, Lapse, Policy
from engine.match import FIXED, NO_BAND, Match, refs_of
from engine.model import Event
from engine.registers import Registers

_EMPTY = Registers()


@dataclass(slots=True)  # slots: tens of thousands per audit, their fields read many times
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
        evidence: list[str] = []
        sources: dict[str, str] = {}
        timeline: list[dict[str, str]] = []
        for e in self.evidence:  # one pass for the three views of the evidence
            eid = e.event_id
            evidence.append(eid)
            # str(e.source) spelled out: building a SourceLine per event only to format it
            # cost as much as the rest of the evidence views.
            sources[eid] = f"{e.file}:{e.line}"
            timeline.append(
                {"event": eid, "time": e.time.isoformat(), "activity": e.activity, "actor": e.actor}
            )
        policy = self.policy
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
            "evidence": evidence,
            "sources": sources,
            "timeline": timeline,
            "explanation": [s.as_dict() for s in self.explanation],
            "policy": {
                "id": policy.id,
                "version": policy.version,
                "source": policy.source,
                "lapse_source": self.extra.get("lapse_source", ""),
            },
        }
        if "versions" in self.extra:
            doc["policy"]["versions"] = self.extra["versions"]
        return doc


def build_findings(
    facts: CaseFacts, matches: list[Match], policy: Policy, registers: Registers = _EMPTY
) -> list[Finding]:
    plan = _plan(policy)
    by_key = {(c.lapse, c.key): c for c in facts.candidates}
    return [
        _finding(facts, by_key[(m.lapse, m.key)], plan.lapses[m.lapse], m.band, plan, registers)
        for m in matches
    ]


@dataclass(frozen=True, slots=True)
class _Band:
    """A grading band's explanation around the measured value, and its level's rank."""

    head: str  # 基准处理：LEVEL（LADDER；量度
    tail: str  # 落在 LOW..HIGH 档）
    ref: str
    rank: int


@dataclass(frozen=True, slots=True)
class _LapsePlan:
    """What a lapse's findings share, worked out once per policy rather than per finding:
    the policy lines cited, the clocks its condition reads, the grading texts and ranks."""

    lapse: Lapse
    ref: str
    reads: frozenset[str]  # clocks the condition reads (they explain the finding too)
    ladder: Ladder | None
    grade_ref: str
    fixed_text: str
    fixed_rank: int
    bands: tuple[_Band, ...]
    extra: tuple[tuple[str, Any], ...]  # a finding's initial `extra`


@dataclass(frozen=True, slots=True)
class _PolicyPlan:
    policy: Policy
    custody: frozenset[str] | None
    lapses: tuple[_LapsePlan, ...]  # by lapse index, as matches name them


# id(policy) -> its plan. The plan holds the policy, so the id cannot be reused while the
# entry exists; the table is cleared now and then so that a process loading many policies
# (the test suite) does not keep them all alive.
_PLANS: dict[int, _PolicyPlan] = {}


def _plan(policy: Policy) -> _PolicyPlan:
    plan = _PLANS.get(id(policy))
    if plan is None:
        if len(_PLANS) >= 64:
            _PLANS.clear()
        custody = frozenset(policy.custody) if policy.custody else None
        lapses = tuple(_lapse_plan(policy, lapse) for lapse in policy.lapses)
        plan = _PLANS[id(policy)] = _PolicyPlan(policy, custody, lapses)
    return plan


def _lapse_plan(policy: Policy, lapse: Lapse) -> _LapsePlan:
    g = lapse.grading
    try:
        ladder: Ladder | None = policy.ladder(g.ladder)
    except KeyError:
        ladder = None
    levels = ladder.levels if ladder is not None else ()

    def rank(level: str) -> int:
        return levels.index(level) if level in levels else -1

    level = g.fixed or ""
    bands = []
    for b in g.bands:
        rng = f"{b.low}..{b.high}" if b.high is not None else f"{b.low}.."
        head = f"基准处理：{b.level}（{g.ladder}；量度 "
        bands.append(_Band(head, f" 落在 {rng} 档）", ref_text(b.ref), rank(b.level)))
    return _LapsePlan(
        lapse=lapse,
        ref=ref_text(lapse.ref),
        reads=frozenset(r.clock for r in refs_of(lapse.condition) if isinstance(r, ClockRef)),
        ladder=ladder,
        grade_ref=ref_text(g.ref),
        fixed_text=f"处理：{level}（{g.ladder}，固定档）",
        fixed_rank=rank(level),
        bands=tuple(bands),
        extra=(("lapse_source", lapse.source),),
    )


def _finding(
    facts: CaseFacts,
    cand: Candidate,
    lp: _LapsePlan,
    band: int,
    plan: _PolicyPlan,
    registers: Registers,
) -> Finding:
    history = facts.history
    lapse = lp.lapse
    policy = plan.policy
    trail: list[Step] = []
    evidence: list[Event] = []
    anchor_clock = facts.clocks.get(lapse.anchor_clock) if lapse.anchor_clock else None
    fact_values: dict[str, Any] = {}
    if anchor_clock is not None and anchor_clock.deadline is not None:
        trail.extend(anchor_clock.trail)
        evidence.extend(_clock_evidence(anchor_clock))
        fact_values.update(_clock_facts(anchor_clock))
    if lp.reads:
        for name, clock in facts.clocks.items():
            # Other clocks this lapse's condition read (e.g. deemed acceptance) explain too.
            if clock is not anchor_clock and name in lp.reads and clock.deadline is not None:
                trail.extend(clock.trail)
    ev = cand.event
    if ev is not None:
        _event_facts(facts, lp, ev, cand, fact_values, trail)
        evidence.append(ev)
    conduct = _conduct(anchor_clock, ev, history.events)
    subjects = attribute(facts, lapse.subjects, cand, conduct, plan.custody, registers, trail)
    state = _base_grade(lp, band, cand, trail)
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
        extra=dict(lp.extra),
    )


def finding_id(policy_id: str, lapse_id: str, case_id: str, person: str, anchor: str) -> str:
    raw = "\x1f".join((policy_id, lapse_id, case_id, person, anchor)).encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def _event_facts(
    facts: CaseFacts,
    lp: _LapsePlan,
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
            lp.ref,
            ev.event_id,
        )
    )
    fe = lp.lapse.for_each
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
                    lp.ref,
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
    exts = c.extensions
    accepted = sum(1 for x in exts if x.accepted) if exts else 0
    out: dict[str, Any] = {
        "clock": c.clock.name,
        "deadline": c.deadline.isoformat(),
        "overdue_workdays": c.overdue_workdays,
        "overdue_days": c.overdue_days,
        "ongoing": c.state == "overdue",
        "state": c.state,
        "suspended": [[a.isoformat(), b.isoformat()] for a, b in c.merged] if c.merged else [],
        "extensions_accepted": accepted,
        "extensions_refused": len(exts) - accepted,
    }
    extra = c.extra_facts()  # hour deadlines, promised limits, restarts, steps (if any)
    if extra:
        out.update(extra)
    return out


def _clock_evidence(c: ClockResult) -> list[Event]:
    out = [c.start_event] if c.start_event is not None else []
    for start, end, _iv in c.suspensions:
        out.append(start)
        if end is not None:
            out.append(end)
    for x in c.extensions:
        out.append(x.event)
    if c.stop_event is not None:
        out.append(c.stop_event)
    return out


def _dedupe(events: list[Event]) -> list[Event]:
    """Each event once, in (time, seq) order."""
    if len(events) < 2:
        return list(events)
    if len(events) == 2:  # the common case (start and stop): no dict, no sort
        a, b = events
        if a.event_id == b.event_id:
            return [a]
        return [a, b] if (a.time, a.seq) <= (b.time, b.seq) else [b, a]
    seen: dict[str, Event] = {}
    for e in events:
        seen.setdefault(e.event_id, e)
    return sorted(seen.values(), key=_time_order)


def _time_order(e: Event) -> tuple[datetime, int]:
    return (e.time, e.seq)


def _anchor(clock: ClockResult | None, ev: Event | None) -> str:
    if ev is not None:
        return f"{ev.time.isoformat()}#{ev.event_id}"
    if clock is not None and clock.deadline is not None:
        return clock.deadline.isoformat()
    return ""


def _base_grade(lp: _LapsePlan, band: int, cand: Candidate, trail: list[Step]) -> GradeState:
    g = lp.lapse.grading
    rank = -1
    if band == FIXED:
        trail.append(Step("grade", lp.fixed_text, lp.grade_ref))
        rank = lp.fixed_rank
    elif band == NO_BAND:
        value = resolve(g.measure, cand.scope) if g.measure is not None else ""
        trail.append(Step("grade", f"量度 {value} 不在任何分档内，未定档", lp.grade_ref))
    else:
        assert g.measure is not None
        b = lp.bands[band]
        value = resolve(g.measure, cand.scope)
        trail.append(Step("grade", f"{b.head}{value}{b.tail}", b.ref))
        rank = b.rank
    state = GradeState(lp.ladder, rank, final_rank=rank)
    for mod in g.modifiers:
        if mod.repeat is not None or mod.during_sanction:
            state.pending.append((mod, None, ""))  # decided by the person pass over the run
        else:
            applies = holds(mod.when, cand.scope)
            state.pending.append((mod, applies, "条件成立" if applies else ""))
    return state
