"""Clock derivation alone: events/s of `engine.derive.derive_clocks` over a generated export.

    python -m fixtures.generate --cases 100000 --out /tmp/x.csv --export-only
    python bench/bench_clocks.py /tmp/x.csv [--policy policies/licensing] [--repeat 3]

Loads the export once (not timed), then evaluates every clock of the policy on every case,
`--repeat` times, and prints the best run's events/s (by wall and by CPU time) with the
clock states it found. The issue's target for the licensing clocks is >= 500,000 events/s
on the development machine; the rule stage must not be starved by this one. With
`--profile` it prints the top of a cProfile of one run instead. A benchmark, not a test:
it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import time
from collections import Counter
from datetime import date

from dsl.api import load_policies
from engine.calendar import load_cn_calendar
from engine.derive import derive_clocks
from engine.loader_csv import load_exports


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export")
    ap.add_argument("--policy", default="policies/licensing")
    ap.add_argument("--as-of", default="2026-11-20")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ns = ap.parse_args()
    # As in the audit: the object graph is acyclic and collector passes would dominate.
    gc.disable()
    policy = load_policies(ns.policy)[0][0]
    cal = load_cn_calendar()
    as_of = date.fromisoformat(ns.as_of)
    loaded = load_exports([ns.export], known_activities=frozenset(policy.activities))
    cases = list(loaded.cases.values())
    events = sum(len(h.events) for h in cases)

    def run() -> Counter[str]:
        states: Counter[str] = Counter()
        for h in cases:
            for c in derive_clocks(h, policy, cal, as_of).clocks.values():
                states[c.state] += 1
        return states

    if ns.profile:
        prof = cProfile.Profile()
        prof.runcall(run)
        pstats.Stats(prof).sort_stats("tottime").print_stats(20)
        return
    best = best_cpu = float("inf")
    states: Counter[str] = Counter()
    for _ in range(ns.repeat):
        t, c = time.perf_counter(), time.process_time()
        states = run()
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    print(f"{events:,} events, {len(cases):,} cases, {len(policy.clocks)} clocks per case")
    print(f"clock states: {dict(sorted(states.items()))}")
    # CPU time as well: on a shared machine it moves less than wall time between runs.
    print(
        f"derive_clocks: {best:.2f} s best of {ns.repeat}  {events / best:,.0f} events/s"
        f"  (CPU time {best_cpu:.2f} s, {events / best_cpu:,.0f} events/s)"
    )


if __name__ == "__main__":
    main()
