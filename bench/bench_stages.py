"""Per-stage timings of an audit (load, derive, match both ways, findings, JSON) on one export.

    python bench/bench_stages.py EXPORT [--as-of 2026-11-20]

Prints seconds per stage and events/s, so a change to one stage can be judged on its own.
The same process times every stage, so ratios between them are meaningful. After the
findings: the person pass (regrade), the findings' JSON texts (engine.finding_text) and
the SQLite store given those texts (the audit's store stage writes each text as it stores).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from datetime import date

from dsl.api import load_policies
from engine.calendar import load_cn_calendar
from engine.derive import derive_case
from engine.finding_text import finding_rows
from engine.findings import Finding, build_findings
from engine.grading import regrade
from engine.loader_csv import load_exports
from engine.match import DurableStage, match_python
from engine.store import RunRecord, open_store, save_run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("export")
    ap.add_argument("--policy", default="policies/licensing")
    ap.add_argument("--as-of", default="2026-11-20")
    ns = ap.parse_args()
    gc.disable()  # as in the audit: the object graph is acyclic and GC passes dominate
    pol = load_policies(ns.policy)[0][0]
    as_of = date.fromisoformat(ns.as_of)
    cal = load_cn_calendar()

    def show(label: str, dt: float) -> None:
        print(f"{label:<28} {dt:7.2f} s  {n_events / dt if n_events else 0:12,.0f} events/s")

    def timed(label: str, fn):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        value = fn()
        show(label, time.perf_counter() - t)
        return value

    # Loading is what tells the number of events: its rate is shown once it is known.
    t = time.perf_counter()
    loaded = load_exports([ns.export], known_activities=frozenset(pol.activities))
    n_events = loaded.rows_used
    show("load", time.perf_counter() - t)
    facts = timed(
        "derive", lambda: [derive_case(h, pol, cal, as_of) for h in loaded.cases.values()]
    )
    oracle = timed(
        "match (python oracle)", lambda: [m for f in facts for m in match_python(f, pol)]
    )
    with DurableStage(pol) as stage:
        durable = timed("match (durable worker)", lambda: stage.match(facts))
    assert sorted(oracle) == durable, "durable and oracle disagree"
    by_case: dict[str, list] = {}
    for m in oracle:
        by_case.setdefault(m.case_id, []).append(m)
    found = timed(
        "findings",
        lambda: [
            x
            for f in facts
            if f.history.case_id in by_case
            for x in build_findings(f, by_case[f.history.case_id], pol)
        ],
    )
    timed("regrade", lambda: regrade(found, as_of=as_of))
    found.sort(key=Finding.sort_key)
    rows = timed("finding texts", lambda: list(finding_rows(found)))
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        record = RunRecord(["bench"], "p", "i", ns.as_of, "bench", [ns.export], {})
        timed("store (texts given)", lambda: save_run(store, record, rows=iter(rows)))
        store.dispose()
    print(f"{n_events:,} events, {len(facts):,} cases, {len(found):,} findings")


if __name__ == "__main__":
    main()
