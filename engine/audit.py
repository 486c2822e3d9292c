"""The pure audit core: case histories + policy + calendar + as_of → findings.

In: case histories, a compiled `Policy`, a `WorkCalendar`, the `as_of` date and which
match stage to use ("durable", the production stage, or "python", the oracle).
Out: an `AuditOutcome` — findings sorted by (case, lapse, anchor), clock-state counts and
rule-stage statistics. No file, database or wall clock is touched here (DESIGN.md §3); the
durable stage runs in a worker process so a native crash cannot lose the audit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any, ClassVar

from engine.calendar import WorkCalendar
from engine.derive import CaseFacts, derive_case
from engine.findings import Finding, build_findings
from engine.grading import Prior, regrade
from engine.ir import Policy
from engine.match import DurableStage, Match, match_python
from engine.model import CaseHistory
from engine.registers import Registers, annotate_votes
from engine.versions import choose, in_force, spans

CHUNK = 4096
# Matches found by a screen, per (policy id, version) and case: a sharded audit's final
# pass builds findings from these instead of matching the cases again.
Screened = dict[tuple[str, str], dict[str, list[Match]]]
_EMPTY = Registers()  # cases derived, matched and turned into findings together


@dataclass
class AuditOutcome:
    findings: list[Finding]
    cases: int = 0
    events: int = 0
    clock_states: Counter[str] = field(default_factory=Counter)
    undetermined: list[tuple[str, str]] = field(default_factory=list)  # (case, clock)
    rule_stage: dict[str, Any] = field(default_factory=dict)
    engine_errors: list[str] = field(default_factory=list)
    # Set only by a screen: each matched case with its matches, in case order.
    screened: list[tuple[str, list[Match]]] | None = None


def audit_policies(
    histories: dict[str, CaseHistory],
    policies: Sequence[Policy],
    cal: WorkCalendar,
    as_of: date,
    *,
    stage: str = "durable",
    registers: Registers = _EMPTY,
    priors: Iterable[Prior] = (),
    progress: Callable[[int], None] | None = None,
    in_process: bool = False,
    given: Screened | None = None,
) -> AuditOutcome:
    """Audit under every policy; versions of one policy id are chosen per lapse (规则在先,
    从旧兼从轻); then the person pass finishes every grade over the whole run.

    `given`: the matches `screen_policies` found on these cases; no rule stage runs."""
    annotate_votes(histories, registers.votes)
    total = AuditOutcome(findings=[])
    for versions in _versions_by_policy(policies):

        def run(cases: Iterable[CaseHistory], v: Policy) -> AuditOutcome:
            return audit(
                cases,
                v,
                cal,
                as_of,
                stage=stage,
                registers=registers,
                progress=progress,
                in_process=in_process,
                given=None if given is None else given.get((v.id, v.version), {}),
            )

        by_version = _each_version(histories, versions, as_of, run, total)
        if len(versions) == 1:
            one = next(iter(by_version[versions[0].version]), AuditOutcome(findings=[]))
            total.cases, total.events = max(total.cases, one.cases), max(total.events, one.events)
            total.findings.extend(one.findings)
        else:
            found = {v: [f for o in outs for f in o.findings] for v, outs in by_version.items()}
            total.findings.extend(choose(versions, found, histories, as_of))
            total.cases = max(total.cases, len(histories))
            total.events = max(total.events, sum(len(h.events) for h in histories.values()))
    months = {f.lapse: f.policy.pursuable_months for f in total.findings}
    regrade(total.findings, priors, registers.sanctions, as_of, months)
    total.findings.sort(key=Finding.sort_key)
    return total


def screen_policies(
    histories: dict[str, CaseHistory],
    policies: Sequence[Policy],
    cal: WorkCalendar,
    as_of: date,
    *,
    stage: str = "durable",
    registers: Registers = _EMPTY,
    progress: Callable[[int], None] | None = None,
    in_process: bool = False,
) -> tuple[Screened, AuditOutcome]:
    """The matches `audit_policies` would build findings from, and the tallies it would
    give — without building findings (a share of a sharded audit, engine.shards). Each
    case is evaluated as `audit_policies` evaluates it, twins for 从旧兼从轻 included (their
    tallies, as there, not counted)."""
    annotate_votes(histories, registers.votes)
    total = AuditOutcome(findings=[])
    found: Screened = {}

    def screen(cases: list[CaseHistory], v: Policy) -> AuditOutcome:
        one = _audit_part(cases, v, cal, as_of, stage, registers, progress, in_process, True)
        found.setdefault((v.id, v.version), {}).update(one.screened or ())
        return one

    for versions in _versions_by_policy(policies):
        _each_version(histories, versions, as_of, screen, total)
    total.cases = len(histories)
    total.events = sum(len(h.events) for h in histories.values())
    return found, total


def _versions_by_policy(policies: Sequence[Policy]) -> list[list[Policy]]:
    """The versions of each policy id, oldest first; policy ids in order."""
    groups: dict[str, list[Policy]] = {}
    for p in policies:
        groups.setdefault(p.id, []).append(p)
    return [sorted(groups[pid], key=lambda p: (p.effective, p.version)) for pid in sorted(groups)]


def _each_version(
    histories: dict[str, CaseHistory],
    versions: list[Policy],
    as_of: date,
    run: Callable[[list[CaseHistory], Policy], AuditOutcome],
    total: AuditOutcome,
) -> dict[str, list[AuditOutcome]]:
    """Run the versions of one policy, for an audit or a screen alike: each case under the
    version that judges it, and under the version in force at `as_of` only where 从旧兼从轻
    needs a twin to compare with — not every case under every version. With `versioned
    by A` the judging version is known before evaluation (the day of the case's first A);
    a case without A, or a policy whose versions read different activities, is run under
    every version and left to `choose`. Returns each version's outcomes (the twins' last);
    their tallies go into `total`, the twins' only for engine errors."""
    several = len(versions) > 1
    judged = _judging_versions(histories, versions) if several else {}
    by_version: dict[str, list[AuditOutcome]] = {v.version: [] for v in versions}
    for v in versions:
        cases = [h for h in histories.values() if judged.get(h.case_id, v.version) == v.version]
        if cases:
            one = run(cases, v)
            _merge(total, one)
            by_version[v.version].append(one)
    now = in_force(versions, as_of) if several else None
    if now is not None:
        matched = {v: [c for o in outs for c in _matched(o)] for v, outs in by_version.items()}
        twins = _twins(versions, now, judged, matched)
        if twins:
            extra = run([histories[c] for c in twins], now)
            total.engine_errors.extend(
                e for e in extra.engine_errors if e not in total.engine_errors
            )
            by_version[now.version].append(extra)
    return by_version


def _matched(outcome: AuditOutcome) -> list[str]:
    """The cases where something matched: a screen's matched cases, an audit's cases with
    findings (one finding per match)."""
    if outcome.screened is not None:
        return [case_id for case_id, _matches in outcome.screened]
    return [f.case_id for f in outcome.findings]


def _twins(
    versions: list[Policy],
    now: Policy,
    judged: dict[str, str],
    matched: Mapping[str, Iterable[str]],
) -> list[str]:
    """The cases 从旧兼从轻 needs under the version in force at `as_of`: judged by an older
    version (known before evaluation) that found something there. `matched`: by version."""
    return sorted(
        {
            c
            for v in versions
            if v.version != now.version
            for c in matched.get(v.version, ())
            if c in judged
        }
    )


def _judging_versions(histories: dict[str, CaseHistory], versions: list[Policy]) -> dict[str, str]:
    """case id → the version in force on the day of its `versioned by` activity, for the
    cases where that is known before evaluation (engine.versions.basis_day's rule)."""
    by = {v.version_by for v in versions}
    if len(by) != 1 or not next(iter(by)):
        return {}
    activity = next(iter(by))
    ranges = [(s.start, s.end, s.policy.version) for s in spans(versions)]
    out: dict[str, str] = {}
    for case_id, h in histories.items():
        first = next((e for e in h.events if e.activity == activity), None)
        if first is None:
            continue
        day = first.time.date()
        for start, end, version in ranges:  # in_force's rule, spans computed once
            if start <= day and (end is None or day <= end):
                out[case_id] = version
                break
    return out


def _merge(total: AuditOutcome, one: AuditOutcome) -> None:
    total.clock_states.update(one.clock_states)
    total.undetermined.extend(one.undetermined)
    total.engine_errors.extend(e for e in one.engine_errors if e not in total.engine_errors)
    for k, v in one.rule_stage.items():
        if isinstance(v, int) and not isinstance(v, bool):
            total.rule_stage[k] = total.rule_stage.get(k, 0) + v


def audit(
    histories: Iterable[CaseHistory],
    policy: Policy,
    cal: WorkCalendar,
    as_of: date,
    *,
    stage: str = "durable",
    registers: Registers = _EMPTY,
    progress: Callable[[int], None] | None = None,
    in_process: bool = False,
    given: dict[str, list[Match]] | None = None,
) -> AuditOutcome:
    """One policy version; grades are base grades plus case-level modifiers until the
    person pass (`engine.grading.regrade`, run by `audit_policies`) finishes them.

    `given`: each case's matches, already found by a screen of this version (a sharded
    audit's final pass, engine.shards): no rule stage runs."""
    if stage not in ("durable", "python"):
        raise ValueError(f"unknown match stage {stage!r}")
    cases = histories if isinstance(histories, list) else list(histories)
    if not cases:
        return AuditOutcome(findings=[])  # no rule worker is started for nothing
    if given is not None:
        out = AuditOutcome(findings=[])
        for chunk in _chunks(iter(cases), CHUNK):
            derived = [derive_case(h, policy, cal, as_of) for h in chunk]
            _tally(out, derived)
            found = [m for f in derived for m in given.get(f.history.case_id, ())]
            _collect(out, derived, found, policy, registers)
        out.findings.sort(key=Finding.sort_key)
        return out
    out = _audit_part(cases, policy, cal, as_of, stage, registers, progress, in_process)
    out.findings.sort(key=Finding.sort_key)
    return out


def _audit_part(
    cases: list[CaseHistory],
    policy: Policy,
    cal: WorkCalendar,
    as_of: date,
    stage: str,
    registers: Registers,
    progress: Callable[[int], None] | None,
    in_process: bool,
    screen_only: bool = False,
) -> AuditOutcome:
    """Derive and match `cases`; build their findings, or with `screen_only` just keep
    each matched case's matches (a forked screen sends back those, not findings)."""
    out = AuditOutcome(findings=[], screened=[] if screen_only else None)
    chunks = (
        _kept([derive_case(h, policy, cal, as_of) for h in chunk])
        for chunk in _chunks(iter(cases), CHUNK)
    )
    if stage == "python":
        for facts in chunks:
            _tally(out, facts)
            _collect(out, facts, _python_all(facts, policy), policy, registers)
            if progress is not None:
                progress(out.cases)
    else:
        with DurableStage.take(policy, in_process=in_process) as durable:
            try:
                # Each chunk is matched in line. Feeding the worker from a thread while
                # this one derived the next chunk cost more than it saved (0.4 s more on a
                # million events): the two threads take turns on the GIL, and the worker
                # is fast enough that waiting for it costs little (and `DurableMatcher`
                # already encodes the next message while the worker runs the current one).
                for facts in chunks:
                    _tally(out, facts)
                    _finish(durable, facts, durable.match(facts), policy, out, progress, registers)
            finally:
                out.rule_stage = _stats_dict(durable.stats)
    return out


def _finish(
    durable: DurableStage,
    facts: list[CaseFacts],
    found: list[Match],
    policy: Policy,
    out: AuditOutcome,
    progress: Callable[[int], None] | None,
    registers: Registers,
) -> None:
    matches = _recover_engine_errors(durable, facts, policy, found, out)
    _collect(out, facts, matches, policy, registers)
    if progress is not None:
        progress(out.cases)


class _FactsKept:
    """Where derived facts go past their chunk (keep_facts_until_exit)."""

    limit: ClassVar[int] = 0  # cases
    count: ClassVar[int] = 0
    keep: ClassVar[Callable[[list[CaseFacts]], None] | None] = None


def keep_facts_until_exit(max_cases: int, keep: Callable[[list[CaseFacts]], None]) -> None:
    """For a process that ends right after its audit (the `wenze` program, which exits
    without freeing its objects): hand the derived facts of up to `max_cases` cases to
    `keep` (engine.cli.keep_until_exit) instead of freeing each chunk's as the next one
    comes. Freeing a chunk's clocks, scopes and candidates, object by object, took 0.4 s
    of a million-event audit; kept, they cost about 2 KB a case of memory, hence the bound."""
    _FactsKept.limit, _FactsKept.keep = max_cases, keep


def _kept(facts: list[CaseFacts]) -> list[CaseFacts]:
    keep = _FactsKept.keep
    if keep is not None and _FactsKept.count < _FactsKept.limit:
        keep(facts)
        _FactsKept.count += len(facts)
    return facts


def _chunks(it: Iterator[CaseHistory], n: int) -> Iterator[list[CaseHistory]]:
    while True:
        block = list(islice(it, n))
        if not block:
            return
        yield block


def _tally(out: AuditOutcome, facts: list[CaseFacts]) -> None:
    out.cases += len(facts)
    out.events += sum(len(f.history.events) for f in facts)
    states = [c.state for f in facts for c in f.clocks.values()]
    out.clock_states.update(states)
    if "undetermined" in states:
        for f in facts:
            for name, c in f.clocks.items():
                if c.state == "undetermined":
                    out.undetermined.append((f.history.case_id, name))


def _python_all(facts: list[CaseFacts], policy: Policy) -> list[Match]:
    return [m for f in facts for m in match_python(f, policy)]


def _recover_engine_errors(
    durable: DurableStage,
    facts: list[CaseFacts],
    policy: Policy,
    matches: list[Match],
    out: AuditOutcome,
) -> list[Match]:
    """A case the native rule engine could not process even alone is evaluated by the
    oracle and flagged, so the audit loses nothing (DESIGN.md §7)."""
    # Only this chunk's cases: the stats hold the errors of every chunk so far.
    here = {f.history.case_id for f in facts}
    failed = {e for e in list(getattr(durable.stats, "engine_errors", [])) if e in here}
    if not failed:
        return matches
    out.engine_errors.extend(sorted(failed))
    kept = [m for m in matches if m.case_id not in failed]
    for f in facts:
        if f.history.case_id in failed:
            kept.extend(match_python(f, policy))
    return sorted(kept)


def _collect(
    out: AuditOutcome,
    facts: list[CaseFacts],
    matches: list[Match],
    policy: Policy,
    registers: Registers,
) -> None:
    by_case: dict[str, list[Match]] = {}
    for m in matches:
        by_case.setdefault(m.case_id, []).append(m)
    for f in facts:
        ms = by_case.get(f.history.case_id)
        if not ms:
            continue
        if out.screened is not None:
            out.screened.append((f.history.case_id, ms))
        else:
            out.findings.extend(build_findings(f, ms, policy, registers))


def _stats_dict(stats: Any) -> dict[str, Any]:
    if stats is None:
        return {}
    if isinstance(stats, dict):
        return dict(stats)
    return {k: v for k, v in vars(stats).items() if not k.startswith("_")}
