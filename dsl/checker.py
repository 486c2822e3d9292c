"""Check a parsed policy: names, types, scopes, structure and grading.

In: an `ast.PolicyFile` from `dsl.parser.parse`. Out: `(CheckedPolicy | None, diagnostics)`;
the checked policy (the tree plus its symbol table) is returned only when no diagnostic
is an error, and it is the only thing `dsl.compiler.compile_policy` accepts.

The checker is an ordered tuple of pure passes (`PASSES`); each reads the tree and the
symbol table and yields diagnostics, never raising for a user mistake. Diagnostics are
sorted by position and cut at `limit`, with one W999 saying how many were left out.
The small tables the passes consult (units, responsibility types, clock properties,
lapse categories) are registries here, so that adding a value is one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

from dsl import ast
from dsl.diagnostics import Diagnostic, diag, did_you_mean, related
from engine.ir import ClockProperty, Responsibility, Unit

# ------------------------------------------------------------------- registries

UNITS: dict[str, Unit] = {
    "workdays": Unit.WORKDAYS,
    "workday": Unit.WORKDAYS,
    "days": Unit.DAYS,
    "day": Unit.DAYS,
}
RESPONSIBILITIES: dict[str, Responsibility] = {r.value: r for r in Responsibility}
CLOCK_PROPERTIES: dict[str, ClockProperty] = {p.value: p for p in ClockProperty}
LAPSE_CATEGORIES: tuple[str, ...] = (
    "慢作为", "不作为", "乱作为", "推诿", "首问失责", "一次告知", "责任主体不明确",
)  # fmt: skip

Kind = Literal["bool", "int", "text"]
_KIND_WORDS: dict[Kind, str] = {"bool": "a yes/no fact", "int": "a number", "text": "a text"}
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
class _Ctx:
    tree: ast.PolicyFile
    file: str
    sym: Symbols


@dataclass(frozen=True)
class Scope:
    """What a condition may read besides clocks, counts and case attributes."""

    event: bool = False  # attributes of the event being considered
    index: bool = False  # its position among events of its activity


def _symbols(tree: ast.PolicyFile) -> Symbols:
    def first(decls: list[_D]) -> dict[str, _D]:
        out: dict[str, _D] = {}
        for d in decls:
            out.setdefault(ast.declared_name(d).text, d)
        return out

    return Symbols(
        first(_of(tree, ast.ActivityDecl)),
        first(_of(tree, ast.ClockDecl)),
        first(_of(tree, ast.LadderDecl)),
        first(_of(tree, ast.LapseDecl)),
    )


def _of(tree: ast.PolicyFile, kind: type[_T]) -> list[_T]:
    return [i for i in tree.items if isinstance(i, kind)]


# ----------------------------------------------------------------- name helpers


def _activity(ctx: _Ctx, name: ast.Ident, what: str = "") -> Iterator[Diagnostic]:
    if name.text not in ctx.sym.activities:
        msg = f"unknown activity '{name.text}'" + (f" in {what}" if what else "")
        hint = did_you_mean(name.text, ctx.sym.activities) or (
            f'declare it: activity {name.text} "…"'
        )
        yield diag("N201", msg, ctx.file, name.span, hint=hint)


def _clock(ctx: _Ctx, name: ast.Ident) -> Iterator[Diagnostic]:
    if name.text not in ctx.sym.clocks:
        hint = did_you_mean(name.text, ctx.sym.clocks)
        yield diag("N206", f"unknown clock '{name.text}'", ctx.file, name.span, hint=hint)


def _literal_kind(value: str | int | bool) -> Kind:
    if isinstance(value, bool):
        return "bool"
    return "int" if isinstance(value, int) else "text"


# ------------------------------------------------------------ conditions, types


def ref_kind(ctx: _Ctx, ref: ast.RefNode, scope: Scope, out: list[Diagnostic]) -> Kind | None:
    """The kind of value `ref` reads, or None (with diagnostics in `out`) if it reads
    nothing that exists here."""
    match ref:
        case ast.PropRef(owner=owner, prop=prop):
            if owner.text not in ctx.sym.clocks:
                out.extend(_clock(ctx, owner))
                return None
            p = CLOCK_PROPERTIES.get(prop.text)
            if p is None:
                hint = did_you_mean(prop.text, CLOCK_PROPERTIES)
                hint = hint or "a clock has: " + ", ".join(CLOCK_PROPERTIES)
                msg = f"a clock has no property '{prop.text}'"
                out.append(diag("N209", msg, ctx.file, prop.span, hint=hint))
                return None
            return "bool" if p.is_bool else "int"
        case ast.CaseRef():
            return "text"
        case ast.CountRef(activity=act):
            out.extend(_activity(ctx, act))
            return "int"
        case ast.IndexRef():
            if not scope.index:
                msg = "'index' is only known inside 'for each ACTIVITY'"
                out.append(diag("T305", msg, ctx.file, ref.span))
            return "int"
        case ast.NameRef(name=name):
            return _name_kind(ctx, name, scope, out)


def _name_kind(ctx: _Ctx, name: ast.Ident, scope: Scope, out: list[Diagnostic]) -> Kind | None:
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


def check_cond(ctx: _Ctx, c: ast.CondNode, scope: Scope, out: list[Diagnostic]) -> None:
    match c:
        case ast.OrNode(operands=ops) | ast.AndNode(operands=ops):
            for o in ops:
                check_cond(ctx, o, scope, out)
        case ast.NotNode(operand=o):
            check_cond(ctx, o, scope, out)
        case ast.ExistsNode(activity=act):
            out.extend(_activity(ctx, act))
        case ast.TruthNode(ref=ref):
            kind = ref_kind(ctx, ref, scope, out)
            if kind is not None and kind != "bool":
                shown = ast.ref_text(ref)
                hint = (
                    f"compare it, e.g. '{shown} >= 1'"
                    if kind == "int"
                    else (f"compare it, e.g. '{shown} == \"…\"'")
                )
                msg = f"'{shown}' is {_KIND_WORDS[kind]}, not a condition"
                out.append(diag("T303", msg, ctx.file, c.span, hint=hint))
        case ast.CompareNode():
            _check_compare(ctx, c, scope, out)


def _check_compare(ctx: _Ctx, c: ast.CompareNode, scope: Scope, out: list[Diagnostic]) -> None:
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
            f"'{ast.ref_text(ref)}' is {_KIND_WORDS[kind]} but {ast.literal_text(lit.value)} "
            f"is {_KIND_WORDS[lit_kind]}"
        )
        out.append(diag("T301", msg, ctx.file, c.span))
    elif c.op in _ORDERING and kind != "int":
        msg = f"'{c.op}' compares numbers, but '{ast.ref_text(ref)}' is {_KIND_WORDS[kind]}"
        out.append(diag("T302", msg, ctx.file, c.span, hint="use '==' or '!='"))


def lapse_scope(lapse: ast.LapseDecl) -> Scope:
    for s in lapse.body:
        if isinstance(s, ast.ForEachStmt):
            return Scope(event=True, index=True)
        if isinstance(s, ast.ForEachRefusedStmt):
            return Scope(event=True)
    return Scope()


# ----------------------------------------------------------------------- passes


def _header(ctx: _Ctx) -> Iterator[Diagnostic]:
    policies = _of(ctx.tree, ast.PolicyDecl)
    versions = _of(ctx.tree, ast.VersionDecl)
    sources = _of(ctx.tree, ast.SourceDecl)
    heads: list[tuple[str, list[ast.Span]]] = [
        ("policy", [d.span for d in policies]),
        ("version", [d.span for d in versions]),
        ("source", [d.span for d in sources]),
    ]
    for word, spans in heads:
        for extra in spans[1:]:
            note = related(f"the first '{word}' line", ctx.file, spans[0])
            msg = f"'{word}' is written twice"
            yield diag("S402", msg, ctx.file, extra, related=[note])
    if not policies:  # an empty or headless file: say only that
        yield diag("S401", 'the file has no `policy ID "title"` line', ctx.file, None)
        return
    at = policies[0].id.span
    if not versions:
        hint = 'add: version "V" effective YYYY-MM-DD'
        yield diag("S403", "the policy has no version", ctx.file, at, hint=hint)
    if not sources:
        hint = 'cite the law: source "…"'
        yield diag("W901", "the policy cites no legal source", ctx.file, at, hint=hint)


_DUPLICATE_CODES = {
    ast.ActivityDecl: ("activity", "N202"),
    ast.ClockDecl: ("clock", "N203"),
    ast.LapseDecl: ("lapse", "N204"),
    ast.LadderDecl: ("ladder", "N205"),
}


def _declarations(ctx: _Ctx) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, str], ast.Ident] = {}
    for item in ctx.tree.items:
        if not isinstance(item, ast.ActivityDecl | ast.ClockDecl | ast.LapseDecl | ast.LadderDecl):
            continue
        what, code = _DUPLICATE_CODES[type(item)]
        ident = ast.declared_name(item)
        first = seen.setdefault((what, ident.text), ident)
        if first is not ident:
            note = related("first declared here", ctx.file, first.span)
            msg = f"{what} '{ident.text}' is declared twice"
            yield diag(code, msg, ctx.file, ident.span, related=[note])


def _ladders(ctx: _Ctx) -> Iterator[Diagnostic]:
    for ladder in _of(ctx.tree, ast.LadderDecl):
        seen: dict[str, ast.Ident] = {}
        for level in ladder.levels:
            first = seen.setdefault(level.text, level)
            if first is not level:
                note = related("first listed here", ctx.file, first.span)
                msg = f"level '{level.text}' is listed twice in ladder '{ladder.name.text}'"
                yield diag("N212", msg, ctx.file, level.span, related=[note])


def _activity_refs(ctx: _Ctx) -> Iterator[Diagnostic]:
    """Activities named outside conditions (conditions are `_conditions`' job)."""
    for custody in _of(ctx.tree, ast.CustodyDecl):
        for name in custody.activities:
            yield from _activity(ctx, name, "custody")
    for decl in _of(ctx.tree, ast.ClockDecl) + _of(ctx.tree, ast.LapseDecl):
        for stmt in decl.body:
            for name in ast.activities_named(stmt):
                yield from _activity(ctx, name)


def _amount(ctx: _Ctx, n: int, span: ast.Span, what: str) -> Iterator[Diagnostic]:
    if n < 1:
        yield diag("S415", f"{what} must be at least 1", ctx.file, span)


def _unit(ctx: _Ctx, unit: ast.Ident) -> Iterator[Diagnostic]:
    if unit.text not in UNITS:
        hint = did_you_mean(unit.text, UNITS) or "use workdays or days"
        yield diag("N210", f"unknown unit '{unit.text}'", ctx.file, unit.span, hint=hint)


def _clocks(ctx: _Ctx) -> Iterator[Diagnostic]:
    for clock in _of(ctx.tree, ast.ClockDecl):
        name = clock.name
        starts = [s for s in clock.body if isinstance(s, ast.StartStmt)]
        stops = [s for s in clock.body if isinstance(s, ast.StopStmt)]
        limits = [s for s in clock.body if isinstance(s, ast.LimitStmt)]
        for missing, code, what in (
            (starts, "S414", "start at"),
            (stops, "S404", "stop at"),
            (limits, "S405", "limit"),
        ):
            if not missing:
                msg = f"clock '{name.text}' has no '{what}'"
                yield diag(code, msg, ctx.file, name.span)
        for i, limit in enumerate(limits):
            yield from _unit(ctx, limit.unit)
            yield from _amount(ctx, limit.amount, limit.span, "a limit")
            if limit.when is None and i + 1 < len(limits):
                note = related("this limit applies to every case", ctx.file, limit.span)
                msg = "this limit can never apply: the limit before it has no 'when'"
                hint = "put limits with 'when' first and the general limit last"
                yield diag("W902", msg, ctx.file, limits[i + 1].span, related=[note], hint=hint)
            for e in limit.extensions:
                yield from _unit(ctx, e.unit)
                yield from _amount(ctx, e.amount, e.span, "an extension")
                yield from _amount(ctx, e.max_times, e.span, "'at most … times'")


def _clock_order(ctx: _Ctx) -> Iterator[Diagnostic]:
    order = ctx.sym.clock_order
    for clock in _of(ctx.tree, ast.ClockDecl):
        me = order[clock.name.text]
        if ctx.sym.clocks[clock.name.text] is not clock:
            continue  # a duplicate: N203 already says so
        conds = [s.when for s in clock.body if isinstance(s, ast.StartStmt | ast.LimitStmt)]
        for cond in conds:
            for read in ast.clocks_read(cond) if cond is not None else ():
                other = order.get(read.text)
                if other is None:
                    continue  # unknown clock: reported by `_conditions`
                if other == me:
                    msg = f"clock '{clock.name.text}' reads itself"
                    yield diag("S406", msg, ctx.file, read.span)
                elif other > me:
                    decl = ctx.sym.clocks[read.text]
                    note = related(f"'{read.text}' is declared here", ctx.file, decl.name.span)
                    msg = f"clock '{clock.name.text}' reads '{read.text}', declared after it"
                    hint = f"move clock '{read.text}' above clock '{clock.name.text}'"
                    yield diag("S407", msg, ctx.file, read.span, related=[note], hint=hint)


def _conditions(ctx: _Ctx) -> Iterator[Diagnostic]:
    out: list[Diagnostic] = []
    for clock in _of(ctx.tree, ast.ClockDecl):
        for s in clock.body:
            if isinstance(s, ast.StartStmt) and s.when is not None:
                check_cond(ctx, s.when, Scope(event=True), out)
            elif isinstance(s, ast.LimitStmt) and s.when is not None:
                check_cond(ctx, s.when, Scope(), out)
    for lapse in _of(ctx.tree, ast.LapseDecl):
        scope = lapse_scope(lapse)
        for ls in lapse.body:
            match ls:
                case ast.WhenStmt(cond=cond):
                    check_cond(ctx, cond, Scope(), out)
                case ast.ForEachStmt(when=when) | ast.ForEachRefusedStmt(when=when):
                    if when is not None:
                        check_cond(ctx, when, scope, out)
    yield from out


def _lapses(ctx: _Ctx) -> Iterator[Diagnostic]:
    for lapse in _of(ctx.tree, ast.LapseDecl):
        yield from _lapse(ctx, lapse)


def _lapse(ctx: _Ctx, lapse: ast.LapseDecl) -> Iterator[Diagnostic]:
    lid = lapse.id
    if lapse.category.text not in LAPSE_CATEGORIES:
        hint = did_you_mean(lapse.category.text, LAPSE_CATEGORIES)
        msg = f"'{lapse.category.text}' is not a known lapse category"
        yield diag("W904", msg, ctx.file, lapse.category.span, hint=hint)
    selector_types = ast.WhenStmt | ast.ForEachStmt | ast.ForEachRefusedStmt
    selectors = [s for s in lapse.body if isinstance(s, selector_types)]
    responsible = [s for s in lapse.body if isinstance(s, ast.ResponsibleStmt)]
    grades = [s for s in lapse.body if isinstance(s, ast.GradeStmt)]
    if not selectors:
        msg = f"lapse '{lid.text}' does not say when it happens"
        hint = "add 'when CONDITION' or 'for each ACTIVITY'"
        yield diag("S409", msg, ctx.file, lid.span, hint=hint)
    for extra in selectors[1:]:
        note = related("the first one", ctx.file, selectors[0].span)
        msg = f"lapse '{lid.text}' has more than one 'when' or 'for each'"
        hint = "join conditions with 'and' / 'or'; a 'for each' takes its own 'when'"
        yield diag("S410", msg, ctx.file, extra.span, related=[note], hint=hint)
    if not responsible:
        hint = "add e.g. 'responsible 直接责任 actor of first ACTIVITY'"
        yield diag(
            "S408", f"lapse '{lid.text}' names nobody responsible", ctx.file, lid.span, hint=hint
        )
    if not grades:
        msg = f"lapse '{lid.text}' has no grade"
        yield diag("S411", msg, ctx.file, lid.span, hint="add 'grade LADDER fixed LEVEL'")
    for extra_grade in grades[1:]:
        note = related("the first grade", ctx.file, grades[0].span)
        msg = f"lapse '{lid.text}' is graded twice"
        yield diag("S412", msg, ctx.file, extra_grade.span, related=[note])
    for_each = any(isinstance(s, ast.ForEachStmt | ast.ForEachRefusedStmt) for s in selectors)
    for s in lapse.body:
        if isinstance(s, ast.ForEachRefusedStmt):
            yield from _clock(ctx, s.clock)
    for r in responsible:
        yield from _responsible(ctx, r, for_each)


def _responsible(ctx: _Ctx, r: ast.ResponsibleStmt, for_each: bool) -> Iterator[Diagnostic]:
    kind = r.responsibility
    if kind.text not in RESPONSIBILITIES:
        hint = did_you_mean(kind.text, RESPONSIBILITIES)
        known = "、".join(RESPONSIBILITIES)
        msg = f"unknown responsibility type '{kind.text}' (known: {known})"
        yield diag("N211", msg, ctx.file, kind.span, hint=hint)
    match r.subject:
        case ast.HolderAt(clock=clock, prop=prop):
            yield from _clock(ctx, clock)
            if prop.text != "deadline":
                msg = f"'holder at' reads a deadline, not '{prop.text}'"
                hint = f"did you mean '{clock.text}.deadline'?"
                yield diag("N213", msg, ctx.file, prop.span, hint=hint)
        case ast.ActorOfIt(span=span) if not for_each:
            msg = "'actor of it' needs a 'for each' lapse: here there is no 'it'"
            hint = "name the act: 'actor of first ACTIVITY' or 'actor of last ACTIVITY'"
            yield diag("S413", msg, ctx.file, span, hint=hint)


def _grading(ctx: _Ctx) -> Iterator[Diagnostic]:
    for lapse in _of(ctx.tree, ast.LapseDecl):
        for g in lapse.body:
            if isinstance(g, ast.GradeStmt):
                yield from _grade(ctx, g, lapse_scope(lapse))


def _grade(ctx: _Ctx, g: ast.GradeStmt, scope: Scope) -> Iterator[Diagnostic]:
    if g.measure is not None:
        out: list[Diagnostic] = []
        kind = ref_kind(ctx, g.measure, scope, out)
        yield from out
        if kind is not None and kind != "int":
            msg = f"grades go by a number, but '{ast.ref_text(g.measure)}' is {_KIND_WORDS[kind]}"
            yield diag("G504", msg, ctx.file, g.measure.span)
        if not g.bands:
            msg = "'grade … by' lists no bands"
            yield diag("G505", msg, ctx.file, g.span, hint="add lines like '1..5 LEVEL'")
    ladder = ctx.sym.ladders.get(g.ladder.text)
    levels = [lv.text for lv in ladder.levels] if ladder is not None else []
    yield from _bands(ctx, g.bands, levels)
    if ladder is None:
        hint = did_you_mean(g.ladder.text, ctx.sym.ladders)
        msg = f"unknown ladder '{g.ladder.text}'"
        yield diag("N207", msg, ctx.file, g.ladder.span, hint=hint)
        return
    note = related(f"ladder '{ladder.name.text}' is declared here", ctx.file, ladder.name.span)
    for level in [g.fixed] if g.fixed is not None else [b.level for b in g.bands]:
        if level.text not in levels:
            msg = f"'{level.text}' is not a level of ladder '{g.ladder.text}'"
            hint = did_you_mean(level.text, levels)
            yield diag("N208", msg, ctx.file, level.span, related=[note], hint=hint)


def _bands(ctx: _Ctx, bands: tuple[ast.BandNode, ...], levels: list[str]) -> Iterator[Diagnostic]:
    prev: ast.BandNode | None = None
    for band in bands:
        if band.high is not None and band.high < band.low:
            msg = f"band {band.low}..{band.high} ends below its start"
            yield diag("G503", msg, ctx.file, band.span)
            continue  # its neighbours are compared to each other, not to it
        if prev is not None:
            yield from _band_pair(ctx, prev, band, levels)
        prev = band


def _band_pair(
    ctx: _Ctx, prev: ast.BandNode, band: ast.BandNode, levels: list[str]
) -> Iterator[Diagnostic]:
    note = related("the band before", ctx.file, prev.span)
    if prev.high is None:
        msg = f"this band overlaps the band before: '{prev.low}..' covers every larger value"
        hint = "give the band before an upper end, or remove this band"
        yield diag("G501", msg, ctx.file, band.span, related=[note], hint=hint)
    elif band.low <= prev.high:
        msg = f"this band overlaps the band before, which covers up to {prev.high}"
        hint = f"start this band at {prev.high + 1}"
        yield diag("G501", msg, ctx.file, band.span, related=[note], hint=hint)
    elif band.low > prev.high + 1:
        gap = f"{prev.high + 1}" + ("" if band.low == prev.high + 2 else f"..{band.low - 1}")
        msg = f"no band covers {gap}"
        hint = f"start this band at {prev.high + 1}"
        yield diag("G502", msg, ctx.file, band.span, related=[note], hint=hint)
    a, b = prev.level.text, band.level.text
    if a in levels and b in levels and levels.index(b) < levels.index(a):
        msg = f"a larger measure gets a lighter level: '{b}' is below '{a}'"
        yield diag("W903", msg, ctx.file, band.level.span, related=[note])


Pass = Callable[[_Ctx], Iterator[Diagnostic]]

PASSES: tuple[Pass, ...] = (
    _header,
    _declarations,
    _ladders,
    _activity_refs,
    _clocks,
    _clock_order,
    _conditions,
    _lapses,
    _grading,
)


def check(
    tree: ast.PolicyFile, limit: int = DEFAULT_LIMIT
) -> tuple[CheckedPolicy | None, list[Diagnostic]]:
    """Run every pass; return the checked policy when no diagnostic is an error."""
    ctx = _Ctx(tree, tree.file, _symbols(tree))
    found = [d for p in PASSES for d in p(ctx)]
    found.sort(key=lambda d: (d.line, d.col))
    ok = not any(d.is_error for d in found)
    if len(found) > limit:
        rest = found[limit:]
        errors = sum(d.is_error for d in rest)
        msg = f"… and {len(rest)} more ({errors} errors, {len(rest) - errors} warnings)"
        found = [*found[:limit], diag("W999", msg, ctx.file, None)]
    return (CheckedPolicy(tree, ctx.sym) if ok else None), found
