"""The IR -> durable JSON translation, read directly.

In: small IR conditions and rule specs.
Out: assertions on the exact JSON, on the shape every generated ruleset keeps (one
alpha term per rule, no joins, no `none`: the fence for defects 2 and 5), and on the
value encoding (defect 9).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from rules_oracle import BOOL_REFS, FIELD_OF, INT_REFS, STR_REFS, conditions

from engine.ir import And, Compare, CompareOp, Const, CountRef, Exists, Expr, Not, Or, Truth
from engine.rule_json import (
    MARKER_RULE,
    MAX_GROUPS_PER_TERM,
    RuleSpec,
    RuleTooComplexError,
    condition_to_json,
    encode_value,
    rule_entries,
    ruleset_json,
)

LATE, _RUNNING = BOOL_REFS
OVERDUE, FIXES, _ACCEPTED, INDEX = INT_REFS
REGION, _ROLE = STR_REFS
OPERATORS = {"$and", "$or", "$lt", "$lte", "$gt", "$gte", "$neq", "$ex", "$nex"}


def lt(value: int) -> Compare:
    return Compare(CompareOp.LT, OVERDUE, Const(value))


def test_comparisons() -> None:
    cases = {
        CompareOp.EQ: {"f2": 3},
        CompareOp.NE: {"$neq": {"f2": 3}},
        CompareOp.LT: {"$lt": {"f2": 3}},
        CompareOp.LE: {"$lte": {"f2": 3}},
        CompareOp.GT: {"$gt": {"f2": 3}},
        CompareOp.GE: {"$gte": {"f2": 3}},
    }
    for op, expected in cases.items():
        assert condition_to_json(Compare(op, OVERDUE, Const(3)), FIELD_OF) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (Not(Compare(CompareOp.EQ, OVERDUE, Const(3))), {"$neq": {"f2": 3}}),
        (Not(Compare(CompareOp.NE, OVERDUE, Const(3))), {"f2": 3}),
        (Not(lt(3)), {"$gte": {"f2": 3}}),
        (Not(Compare(CompareOp.LE, OVERDUE, Const(3))), {"$gt": {"f2": 3}}),
        (Not(Compare(CompareOp.GT, OVERDUE, Const(3))), {"$lte": {"f2": 3}}),
        (Not(Compare(CompareOp.GE, OVERDUE, Const(3))), {"$lt": {"f2": 3}}),
        (Truth(LATE), {"$neq": {"f0": False}}),
        (Not(Truth(LATE)), {"f0": False}),
        (Exists("补正"), {"$gt": {"f3": 0}}),
        (Not(Exists("补正")), {"$lte": {"f3": 0}}),
        (Not(Not(Truth(LATE))), {"$neq": {"f0": False}}),
        (
            Not(And((Truth(LATE), lt(3)))),
            {"$or": [{"f0": False}, {"$gte": {"f2": 3}}]},
        ),
        (
            Not(Or((Truth(LATE), Not(lt(3))))),
            {"$and": [{"f0": False}, {"$lt": {"f2": 3}}]},
        ),
        (
            And((lt(3), And((lt(4), Or((lt(5),)))))),  # nested groups flatten
            {"$and": [{"$lt": {"f2": 3}}, {"$lt": {"f2": 4}}, {"$lt": {"f2": 5}}]},
        ),
        (And(()), {"$ex": {"id": 1}}),
        (Or(()), {"$nex": {"id": 1}}),
        (Or((lt(1), Not(And(())))), {"$lt": {"f2": 1}}),
        (And((lt(1), Or(()))), {"$nex": {"id": 1}}),
    ],
)
def test_not_is_pushed_to_the_leaves(expr: Expr, expected: dict[str, Any]) -> None:
    assert condition_to_json(expr, FIELD_OF) == expected


def test_strings_are_hex_of_utf8() -> None:
    assert condition_to_json(Compare(CompareOp.LT, REGION, Const("ab c")), FIELD_OF) == {
        "$lt": {"f6": "61622063"}
    }
    assert encode_value("东") == "e4b89c"
    assert encode_value('"\\') == "225c"
    assert encode_value("\ud800") == "eda080"  # a lone surrogate keeps code-point order
    assert encode_value("") == ""
    assert sorted(map(encode_value, ["ab", "ab c", "ab!", "a", "é", "z"])) == [
        encode_value(s) for s in sorted(["ab", "ab c", "ab!", "a", "é", "z"])
    ]


def test_values_outside_the_engine_types() -> None:
    assert encode_value(True) is True and encode_value(-(2**63)) == -(2**63)
    with pytest.raises(ValueError):
        encode_value(2**63)
    with pytest.raises(TypeError):
        encode_value(1.5)  # type: ignore[arg-type]


def test_missing_field_is_reported() -> None:
    with pytest.raises(ValueError, match="no fact field"):
        condition_to_json(Exists("无此事项"), FIELD_OF)


def test_rule_entries() -> None:
    rules = [
        RuleSpec("a", "c", None, Or((Truth(LATE), And((lt(3), Exists("补正")))))),
        RuleSpec("never", "c", None, And((Truth(LATE), Or(())))),
        RuleSpec("each", "e", 4, Compare(CompareOp.GE, INDEX, Const(2))),
        RuleSpec("always", "c", None, None),
    ]
    entries = rule_entries(rules, FIELD_OF)
    assert [(e.name, e.spec_index) for e in entries] == [
        ("r0_0", 0),
        ("r0_1", 0),
        ("r2", 2),
        ("r3", 3),
    ]
    assert entries[0].expression == {"$and": [{"t": "c"}, {"$neq": {"f0": False}}]}
    assert entries[1].expression == {"$and": [{"t": "c"}, {"$lt": {"f2": 3}}, {"$gt": {"f3": 0}}]}
    assert entries[2].expression == {"$and": [{"t": "e"}, {"l": 4}, {"$gte": {"f5": 2}}]}
    assert entries[3].expression == {"t": "c"}
    assert entries[1].fields == {"f2", "f3"} and entries[3].fields == frozenset()


def test_ruleset_has_the_marker_and_single_terms() -> None:
    definition = ruleset_json([RuleSpec("a", "c", None, Truth(LATE))], FIELD_OF)
    assert definition[MARKER_RULE] == {"all": [{"m": {"t": "$eob"}}]}
    assert definition["r0"]["cap"] == 65535
    assert definition["r0"]["all"] == [{"m": {"$and": [{"t": "c"}, {"$neq": {"f0": False}}]}}]


def test_rule_spec_and_names_are_checked() -> None:
    with pytest.raises(ValueError):
        RuleSpec("x", "e", None, None)
    with pytest.raises(ValueError):
        RuleSpec("x", "c", 1, None)
    with pytest.raises(ValueError, match="unique"):
        rule_entries([RuleSpec("x", "c", None, None)] * 2, FIELD_OF)
    for bad in ("id", "t", "$lt", "a.b", "a b"):
        with pytest.raises(ValueError, match="field name"):
            rule_entries([], {CountRef("x"): bad})


def _nested(groups: int) -> Expr:
    """And(lt, Or(lt, And(lt, Or(…)))): `groups` $and/$or groups in the one durable rule."""
    expr: Expr = lt(0)
    for i in range(groups - 1):  # innermost first; the outermost of these is an Or
        expr = Or((lt(i), expr)) if (groups - 2 - i) % 2 == 0 else And((lt(i), expr))
    return And((lt(99), expr))  # merges with the rule's own $and over t


def test_group_limit_matches_the_native_limit() -> None:
    from engine.rules_durable import match_in_process

    deepest = RuleSpec("deep", "c", None, _nested(MAX_GROUPS_PER_TERM))
    text = str(rule_entries([deepest], FIELD_OF)[0].expression)
    assert text.count("'$and'") + text.count("'$or'") == MAX_GROUPS_PER_TERM
    fact = {"id": "x", "t": "c", "case": "x", **{f: 0 for f in FIELD_OF.values()}}
    _pairs, stats = match_in_process([deepest], FIELD_OF, [[fact]])  # durable accepts it
    assert stats.engine_errors == []
    with pytest.raises(RuleTooComplexError):
        rule_entries([RuleSpec("deeper", "c", None, _nested(MAX_GROUPS_PER_TERM + 1))], FIELD_OF)


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        out = set(node)
        for value in node.values():
            out |= _keys(value)
        return out
    if isinstance(node, list):
        return set().union(*map(_keys, node)) if node else set()
    return set()


@settings(max_examples=300, deadline=None)
@given(condition=conditions)
def test_generated_rules_keep_the_fenced_shape(condition: Expr) -> None:
    definition = ruleset_json([RuleSpec("r", "c", None, condition)], FIELD_OF)
    for name, rule in definition.items():
        assert list(rule["all"]) == [rule["all"][0]] and list(rule["all"][0]) == ["m"]
        keys = _keys(rule["all"][0]["m"])
        operators = {key for key in keys if key.startswith("$")}
        assert operators <= OPERATORS, name  # no $not, no joins, no arithmetic
        assert keys - operators <= {"t", "id", *FIELD_OF.values()}
