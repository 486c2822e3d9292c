"""Helpers for the rule-stage tests: a direct Python reading of the IR, and data.

In: `engine.ir` conditions, `RuleSpec`s and flat facts.
Out: `expected_pairs` (what the rule stage must return), hypothesis strategies for
random conditions over typed fields, and seeded fact generators.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

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
    EventIndexRef,
    Exists,
    Expr,
    Not,
    Or,
    Ref,
    Truth,
)
from engine.rule_json import FactType
from engine.rules_durable import RuleSpec

_OPS: dict[CompareOp, Callable[[Any, Any], bool]] = {
    CompareOp.EQ: operator.eq,
    CompareOp.NE: operator.ne,
    CompareOp.LT: operator.lt,
    CompareOp.LE: operator.le,
    CompareOp.GT: operator.gt,
    CompareOp.GE: operator.ge,
}

BOOL_REFS: tuple[Ref, ...] = (
    ClockRef("k", ClockProperty.LATE),
    ClockRef("k", ClockProperty.RUNNING),
)
INT_REFS: tuple[Ref, ...] = (
    ClockRef("k", ClockProperty.OVERDUE_WORKDAYS),
    CountRef("补正"),
    CountRef("受理"),
    EventIndexRef(),
)
STR_REFS: tuple[Ref, ...] = (CaseAttrRef("region"), EventAttrRef("role"))
ACTIVITIES = ("补正", "受理")
FIELD_OF: dict[Ref, str] = {
    ref: f"f{i}" for i, ref in enumerate((*BOOL_REFS, *INT_REFS, *STR_REFS))
}

# Characters around the engine's pitfalls: the JSON quote and escapes, bytes below the
# quote (space, "!"), control characters, multi-byte UTF-8, a lone surrogate.
TRICKY = ["a", "b", " ", "!", '"', "\\", "\n", "\x00", "\x7f", "é", "中", "𝄞", "\ud800"]


def holds(expr: Expr | None, fact: Mapping[str, Any], field_of: Mapping[Ref, str]) -> bool:
    """The condition read directly in Python (the reference semantics)."""
    if expr is None:
        return True
    if isinstance(expr, Compare):
        return _OPS[expr.op](fact[field_of[expr.left]], expr.right.value)
    if isinstance(expr, Truth):
        return bool(fact[field_of[expr.ref]])
    if isinstance(expr, Exists):
        return bool(fact[field_of[CountRef(expr.activity)]] > 0)
    if isinstance(expr, Not):
        return not holds(expr.operand, fact, field_of)
    if isinstance(expr, And):
        return all(holds(e, fact, field_of) for e in expr.operands)
    if isinstance(expr, Or):
        return any(holds(e, fact, field_of) for e in expr.operands)
    raise TypeError(expr)


def expected_pairs(
    rules: Sequence[RuleSpec],
    facts_by_case: Iterable[Sequence[Mapping[str, Any]]],
    field_of: Mapping[Ref, str] = FIELD_OF,
) -> list[tuple[str, str]]:
    out = []
    for facts in facts_by_case:
        for fact in facts:
            for rule in rules:
                if fact["t"] != rule.fact_type:
                    continue
                if rule.fact_type == "e" and fact.get("l") != rule.lapse:
                    continue
                if holds(rule.condition, fact, field_of):
                    out.append((rule.name, fact["id"]))
    return sorted(out)


# ---------------------------------------------------------------- strategies

ints = st.one_of(st.integers(-3, 40), st.sampled_from([-(2**63), 2**63 - 1, 2**40]))
texts = st.one_of(st.text(st.sampled_from(TRICKY), max_size=4), st.text(max_size=3))


def _compare(refs: tuple[Ref, ...], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Expr]:
    return st.builds(
        Compare, st.sampled_from(list(CompareOp)), st.sampled_from(refs), values.map(Const)
    )


leaves: st.SearchStrategy[Expr] = st.one_of(
    _compare(INT_REFS, ints),
    _compare(STR_REFS, texts),
    _compare(BOOL_REFS, st.booleans()),
    st.builds(Truth, st.sampled_from(BOOL_REFS)),
    st.builds(Exists, st.sampled_from(ACTIVITIES)),
)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    groups = st.lists(children, min_size=0, max_size=4).map(tuple)
    return st.one_of(st.builds(Not, children), groups.map(And), groups.map(Or))


conditions: st.SearchStrategy[Expr] = st.recursive(leaves, _extend, max_leaves=10)


@st.composite
def rule_lists(draw: st.DrawFn) -> list[RuleSpec]:
    rules = []
    for i in range(draw(st.integers(1, 4))):
        fact_type: FactType = draw(st.sampled_from(["c", "e"]))
        lapse = draw(st.integers(0, 1)) if fact_type == "e" else None
        condition = draw(st.one_of(st.none(), conditions))
        rules.append(RuleSpec(f"rule{i}", fact_type, lapse, condition))
    return rules


@st.composite
def fact_values(draw: st.DrawFn) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for ref in BOOL_REFS:
        values[FIELD_OF[ref]] = draw(st.booleans())
    for ref in INT_REFS:
        values[FIELD_OF[ref]] = draw(ints)
    for ref in STR_REFS:
        values[FIELD_OF[ref]] = draw(texts)
    return values


@st.composite
def case_lists(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    cases = []
    for k in range(draw(st.integers(1, 12))):
        facts = []
        for j in range(draw(st.integers(1, 4))):
            fact_type = "c" if j == 0 else "e"
            fact = {"id": f"C{k}#{j}", "t": fact_type, "case": f"C{k}", **draw(fact_values())}
            if fact_type == "e":
                fact["l"] = draw(st.integers(0, 2))
            facts.append(fact)
        cases.append(facts)
    return cases


# ------------------------------------------------------------ seeded data


def random_value(rnd: random.Random, ref: Ref) -> Any:
    if ref in BOOL_REFS:
        return rnd.random() < 0.5
    if ref in INT_REFS:
        return rnd.randrange(-2, 30)
    return "".join(rnd.choice([*TRICKY[:6], "东城区"]) for _ in range(rnd.randrange(0, 3)))


def random_cases(n: int, seed: int = 1) -> list[list[dict[str, Any]]]:
    """`n` cases: one "c" fact and 0-3 "e" facts (lapse 0-2) each, all fields set."""
    rnd = random.Random(seed)
    cases = []
    for k in range(n):
        facts = []
        for j in range(1 + rnd.randrange(0, 4)):
            fact: dict[str, Any] = {"id": f"C{k}#{j}", "t": "c" if j == 0 else "e", "case": f"C{k}"}
            if j:
                fact["l"] = rnd.randrange(0, 3)
            fact.update({field: random_value(rnd, ref) for ref, field in FIELD_OF.items()})
            facts.append(fact)
        cases.append(facts)
    return cases


def sample_rules() -> list[RuleSpec]:
    """A fixed mix: case rules, per-event rules per lapse, Not/Or/And, an always rule."""
    late, running = BOOL_REFS
    overdue, _fixes, accepted, index = INT_REFS
    region, role = STR_REFS
    return [
        RuleSpec("late", "c", None, Truth(late)),
        RuleSpec(
            "late_band",
            "c",
            None,
            And((Truth(late), Compare(CompareOp.GE, overdue, Const(5)))),
        ),
        RuleSpec("no_fix", "c", None, And((Not(Exists("补正")), Not(Truth(running))))),
        RuleSpec(
            "region",
            "c",
            None,
            Or(
                (
                    Compare(CompareOp.LT, region, Const("a ")),
                    Compare(CompareOp.EQ, region, Const("")),
                )
            ),
        ),
        RuleSpec("first_event", "e", 0, Compare(CompareOp.LE, index, Const(3))),
        RuleSpec("role", "e", 1, Not(Compare(CompareOp.EQ, role, Const('"')))),
        RuleSpec("every_2", "e", 2, None),
        RuleSpec("accepted", "e", 2, Compare(CompareOp.GT, accepted, Const(10))),
    ]
