"""Blocks, the worker process and its restart policy, engine errors, ruleset splits.

In: the fixed `sample_rules` and seeded facts; `FaultHooks` that crash the worker or
raise inside an action when a chosen fact id reaches durable.
Out: assertions that the result equals the Python reading wherever durable could
run, and that `stats` counts restarts, re-runs, splits and engine errors.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from rules_oracle import FIELD_OF, INT_REFS, expected_pairs, random_cases, sample_rules

from engine.ir import And, Compare, CompareOp, Const, CountRef, Exists
from engine.rules_durable import (
    MAX_BLOCK_FACTS,
    MAX_FIELDS,
    DurableMatcher,
    FaultHooks,
    RuleSpec,
    _native,
    _position_hash_set,
    fnv1_32,
    match_in_process,
)

RULES = sample_rules()


def _without(pairs: list[tuple[str, str]], case: str) -> list[tuple[str, str]]:
    return [(rule, fact) for rule, fact in pairs if not fact.startswith(f"{case}#")]


def test_many_blocks_one_live_state_each() -> None:
    """3,000 cases in blocks of 7: far more than the 1,024 live states durable allows
    at once (defect 1), so every block's state must really be released."""
    cases = random_cases(3000, seed=11)
    pairs, stats = match_in_process(RULES, FIELD_OF, cases, block_size=7)
    assert pairs == expected_pairs(RULES, cases)
    assert stats.blocks == -(-3000 // 7)
    assert stats.facts == sum(len(c) for c in cases)


def test_case_and_event_facts_with_lapse_index() -> None:
    cases = [
        [
            {"id": "A#c", "t": "c", "case": "A", **_values(late=True)},
            {"id": "A#e0", "t": "e", "case": "A", "l": 0, **_values(index=2)},
            {"id": "A#e1", "t": "e", "case": "A", "l": 1, **_values(role="x")},
            {"id": "A#e2", "t": "e", "case": "A", "l": 2, **_values()},
            {"id": "A#e9", "t": "e", "case": "A", "l": 9, **_values()},  # no rule reads l=9
        ]
    ]
    pairs, _stats = match_in_process(RULES, FIELD_OF, cases)
    assert pairs == expected_pairs(RULES, cases)
    assert ("first_event", "A#e0") in pairs and ("every_2", "A#e2") in pairs
    assert not any(fact == "A#e9" for _rule, fact in pairs)


def _values(late: bool = False, index: int = 1, role: str = "") -> dict[str, Any]:
    fact: dict[str, Any] = {field: 0 for field in FIELD_OF.values()}
    fact.update(f0=late, f1=False, f5=index, f6="", f7=role)
    return fact


def test_too_many_fields_for_one_message() -> None:
    refs = [CountRef(f"a{i}") for i in range(MAX_FIELDS + 1)]
    rule = RuleSpec("wide", "c", None, And(tuple(Exists(f"a{i}") for i in range(len(refs)))))
    with pytest.raises(ValueError, match="limit"):
        DurableMatcher([rule], {ref: f"f{i}" for i, ref in enumerate(refs)})
    fact = {"id": "x", "t": "c", "case": "x", **{f"f{i}": 1 for i in range(MAX_FIELDS)}}
    narrower = RuleSpec("wide", "c", None, And(tuple(Exists(f"a{i}") for i in range(MAX_FIELDS))))
    pairs, _stats = match_in_process([narrower], {r: f"f{i}" for i, r in enumerate(refs)}, [[fact]])
    assert pairs == [("wide", "x")]  # the largest fact durable takes


def test_missing_field_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="lacks field"):
        match_in_process(RULES, FIELD_OF, [[{"id": "x", "t": "c", "case": "x"}]])


def test_worker_crash_once_restarts_and_reruns_the_block(tmp_path: Path) -> None:
    cases = random_cases(200, seed=3)
    hooks = FaultHooks(crash_ids=frozenset({"C15#0"}), once_dir=str(tmp_path))
    # blocks of 10, four per message: C15 is in the first message's second block, so
    # the two blocks after it in that message are re-sent too (not counted as re-runs)
    with DurableMatcher(RULES, FIELD_OF, block_size=10, message_cases=40, hooks=hooks) as m:
        assert m.match(cases) == expected_pairs(RULES, cases)
    assert m.stats.restarts == 1
    assert m.stats.cases_rerun == 10
    assert m.stats.engine_errors == []


@pytest.mark.parametrize("crash_signal", [int(signal.SIGSEGV), 0])
def test_case_that_always_kills_the_worker_is_reported(crash_signal: int) -> None:
    cases = random_cases(60, seed=4)
    hooks = FaultHooks(crash_ids=frozenset({"C13#0"}), crash_signal=crash_signal)
    with DurableMatcher(RULES, FIELD_OF, block_size=8, hooks=hooks) as m:
        got = m.match(cases)
        again = m.match(cases[:5])  # the restarted worker keeps serving
    assert got == _without(expected_pairs(RULES, cases), "C13")
    assert again == expected_pairs(RULES, cases[:5])
    # killed as part of a block, alone, then as its own case: three restarts
    assert m.stats.restarts == 3
    assert m.stats.cases_rerun == 8 + 8
    assert m.stats.engine_errors == ["C13"]
    assert "died" in m.stats.error_reasons["C13"]


def test_failing_input_leaves_the_matcher_usable() -> None:
    """An exception from the caller's iterable mid-stream must not leave stale replies."""
    cases = random_cases(300, seed=9)

    def broken() -> Any:
        yield from cases[:250]
        raise KeyError("upstream failed")

    with DurableMatcher(RULES, FIELD_OF, block_size=16, message_cases=64) as m:
        with pytest.raises(KeyError, match="upstream"):
            m.match(broken())
        assert m.match(cases) == expected_pairs(RULES, cases)


@pytest.mark.parametrize("in_process", [True, False])
def test_action_exception_becomes_an_engine_error(in_process: bool) -> None:
    """durable would swallow it into the state (defect 11); it must surface."""
    cases = random_cases(40, seed=6)
    hooks = FaultHooks(raise_ids=frozenset({"C21#0"}))
    with DurableMatcher(RULES, FIELD_OF, block_size=16, in_process=in_process, hooks=hooks) as m:
        got = m.match(cases)
    assert got == _without(expected_pairs(RULES, cases), "C21")
    assert m.stats.engine_errors == ["C21"]
    assert "test hook raised" in m.stats.error_reasons["C21"]
    assert m.stats.restarts == 0
    assert m.stats.cases_rerun == 16


def test_alpha_stack_overflow_splits_the_ruleset() -> None:
    """About 65 rules matching one fact overflow durable's 64-entry alpha stack
    (native error 303); the ruleset is split until it fits and the block re-run."""
    index = INT_REFS[3]
    rules = [
        RuleSpec(f"r{i}", "c", None, Compare(CompareOp.GE, index, Const(-i))) for i in range(150)
    ]
    cases = random_cases(30, seed=8)
    for in_process in (True, False):
        with DurableMatcher(rules, FIELD_OF, in_process=in_process) as m:
            assert m.match(cases) == expected_pairs(rules, cases)
        assert m.stats.lane_splits >= 2
        assert m.stats.engine_errors == []


def test_positions_and_state_ids_never_share_a_hash() -> None:
    """Defect 6: durable identifies messages by a 32-bit FNV hash of the id alone."""
    hashes = _position_hash_set(MAX_BLOCK_FACTS + 1)
    assert len({fnv1_32(str(i)) for i in range(1, MAX_BLOCK_FACTS + 2)}) == MAX_BLOCK_FACTS + 1
    assert fnv1_32("$forward") == 739185624  # the constant in durable's rete.c
    matcher = DurableMatcher(RULES, FIELD_OF)
    for _ in range(200):
        assert fnv1_32(f"sid-{matcher._sid(MAX_BLOCK_FACTS + 1)}") not in hashes


def test_states_are_gone_after_a_block() -> None:
    matcher = DurableMatcher(RULES, FIELD_OF, block_size=4)
    matcher.match_in_process(random_cases(20, seed=2))
    assert matcher._session is not None
    from engine.rules_durable import _Lane

    lane = _Lane.get(matcher._session.lanes[0], None)
    for serial in range(1, matcher._serial + 1):
        with pytest.raises(Exception, match="309"):
            _native.get_state(lane.ruleset._handle, f"b{serial}")
