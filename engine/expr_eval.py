"""Plain-Python evaluation of policy conditions (the IR `Expr`) over one case's facts.

In: an `Expr` and a `Scope` (the derived facts of one case, optionally one event in scope).
Out: the value of a ref (`resolve`) or the truth of a condition (`holds`).
Used by the derive stage (start-trigger and limit conditions), by the fact encoder (field
values for the rule stage) and by the plain-Python lapse evaluator, the differential oracle
of the durable_rules stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from engine.ir import (
    And,
    CaseAttrRef,
    ClockProperty,
    ClockRef,
    Compare,
    CompareOp,
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
from engine.model import CaseHistory, Event

Value = str | int | bool


class ClockView(Protocol):
    """What a condition may read of a clock (engine.clocks.ClockResult provides it)."""

    def prop(self, p: ClockProperty) -> int | bool: ...


@dataclass(frozen=True, slots=True)
class Scope:
    history: CaseHistory
    clocks: Mapping[str, ClockView]
    counts: Mapping[str, int]
    event: Event | None = None
    index: int = 0


_NOT_STARTED: dict[ClockProperty, int | bool] = {
    p: (False if p.is_bool else 0) for p in ClockProperty
}


def resolve(ref: Ref, scope: Scope) -> Value:
    if isinstance(ref, ClockRef):
        clock = scope.clocks.get(ref.clock)
        return _NOT_STARTED[ref.prop] if clock is None else clock.prop(ref.prop)
    if isinstance(ref, CountRef):
        return scope.counts.get(ref.activity, 0)
    if isinstance(ref, CaseAttrRef):
        return scope.history.attrs.get(ref.name, "")
    if isinstance(ref, EventAttrRef):
        return "" if scope.event is None else scope.event.attr(ref.name)
    if isinstance(ref, EventIndexRef):
        return scope.index
    raise TypeError(f"unknown ref {ref!r}")


def holds(expr: Expr | None, scope: Scope) -> bool:
    if expr is None:
        return True
    if isinstance(expr, Compare):
        return _compare(expr.op, resolve(expr.left, scope), expr.right.value)
    if isinstance(expr, Truth):
        return resolve(expr.ref, scope) is True
    if isinstance(expr, Exists):
        return scope.counts.get(expr.activity, 0) > 0
    if isinstance(expr, Not):
        return not holds(expr.operand, scope)
    if isinstance(expr, And):
        return all(holds(e, scope) for e in expr.operands)
    if isinstance(expr, Or):
        return any(holds(e, scope) for e in expr.operands)
    raise TypeError(f"unknown expression {expr!r}")


def _compare(op: CompareOp, left: Value, right: Value) -> bool:
    if op is CompareOp.EQ:
        return left == right
    if op is CompareOp.NE:
        return left != right
    # The checker only admits ordering on ints; a stray type compares false, as in durable.
    if not isinstance(left, int) or not isinstance(right, int):
        return False
    if op is CompareOp.LT:
        return left < right
    if op is CompareOp.LE:
        return left <= right
    if op is CompareOp.GT:
        return left > right
    return left >= right
