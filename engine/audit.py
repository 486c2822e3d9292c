"""The pure audit core: case histories + policy + calendar + as_of → findings.

In: case histories, a compiled `Policy`, a `WorkCalendar`, the `as_of` date and which
match stage to use ("durable", the production stage, or "python", the oracle).
Out: an `AuditOutcome` — findings sorted by (case, lapse, anchor), clock-state counts and
rule-stage statistics. No file, database or wall clock is touched here (DESIGN.md §3); the
durable stage runs in a worker process so a native crash cannot lose the audit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from engine.calendar import WorkCalendar
from engine.derive import CaseFacts, derive_case
from engine.findings import Finding, build_findings
from engine.ir import Policy
from engine.match import DurableStage, Match, match_python
from engine.model import CaseHistory

CHUNK = 4096  # cases derived, matched and turned into findings together


@dataclass
class AuditOutcome:
    findings: list[Finding]
    cases: int = 0
    events: int = 0
    clock_states: Counter[str] = field(default_factory=Counter)
    undetermined: list[tuple[str, str]] = field(default_factory=list)  # (case, clock)
    rule_stage: dict[str, Any] = field(default_factory=dict)
    engine_errors: list[str] = field(default_factory=list)


def audit(
    histories: Iterable[CaseHistory],
    policy: Policy,
    cal: WorkCalendar,
    as_of: date,
    *,
    stage: str = "durable",
    progress: Callable[[int], None] | None = None,
    in_process: bool = False,
) -> AuditOutcome:
    if stage not in ("durable", "python"):
        raise ValueError(f"unknown match stage {stage!r}")
    out = AuditOutcome(findings=[])
    chunks = (
        [derive_case(h, policy, cal, as_of) for h in chunk]
        for chunk in _chunks(iter(histories), CHUNK)
    )
    if stage == "python":
        for facts in chunks:
            _tally(out, facts)
            _collect(out, facts, _python_all(facts, policy), policy)
            if progress is not None:
                progress(out.cases)
    else:
        with DurableStage(policy, in_process=in_process) as durable:
            try:
                _pipelined(durable, chunks, policy, out, progress)
            finally:
                out.rule_stage = _stats_dict(durable.stats)
    out.findings.sort(key=Finding.sort_key)
    return out


def _pipelined(
    durable: DurableStage,
    chunks: Iterator[list[CaseFacts]],
    policy: Policy,
    out: AuditOutcome,
    progress: Callable[[int], None] | None,
) -> None:
    """Derive chunk k+1 while the rule worker matches chunk k: the worker is another
    process, and the thread that feeds it mostly waits on the pipe (GIL released), so the
    two cores both work."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="wenze-match") as pool:
        pending: tuple[list[CaseFacts], Future[list[Match]]] | None = None
        for facts in chunks:
            _tally(out, facts)
            job = pool.submit(durable.match, facts)
            if pending is not None:
                _finish(durable, pending, policy, out, progress)
            pending = (facts, job)
        if pending is not None:
            _finish(durable, pending, policy, out, progress)


def _finish(
    durable: DurableStage,
    pending: tuple[list[CaseFacts], Future[list[Match]]],
    policy: Policy,
    out: AuditOutcome,
    progress: Callable[[int], None] | None,
) -> None:
    facts, job = pending
    matches = _recover_engine_errors(durable, facts, policy, job.result(), out)
    _collect(out, facts, matches, policy)
    if progress is not None:
        progress(out.cases)


def _chunks(it: Iterator[CaseHistory], n: int) -> Iterator[list[CaseHistory]]:
    while True:
        block = list(islice(it, n))
        if not block:
            return
        yield block


def _tally(out: AuditOutcome, facts: list[CaseFacts]) -> None:
    for f in facts:
        out.cases += 1
        out.events += len(f.history.events)
        for name, c in f.clocks.items():
            out.clock_states[c.state] += 1
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
    # Only this chunk's cases: the worker may already be reporting on the next chunk.
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
    out: AuditOutcome, facts: list[CaseFacts], matches: list[Match], policy: Policy
) -> None:
    by_case: dict[str, list[Match]] = {}
    for m in matches:
        by_case.setdefault(m.case_id, []).append(m)
    for f in facts:
        ms = by_case.get(f.history.case_id)
        if ms:
            out.findings.extend(build_findings(f, ms, policy))


def _stats_dict(stats: Any) -> dict[str, Any]:
    if stats is None:
        return {}
    if isinstance(stats, dict):
        return dict(stats)
    return {k: v for k, v in vars(stats).items() if not k.startswith("_")}
