"""Versions of one policy over time: 规则在先 and 从旧兼从轻.

In: the versions of a policy (same id, different effective dates) and, per version, the
findings it produced on the same histories. Out: the findings that stand. A lapse is judged
by the version in force on its conduct day (or on the day of the policy's `version_by`
activity); if the version in force at `as_of` grades it more lightly, or not at all, the
lighter applies (政务处分法 art. 67's model). Each finding records both versions and the
choice. `version_problems` finds overlaps and gaps for `wenze check`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from engine.clocks import Step
from engine.findings import Finding
from engine.ir import Policy
from engine.model import CaseHistory

NOT_PURSUED = "不予追究"


@dataclass(frozen=True)
class Span:
    policy: Policy
    start: date
    end: date | None  # inclusive; None = open


def spans(versions: Sequence[Policy]) -> list[Span]:
    """Each version's span: from its effective date to its `until`, or to the day before
    the next version takes effect."""
    ordered = sorted(versions, key=lambda p: (p.effective, p.version))
    out = []
    for i, p in enumerate(ordered):
        nxt = ordered[i + 1].effective - timedelta(days=1) if i + 1 < len(ordered) else None
        end = p.effective_until if p.effective_until is not None else nxt
        out.append(Span(p, p.effective, end))
    return out


def in_force(versions: Sequence[Policy], day: date) -> Policy | None:
    for s in spans(versions):
        if s.start <= day and (s.end is None or day <= s.end):
            return s.policy
    return None


def version_problems(versions: Sequence[Policy]) -> list[str]:
    """Overlaps and gaps between consecutive versions (only explicit `until`s can make them)."""
    ordered = sorted(versions, key=lambda p: (p.effective, p.version))
    problems = []
    for a, b in itertools.pairwise(ordered):
        end = a.effective_until
        if end is None:
            continue
        if end >= b.effective:
            problems.append(
                f"{a.file}: version {a.version} (until {end}) overlaps version {b.version} "
                f"(effective {b.effective}) in {b.file}"
            )
        elif end + timedelta(days=1) < b.effective:
            problems.append(
                f"{a.file}: version {a.version} ends {end} but version {b.version} only takes "
                f"effect {b.effective} ({b.file}): days in between have no rules"
            )
    return problems


def basis_day(f: Finding, history: CaseHistory | None) -> date:
    by = f.policy.version_by
    if by and history is not None:
        first = next((e for e in history.events if e.activity == by), None)
        if first is not None:
            return first.time.date()
    return f.conduct


def _key(f: Finding) -> tuple[str, str, str, str]:
    event_anchor = f.anchor if "#" in f.anchor else ""
    return (f.case_id, f.lapse, f.person, event_anchor)


def choose(
    versions: Sequence[Policy],
    by_version: dict[str, list[Finding]],
    histories: dict[str, CaseHistory],
    as_of: date,
) -> list[Finding]:
    """Keep each finding of the version in force at its basis day, lightened per 从旧兼从轻."""
    now = in_force(versions, as_of)
    now_index = {_key(f): f for f in by_version.get(now.version, [])} if now is not None else {}
    out: list[Finding] = []
    for v in versions:
        for f in by_version.get(v.version, []):
            day = basis_day(f, histories.get(f.case_id))
            judged = in_force(versions, day)
            if judged is None or judged.version != v.version:
                continue  # another version judges this conduct
            out.append(_lighter(f, v, now, now_index.get(_key(f)), day))
    return out


def _lighter(
    f: Finding, old: Policy, now: Policy | None, twin: Finding | None, day: date
) -> Finding:
    record = {
        "conduct_version": old.version,
        "basis_day": day.isoformat(),
        "as_of_version": now.version if now is not None else "",
        "applied": old.version,
    }
    if now is None or now.version == old.version:
        f.extra["versions"] = record
        return f
    if twin is None:
        record["applied"] = now.version
        f.grade = NOT_PURSUED
        f.facts["not_pursued"] = True
        f.explanation.append(
            Step(
                "version",
                f"行为时（{day.isoformat()}）适用版本 {old.version}；现行版本 {now.version} "
                f"不认为是问题，依从旧兼从轻不予追究",
            )
        )
    elif 0 <= twin.grade_rank < f.grade_rank:
        record["applied"] = now.version
        f.explanation.append(
            Step(
                "version",
                f"行为时适用版本 {old.version}（{f.grade}）；现行版本 {now.version} 处理较轻"
                f"（{twin.grade}），依从旧兼从轻适用现行版本",
            )
        )
        f.grade, f.grade_state = twin.grade, twin.grade_state
    else:
        f.explanation.append(
            Step(
                "version",
                f"行为时（{day.isoformat()}）适用版本 {old.version}；现行版本 {now.version} "
                f"不更轻（{twin.grade}），适用行为时版本",
            )
        )
    f.extra["versions"] = record
    return f
