"""Attribute and grade: matches → findings that name who answers, how heavily, and why.

In: the `CaseFacts` of a case, the `Match` records the rule stage found on it, the policy.
Out: `Finding` records with a stable id (hash of policy id, lapse id, case id, subject and
anchor — never of the run), subjects with responsibility types, the grade, the facts,
evidence events with their source lines, and the explanation trail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.clocks import ClockResult, Step
from engine.derive import Candidate, CaseFacts
from engine.expr_eval import resolve
from engine.ir import ClockRef, ForEachKind, Lapse, Policy, SubjectKind, SubjectRule
from engine.match import FIXED, NO_BAND, Match, refs_of
from engine.model import CaseHistory, Event

UNATTRIBUTED = "责任主体不明确"


@dataclass(frozen=True)
class Subject:
    person: str
    responsibility: str
    unit: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        d = {"person": self.person, "responsibility": self.responsibility}
        if self.unit:
            d["unit"] = self.unit
        return d


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
    provisional: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def grade_rank(self) -> int:
        """Position of the grade on its ladder, lightest = 0; -1 when ungraded."""
        try:
            return self.policy.ladder(self.ladder).levels.index(self.grade)
        except (KeyError, ValueError):
            return -1

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.case_id, self.lapse, self.anchor, self.id)

    def as_json(self) -> dict[str, Any]:
        return {
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
            "evidence": [e.event_id for e in self.evidence],
            "sources": {e.event_id: str(e.source) for e in self.evidence},
            "explanation": [s.as_dict() for s in self.explanation],
            "policy": {
                "id": self.policy.id,
                "version": self.policy.version,
                "source": self.policy.source,
                "lapse_source": self.extra.get("lapse_source", ""),
            },
        }


def build_findings(facts: CaseFacts, matches: list[Match], policy: Policy) -> list[Finding]:
    by_key = {(c.lapse, c.key): c for c in facts.candidates}
    out = []
    for m in matches:
        cand = by_key[(m.lapse, m.key)]
        out.append(_finding(facts, cand, policy.lapses[m.lapse], m.band, policy))
    return out


def _finding(facts: CaseFacts, cand: Candidate, lapse: Lapse, band: int, policy: Policy) -> Finding:
    history = facts.history
    trail: list[Step] = []
    evidence: list[Event] = []
    anchor_clock = facts.clocks.get(lapse.anchor_clock) if lapse.anchor_clock else None
    fact_values: dict[str, Any] = {}
    if anchor_clock is not None and anchor_clock.deadline is not None:
        trail.extend(anchor_clock.trail)
        evidence.extend(_clock_evidence(anchor_clock))
        fact_values.update(_clock_facts(anchor_clock))
    for name, clock in facts.clocks.items():
        # Other clocks this lapse's condition read (e.g. deemed acceptance) explain too.
        if clock is not anchor_clock and name in _clock_names(lapse) and clock.deadline is not None:
            trail.extend(clock.trail)
    ev = cand.event
    if ev is not None:
        evidence.append(ev)
        fact_values["event_time"] = ev.time.isoformat()
        fact_values["index"] = cand.scope.index
        trail.append(
            Step(
                "event",
                f"{ev.activity}（{ev.event_id}，{ev.time.date().isoformat()}，"
                f"{ev.actor or '经办人空'}）",
                str(lapse.ref),
                ev.event_id,
            )
        )
        refused_of = _refused_clock(facts, lapse)
        if refused_of is not None:
            trail.extend(s for s in refused_of.trail if s.kind in ("clock_start", "limit"))
            for x in refused_of.extensions:
                if x.event is ev and not x.accepted:
                    fact_values["reason"] = x.reason
                    fact_values["deadline"] = x.deadline_before.isoformat()
                    trail.append(
                        Step(
                            "extension",
                            f"该延期不予认可：{x.reason}；不延长期限",
                            str(lapse.ref),
                            ev.event_id,
                        )
                    )
    custody = frozenset(policy.custody) if policy.custody else None
    resolved = [_subject(facts, rule, cand, trail, custody) for rule in lapse.subjects]
    subjects = [s for s in resolved if s is not None] or [_unattributed(history, ev, trail)]
    grade = _grade(lapse, band, cand, trail)
    anchor = _anchor(anchor_clock, ev)
    if anchor_clock is not None and anchor_clock.provisional:
        fact_values["provisional"] = True
    fid = finding_id(policy.id, lapse.id, history.case_id, subjects[0].person, anchor)
    evidence = _dedupe(evidence)
    return Finding(
        id=fid,
        case_id=history.case_id,
        lapse=lapse.id,
        label=lapse.label,
        category=lapse.category,
        grade=grade,
        ladder=lapse.grading.ladder,
        subjects=subjects,
        facts=fact_values,
        evidence=evidence,
        explanation=trail,
        policy=policy,
        anchor=anchor,
        provisional=bool(fact_values.get("provisional")),
        extra={"lapse_source": lapse.source},
    )


def finding_id(policy_id: str, lapse_id: str, case_id: str, person: str, anchor: str) -> str:
    raw = "\x1f".join((policy_id, lapse_id, case_id, person, anchor)).encode()
    return hashlib.sha256(raw).hexdigest()[:20]


def _clock_names(lapse: Lapse) -> set[str]:
    return {r.clock for r in refs_of(lapse.condition) if isinstance(r, ClockRef)}


def _refused_clock(facts: CaseFacts, lapse: Lapse) -> ClockResult | None:
    fe = lapse.for_each
    if fe is None or fe.kind is not ForEachKind.REFUSED_EXTENSION:
        return None
    return facts.clocks.get(fe.target)


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
    return [e for e in out if e is not None]


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


def _subject(
    facts: CaseFacts,
    rule: SubjectRule,
    cand: Candidate,
    trail: list[Step],
    custody: frozenset[str] | None,
) -> Subject | None:
    resp = rule.responsibility.value
    ref = str(rule.ref)
    if rule.kind is SubjectKind.ACTOR_OF_IT:
        ev = cand.event
        if ev is None or not ev.actor:
            return None
        trail.append(
            Step("holder", f"责任人：{ev.actor}（{ev.activity}的经办人）— {resp}", ref, ev.event_id)
        )
        return Subject(ev.actor, resp, ev.unit)
    if rule.kind in (SubjectKind.ACTOR_OF_FIRST, SubjectKind.ACTOR_OF_LAST):
        events = facts.history.of(rule.target)
        if not events:
            return None
        ev = events[0] if rule.kind is SubjectKind.ACTOR_OF_FIRST else events[-1]
        if not ev.actor:
            return None
        which = "首次" if rule.kind is SubjectKind.ACTOR_OF_FIRST else "最后一次"
        trail.append(
            Step(
                "holder",
                f"责任人：{ev.actor}（{which}{ev.activity}的经办人）— {resp}",
                ref,
                ev.event_id,
            )
        )
        return Subject(ev.actor, resp, ev.unit)
    clock = facts.clocks.get(rule.target)
    if clock is None or clock.deadline is None or clock.start_event is None:
        return None
    holder, why, unit, event_id = holder_at(
        facts.history, clock.start_event, clock.deadline, custody
    )
    if not holder:
        return None
    trail.append(
        Step(
            "holder",
            f"责任人：{holder}（期限届满日 {clock.deadline.isoformat()} 终了时的承办人：{why}）"
            f"— {resp}",
            ref,
            event_id,
        )
    )
    return Subject(holder, resp, unit)


def holder_at(
    history: CaseHistory, accepting: Event, day: date, custody: frozenset[str] | None
) -> tuple[str, str, str, str]:
    """§6.6: the assignee of the latest custody event at or before the end of `day`;
    before any, the actor of the accepting (or deemed-receiving) event.
    Returns (person, reason, unit, event id)."""
    latest: Event | None = None
    for e in history.events:
        if e.time.date() > day:
            break
        if e.assignee and (custody is None or e.activity in custody):
            latest = e
    if latest is not None:
        return (
            latest.assignee,
            f"{latest.time.date().isoformat()} {latest.activity}给 {latest.assignee}",
            latest.unit,
            latest.event_id,
        )
    return (
        accepting.actor,
        f"此前无分派/转办记录，按{accepting.activity}的经办人",
        accepting.unit,
        accepting.event_id,
    )


def _unattributed(history: CaseHistory, ev: Event | None, trail: list[Step]) -> Subject:
    units = [e.unit for e in history.events if e.unit]
    unit = ev.unit if ev is not None and ev.unit else (units[-1] if units else "")
    reason = "责任条款未能确定具体责任人（相关记录缺少经办人）"
    trail.append(Step("holder", f"{UNATTRIBUTED}：{reason}；责任单位 {unit or '未知'}"))
    return Subject("", UNATTRIBUTED, unit, reason)


def _grade(lapse: Lapse, band: int, cand: Candidate, trail: list[Step]) -> str:
    g = lapse.grading
    ref = str(g.ref)
    if band == FIXED:
        level = g.fixed or ""
        trail.append(Step("grade", f"处理：{level}（{g.ladder}，固定档）", ref))
        return level
    assert g.measure is not None
    value = resolve(g.measure, cand.scope)
    if band == NO_BAND:
        trail.append(Step("grade", f"量度 {value} 不在任何分档内，未定档", ref))
        return ""
    b = g.bands[band]
    rng = f"{b.low}..{b.high}" if b.high is not None else f"{b.low}.."
    trail.append(
        Step("grade", f"处理：{b.level}（{g.ladder}；量度 {value} 落在 {rng} 档）", str(b.ref))
    )
    return b.level
