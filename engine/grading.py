"""Grading: a base grade from the lapse's bands, then ordered modifiers, each explained.

In: findings with their base grade and the outcome of case-level modifier conditions;
the run's other findings, prior confirmed findings from the store and the sanctions
register (for person-level modifiers: repeat offences, a lapse during a sanction period).
Out: each finding's final grade, with one explanation step per modifier that applied,
capped at the ladder's ends; exempt findings stay in the output, marked exempt.

The person-level pass sees the whole run (DESIGN §9: partition by person for grading):
"earlier" means earlier in (conduct day, case, lapse, id) order, so results never depend
on input order.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Protocol

from engine.clock_explain import ref_text
from engine.clocks import Step
from engine.daycount import add_months
from engine.ir import Ladder, Modifier, ModifierKind
from engine.registers import Sanctions

EXEMPT_LABEL = "免予问责"


@dataclass(frozen=True)
class Prior:
    """A finding confirmed by a reviewer in an earlier run (dismissed ones never count)."""

    finding_id: str
    person: str
    category: str
    conduct: date


@dataclass(slots=True)  # slots: one per finding, read in run order (by day) by the person pass
class GradeState:
    """What the per-case stage knows of a finding's grade; the person pass finishes it."""

    ladder: Ladder | None
    base_rank: int  # -1: ungraded (no band matched)
    pending: list[tuple[Modifier, bool | None, str]] = field(
        default_factory=list
    )  # (mod, applies?, why)
    final_rank: int = -1
    exempt: bool = False


def level_of(state: GradeState) -> str:
    if state.exempt:
        return EXEMPT_LABEL
    if state.ladder is None or state.final_rank < 0:
        return ""
    return state.ladder.levels[state.final_rank]


class Gradable(Protocol):
    """What the person pass needs of a finding (engine.findings.Finding provides it)."""

    id: str
    case_id: str
    lapse: str
    category: str
    conduct: date
    grade: str
    grade_state: GradeState
    explanation: list[Step]
    facts: dict[str, object]

    @property
    def person(self) -> str: ...


def regrade(
    findings: Sequence[Gradable],
    priors: Iterable[Prior] = (),
    sanctions: Sanctions | None = None,
    as_of: date | None = None,
    pursuable_months: dict[str, int | None] | None = None,
) -> None:
    """Resolve person-level modifiers, apply every modifier in order, set the grade."""
    ordered = _in_run_order(findings)
    history: dict[tuple[str, str], _Past] = {}  # (person, category) -> their earlier lapses
    current_ids: set[str] | None = None  # built only when there are priors to check
    for p in priors:
        if current_ids is None:
            current_ids = {f.id for f in findings}
        if p.person and p.finding_id not in current_ids:
            _past(history, (p.person, p.category)).add(p.conduct, f"prior:{p.finding_id}")
    months_by_lapse = pursuable_months or {}
    for f in ordered:
        if f.facts.get("not_pursued"):
            continue  # a lighter later version does not treat it as a lapse: nothing to grade
        person = f.person
        state = f.grade_state
        if state.pending:
            resolved: list[tuple[Modifier, bool, str]] = []
            for mod, applies, why in state.pending:
                if applies is None:
                    applies, why = _person_condition(mod, f, person, history, sanctions)
                resolved.append((mod, applies, why))
            _apply(f, state, resolved)
        else:  # most lapses have no modifier: the base grade stands
            _settle(f, state, state.base_rank)
        if person:
            _past(history, (person, f.category)).add(f.conduct, f.id)
        if as_of is not None:
            months = months_by_lapse.get(f.lapse)
            if months is not None:
                _time_bar(f, as_of, months)


def _in_run_order(findings: Sequence[Gradable]) -> list[Gradable]:
    """The order in which "earlier" is meant for the person pass: (conduct day, case,
    lapse, id), never the input order. Two stable passes give it: the first runs over
    findings mostly in case order already, the second compares days alone; one pass on
    the 4-tuples costs more."""
    ordered = sorted(findings, key=_case_order)
    ordered.sort(key=_conduct)
    return ordered


_case_order = attrgetter("case_id", "lapse", "id")
_conduct = attrgetter("conduct")


def _past(history: dict[tuple[str, str], _Past], key: tuple[str, str]) -> _Past:
    past = history.get(key)
    if past is None:
        past = history[key] = _Past()
    return past


class _Past:
    """One person's earlier lapses of one category, kept sorted by day: a window count is
    two bisections, so a person with thousands of findings costs no quadratic scan."""

    __slots__ = ("days", "ids")

    def __init__(self) -> None:
        self.days: list[date] = []
        self.ids: list[str] = []

    def add(self, day: date, fid: str) -> None:
        days = self.days
        if not days or day >= days[-1]:  # the run comes in day order: usually the last
            days.append(day)
            self.ids.append(fid)
            return
        i = bisect.bisect_right(days, day)
        days.insert(i, day)
        self.ids.insert(i, fid)

    def span(self, lo: date, hi: date) -> tuple[int, int]:
        """The index range of the lapses from `lo` to `hi` (both included) in `ids`: a
        count and a few names need no copy of a busy person's thousands of ids."""
        return bisect.bisect_left(self.days, lo), bisect.bisect_right(self.days, hi)


def _person_condition(
    mod: Modifier,
    f: Gradable,
    person: str,
    history: dict[tuple[str, str], _Past],
    sanctions: Sanctions | None,
) -> tuple[bool, str]:
    if mod.repeat is not None:
        if not person:
            return False, "责任人不明确，不认定重复"
        category = mod.repeat.category or f.category
        past = history.get((person, category))
        if past is not None:
            start, end = past.span(_months_before(f.conduct, mod.repeat.months), f.conduct)
            if end > start:
                shown = "、".join(
                    [
                        f"{e[6:]}（已确认的以往发现）" if e.startswith("prior:") else e
                        for e in past.ids[start : min(end, start + 3)]
                    ]
                )
                return (
                    True,
                    f"{person} 在此前 {mod.repeat.months} 个月内已有同类（{category}）问题 {end - start} 件：{shown}",
                )
        return False, f"{person} 在此前 {mod.repeat.months} 个月内没有同类（{category}）问题"
    if mod.during_sanction:
        active = sanctions.active(person, f.conduct) if sanctions is not None and person else None
        if active is not None:
            return True, (
                f"{person} 于 {f.conduct.isoformat()} 处于{active.sanction}处分期内"
                f"（{active.effective.isoformat()}起 {active.months} 个月；处分登记第 {active.line} 行）"
            )
        return False, f"{person} 于 {f.conduct.isoformat()} 不在处分期内"
    return False, ""


# (day, months) -> the day that many months earlier: a repeat window opens there, and
# tens of thousands of findings share a few thousand days.
_MONTHS_BEFORE: dict[tuple[date, int], date] = {}


def _months_before(day: date, months: int) -> date:
    key = (day, months)
    since = _MONTHS_BEFORE.get(key)
    if since is None:
        if len(_MONTHS_BEFORE) >= 100_000:
            _MONTHS_BEFORE.clear()
        since = _MONTHS_BEFORE[key] = add_months(day, -months)
    return since


def _apply(f: Gradable, state: GradeState, resolved: list[tuple[Modifier, bool, str]]) -> None:
    rank = state.base_rank
    top = len(state.ladder.levels) - 1 if state.ladder is not None else -1
    for mod, applies, why in resolved:
        if not applies:
            continue
        ref = ref_text(mod.ref)
        src = f"（依据：{mod.source}）" if mod.source else ""
        if mod.kind is ModifierKind.EXEMPT:
            state.exempt = True
            f.explanation.append(Step("modifier", f"免予问责：{why}{src}", ref))
            break
        if rank < 0 or state.ladder is None:
            f.explanation.append(Step("modifier", f"未定档，{mod.kind.value} 不适用：{why}", ref))
            continue
        before = rank
        if mod.kind is ModifierKind.AGGRAVATE:
            rank = min(rank + mod.levels, top)
            verb = "从重"
        else:
            rank = max(rank - mod.levels, 0)
            verb = "从轻"
        capped = (
            "（已到措施序列端点）"
            if rank - before != (mod.levels if verb == "从重" else -mod.levels)
            else ""
        )
        f.explanation.append(
            Step(
                "modifier",
                f"{verb} {mod.levels} 档：{why}{src}；{state.ladder.levels[before]} → "
                f"{state.ladder.levels[rank]}{capped}",
                ref,
            )
        )
    _settle(f, state, rank)


def _settle(f: Gradable, state: GradeState, rank: int) -> None:
    """The final rank, and the grade it gives."""
    state.final_rank = rank
    f.grade = level_of(state)
    if state.exempt:
        f.facts["exempt"] = True


def _time_bar(f: Gradable, as_of: date | None, months: int | None) -> None:
    if as_of is None or months is None:
        return
    limit = add_months(f.conduct, months)
    if as_of > limit:
        f.facts["time_barred"] = True
        f.explanation.append(
            Step(
                "time_bar",
                f"问题发生于 {f.conduct.isoformat()}，追究时效 {months} 个月已于 "
                f"{limit.isoformat()} 届满：列明但不再追究",
            )
        )
