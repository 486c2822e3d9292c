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
from operator import attrgetter
from typing import Any

from engine.attribution import Subject, attribute
from engine.clock_explain import day_text, instant_text, ref_text, shared_step
from engine.clocks import ClockResult, Step
from engine.derive import Candidate, CaseFacts
from engine.expr_eval import Value, holds, resolve
from engine.grading import GradeState
from engine.ir import ClockRef, ForEachKind, Ladder, Lapse, Modifier, Policy, Ref
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
    if len(matches) == 1:  # the common case: no table of the case's candidates
        m = matches[0]
        for c in facts.candidates:  # keys are unique within a case
            if c.key == m.key and c.lapse == m.lapse:
                return [_finding(facts, c, plan.lapses[m.lapse], m.band, plan, registers)]
        raise KeyError((m.lapse, m.key))
    by_key = {(c.lapse, c.key): c for c in facts.candidates}
    return [
        _finding(facts, by_key[(m.lapse, m.key)], plan.lapses[m.lapse], m.band, plan, registers)
        for m in matches
    ]


@dataclass(frozen=True, slots=True)
class _Band:
    """A grading band's explanation around the measured value, its level's rank and the
    grade it gives before modifiers. The step depends on the value alone: it is built
    once per value and shared (a `Step` is immutable)."""

    head: str  # 基准处理：LEVEL（LADDER；量度
    tail: str  # 落在 LOW..HIGH 档）
    ref: str
    rank: int
    grade: str
    steps: dict[int, Step]  # measured value -> its step

    def step(self, value: Value) -> Step:
        if type(value) is not int:  # a bool would share an int's key but not its text
            return Step("grade", f"{self.head}{value}{self.tail}", self.ref)
        step = self.steps.get(value)
        if step is None:
            step = self.steps[value] = shared_step(
                "grade", f"{self.head}{value}{self.tail}", self.ref
            )
        return step


# A lapse's modifier as _base_grade reads it: the modifier and, for one decided by the
# person pass over the run (repeat offence, sanction period), its pending entry as is.
_ModifierPlan = tuple[Modifier, tuple[Modifier, bool | None, str] | None]


@dataclass(frozen=True, slots=True)
class _LapsePlan:
    """What a lapse's findings share, worked out once per policy rather than per finding:
    the policy lines cited, the clocks its condition reads, the grading steps, ranks and
    grades, which modifiers wait for the person pass."""

    lapse: Lapse
    ref: str
    anchor_clock: str
    other_reads: frozenset[str]  # other clocks the condition reads (they explain it too)
    refused_of: str  # `for each refused extension of CLOCK`: the clock, else ""
    ladder: Ladder | None
    measure: Ref | None
    fixed_step: Step  # the grade step of a fixed grade
    fixed_rank: int
    fixed_grade: str
    no_band_ref: str
    bands: tuple[_Band, ...]
    modifiers: tuple[_ModifierPlan, ...]
    lapse_source: str  # a finding's initial `extra` holds it


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

    def grade(rank: int) -> str:  # level_of a fresh grade state of that rank
        return levels[rank] if ladder is not None and rank >= 0 else ""

    grade_ref = ref_text(g.ref)
    level = g.fixed or ""
    bands = []
    for b in g.bands:
        rng = f"{b.low}..{b.high}" if b.high is not None else f"{b.low}.."
        head = f"基准处理：{b.level}（{g.ladder}；量度 "
        r = rank(b.level)
        bands.append(_Band(head, f" 落在 {rng} 档）", ref_text(b.ref), r, grade(r), {}))
    reads = frozenset(r.clock for r in refs_of(lapse.condition) if isinstance(r, ClockRef))
    fe = lapse.for_each
    refused = fe is not None and fe.kind is ForEachKind.REFUSED_EXTENSION
    return _LapsePlan(
        lapse=lapse,
        ref=ref_text(lapse.ref),
        anchor_clock=lapse.anchor_clock or "",
        other_reads=reads - {lapse.anchor_clock} if lapse.anchor_clock else reads,
        refused_of=fe.target if fe is not None and refused else "",
        ladder=ladder,
        measure=g.measure,
        fixed_step=shared_step("grade", f"处理：{level}（{g.ladder}，固定档）", grade_ref),
        fixed_rank=rank(level),
        fixed_grade=grade(rank(level)),
        no_band_ref=grade_ref,
        bands=tuple(bands),
        modifiers=tuple(
            (mod, (mod, None, "") if mod.repeat is not None or mod.during_sanction else None)
            for mod in g.modifiers
        ),
        lapse_source=lapse.source,
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
    clocks = facts.clocks
    anchor_clock = clocks.get(lp.anchor_clock) if lp.anchor_clock else None
    # The anchor clock explains the finding once it has a deadline ("dated").
    dated = anchor_clock if anchor_clock is not None and anchor_clock.deadline is not None else None
    if dated is not None:
        trail = list(dated.trail)
        evidence = _clock_evidence(dated)
        fact_values = _clock_facts(dated)
    else:
        trail, evidence, fact_values = [], [], {}
    if lp.other_reads:
        for name, clock in clocks.items():
            # Other clocks this lapse's condition read (e.g. deemed acceptance) explain too.
            if name in lp.other_reads and clock is not anchor_clock and clock.deadline is not None:
                trail.extend(clock.trail)
    ev = cand.event
    if ev is not None:
        when = instant_text(ev.time)
        fact_values["event_time"] = when
        _event_facts(facts, lp, ev, cand, fact_values, trail)
        evidence.append(ev)
        conduct = ev.time.date()
        anchor = f"{when}#{ev.event_id}"
    elif dated is not None:
        assert dated.deadline is not None
        conduct = dated.deadline
        anchor = day_text(conduct)
    else:
        conduct = history.events[-1].time.date()
        anchor = ""
    subjects = attribute(facts, lapse.subjects, cand, conduct, plan.custody, registers, trail)
    state, grade = _base_grade(lp, band, cand, trail)
    provisional = anchor_clock is not None and anchor_clock.provisional
    if provisional:
        fact_values["provisional"] = True
    policy = plan.policy
    case_id = history.case_id
    # Positional: matching seventeen keyword arguments to their fields took as long as the
    # rest of the construction. The order is Finding's fields'.
    return Finding(
        finding_id(policy.id, lapse.id, case_id, subjects[0].person, anchor),
        case_id,
        lapse.id,
        lapse.label,
        lapse.category,
        grade,
        lapse.grading.ladder,
        subjects,
        fact_values,
        _dedupe(evidence),
        trail,  # explanation
        policy,
        anchor,
        conduct,
        state,
        provisional,
        {"lapse_source": lp.lapse_source},  # extra
    )


def finding_id(policy_id: str, lapse_id: str, case_id: str, person: str, anchor: str) -> str:
    raw = f"{policy_id}\x1f{lapse_id}\x1f{case_id}\x1f{person}\x1f{anchor}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def _event_facts(
    facts: CaseFacts,
    lp: _LapsePlan,
    ev: Event,
    cand: Candidate,
    values: dict[str, Any],
    trail: list[Step],
) -> None:
    """The facts and steps of the event a `for each` lapse was found on (its time is in
    `values` already: the finding's anchor shows it too)."""
    values["index"] = cand.scope.index
    trail.append(
        Step(
            "event",
            f"{ev.activity}（{ev.event_id}，{day_text(ev.time.date())}，{ev.actor or '经办人空'}）",
            lp.ref,
            ev.event_id,
        )
    )
    if not lp.refused_of:
        return
    clock = facts.clocks.get(lp.refused_of)
    if clock is None:
        return
    trail.extend([s for s in clock.trail if s.kind == "clock_start" or s.kind == "limit"])
    for x in clock.extensions:
        if x.event is ev and not x.accepted:
            values["reason"] = x.reason
            values["deadline"] = day_text(x.deadline_before)
            trail.append(
                Step(
                    "extension",
                    f"该延期不予认可：{x.reason}；不延长期限",
                    lp.ref,
                    ev.event_id,
                )
            )


def _clock_facts(c: ClockResult) -> dict[str, Any]:
    assert c.deadline is not None
    exts = c.extensions
    accepted = sum(1 for x in exts if x.accepted) if exts else 0
    out: dict[str, Any] = {
        "clock": c.clock.name,
        "deadline": day_text(c.deadline),
        "overdue_workdays": c.overdue_workdays,
        "overdue_days": c.overdue_days,
        "ongoing": c.state == "overdue",
        "state": c.state,
        "suspended": [[day_text(a), day_text(b)] for a, b in c.merged] if c.merged else [],
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
        # One comparison of the times usually decides, where comparing (time, seq) tuples
        # tests the times for equality first (aware times: each test may ask utcoffset()).
        if a.time < b.time:
            return [a, b]
        if b.time < a.time:
            return [b, a]
        return [a, b] if a.seq <= b.seq else [b, a]
    seen: dict[str, Event] = {}
    for e in events:
        seen.setdefault(e.event_id, e)
    # By (time, seq) in two stable passes: comparing times alone costs half as much.
    out = sorted(seen.values(), key=_seq)
    out.sort(key=_time)
    return out


_seq = attrgetter("seq")
_time = attrgetter("time")


def _base_grade(
    lp: _LapsePlan, band: int, cand: Candidate, trail: list[Step]
) -> tuple[GradeState, str]:
    """The grade state before modifiers, and the grade it gives (`level_of` the state)."""
    if band == FIXED:
        trail.append(lp.fixed_step)
        rank, grade = lp.fixed_rank, lp.fixed_grade
    elif band == NO_BAND:
        value = resolve(lp.measure, cand.scope) if lp.measure is not None else ""
        trail.append(Step("grade", f"量度 {value} 不在任何分档内，未定档", lp.no_band_ref))
        rank, grade = -1, ""
    else:
        assert lp.measure is not None
        b = lp.bands[band]
        trail.append(b.step(resolve(lp.measure, cand.scope)))
        rank, grade = b.rank, b.grade
    pending: list[tuple[Modifier, bool | None, str]] = []
    for mod, deferred in lp.modifiers:
        if deferred is not None:
            pending.append(deferred)  # decided by the person pass over the run
        else:
            applies = holds(mod.when, cand.scope)
            pending.append((mod, applies, "条件成立" if applies else ""))
    return GradeState(lp.ladder, rank, pending, rank), grade
