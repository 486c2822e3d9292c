"""Phrases for `wenze doc`: conditions, facts and unknown constructs in plain words.

In: IR values (expressions, refs, any dataclass) and a `Names` (how the document names
activities and clocks). Out: text in the document's language. Expressions and refs are
worded through a table keyed by their type; a type, enum value or dataclass field that no
table knows is stated generically — field by field, as the policy has it — so new IR
constructs appear in documents (marked as such) instead of vanishing or crashing.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, Protocol

from engine.ir import (
    And,
    CaseAttrRef,
    ClockRef,
    Compare,
    CompareOp,
    Const,
    CountRef,
    EventAttrRef,
    EventIndexRef,
    Exists,
    Not,
    Or,
    Policy,
    PolicyRef,
    SubjectKind,
    Truth,
    Unit,
)
from engine.policy_doc_words import WORDS

_CJK_LATIN = re.compile(
    r"(?<=[A-Za-z_])(?=[\u3400-\u9fff])|(?<=[\u3400-\u9fff])(?=[A-Za-z_])|(?<=\d)(?=[A-Za-z])"
)


class Words:
    """`w(key, **values)`: the template of `key` in the document's language, filled in."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.table = WORDS[lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self.table[key].format(**values)
        # Chinese typesetting: a space between a Latin name and a Chinese character
        # ("procedure 为"), none before digits ("20个工作日").
        return _CJK_LATIN.sub(" ", text) if self.lang == "zh" else text

    def has(self, key: str) -> bool:
        return key in self.table

    def unit(self, unit: object) -> str:
        value = str(getattr(unit, "value", unit))
        return self.table.get(f"unit.{value}", value)

    def unit_noun(self, unit: object) -> str:
        """The unit as a noun ("工作日" in "工作日数"), where the counting word would not fit."""
        value = str(getattr(unit, "value", unit))
        return self.table.get(f"unitn.{value}", value)

    def resp(self, value: str) -> str:
        return self.table.get(f"resp.{value}", value)


class Names(Protocol):
    """How the document names things of its policy."""

    def act(self, name: str, quoted: bool = True) -> str: ...

    def clock(self, name: str) -> str: ...

    def stops_of(self, clock: str) -> str: ...

    def event(self) -> str:
        """The event a bare attribute reads (a start trigger's or a `for each`'s)."""
        ...

    def cond_at(self, activity: str, expr: object) -> str:
        """A condition that may read the attributes of an event of `activity`."""
        ...


# --------------------------------------------------------------------- conditions

Phrase = Callable[[Words, Any, Names], str]


def condition(w: Words, expr: object, names: Names) -> str:
    fn = _EXPR.get(type(expr))
    return fn(w, expr, names) if fn is not None else phrase(w, expr)


def reference(w: Words, ref: object, names: Names) -> str:
    fn = _REF.get(type(ref))
    return fn(w, ref, names) if fn is not None else phrase(w, ref)


def _group(w: Words, expr: object, names: Names) -> str:
    text = condition(w, expr, names)
    return w("cond.group", x=text) if isinstance(expr, And | Or) else text


def _and(w: Words, e: And, n: Names) -> str:
    return w("cond.and").join(_group(w, x, n) for x in e.operands)


def _or(w: Words, e: Or, n: Names) -> str:
    return w("cond.or").join(_group(w, x, n) for x in e.operands)


def _not(w: Words, e: Not, n: Names) -> str:
    if isinstance(e.operand, Exists):
        return w("cond.absent", activity=n.act(e.operand.activity))
    return w("cond.not", x=condition(w, e.operand, n))


def _truth(w: Words, e: Truth, n: Names) -> str:
    return w("cond.true", ref=reference(w, e.ref, n))


def _compare(w: Words, e: Compare, n: Names) -> str:
    value = e.right.value
    if isinstance(value, bool) and e.op in (CompareOp.EQ, CompareOp.NE):
        key = "cond.true" if (value is True) == (e.op is CompareOp.EQ) else "cond.false"
        return w(key, ref=reference(w, e.left, n))
    if isinstance(e.left, EventIndexRef) and e.op is CompareOp.GE and isinstance(value, int):
        return w("cond.index_ge", n=value)
    op = f"op.{e.op.value}"
    return w(
        "cond.cmp",
        ref=reference(w, e.left, n),
        op=w(op) if w.has(op) else e.op.value,
        value=_const(w, e.right),
    )


def _const(w: Words, c: Const) -> str:
    v = c.value
    if isinstance(v, bool):
        return w("value.true" if v else "value.false")
    return str(v) if isinstance(v, int) else w("value.text", v=v)


_EXPR: dict[type, Phrase] = {
    And: _and,
    Or: _or,
    Not: _not,
    Truth: _truth,
    Compare: _compare,
    Exists: lambda w, e, n: w("cond.exists", activity=n.act(e.activity)),
}


def _clock_ref(w: Words, r: ClockRef, n: Names) -> str:
    key = f"prop.{r.prop.value}"
    if not w.has(key):
        return w("ref.clock_generic", clock=n.clock(r.clock), prop=r.prop.value)
    return w(key, clock=n.clock(r.clock), stop=n.stops_of(r.clock))


def _event_attr(w: Words, r: EventAttrRef, n: Names) -> str:
    key = f"attr.{r.name}"
    name = w(key) if w.has(key) else r.name
    event = n.event()
    return w("ref.event", event=event, name=name) if event else w("ref.event_bare", name=name)


_REF: dict[type, Phrase] = {
    ClockRef: _clock_ref,
    CountRef: lambda w, r, n: w("ref.count", activity=n.act(r.activity)),
    CaseAttrRef: lambda w, r, n: w("ref.case", name=r.name),
    EventAttrRef: _event_attr,
    EventIndexRef: lambda w, r, n: w("ref.index"),
}


def walk_refs(expr: object) -> Iterator[object]:
    """Every ref under an expression (of any type the IR has now or later)."""
    if expr is None:
        return
    if type(expr) in _REF:
        yield expr
        return
    if isinstance(expr, Compare):
        yield expr.left
    elif isinstance(expr, Truth):
        yield expr.ref
    elif isinstance(expr, Not):
        yield from walk_refs(expr.operand)
    elif isinstance(expr, And | Or):
        for x in expr.operands:
            yield from walk_refs(x)


# --------------------------------------------------------------------- generic


# Fields each construct's own wording covers; any other field with a value is listed
# generically (a construct added to the IR later shows up in the document, marked).
RENDERED: dict[str, frozenset[str]] = {
    "Policy": frozenset(
        {
            "id",
            "title",
            "version",
            "effective",
            "source",
            "activities",
            "custody",
            "ladders",
            "clocks",
            "lapses",
            "file",
            "text_sha256",
            "effective_until",
            "pursuable_months",
            "version_by",
        }
    ),
    "Clock": frozenset(
        {"name", "label", "starts", "stops", "suspensions", "limits", "ref", "source"}
    ),
    "StartTrigger": frozenset({"activity", "when", "ref", "note"}),
    "Suspension": frozenset(
        {"start_activity", "end_activity", "ref", "start_when", "end_when", "also_ends"}
    ),
    "Limit": frozenset({"amount", "unit", "when", "extensions", "ref", "rollover"}),
    "Extension": frozenset(
        {"amount", "unit", "max_times", "activity", "role", "ref", "before_deadline"}
    ),
    "Lapse": frozenset(
        {
            "id",
            "label",
            "category",
            "for_each",
            "condition",
            "subjects",
            "grading",
            "source",
            "ref",
            "anchor_clock",
        }
    ),
    "Grading": frozenset({"ladder", "measure", "bands", "fixed", "ref", "modifiers"}),
    "SubjectRule": frozenset({"responsibility", "kind", "target", "ref"}),
}


def extras(
    w: Words, obj: object, names: Names, worded: frozenset[str] = frozenset()
) -> Iterator[str]:
    """The fields of `obj` no wording covers (neither its own nor a `Class.field` entry in
    `worded`), that hold a value."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        return
    mro = [c.__name__ for c in type(obj).__mro__]
    # A subclass adds fields; what its base's wording covers stays covered.
    known = next(
        (RENDERED[c.__name__] for c in type(obj).__mro__ if c.__name__ in RENDERED), frozenset()
    )
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if (
            f.name in known
            or any(f"{c}.{f.name}" in worded for c in mro)
            or _empty(value)
            or (f.default is not dataclasses.MISSING and value == f.default)
        ):
            continue
        line = getattr(getattr(obj, "ref", None), "line", 0)
        where = w("generic.line", line=line) if line else ""
        yield f"{type(obj).__name__}.{f.name} = {phrase(w, value, names)}{where}"


def phrase(w: Words, value: object, names: Names | None = None) -> str:
    """Any IR value in words, as its fields say: the fallback for what has no wording."""
    if names is not None and type(value) in _EXPR:
        return condition(w, value, names)
    if names is not None and type(value) in _REF:
        return reference(w, value, names)
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, PolicyRef):
        return w("generic.line", line=value.line).strip()
    if isinstance(value, date | str | int | float | bool):
        return str(value)
    if isinstance(value, tuple | list | frozenset | set):
        return w("list.sep").join(phrase(w, v, names) for v in value)
    if isinstance(value, dict):
        return w("list.sep").join(f"{k}: {phrase(w, v, names)}" for k, v in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [
            f"{f.name}: {phrase(w, getattr(value, f.name), names)}"
            for f in dataclasses.fields(value)
            if f.name != "ref" and not _empty(getattr(value, f.name))
        ]
        return w("generic.fields", name=type(value).__name__, fields=w("generic.sep").join(parts))
    return repr(value)


def _empty(value: object) -> bool:
    return value is None or value == "" or value == () or value is False


# --------------------------------------------------------------------- calculation rules


def _units(p: Policy) -> set[str]:
    out: set[str] = set()
    for c in p.clocks:
        for lim in c.limits:
            out.add(str(getattr(lim.unit, "value", lim.unit)))
            out |= {str(getattr(x.unit, "value", x.unit)) for x in lim.extensions}
    return out


# (template key, does the policy use what it governs?) — in the order they are listed.
RULES: tuple[tuple[str, Callable[[Policy], bool]], ...] = (
    ("rule.start_day", lambda p: bool(_units(p) - {"hours", "workhours"})),
    ("rule.workdays", lambda p: bool(_units(p) & {Unit.WORKDAYS.value, "workhours"})),
    ("rule.months", lambda p: "months" in _units(p)),
    ("rule.hours", lambda p: bool(_units(p) & {"hours", "workhours"})),
    ("rule.rollover", lambda p: any(lim.rollover for c in p.clocks for lim in c.limits)),
    ("rule.on_time", lambda p: bool(p.clocks)),
    ("rule.suspension", lambda p: any(c.suspensions for c in p.clocks)),
    ("rule.extension", lambda p: any(lim.extensions for c in p.clocks for lim in c.limits)),
    ("rule.overdue", lambda p: bool(p.clocks)),
    (
        "rule.holder",
        lambda p: any(
            r.kind is SubjectKind.HOLDER_AT_DEADLINE for lap in p.lapses for r in lap.subjects
        ),
    ),
)


def calculation_rules(p: Policy) -> list[str]:
    return [key for key, applies in RULES if applies(p)]
