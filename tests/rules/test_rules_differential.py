"""The core property: durable_rules fires exactly where the Python reading holds.

In: random IR conditions (Not, nested And/Or, every operator, int/bool/str fields
with the engine's string pitfalls) and random per-case and per-event facts.
Out: assertions that `DurableMatcher` returns the same (rule, fact) pairs as
`rules_oracle.expected_pairs`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules_oracle import (
    FIELD_OF,
    case_lists,
    conditions,
    expected_pairs,
    random_cases,
    rule_lists,
    sample_rules,
)

from engine.ir import Expr
from engine.rules_durable import DurableMatcher, RuleSpec

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rules=rule_lists(), cases=case_lists())
def test_durable_agrees_with_python(
    rules: list[RuleSpec], cases: list[list[dict[str, Any]]]
) -> None:
    matcher = DurableMatcher(rules, FIELD_OF, block_size=5)
    assert matcher.match_in_process(cases) == expected_pairs(rules, cases)
    assert matcher.stats.engine_errors == []


@SETTINGS
@given(condition=conditions, cases=case_lists())
def test_negation_agrees_with_python(condition: Expr, cases: list[list[dict[str, Any]]]) -> None:
    """A condition and its negation split the facts exactly (Not pushed down)."""
    from engine.ir import Not

    rules = [RuleSpec("yes", "c", None, condition), RuleSpec("no", "c", None, Not(condition))]
    got = DurableMatcher(rules, FIELD_OF).match_in_process(cases)
    assert got == expected_pairs(rules, cases)
    fired = [fact_id for _rule, fact_id in got]
    c_facts = [f["id"] for facts in cases for f in facts if f["t"] == "c"]
    assert sorted(fired) == sorted(c_facts)  # each "c" fact exactly once


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), block_size=st.integers(1, 40))
def test_block_size_does_not_change_the_result(seed: int, block_size: int) -> None:
    rules, cases = sample_rules(), random_cases(120, seed)
    matcher = DurableMatcher(rules, FIELD_OF, block_size=block_size, max_block_facts=50)
    assert matcher.match_in_process(cases) == expected_pairs(rules, cases)


def test_worker_agrees_with_python() -> None:
    rules, cases = sample_rules(), random_cases(3000, seed=5)
    with DurableMatcher(rules, FIELD_OF, block_size=64, message_cases=256) as matcher:
        assert matcher.match(cases) == expected_pairs(rules, cases)
        assert matcher.match(cases[:10]) == expected_pairs(rules, cases[:10])
    assert matcher.stats.restarts == 0
    assert matcher.stats.engine_errors == []
