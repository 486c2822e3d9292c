"""What every checker pass shares: the registries, the symbol table, the context, and the
checking of names and conditions.

In: a parsed `ast.PolicyFile`. Out: `Symbols` (the first declaration of every name),
`Ctx` (tree, file, symbols) handed to each pass, and the helpers passes call to check a
name (`check_activity`, `check_clock`, `check_unit`, `check_amount`) or a condition
(`check_cond`, `ref_kind`). The registries — units, responsibility types, clock
properties, lapse categories — are small tables here, so that adding a value is one line
and the checker, compiler and docs all read the same one. Passes live in dsl.checker
and dsl.checker_time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

from dsl import ast
from dsl.diagnostics import Diagnostic, diag, did_you_mean
from engine.ir import ClockProperty, Responsibility, Unit

# ------------------------------------------------------------------- registries

UNITS: dict[str, Unit] = {
    "workdays": Unit.WORKDAYS,
    "workday": Unit.WORKDAYS,
    "days": Unit.DAYS,
    "day": Unit.DAYS,
    "weeks": Unit.WEEKS,
    "week": Unit.WEEKS,
    "months": Unit.MONTHS,
    "month": Unit.MONTHS,
    "hours": Unit.HOURS,
    "hour": Unit.HOURS,
    "workhours": Unit.WORKHOURS,
    "workhour": Unit.WORKHOURS,
}
# Words drafters reach for that spell a unit differently (difflib would not guess them).
UNIT_SYNONYMS: dict[str, str] = {
    "weekdays": "workdays", "weekday": "workdays", "businessdays": "workdays",
    "working_days": "workdays", "工作日": "workdays", "日": "days", "天": "days",
    "周": "weeks", "月": "months", "个月": "months", "小时": "hours",
    "officehours": "workhours", "工作小时": "workhours",
}  # fmt: skip
RESPONSIBILITIES: dict[str, Responsibility] = {r.value: r for r in Responsibility}
CLOCK_PROPERTIES: dict[str, ClockProperty] = {p.value: p for p in ClockProperty}
LAPSE_CATEGORIES: tuple[str, ...] = (
    "慢作为", "不作为", "乱作为", "推诿", "首问失责", "一次告知", "责任主体不明确",
)  # fmt: skip

Kind = Literal["bool", "int", "text"]
KIND_WORDS: dict[Kind, str] = {"bool": "a yes/no fact", "int": "a number", "text": "a text"}
_ORDERING = frozenset({"<", "<=", ">", ">="})
DEFAULT_LIMIT = 50
_T = TypeVar("_T")
_D = TypeVar("_D", ast.ActivityDecl, ast.ClockDecl, ast.LadderDecl, ast.LapseDecl)


@dataclass(frozen=True)
class Symbols:
    """The first declaration of every name, by kind."""

    activities: dict[str, ast.ActivityDecl]
    clocks: dict[str, ast.ClockDecl]
    ladders: dict[str, ast.LadderDecl]
    lapses: dict[str, ast.LapseDecl]

    @property
    def clock_order(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.clocks)}


@dataclass(frozen=True)
class CheckedPolicy:
    """A policy tree that passed the checker without errors."""

    tree: ast.PolicyFile
    symbols: Symbols


@dataclass(frozen=True)
class Ctx:
    tree: ast.PolicyFile
    file: str
    sym: Symbols


@dataclass(frozen=True)
class Scope:
    """What a condition may read besides clocks, counts and case attributes."""

    event: bool = False  # attributes of the event being considered
    index: bool = False  # its position among events of its activity


def symbols_of(tree: ast.PolicyFile) -> Symbols:
    def first(decls: list[_D]) -> dict[str, _D]:
        out: dict[str, _D] = {}
        for d in decls:
            out.setdefault(ast.declared_name(d).text, d)
        return out

    return Symbols(
        first(items_of(tree, ast.ActivityDecl)),
        first(items_of(tree, ast.ClockDecl)),
        first(items_of(tree, ast.LadderDecl)),
        first(items_of(tree, ast.LapseDecl)),
    )


def items_of(tree: ast.PolicyFile, kind: type[_T]) -> list[_T]:
    return [i for i in tree.items if isinstance(i, kind)]


# ----------------------------------------------------------------- name helpers


def check_activity(ctx: Ctx, name: ast.Ident, what: str = "") -> Iterator[Diagnostic]:
    if name.text not in ctx.sym.activities:
        msg = f"unknown activity '{name.text}'" + (f" in {what}" if what else "")
        hint = did_you_mean(name.text, ctx.sym.activities) or (
            f'declare it: activity {name.text} "…"'
        )
        yield diag("N201", msg, ctx.file, name.span, hint=hint)


def check_clock(ctx: Ctx, name: ast.Ident) -> Iterator[Diagnostic]:
    if name.text not in ctx.sym.clocks:
        hint = did_you_mean(name.text, ctx.sym.clocks)
        yield diag("N206", f"unknown clock '{name.text}'", ctx.file, name.span, hint=hint)


def _literal_kind(value: str | int | bool) -> Kind:
    if isinstance(value, bool):
        return "bool"
    return "int" if isinstance(value, int) else "text"


# ------------------------------------------------------------ conditions, types


def ref_kind(ctx: Ctx, ref: ast.RefNode, scope: Scope, out: list[Diagnostic]) -> Kind | None:
    """The kind of value `ref` reads, or None (with diagnostics in `out`) if it reads
    nothing that exists here."""
    match ref:
        case ast.PropRef(owner=owner, prop=prop):
            if owner.text not in ctx.sym.clocks:
                out.extend(check_clock(ctx, owner))
                return None
            p = CLOCK_PROPERTIES.get(prop.text)
            if p is None:
                hint = did_you_mean(prop.text, CLOCK_PROPERTIES)
                hint = hint or "a clock has: " + ", ".join(CLOCK_PROPERTIES)
                msg = f"a clock has no property '{prop.text}'"
                out.append(diag("N209", msg, ctx.file, prop.span, hint=hint))
                return None
            return "bool" if p.is_bool else "int"
        case ast.CaseRef(numeric=numeric):
            return "int" if numeric else "text"
        case ast.CountRef(activity=act):
            out.extend(check_activity(ctx, act))
            return "int"
        case ast.IndexRef():
            if not scope.index:
                msg = "'index' is only known inside 'for each ACTIVITY'"
                out.append(diag("T305", msg, ctx.file, ref.span))
            return "int"
        case ast.NameRef(name=name, numeric=numeric):
            kind = _name_kind(ctx, name, scope, out)
            return "int" if kind == "text" and numeric else kind


def _name_kind(ctx: Ctx, name: ast.Ident, scope: Scope, out: list[Diagnostic]) -> Kind | None:
    n = name.text
    if n in ctx.sym.clocks:
        msg = f"'{n}' is a clock; say what about it"
        out.append(diag("N214", msg, ctx.file, name.span, hint=f"did you mean '{n}.breached'?"))
        return None
    if not scope.event:
        hint = f"did you mean 'exists {n}'?" if n in ctx.sym.activities else ""
        hint = hint or f"did you mean 'case.{n}'?"
        msg = f"'{n}' reads an event attribute, but no event is in scope here"
        out.append(diag("T306", msg, ctx.file, name.span, hint=hint))
        return None
    return "text"


def check_cond(ctx: Ctx, c: ast.CondNode, scope: Scope, out: list[Diagnostic]) -> None:
    match c:
        case ast.OrNode(operands=ops) | ast.AndNode(operands=ops):
            for o in ops:
                check_cond(ctx, o, scope, out)
        case ast.NotNode(operand=o):
            check_cond(ctx, o, scope, out)
        case ast.ExistsNode(activity=act):
            out.extend(check_activity(ctx, act))
        case ast.TruthNode(ref=ref):
            kind = ref_kind(ctx, ref, scope, out)
            if kind is not None and kind != "bool":
                shown = ast.ref_text(ref)
                hint = (
                    f"compare it, e.g. '{shown} >= 1'"
                    if kind == "int"
                    else (f"compare it, e.g. '{shown} == \"…\"'")
                )
                msg = f"'{shown}' is {KIND_WORDS[kind]}, not a condition"
                out.append(diag("T303", msg, ctx.file, c.span, hint=hint))
        case ast.CompareNode():
            _check_compare(ctx, c, scope, out)


def _check_compare(ctx: Ctx, c: ast.CompareNode, scope: Scope, out: list[Diagnostic]) -> None:
    sides = (c.left, c.right)
    refs = [s for s in sides if not isinstance(s, ast.Literal)]
    lits = [s for s in sides if isinstance(s, ast.Literal)]
    kinds = [ref_kind(ctx, r, scope, out) for r in refs]
    if len(refs) != 1:
        msg = (
            "this compares two facts; compare a fact with a written value"
            if refs
            else "this compares two written values; one side must be a fact"
        )
        out.append(diag("T304", msg, ctx.file, c.span))
        return
    kind, ref, lit = kinds[0], refs[0], lits[0]
    if kind is None:
        return
    lit_kind = _literal_kind(lit.value)
    if kind != lit_kind:
        msg = (
            f"'{ast.ref_text(ref)}' is {KIND_WORDS[kind]} but {ast.literal_text(lit.value)} "
            f"is {KIND_WORDS[lit_kind]}"
        )
        out.append(diag("T301", msg, ctx.file, c.span))
    elif c.op in _ORDERING and kind != "int":
        msg = f"'{c.op}' compares numbers, but '{ast.ref_text(ref)}' is {KIND_WORDS[kind]}"
        out.append(diag("T302", msg, ctx.file, c.span, hint="use '==' or '!='"))


def lapse_scope(lapse: ast.LapseDecl) -> Scope:
    for s in lapse.body:
        if isinstance(s, ast.ForEachStmt):
            return Scope(event=True, index=True)
        if isinstance(s, ast.ForEachRefusedStmt):
            return Scope(event=True)
    return Scope()


def check_amount(ctx: Ctx, n: int, span: ast.Span, what: str) -> Iterator[Diagnostic]:
    if n < 1:
        yield diag("S415", f"{what} must be at least 1", ctx.file, span)


def check_unit(ctx: Ctx, unit: ast.Ident) -> Iterator[Diagnostic]:
    if unit.text not in UNITS:
        synonym = UNIT_SYNONYMS.get(unit.text.lower())
        hint = (f"did you mean '{synonym}'?" if synonym else did_you_mean(unit.text, UNITS)) or (
            "use workdays, days, weeks, months, hours or workhours"
        )
        yield diag("N210", f"unknown unit '{unit.text}'", ctx.file, unit.span, hint=hint)


Pass = Callable[[Ctx], Iterator[Diagnostic]]
