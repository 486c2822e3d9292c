"""Translate IR conditions into durable_rules' JSON rule language.

In: `RuleSpec`s (a rule name, the fact type it reads, the lapse index for per-event
facts, and an `engine.ir.Expr` condition) and `field_of`, which names the flat fact
field that carries each ref.
Out: plain JSON-able dicts in durable_rules' expression language (`$and`, `$or`,
`$lt`, `$lte`, `$gt`, `$gte`, `$neq`, equality as `{field: value}`, `$ex`, `$nex`),
one ruleset definition per call of `ruleset_json`. Actions (`run`) are attached by
`engine.rules_durable`, which owns every workaround for the engine's defects; this
module is pure data and never imports durable.

Encoding decisions that the fact encoder in `engine.rules_durable` mirrors:

* `Not` is pushed down (durable has no general negation): De Morgan for And/Or and
  operator inversion for comparisons (`<` becomes `>=`, `==` becomes `$neq`, …);
  `Truth(r)` is `r != false` and `Not(Truth(r))` is `r == false`; `Exists(a)` is
  `count(a) > 0` and its negation `count(a) <= 0`.
* Strings are sent as the lowercase hex of their UTF-8 bytes (`encode_value`), on
  both sides of every comparison. durable compares strings with `strncmp` over the
  raw JSON text (defect 9): escapes (`\\"`, `\\n`) would compare as backslashes, and a
  fact string that is a prefix of the constant compares its closing quote (0x22)
  against the constant's next byte, so `"ab" < "ab c"` is false there. Hex text has
  no escapes, orders like the UTF-8 bytes (which order like code points, i.e. like
  Python's `str`) and every hex digit sorts above the quote.
* Ints must fit a signed 64-bit integer (the engine parses `long long`); bools stay
  JSON `true`/`false` (the engine orders them as 0/1, as Python does).
* A top-level `Or` becomes one durable rule per disjunct (same `RuleSpec`), nested
  And/Or groups stay `$and`/`$or`. The native core stores each term's groups in a
  32-slot sequence (two slots per group), so a term may hold at most
  `MAX_GROUPS_PER_TERM` groups; deeper conditions raise `RuleTooComplexError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

from engine.ir import (
    And,
    Compare,
    CompareOp,
    CountRef,
    Exists,
    Expr,
    Not,
    Or,
    Ref,
    Truth,
)

FactType: TypeAlias = Literal["c", "e"]
JsonDict: TypeAlias = dict[str, Any]
Value: TypeAlias = int | bool | str

#: Message keys the rule stage itself sends; fact fields must not use them.
RESERVED_KEYS: Final = frozenset({"id", "sid", "t", "l", "case", "xcrash", "xraise"})
#: `t` of the end-of-block marker fact and the name of the rule that releases the state.
MARKER_TYPE: Final = "$eob"
MARKER_RULE: Final = "eob"
#: `cap` of every rule: one action receives up to this many matches (the native
#: setting is an unsigned short).
RULE_CAP: Final = 65535
#: The native expression sequence has 32 slots and each `$and`/`$or` takes two.
MAX_GROUPS_PER_TERM: Final = 15

_INT64_MIN: Final = -(1 << 63)
_INT64_MAX: Final = (1 << 63) - 1
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_INVERSE: Final = {
    CompareOp.EQ: CompareOp.NE,
    CompareOp.NE: CompareOp.EQ,
    CompareOp.LT: CompareOp.GE,
    CompareOp.GE: CompareOp.LT,
    CompareOp.LE: CompareOp.GT,
    CompareOp.GT: CompareOp.LE,
}
_OPERATOR: Final = {
    CompareOp.NE: "$neq",
    CompareOp.LT: "$lt",
    CompareOp.LE: "$lte",
    CompareOp.GT: "$gt",
    CompareOp.GE: "$gte",
}


class RuleTooComplexError(ValueError):
    """A condition needs more nested `$and`/`$or` groups than the native core holds."""


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the rule stage.

    The rule fires once for every fact with `t == fact_type` (and `l == lapse` when
    `fact_type` is "e") whose `condition` holds; `condition=None` means always.
    """

    name: str
    fact_type: FactType
    lapse: int | None
    condition: Expr | None

    def __post_init__(self) -> None:
        if self.fact_type not in ("c", "e"):
            raise ValueError(f"rule {self.name!r}: fact_type must be 'c' or 'e'")
        if (self.fact_type == "e") != (self.lapse is not None):
            raise ValueError(f"rule {self.name!r}: a lapse index is given iff fact_type is 'e'")

    @property
    def key(self) -> tuple[str, int | None]:
        """The (t, l) pair of the facts this rule reads (l is None for "c")."""
        return (self.fact_type, self.lapse)


@dataclass(frozen=True)
class RuleEntry:
    """One durable rule: a `RuleSpec` (by index) or one disjunct of its top-level Or."""

    name: str  # the durable rule name, "r<spec index>" or "r<spec index>_<disjunct>"
    spec_index: int
    key: tuple[str, int | None]
    expression: JsonDict  # the single `m` term
    fields: frozenset[str]  # fact fields the expression reads


# ------------------------------------------------------------------ values


def encode_value(value: Value) -> Value:
    """The JSON value durable sees for a fact field or a constant.

    Strings become the hex of their UTF-8 bytes (lone surrogates pass through as
    their 3-byte forms, which keeps code-point order); ints are range-checked.
    """
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise ValueError(f"integer {value} does not fit the engine's 64-bit ints")
        return value
    raise TypeError(f"unsupported value {value!r}: only int, bool and str reach the rule stage")


def check_field_name(name: str) -> None:
    """Reject field names the engine would misread (operators, reserved keys)."""
    if not _FIELD_NAME.match(name) or name in RESERVED_KEYS:
        raise ValueError(f"unusable fact field name {name!r}")


# ------------------------------------------------------------ negation normal form

_TRUE: Final = "true"
_FALSE: Final = "false"


@dataclass(frozen=True)
class _Group:
    op: Literal["$and", "$or"]
    items: tuple[_Node, ...]


_Node: TypeAlias = JsonDict | _Group | str  # str: _TRUE / _FALSE


def _field(ref: Ref, field_of: Mapping[Ref, str]) -> str:
    try:
        return field_of[ref]
    except KeyError:
        raise ValueError(f"no fact field for {ref!r} in field_of") from None


def _leaf(op: CompareOp, field: str, value: Value) -> JsonDict:
    encoded = encode_value(value)
    if op is CompareOp.EQ:
        return {field: encoded}
    return {_OPERATOR[op]: {field: encoded}}


def _combine(op: Literal["$and", "$or"], items: Sequence[_Node]) -> _Node:
    unit, zero = (_TRUE, _FALSE) if op == "$and" else (_FALSE, _TRUE)
    flat: list[_Node] = []
    for item in items:
        if item == zero:
            return zero
        if item == unit:
            continue
        if isinstance(item, _Group) and item.op == op:
            flat.extend(item.items)
        else:
            flat.append(item)
    if not flat:
        return unit
    if len(flat) == 1:
        return flat[0]
    return _Group(op, tuple(flat))


def _nnf(expr: Expr, negate: bool, field_of: Mapping[Ref, str]) -> _Node:
    if isinstance(expr, Compare):
        op = _INVERSE[expr.op] if negate else expr.op
        return _leaf(op, _field(expr.left, field_of), expr.right.value)
    if isinstance(expr, Truth):
        field = _field(expr.ref, field_of)
        return {field: False} if negate else {"$neq": {field: False}}
    if isinstance(expr, Exists):
        field = _field(CountRef(expr.activity), field_of)
        return {"$lte": {field: 0}} if negate else {"$gt": {field: 0}}
    if isinstance(expr, Not):
        return _nnf(expr.operand, not negate, field_of)
    if isinstance(expr, And | Or):
        is_and = isinstance(expr, And) != negate
        items = [_nnf(operand, negate, field_of) for operand in expr.operands]
        return _combine("$and" if is_and else "$or", items)
    raise TypeError(f"not a condition: {expr!r}")


def _emit(node: _Node) -> JsonDict:
    if isinstance(node, _Group):
        return {node.op: [_emit(item) for item in node.items]}
    if node == _TRUE:
        return {"$ex": {"id": 1}}
    if node == _FALSE:
        return {"$nex": {"id": 1}}
    assert isinstance(node, dict)
    return node


def condition_to_json(expr: Expr, field_of: Mapping[Ref, str]) -> JsonDict:
    """durable's JSON expression for `expr`, with `Not` pushed down to the leaves.

    A condition that folds to a constant becomes `{"$ex": {"id": 1}}` (true: every
    fact has an id) or `{"$nex": {"id": 1}}` (false).
    """
    return _emit(_nnf(expr, False, field_of))


# ------------------------------------------------------------------ rulesets


def _groups(expression: JsonDict) -> int:
    count = 0
    for key, value in expression.items():
        if key in ("$and", "$or"):
            count += 1 + sum(_groups(item) for item in value)
    return count


def _fields(expression: JsonDict) -> Iterator[str]:
    for key, value in expression.items():
        if key in ("$and", "$or"):
            for item in value:
                yield from _fields(item)
        elif key.startswith("$"):
            yield from value
        else:
            yield key


def rule_entries(rules: Sequence[RuleSpec], field_of: Mapping[Ref, str]) -> list[RuleEntry]:
    """The durable rules for `rules`, in order; a rule that can never fire has none.

    Each entry's expression tests `t` (and `l`) first, so facts of other types never
    enter a rule's alpha chain.
    """
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        raise ValueError("rule names must be unique")
    for field in set(field_of.values()):
        check_field_name(field)
    entries: list[RuleEntry] = []
    for index, rule in enumerate(rules):
        node = _TRUE if rule.condition is None else _nnf(rule.condition, False, field_of)
        if node == _FALSE:
            continue
        disjuncts = node.items if isinstance(node, _Group) and node.op == "$or" else (node,)
        for number, disjunct in enumerate(disjuncts):
            head: list[_Node] = [{"t": rule.fact_type}]
            if rule.lapse is not None:
                head.append({"l": encode_value(rule.lapse)})
            expression = _emit(_combine("$and", [*head, disjunct]))
            if _groups(expression) > MAX_GROUPS_PER_TERM:
                raise RuleTooComplexError(
                    f"rule {rule.name!r} needs {_groups(expression)} nested and/or groups;"
                    f" durable_rules holds at most {MAX_GROUPS_PER_TERM} per rule"
                )
            name = f"r{index}" if len(disjuncts) == 1 else f"r{index}_{number}"
            fields = frozenset(_fields(expression)) - {"t", "l", "id"}
            entries.append(RuleEntry(name, index, rule.key, expression, fields))
    return entries


def marker_rule() -> JsonDict:
    """The end-of-block rule; its action (attached by the worker) deletes the state."""
    return {"all": [{"m": {"t": MARKER_TYPE}}]}


def definition_of(entries: Sequence[RuleEntry]) -> JsonDict:
    """A ruleset definition (without actions) for `entries` plus the marker rule.

    Every rule has exactly one term named `m` and no `none`: no joins and no
    absence tests, so the join and `none()` defects (2, 5) cannot arise.
    """
    definition: JsonDict = {
        entry.name: {"all": [{"m": entry.expression}], "cap": RULE_CAP} for entry in entries
    }
    definition[MARKER_RULE] = marker_rule()
    return definition


def ruleset_json(rules: Sequence[RuleSpec], field_of: Mapping[Ref, str]) -> JsonDict:
    """The whole ruleset definition for `rules`: one durable rule per rule (or per
    top-level disjunct), named `r<index>[_<disjunct>]`, plus the end-of-block marker
    rule `eob`. The `run` actions are attached on the worker side."""
    return definition_of(rule_entries(rules, field_of))
