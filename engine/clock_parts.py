"""The parts of a clock that read events: suspensions, extensions and their notices.

In: one case's events (with activity positions), the clock's rules, the index window of
events between the clock's start and stop. Out: suspension pairs (opening event, closing
event or None when still open at as_of), and judgements of extension approvals (the rule
that admits one, or the reason it extends nothing; its own amount; whether the applicant
was told in time). Counting the days or hours is engine.clock_count's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from engine.expr_eval import ClockView, Scope, holds
from engine.ir import Clock, Expr, Extension, Limit, NoticeRule, Suspension, Unit
from engine.model import CaseHistory, Event

SuspensionPair = tuple[Suspension, Event, Event | None]
Positions = Mapping[str, tuple[int, ...]]  # activity -> indexes into the case's events, ascending


@dataclass(slots=True)
class Step:
    """One line of a finding's explanation trail. Not frozen: an audit builds a quarter of
    a million, and a frozen dataclass pays for `object.__setattr__` on every field. Steps
    are shared between findings (engine.clock_explain.shared_step): treat them as
    read-only."""

    kind: str  # clock_start, suspension, extension, limit, deadline, stop, holder, grade …
    text: str  # in the inspector's language (Chinese)
    policy: str = ""  # policy file:line of the rule text behind the step
    event: str = ""  # event id the step rests on

    def as_dict(self) -> dict[str, str]:
        d = {"step": self.kind, "text": self.text}
        if self.policy:
            d["policy"] = self.policy
        if self.event:
            d["event"] = self.event
        return d


@dataclass(slots=True)
class ExtensionOutcome:
    """How one extension approval was judged. Not frozen: a frozen dataclass pays for
    `object.__setattr__` on every field, and an audit judges many; treat it as read-only."""

    event: Event
    accepted: bool
    reason: str
    deadline_before: date
    deadline_after: date
    amount: int = 0  # units this approval added (0 when refused)
    unit: Unit | None = None  # … counted in this unit


def _ok(
    cond: Expr | None,
    e: Event,
    history: CaseHistory,
    earlier: Mapping[str, ClockView],
    counts: Mapping[str, int],
) -> bool:
    return cond is None or holds(cond, Scope(history, earlier, counts, e))


def pair_suspensions(
    history: CaseHistory,
    clock: Clock,
    earlier: Mapping[str, ClockView],
    counts: Mapping[str, int],
    positions: Positions,
    lo: int,
    hi: int,
) -> list[SuspensionPair]:
    """Each opening event opens a suspension (unless one of the rule is open) that the next
    closing event closes; one still open at the end stays open (§6.3: it runs through
    as_of). Events at one instant are simultaneous: an open suspension closes first and
    may reopen; with none open, an opening and a closing at one instant make a pause of
    that instant. So the pairs never depend on the row order of simultaneous events."""
    events = history.events
    out: list[SuspensionPair] = []
    for susp in clock.suspensions:
        opens_at = positions.get(susp.start_activity)
        if not opens_at:
            continue
        start_act, ends = susp.start_activity, susp.end_activities
        start_when, end_when = susp.start_when, susp.end_when
        if len(ends) == 1:  # one closing activity: its positions, as they are
            closes_at: Sequence[int] = positions.get(ends[0], ())
        else:
            closes_at = sorted(p for a in ends for p in positions.get(a, ()))
        if len(opens_at) == 1 and start_when is None and end_when is None:
            _pair_one(out, susp, events, opens_at[0], closes_at, lo, hi)
            continue
        idx = sorted({p for p in (*opens_at, *closes_at) if lo <= p < hi})
        open_ev: Event | None = None
        k, n = 0, len(idx)
        while k < n:
            t = events[idx[k]].time
            opening: list[Event] = []
            closing: list[Event] = []
            while k < n and events[idx[k]].time == t:
                e = events[idx[k]]
                k += 1
                if e.activity == start_act and (
                    start_when is None or _ok(start_when, e, history, earlier, counts)
                ):
                    opening.append(e)
                if e.activity in ends and (
                    end_when is None or _ok(end_when, e, history, earlier, counts)
                ):
                    closing.append(e)
            if open_ev is not None and closing:
                closer = closing[0]
                out.append((susp, open_ev, closer))
                open_ev = _other_than(opening, closer)
            elif open_ev is None and opening:
                open_ev = opening[0]
                closer2 = _other_than(closing, open_ev)
                if closer2 is not None:
                    out.append((susp, open_ev, closer2))
                    open_ev = None
        if open_ev is not None:
            out.append((susp, open_ev, None))
    return out


def _pair_one(
    out: list[SuspensionPair],
    susp: Suspension,
    events: Sequence[Event],
    opens: int,
    closes_at: Sequence[int],
    lo: int,
    hi: int,
) -> None:
    """pair_suspensions for a rule without conditions whose activity opens once in the
    case (nearly every suspension): its pairing, taken straight to the answer. The
    opening, if in the window, is closed by the first closing event in the window at or
    after its instant that is not itself; closings before it find nothing open."""
    if not lo <= opens < hi:
        return
    t = events[opens].time
    closer = None
    for p in closes_at:
        if lo <= p < hi and p != opens and events[p].time >= t:
            closer = events[p]
            break
    out.append((susp, events[opens], closer))


def _other_than(events: Sequence[Event], e: Event) -> Event | None:
    """The first of these events that is not e (a simultaneous opening and closing may
    be one event of an activity that does both)."""
    for x in events:
        if x is not e:
            return x
    return None


def extension_events(
    clock: Clock, events: Sequence[Event], positions: Positions, lo: int, hi: int
) -> list[Event]:
    """Approvals that ask to extend the clock, between its start and stop, in order."""
    acts = clock.extension_activities
    if len(acts) == 1:
        (act,) = acts
        where = positions.get(act)
        if where is None:  # the common case: no approval at all
            return []
        return [events[p] for p in where if lo <= p < hi]
    idx = sorted(p for a in acts for p in positions.get(a, ()) if lo <= p < hi)
    return [events[p] for p in idx]


def simultaneous(events: Sequence[Event]) -> list[list[Event]]:
    """Events grouped by instant, in time order; within an instant by event id, so that
    simultaneous approvals are judged the same whatever their order in the file."""
    groups: list[list[Event]] = []
    for e in events:
        if groups and groups[-1][0].time == e.time:
            groups[-1].append(e)
        else:
            groups.append([e])
    for g in groups:
        if len(g) > 1:
            g.sort(key=lambda e: e.event_id)
    return groups


def judge_extension(
    limit: Limit, e: Event, late: bool, deadline: date, used: Mapping[int, int]
) -> tuple[Extension | None, str]:
    """§6.5: the rule that admits approval e, or None and why it extends nothing.
    `late`: the approval came after the current deadline (day, or instant for hours);
    `used`: approvals accepted so far, by id of the rule (one of limit.extensions)."""
    if not limit.extensions:
        return None, "适用的期限不允许延长"
    rule = _rule_for(limit.extensions, e)
    if rule is None:
        roles = "、".join(sorted({x.role for x in limit.extensions}))
        return None, f"批准人角色为「{e.role or '空'}」，须为「{roles}」"
    if rule.before_deadline and late:
        return None, f"批准日 {e.time.date().isoformat()} 晚于当时期限 {deadline.isoformat()}"
    if used.get(id(rule), 0) >= rule.max_times:
        return None, f"已达到可延长次数上限（{rule.max_times} 次）"
    return rule, f"批准人角色「{e.role}」符合，且在期限届满前批准"


def _rule_for(rules: Sequence[Extension], e: Event) -> Extension | None:
    """The first extension rule for approval e's activity and role."""
    for x in rules:
        if x.activity == e.activity and x.role == e.role:
            return x
    return None


def extension_amount(rule: Extension, e: Event) -> tuple[int, str]:
    """The units this approval adds: its own recorded amount (`as ATTR`), at most the
    rule's; the rule's amount when the event records none (the reading that never makes
    a deadline earlier than the rule allows)."""
    if not rule.amount_attr:
        return rule.amount, ""
    raw = e.attrs.get(rule.amount_attr, "").strip()
    if not raw.isdigit() or int(raw) < 1:
        return (
            rule.amount,
            f"未载明有效的{rule.amount_attr}，按上限 {rule.amount}{rule.unit.label}计",
        )
    n = int(raw)
    if n > rule.amount:
        return (
            rule.amount,
            f"{rule.amount_attr}为 {n}，超过上限，按 {rule.amount}{rule.unit.label}计",
        )
    return n, f"{rule.amount_attr}为 {n}"


def notice_given(
    notice: NoticeRule,
    e: Event,
    history: CaseHistory,
    positions: Positions,
    due: date,
    as_of: date,
) -> tuple[bool, str]:
    """Whether the applicant was told of approval e by `due` (the notice event at or after
    the approval, on or before the due day). While the due day has not passed at as_of
    the extension stands: a notice may still come."""
    for p in positions.get(notice.activity, ()):
        n = history.events[p]
        if n.time >= e.time:
            if n.time.date() <= due:
                return True, f"已于 {n.time.date().isoformat()} {notice.activity}"
            break
    if as_of <= due:
        return True, f"{notice.activity}期限 {due.isoformat()} 尚未届满"
    label = notice.unit.label
    return False, (
        f"未在批准后 {notice.amount}{label}内（{due.isoformat()} 前）{notice.activity}，延期无效"
    )
