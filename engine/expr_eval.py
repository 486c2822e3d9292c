"""Plain-Python evaluation of policy conditions (the IR `Expr`) over one case's facts.

In: an `Expr` and a `Scope` (the derived facts of one case, optionally one event in scope).
Out: the value of a ref (`resolve`) or the truth of a condition (`holds`).
Used by the derive stage (start-trigger and limit conditions), by the fact encoder (field
values for the rule stage) and by the plain-Python lapse evaluator, the differential oracle
of the durable_rules stage.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

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


@dataclass(slots=True, eq=False)
class Scope:
    """The facts a condition reads. Not frozen: one is built per candidate event and a
    frozen dataclass pays for `object.__setattr__` on every field; treat it as read-only."""

    history: CaseHistory
    clocks: Mapping[str, ClockView]
    counts: Mapping[str, int]
    event: Event | None = None
    index: int = 0


# What a clock that never started (or is not evaluated yet) reads as.
NOT_STARTED: dict[ClockProperty, int | bool] = {
    p: (False if p.is_bool else 0) for p in ClockProperty
}


def as_number(text: str) -> int:
    """A whole number written in an export ("1,200,000", " 35 ", "35.0"); -1 when absent
    or not a number, so `number case.amount >= 1000000` is simply false there."""
    t = text.strip().replace(",", "").replace("，", "")
    try:
        return int(t)
    except ValueError:
        try:
            f = float(t)
        except ValueError:
            return -1
        return int(f) if f == f and abs(f) < 1e18 else -1


def resolve(ref: Ref, scope: Scope) -> Value:
    if isinstance(ref, ClockRef):
        clock = scope.clocks.get(ref.clock)
        return NOT_STARTED[ref.prop] if clock is None else clock.prop(ref.prop)
    if isinstance(ref, CountRef):
        return scope.counts.get(ref.activity, 0)
    if isinstance(ref, CaseAttrRef):
        text = scope.history.attrs.get(ref.name, "")
        return as_number(text) if ref.numeric else text
    if isinstance(ref, EventAttrRef):
        text = "" if scope.event is None else scope.event.attr(ref.name)
        return as_number(text) if ref.numeric else text
    if isinstance(ref, EventIndexRef):
        return scope.index
    raise TypeError(f"unknown ref {ref!r}")


def holds(expr: Expr | None, scope: Scope) -> bool:
    if expr is None:
        return True
    hit = _CACHE.get(id(expr))  # compile_condition's lookup, inline: called per candidate
    if hit is not None and hit[0] is expr:
        return hit[1](scope)
    return compile_condition(expr)[0](scope)


def counted_activities(node: object) -> set[str]:
    """Every activity a condition or ref anywhere in this IR node counts (`exists A`,
    `absent A`, `count A`), found by walking its dataclass fields."""
    found: set[str] = set()
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, CountRef | Exists):
            found.add(x.activity)
        elif isinstance(x, tuple | list):
            stack.extend(x)
        elif dataclasses.is_dataclass(x) and not isinstance(x, type):
            stack.extend(getattr(x, f.name) for f in dataclasses.fields(x))
    return found


def reads_event(expr: Expr | None) -> bool:
    """Whether the condition reads the event in scope (an attribute or its index): when
    not, one case-level scope serves for every event."""
    return expr is not None and compile_condition(expr)[1]


# ---------------------------------------------------------------- compilation
# Conditions are evaluated millions of times (start triggers, limits, lapses): each IR
# expression is turned once into nested closures, so an evaluation is a few calls instead
# of a walk with isinstance tests. Keyed by object identity; the entry keeps the
# expression alive, so an id is never reused while its entry exists.

Test = Callable[[Scope], bool]
EventTest = Callable[[Event], bool]
_S = TypeVar("_S")  # what a compiled condition reads: a Scope, or for event-only tests an Event
_CACHE: dict[int, tuple[Expr, Test, bool]] = {}
_EVENT_CACHE: dict[int, tuple[Expr, EventTest | None]] = {}


def compile_condition(expr: Expr) -> tuple[Test, bool]:
    """The condition as a function of a scope, and whether it reads the event in scope."""
    hit = _CACHE.get(id(expr))
    if hit is None or hit[0] is not expr:
        if len(_CACHE) > 10_000:  # transient expressions: start afresh, never grow
            _CACHE.clear()
        hit = (expr, _compile(expr, value_getter, _scope_leaf), _uses_event(expr))
        _CACHE[id(expr)] = hit
    return hit[1], hit[2]


def compile_event_condition(expr: Expr) -> EventTest | None:
    """The condition as a function of an event alone, or None when it reads anything but
    the event's attributes. `start at 作出决定 when result == "准予"` is tested on every
    case: this way no Scope is built for the event."""
    hit = _EVENT_CACHE.get(id(expr))
    if hit is None or hit[0] is not expr:
        if len(_EVENT_CACHE) > 10_000:
            _EVENT_CACHE.clear()
        test = _compile(expr, _event_getter, _event_leaf) if _reads_only_event_attrs(expr) else None
        hit = _EVENT_CACHE[id(expr)] = (expr, test)
    return hit[1]


def _uses_event(expr: Expr) -> bool:
    if isinstance(expr, Compare):
        return isinstance(expr.left, EventAttrRef | EventIndexRef)
    if isinstance(expr, Truth):
        return isinstance(expr.ref, EventAttrRef | EventIndexRef)
    if isinstance(expr, Exists):
        return False
    if isinstance(expr, Not):
        return _uses_event(expr.operand)
    return any(_uses_event(e) for e in expr.operands)


def _reads_only_event_attrs(expr: Expr) -> bool:
    if isinstance(expr, Compare):
        return isinstance(expr.left, EventAttrRef)
    if isinstance(expr, Truth):
        return isinstance(expr.ref, EventAttrRef)
    if isinstance(expr, Exists):
        return False
    if isinstance(expr, Not):
        return _reads_only_event_attrs(expr.operand)
    return all(_reads_only_event_attrs(e) for e in expr.operands)


def value_getter(ref: Ref) -> Callable[[Scope], Value]:
    """`resolve(ref, ·)` with the ref's kind decided once: for compiled conditions and the
    rule stage's fact encoder, which read the same few refs on every case."""
    if isinstance(ref, ClockRef):
        name, prop, absent = ref.clock, ref.prop, NOT_STARTED[ref.prop]

        def clock_value(s: Scope) -> Value:
            c = s.clocks.get(name)
            return absent if c is None else c.prop(prop)

        return clock_value
    if isinstance(ref, CountRef):
        act = ref.activity
        return lambda s: s.counts.get(act, 0)
    if isinstance(ref, CaseAttrRef):
        attr = ref.name
        if ref.numeric:
            return lambda s: as_number(s.history.attrs.get(attr, ""))
        return lambda s: s.history.attrs.get(attr, "")
    if isinstance(ref, EventAttrRef):
        attr = ref.name
        if ref.numeric:
            return lambda s: -1 if s.event is None else as_number(s.event.attr(attr))
        return lambda s: "" if s.event is None else s.event.attr(attr)
    return lambda s: s.index


def _event_getter(ref: Ref) -> Callable[[Event], Value]:
    """An event attribute read off the event itself (as value_getter reads it off a scope)."""
    if not isinstance(ref, EventAttrRef):
        raise TypeError(f"not an event attribute: {ref!r}")
    attr = ref.name
    if ref.numeric:
        return lambda e: as_number(e.attr(attr))
    return lambda e: e.attr(attr)


# The commonest leaves, `case.ATTR == "…"`, `CLOCK.late` and `ATTR == "…"`, each as one
# closure that reads its value itself: a test that calls a getter is two calls, and a
# start trigger or limit condition is tested on every case.


def _scope_leaf(expr: Expr) -> Callable[[Scope], bool] | None:
    if isinstance(expr, Compare) and expr.op is CompareOp.EQ:
        ref, value = expr.left, expr.right.value
        if isinstance(ref, CaseAttrRef) and not ref.numeric:
            attr = ref.name
            return lambda s: s.history.attrs.get(attr, "") == value
    if isinstance(expr, Truth) and isinstance(expr.ref, ClockRef):
        name, prop = expr.ref.clock, expr.ref.prop
        # A clock not (yet) started reads as False, as value_getter's default does.
        return lambda s: (c := s.clocks.get(name)) is not None and c.prop(prop) is True
    return None


def _event_leaf(expr: Expr) -> Callable[[Event], bool] | None:
    if isinstance(expr, Compare) and expr.op is CompareOp.EQ:
        ref, value = expr.left, expr.right.value
        if isinstance(ref, EventAttrRef) and not ref.numeric:
            attr = ref.name
            return lambda e: e.attr(attr) == value
    return None


def _compile(
    expr: Expr,
    get_of: Callable[[Ref], Callable[[_S], Value]],
    leaf_of: Callable[[Expr], Callable[[_S], bool] | None],
) -> Callable[[_S], bool]:
    leaf = leaf_of(expr)
    if leaf is not None:
        return leaf
    if isinstance(expr, Compare):
        get, value, op = get_of(expr.left), expr.right.value, expr.op
        if op is CompareOp.EQ:
            return lambda s: get(s) == value
        if op is CompareOp.NE:
            return lambda s: get(s) != value
        return lambda s: _compare(op, get(s), value)
    if isinstance(expr, Truth):
        get = get_of(expr.ref)
        return lambda s: get(s) is True
    if isinstance(expr, Exists):
        count = get_of(CountRef(expr.activity))
        return lambda s: count(s) != 0  # a count is never negative
    if isinstance(expr, Not):
        inner = _compile(expr.operand, get_of, leaf_of)
        return lambda s: not inner(s)
    parts = tuple(_compile(e, get_of, leaf_of) for e in expr.operands)
    if isinstance(expr, And):
        return lambda s: all(p(s) for p in parts)
    if isinstance(expr, Or):
        return lambda s: any(p(s) for p in parts)
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
