"""A sharded audit: each process loads and screens its own share of the cases.

`wenze audit --jobs N` forks N processes before anything is read, and waits. Each reads
the exports but keeps only the cases of its share (`Checks.shard`), checks them, and
evaluates them (`screen_share`), running durable_rules in-process: the share is the fence,
and a share that dies is screened again by the parent through the rule worker. A share
sends back its data defects, quarantined rows and counts, the clock tallies of all its
cases, and the histories and rule matches of the cases that matched — usually few. The
parent then builds their findings in one final pass without a rule stage, so grades that
depend on the whole run (repeat offences, 从旧兼从轻) and the order of everything are those
of a one-process audit.

Shares are by case-id hash for tabular exports. An XES file is shared by blocks of whole
traces (each share parses every n-th block and only counts the others' lines and
traces), so a case whose traces fall in two shares' blocks is possible. Checks that span
shares cannot be made by one share: a duplicate event id, a case split between shares, and
a source that mixes naive and aware times (the minority kind is quarantined, so the shares
would have to agree which is the minority). `merge_shares` detects all three and returns
None; the caller then audits in one process, as it does when an XES file needs the expat
reader (engine.loaders.result.ShardingUnsupported). Nothing is guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from engine.audit import AuditOutcome, Screened, screen_policies
from engine.calendar import WorkCalendar
from engine.ir import Policy
from engine.loaders.result import LoadResult, SourceInfo
from engine.registers import Registers


@dataclass
class Share:
    """What one share sends back. `loaded.cases` holds only the cases with findings."""

    loaded: LoadResult
    cases: int  # all cases of the share
    rows_used: int
    outcome: AuditOutcome  # tallies over every case of the share; no findings
    matches: Screened  # what the final pass builds the findings from
    case_ids: list[str]  # all cases of the share (an XES case may span blocks of shares)
    # For `--timings` only (never in findings): seconds to load, to evaluate; peak MiB.
    timings: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass
class Merged:
    loaded: LoadResult  # every share's defects and quarantine; the cases with findings
    matches: Screened
    cases: int
    rows_used: int
    clock_states: Counter[str]
    undetermined: list[tuple[str, str]]
    engine_errors: list[str]


def screen_share(
    loaded: LoadResult,
    policies: Sequence[Policy],
    cal: WorkCalendar,
    as_of: date,
    stage: str,
    registers: Registers,
    progress: Callable[[int], None] | None = None,
    in_process: bool = False,
) -> Share:
    """Evaluate a share; keep the histories of the cases that gave findings.

    `in_process`: run durable_rules in this process rather than in a worker — for a share
    in a forked process, which is itself the fence: a native crash loses only the share,
    and the parent screens it again with the worker (engine.parallel.Screens)."""
    n_cases, rows_used = len(loaded.cases), loaded.rows_used
    matches, outcome = screen_policies(
        loaded.cases,
        policies,
        cal,
        as_of,
        stage=stage,
        registers=registers,
        progress=progress,
        in_process=in_process,
    )
    matched = {c for by_case in matches.values() for c in by_case}
    case_ids = list(loaded.cases)
    loaded.cases = {c: h for c, h in loaded.cases.items() if c in matched}
    return Share(loaded, n_cases, rows_used, outcome, matches, case_ids)


def merge_shares(shares: Sequence[Share]) -> Merged | None:
    """One load result and one set of tallies from every share (the parent's first); None
    when a check spans shares (see the module's doc)."""
    for field in ("event_ids", "case_ids"):
        seen: set[str] = set()
        for sh in shares:
            ids = sh.loaded.event_ids if field == "event_ids" else sh.case_ids
            if not seen.isdisjoint(ids):
                return None  # an event id used twice, or a case split between shares
            seen.update(ids)
    kinds: dict[str, tuple[int, int]] = {}
    for sh in shares:
        for path, (naive, aware) in sh.loaded.kind_counts.items():
            n0, a0 = kinds.get(path, (0, 0))
            kinds[path] = (n0 + naive, a0 + aware)
    if any(naive and aware for naive, aware in kinds.values()):
        return None  # a naive/aware mix: which kind is the odd one needs every row
    first = shares[0].loaded
    order = {src.path: i for i, src in enumerate(first.sources)}
    loaded = LoadResult(cases={}, input_sha256=first.input_sha256, kind_counts=kinds)
    rows_in: Counter[str] = Counter()
    states: Counter[str] = Counter()
    undetermined: list[tuple[str, str]] = []
    errors: set[str] = set()
    matches: Screened = {}
    for sh in shares:
        for key, by_case in sh.matches.items():
            matches.setdefault(key, {}).update(by_case)  # the shares' cases are disjoint
        loaded.cases.update(sh.loaded.cases)
        loaded.defects.extend(sh.loaded.defects)
        loaded.quarantined.extend(sh.loaded.quarantined)
        loaded.rows_in += sh.loaded.rows_in
        for src in sh.loaded.sources:
            rows_in[src.path] += src.rows_in
        states.update(sh.outcome.clock_states)
        undetermined.extend(sh.outcome.undetermined)
        errors.update(sh.outcome.engine_errors)
    loaded.cases = dict(sorted(loaded.cases.items()))
    # A one-process load lists each source's defects in line order, sources in turn.
    loaded.defects.sort(key=lambda d: (order.get(d.file, len(order)), d.line))
    loaded.quarantined.sort(key=lambda q: (order.get(q[0].file, len(order)), q[0].line))
    loaded.sources = [
        SourceInfo(s.path, s.format, s.encoding, rows_in[s.path]) for s in first.sources
    ]
    return Merged(
        loaded,
        matches,
        sum(sh.cases for sh in shares),
        sum(sh.rows_used for sh in shares),
        states,
        sorted(undetermined),
        sorted(errors),
    )
