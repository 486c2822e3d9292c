"""Attribution: who answers for a lapse, with which responsibility type, and why.

In: a case's derived facts, the lapse's responsibility clauses, the candidate it was found
on, the day of the conduct, and the registers (roster, votes).
Out: `Subject`s, each with its reason added to the explanation trail. A clause that finds
nobody adds a step saying why; a lapse whose clauses all find nobody is attributed to
`责任主体不明确` with the unit — never dropped (问事必问人).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from engine.clock_explain import CACHE_LIMIT, day_text, ref_text, shared_step
from engine.clocks import Step
from engine.derive import Candidate, CaseFacts
from engine.ir import Responsibility, SubjectKind, SubjectRule
from engine.model import CaseHistory, Event
from engine.registers import EXEMPT_VOTES, Registers, Roster

UNATTRIBUTED = "责任主体不明确"


@dataclass(slots=True)
class Subject:
    """Who answers for a finding. Not frozen: every finding makes one, and a frozen
    dataclass pays for `object.__setattr__` on every field; treat it as read-only."""

    person: str
    responsibility: str
    unit: str = ""
    reason: str = ""

    def as_dict(self) -> dict[str, str]:
        d = {"person": self.person, "responsibility": self.responsibility}
        if self.unit:
            d["unit"] = self.unit
        if self.reason:
            d["reason"] = self.reason
        return d


def attribute(
    facts: CaseFacts,
    rules: tuple[SubjectRule, ...],
    cand: Candidate,
    conduct: date,
    custody: frozenset[str] | None,
    registers: Registers,
    trail: list[Step],
) -> list[Subject]:
    clauses = _clauses(rules)
    if len(clauses) == 1:  # most lapses: one clause, and no later one reads its subjects
        clause = clauses[0]
        found = clause.resolve(facts, clause, cand, conduct, custody, registers, trail, [])
    else:
        found = []
        direct: list[Subject] = []  # leadership clauses are relative to the direct subject
        for clause in clauses:
            subjects = clause.resolve(
                facts, clause, cand, conduct, custody, registers, trail, direct
            )
            if clause.direct:  # a clause names its subjects with its own responsibility
                direct.extend(subjects)
            found.extend(subjects)
    return _distinct(found) or [_unattributed(facts.history, cand.event, trail)]


def _distinct(subjects: list[Subject]) -> list[Subject]:
    """Each (person, responsibility) once, where it first comes."""
    if len(subjects) < 2:
        return subjects
    seen: set[tuple[str, str]] = set()
    out: list[Subject] = []
    for s in subjects:
        if (s.person, s.responsibility) not in seen:
            seen.add((s.person, s.responsibility))
            out.append(s)
    return out


_DIRECT = Responsibility.DIRECT.value


@dataclass(frozen=True, slots=True)
class _Clause:
    """A responsibility clause with what every finding would otherwise recompute from it:
    the function that resolves its kind, the responsibility's wording (an enum property),
    the policy line it cites, and the steps that depend on a day alone (a `Step` is
    immutable: findings share them)."""

    rule: SubjectRule
    kind: SubjectKind
    resp: str
    direct: bool  # resp is the direct responsibility
    ref: str
    resolve: _Resolver
    by_day: dict[date, Step]  # leadership without a roster: the step per conduct day


# A clause's resolver: (facts, clause, candidate, conduct day, custody activities,
# registers, trail, direct subjects found so far) -> the subjects it names.
_Resolver = Callable[
    [
        CaseFacts,
        _Clause,
        Candidate,
        date,
        frozenset[str] | None,
        Registers,
        list[Step],
        list[Subject],
    ],
    list[Subject],
]


# id(rules) -> (rules, their clauses, direct responsibility first: leadership clauses are
# relative to the direct subject's unit). The tuple is held so that its id stays its own.
_CLAUSES: dict[int, tuple[tuple[SubjectRule, ...], tuple[_Clause, ...]]] = {}


def _clauses(rules: tuple[SubjectRule, ...]) -> tuple[_Clause, ...]:
    hit = _CLAUSES.get(id(rules))
    if hit is None:
        if len(_CLAUSES) >= CACHE_LIMIT:
            _CLAUSES.clear()
        ordered = sorted(rules, key=lambda r: r.responsibility is not Responsibility.DIRECT)
        clauses = tuple(
            _Clause(
                r,
                r.kind,
                r.responsibility.value,
                r.responsibility.value == _DIRECT,
                ref_text(r.ref),
                _RESOLVERS[r.kind],
                {},
            )
            for r in ordered
        )
        hit = _CLAUSES[id(rules)] = (rules, clauses)
    return hit[1]


def _actor_of_it(
    facts: CaseFacts,
    clause: _Clause,
    cand: Candidate,
    conduct: date,
    custody: frozenset[str] | None,
    registers: Registers,
    trail: list[Step],
    direct: list[Subject],
) -> list[Subject]:
    resp, ref = clause.resp, clause.ref
    ev = cand.event
    if ev is None or not ev.actor:
        trail.append(Step("holder", f"{resp}：该事件没有经办人记录", ref))
        return []
    trail.append(
        Step("holder", f"责任人：{ev.actor}（{ev.activity}的经办人）— {resp}", ref, ev.event_id)
    )
    return [Subject(ev.actor, resp, ev.unit)]


def _actor_of_first_or_last(
    facts: CaseFacts,
    clause: _Clause,
    cand: Candidate,
    conduct: date,
    custody: frozenset[str] | None,
    registers: Registers,
    trail: list[Step],
    direct: list[Subject],
) -> list[Subject]:
    rule, resp, ref = clause.rule, clause.resp, clause.ref
    first = clause.kind is SubjectKind.ACTOR_OF_FIRST
    ev = _first_of(facts.history.events, rule.target, first)
    if ev is None:
        trail.append(Step("holder", f"{resp}：本案没有{rule.target}记录", ref))
        return []
    if not ev.actor:
        trail.append(
            Step(
                "holder",
                f"{resp}：{ev.activity}（{ev.event_id}）没有经办人记录",
                ref,
                ev.event_id,
            )
        )
        return []
    which = "首次" if first else "最后一次"
    trail.append(
        Step(
            "holder",
            f"责任人：{ev.actor}（{which}{ev.activity}的经办人）— {resp}",
            ref,
            ev.event_id,
        )
    )
    return [Subject(ev.actor, resp, ev.unit)]


def _first_of(events: list[Event], activity: str, first: bool) -> Event | None:
    """The first (or last) event of the activity: `history.of(activity)[0]` (or `[-1]`)
    without building the list of them all."""
    for e in events if first else reversed(events):
        if e.activity == activity:
            return e
    return None


def _holder(
    facts: CaseFacts,
    clause: _Clause,
    cand: Candidate,
    conduct: date,
    custody: frozenset[str] | None,
    registers: Registers,
    trail: list[Step],
    direct: list[Subject],
) -> list[Subject]:
    rule, resp, ref = clause.rule, clause.resp, clause.ref
    clock = facts.clocks.get(rule.target)
    if clock is None or clock.deadline is None or clock.start_event is None:
        trail.append(
            Step(
                "holder", f"{resp}：「{rule.target}」未计算出期限，无法确定期限届满时的承办人", ref
            )
        )
        return []
    at = getattr(clock, "deadline_at", None)  # hour clocks end at an instant, not a day
    holder, why, unit, event_id = holder_at(
        facts.history, clock.start_event, clock.deadline, custody, at
    )
    when = (
        at.isoformat(timespec="minutes") if at is not None else f"{day_text(clock.deadline)} 终了"
    )
    if not holder:
        trail.append(
            Step("holder", f"{resp}：期限届满时（{when}）的承办人没有记录（{why}）", ref, event_id)
        )
        return []
    trail.append(
        Step(
            "holder",
            f"责任人：{holder}（期限届满时 {when} 的承办人：{why}）— {resp}",
            ref,
            event_id,
        )
    )
    return [Subject(holder, resp, unit)]


def holder_at(
    history: CaseHistory,
    accepting: Event,
    day: date,
    custody: frozenset[str] | None,
    instant: datetime | None = None,
) -> tuple[str, str, str, str]:
    """DESIGN §6.6: the assignee of the latest custody event at or before the end of `day`
    (or at or before `instant`, for an hour clock's deadline); before any, the actor of the
    accepting (or deemed-receiving) event. Returns (person, reason, unit, event id)."""
    latest: Event | None = None
    for e in history.events:
        if (e.time > instant) if instant is not None else (e.time.date() > day):
            break
        hands_over = (e.activity in custody) if custody is not None else bool(e.assignee)
        # The accepting event itself, naming no assignee, hands nothing over: its actor
        # holds the case (§6.6), as when there is no custody event at all.
        if hands_over and (e.assignee or e is not accepting):
            latest = e
    if latest is not None and not latest.assignee:
        # A declared hand-over that names nobody: the case left the previous holder, and the
        # export does not say for whom. Naming the previous holder would accuse the wrong
        # person; the lapse goes to 责任主体不明确 (the loader reported the row).
        why = f"{latest.time.date().isoformat()} {latest.activity}（{latest.event_id}）未写明接收人"
        return "", why, latest.unit, latest.event_id
    if latest is not None:
        why = f"{day_text(latest.time.date())} {latest.activity}给 {latest.assignee}"
        return latest.assignee, why, latest.unit, latest.event_id
    why = f"此前无分派/转办记录，按{accepting.activity}的经办人"
    return accepting.actor, why, accepting.unit, accepting.event_id


def _leader(
    facts: CaseFacts,
    clause: _Clause,
    cand: Candidate,
    conduct: date,
    custody: frozenset[str] | None,
    registers: Registers,
    trail: list[Step],
    direct: list[Subject],
) -> list[Subject]:
    rule, resp, ref = clause.rule, clause.resp, clause.ref
    roster = registers.roster
    if not roster.posts:
        step = clause.by_day.get(conduct)  # the same for every lapse of that day
        if step is None:
            if len(clause.by_day) >= CACHE_LIMIT:
                clause.by_day.clear()
            text = f"{resp}：未提供人员名册（--roster），无法确定 {conduct.isoformat()} 的领导"
            step = clause.by_day[conduct] = shared_step("leader", text, ref)
        trail.append(step)
        return []
    unit = rule.target or _unit_of_direct(direct, roster, conduct)
    if not unit:
        trail.append(Step("leader", f"{resp}：无法确定直接责任人所在单位", ref))
        return []
    if rule.kind is SubjectKind.PRINCIPAL_OF_UNIT:
        post = roster.principal(unit, conduct)
        what = "主要负责人"
    else:
        areas = [
            a
            for a in (
                facts.history.attrs.get("matter", ""),
                facts.history.attrs.get("kind", ""),
                direct[0].unit if direct else "",
            )
            if a
        ]
        post = next((p for a in areas if (p := roster.deputy(unit, a, conduct)) is not None), None)
        what = f"分管领导（分管 {'、'.join(areas) or '—'}）"
    if post is None:
        trail.append(
            Step("leader", f"{resp}：名册中没有 {unit} 在 {conduct.isoformat()} 的{what}", ref)
        )
        return []
    name = f"{post.person}（{post.name}）" if post.name else post.person
    span = f"{post.valid_from.isoformat()}起" + (
        f"至{post.valid_to.isoformat()}" if post.valid_to else "在任"
    )
    trail.append(
        Step(
            "leader",
            f"{resp}：{name}，{conduct.isoformat()} 时任 {unit} {what}（{span}；名册 {roster.file}:{post.line}）",
            ref,
        )
    )
    return [Subject(post.person, resp, unit)]


def _unit_of_direct(direct: list[Subject], roster: Roster, day: date) -> str:
    """The direct subject's unit as the export recorded it, else as the roster says."""
    for s in direct:
        if s.unit:
            return s.unit
    for s in direct:
        unit = roster.unit_of(s.person, day)
        if unit:
            return unit
    return ""


def _voters(
    facts: CaseFacts,
    clause: _Clause,
    cand: Candidate,
    conduct: date,
    custody: frozenset[str] | None,
    registers: Registers,
    trail: list[Step],
    direct: list[Subject],
) -> list[Subject]:
    rule, resp, ref = clause.rule, clause.resp, clause.ref
    decision = _first_of(facts.history.events, rule.target, True)
    if decision is None:
        trail.append(Step("vote", f"{resp}：本案没有{rule.target}记录", ref))
        return []
    votes = registers.votes.of(decision.event_id)
    if not votes:
        trail.append(
            Step(
                "vote",
                f"{resp}：表决记录（--votes）中没有 {decision.event_id} 的表决情况",
                ref,
                decision.event_id,
            )
        )
        return []
    out = []
    for v in votes:
        role = "主持人" if v.chair else "参与者"
        if v.vote in EXEMPT_VOTES:
            trail.append(
                Step(
                    "vote",
                    f"{v.person}（{role}）表决意见为「{v.vote}」，依问责条例第十七条不予问责",
                    ref,
                    decision.event_id,
                )
            )
        elif v.vote == "同意" or v.chair:
            trail.append(
                Step(
                    "vote",
                    f"{v.person}（{role}）表决意见为「{v.vote}」— {resp}",
                    ref,
                    decision.event_id,
                )
            )
            out.append(Subject(v.person, resp, decision.unit))
        else:
            trail.append(
                Step(
                    "vote",
                    f"{v.person}（{role}）表决意见为「{v.vote}」，非赞成者，不承担集体决策责任",
                    ref,
                    decision.event_id,
                )
            )
    return out


def _unattributed(history: CaseHistory, ev: Event | None, trail: list[Step]) -> Subject:
    units = [e.unit for e in history.events if e.unit]
    unit = ev.unit if ev is not None and ev.unit else (units[-1] if units else "")
    reason = "责任条款未能确定具体责任人"
    trail.append(Step("holder", f"{UNATTRIBUTED}：{reason}；责任单位 {unit or '未知'}"))
    return Subject("", UNATTRIBUTED, unit, reason)


_RESOLVERS: dict[SubjectKind, _Resolver] = {
    SubjectKind.ACTOR_OF_IT: _actor_of_it,
    SubjectKind.ACTOR_OF_FIRST: _actor_of_first_or_last,
    SubjectKind.ACTOR_OF_LAST: _actor_of_first_or_last,
    SubjectKind.HOLDER_AT_DEADLINE: _holder,
    SubjectKind.PRINCIPAL_OF_UNIT: _leader,
    SubjectKind.DEPUTY_OF_UNIT: _leader,
    SubjectKind.VOTERS_OF: _voters,
}
