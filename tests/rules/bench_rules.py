"""Throughput of the rule stage (not a test): `python tests/rules/bench_rules.py [cases]`.

In: nothing (a seeded synthetic policy-shaped ruleset and ~2.5 facts per case).
Out: cases/s and facts/s for `match_in_process` and for `match` in the worker.
"""

from __future__ import annotations

import random
import sys
import time
from typing import Any

from engine.ir import (
    And,
    CaseAttrRef,
    ClockProperty,
    ClockRef,
    Compare,
    CompareOp,
    Const,
    CountRef,
    EventAttrRef,
    Exists,
    Expr,
    Not,
    Or,
    Ref,
    Truth,
)
from engine.rule_json import FactType
from engine.rules_durable import DurableMatcher, RuleSpec

BANDS = ((1, 5), (6, 15), (16, 30), (31, None))


def banded(name: str, t: FactType, lapse: int | None, cond: Expr, measure: Ref) -> list[RuleSpec]:
    """One rule per band plus the no-band rule, as engine.match compiles a lapse."""
    specs, ranges = [], []
    for j, (low, high) in enumerate(BANDS):
        parts: list[Expr] = [Compare(CompareOp.GE, measure, Const(low))]
        if high is not None:
            parts.append(Compare(CompareOp.LE, measure, Const(high)))
        ranges.append(And(tuple(parts)))
        specs.append(RuleSpec(f"{name}.{j}", t, lapse, And((cond, ranges[-1]))))
    specs.append(RuleSpec(f"{name}.nb", t, lapse, And((cond, Not(Or(tuple(ranges)))))))
    return specs


def workload(n_cases: int) -> tuple[list[RuleSpec], dict[Ref, str], list[list[dict[str, Any]]]]:
    clocks = [ClockRef(f"k{i}", p) for i in range(3) for p in (ClockProperty.BREACHED,)]
    over = [ClockRef(f"k{i}", ClockProperty.OVERDUE_WORKDAYS) for i in range(3)]
    region, kind, count = CaseAttrRef("region"), EventAttrRef("role"), CountRef("补正")
    refs: list[Ref] = [*clocks, *over, region, kind, count]
    field_of = {ref: f"f{i}" for i, ref in enumerate(refs)}
    rules: list[RuleSpec] = []
    for i in range(3):
        rules += banded(f"L{i}", "c", None, Truth(clocks[i]), over[i])
    rules.append(RuleSpec("L3", "c", None, And((Exists("补正"), Not(Truth(clocks[0]))))))
    rules.append(RuleSpec("L4", "c", None, Compare(CompareOp.EQ, region, Const("东城区"))))
    rules.append(RuleSpec("L5", "e", 5, Compare(CompareOp.NE, kind, Const("窗口"))))
    rules.append(RuleSpec("L6", "e", 6, None))
    rnd = random.Random(7)
    cases = []
    for k in range(n_cases):
        cid = f"C{k:07d}"
        c: dict[str, Any] = {"id": f"{cid}#c", "t": "c", "case": cid}
        for i in range(3):
            breached = rnd.random() < 0.2
            c[field_of[clocks[i]]] = breached
            c[field_of[over[i]]] = rnd.randrange(1, 40) if breached else 0
        c[field_of[region]] = rnd.choice(["东城区", "西城区", "朝阳区"])
        c[field_of[count]] = rnd.randrange(0, 3)
        facts = [c]
        for j in range(rnd.choice((1, 1, 2))):
            lapse = rnd.choice((5, 6))
            e: dict[str, Any] = {"id": f"{cid}#e{j}", "t": "e", "case": cid, "l": lapse}
            if lapse == 5:
                e[field_of[kind]] = rnd.choice(["窗口", "科室"])
            facts.append(e)
        cases.append(facts)
    return rules, field_of, cases


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rules, field_of, cases = workload(n)
    facts = sum(len(c) for c in cases)
    matcher = DurableMatcher(rules, field_of)
    t0 = time.perf_counter()
    local = matcher.match_in_process(cases)
    t1 = time.perf_counter()
    print(f"in-process: {n / (t1 - t0):,.0f} cases/s, {facts / (t1 - t0):,.0f} facts/s")
    with DurableMatcher(rules, field_of) as worker:
        t2 = time.perf_counter()
        remote = worker.match(cases)
        t3 = time.perf_counter()
    print(f"worker:     {n / (t3 - t2):,.0f} cases/s, {facts / (t3 - t2):,.0f} facts/s")
    print(f"{len(local)} matches, same in both: {local == remote}; {matcher.stats}")


if __name__ == "__main__":
    main()
