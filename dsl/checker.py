"""Check a parsed policy: names, types, scopes, structure and grading.

In: an `ast.PolicyFile` from `dsl.parser.parse`. Out: `(CheckedPolicy | None, diagnostics)`;
the checked policy (the tree plus its symbol table) is returned only when no diagnostic
is an error, and it is the only thing `dsl.compiler.compile_policy` accepts.

The checker is an ordered tuple of pure passes (`PASSES` here, then the time passes of
dsl.checker_time); each reads the tree and the symbol table and yields diagnostics,
never raising for a user mistake. Diagnostics are sorted by position and cut at `limit`,
with one W999 saying how many were left out. The registries and helpers the passes share
are in dsl.check_context.
"""

from __future__ import annotations

from collections.abc import Iterator

from dsl import ast
from dsl.check_context import (
    CLOCK_PROPERTIES,
    DEFAULT_LIMIT,
    KIND_WORDS,
    LAPSE_CATEGORIES,
    RESPONSIBILITIES,
    UNIT_SYNONYMS,
    UNITS,
    CheckedPolicy,
    Ctx,
    Pass,
    Scope,
    Symbols,
    check_activity,
    check_amount,
    check_clock,
    check_cond,
    check_unit,
    items_of,
    lapse_scope,
    ref_kind,
    symbols_of,
)
from dsl.checker_accountability import ACCOUNTABILITY_PASSES
from dsl.checker_lint import LINT_PASSES
from dsl.checker_time import TIME_PASSES
from dsl.diagnostics import Diagnostic, diag, did_you_mean, related

__all__ = [
    "CLOCK_PROPERTIES",
    "LAPSE_CATEGORIES",
    "PASSES",
    "RESPONSIBILITIES",
    "UNITS",
    "UNIT_SYNONYMS",
    "CheckedPolicy",
    "Scope",
    "Symbols",
    "check",
    "check_cond",
    "ref_kind",
]

# ----------------------------------------------------------------------- passes


def _header(ctx: Ctx) -> Iterator[Diagnostic]:
    policies = items_of(ctx.tree, ast.PolicyDecl)
    versions = items_of(ctx.tree, ast.VersionDecl)
    sources = items_of(ctx.tree, ast.SourceDecl)
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


def _declarations(ctx: Ctx) -> Iterator[Diagnostic]:
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


def _ladders(ctx: Ctx) -> Iterator[Diagnostic]:
    for ladder in items_of(ctx.tree, ast.LadderDecl):
        seen: dict[str, ast.Ident] = {}
        for level in ladder.levels:
            first = seen.setdefault(level.text, level)
            if first is not level:
                note = related("first listed here", ctx.file, first.span)
                msg = f"level '{level.text}' is listed twice in ladder '{ladder.name.text}'"
                yield diag("N212", msg, ctx.file, level.span, related=[note])


def _activity_refs(ctx: Ctx) -> Iterator[Diagnostic]:
    """Activities named outside conditions (conditions are `_conditions`' job)."""
    for custody in items_of(ctx.tree, ast.CustodyDecl):
        for name in custody.activities:
            yield from check_activity(ctx, name, "custody")
    for decl in items_of(ctx.tree, ast.ClockDecl) + items_of(ctx.tree, ast.LapseDecl):
        for stmt in decl.body:
            for name in ast.activities_named(stmt):
                yield from check_activity(ctx, name)


def _clocks(ctx: Ctx) -> Iterator[Diagnostic]:
    for clock in items_of(ctx.tree, ast.ClockDecl):
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
            yield from check_unit(ctx, limit.unit)
            yield from check_amount(ctx, limit.amount, limit.span, "a limit")
            if limit.when is None and i + 1 < len(limits):
                note = related("this limit applies to every case", ctx.file, limit.span)
                msg = "this limit can never apply: the limit before it has no 'when'"
                hint = "put limits with 'when' first and the general limit last"
                yield diag("W902", msg, ctx.file, limits[i + 1].span, related=[note], hint=hint)
            for e in limit.extensions:
                yield from check_unit(ctx, e.unit)
                yield from check_amount(ctx, e.amount, e.span, "an extension")
                yield from check_amount(ctx, e.max_times, e.span, "'at most … times'")


def _clock_order(ctx: Ctx) -> Iterator[Diagnostic]:
    order = ctx.sym.clock_order
    for clock in items_of(ctx.tree, ast.ClockDecl):
        me = order[clock.name.text]
        if ctx.sym.clocks[clock.name.text] is not clock:
            continue  # a duplicate: N203 already says so
        conds = [c for s in clock.body for c in ast.clock_conditions(s)]
        for cond in conds:
            for read in ast.clocks_read(cond):
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


def _conditions(ctx: Ctx) -> Iterator[Diagnostic]:
    out: list[Diagnostic] = []
    for clock in items_of(ctx.tree, ast.ClockDecl):
        for s in clock.body:
            # Start, restart and suspension conditions read the event in question.
            scope = Scope() if isinstance(s, ast.LimitStmt) else Scope(event=True)
            for cond in ast.clock_conditions(s):
                check_cond(ctx, cond, scope, out)
    for lapse in items_of(ctx.tree, ast.LapseDecl):
        scope = lapse_scope(lapse)
        for ls in lapse.body:
            match ls:
                case ast.WhenStmt(cond=cond):
                    check_cond(ctx, cond, Scope(), out)
                case ast.ForEachStmt(when=when) | ast.ForEachRefusedStmt(when=when):
                    if when is not None:
                        check_cond(ctx, when, scope, out)
    yield from out


def _lapses(ctx: Ctx) -> Iterator[Diagnostic]:
    for lapse in items_of(ctx.tree, ast.LapseDecl):
        yield from _lapse(ctx, lapse)


def _lapse(ctx: Ctx, lapse: ast.LapseDecl) -> Iterator[Diagnostic]:
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
            yield from check_clock(ctx, s.clock)
    for r in responsible:
        yield from _responsible(ctx, r, for_each)


def _responsible(ctx: Ctx, r: ast.ResponsibleStmt, for_each: bool) -> Iterator[Diagnostic]:
    kind = r.responsibility
    if kind.text not in RESPONSIBILITIES:
        hint = did_you_mean(kind.text, RESPONSIBILITIES)
        known = "、".join(RESPONSIBILITIES)
        msg = f"unknown responsibility type '{kind.text}' (known: {known})"
        yield diag("N211", msg, ctx.file, kind.span, hint=hint)
    match r.subject:
        case ast.HolderAt(clock=clock, prop=prop):
            yield from check_clock(ctx, clock)
            if prop.text != "deadline":
                msg = f"'holder at' reads a deadline, not '{prop.text}'"
                hint = f"did you mean '{clock.text}.deadline'?"
                yield diag("N213", msg, ctx.file, prop.span, hint=hint)
        case ast.ActorOfIt(span=span) if not for_each:
            msg = "'actor of it' needs a 'for each' lapse: here there is no 'it'"
            hint = "name the act: 'actor of first ACTIVITY' or 'actor of last ACTIVITY'"
            yield diag("S413", msg, ctx.file, span, hint=hint)


def _grading(ctx: Ctx) -> Iterator[Diagnostic]:
    for lapse in items_of(ctx.tree, ast.LapseDecl):
        for g in lapse.body:
            if isinstance(g, ast.GradeStmt):
                yield from _grade(ctx, g, lapse_scope(lapse))


def _grade(ctx: Ctx, g: ast.GradeStmt, scope: Scope) -> Iterator[Diagnostic]:
    if g.measure is not None:
        out: list[Diagnostic] = []
        kind = ref_kind(ctx, g.measure, scope, out)
        yield from out
        if kind is not None and kind != "int":
            msg = f"grades go by a number, but '{ast.ref_text(g.measure)}' is {KIND_WORDS[kind]}"
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


def _bands(ctx: Ctx, bands: tuple[ast.BandNode, ...], levels: list[str]) -> Iterator[Diagnostic]:
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
    ctx: Ctx, prev: ast.BandNode, band: ast.BandNode, levels: list[str]
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


def _all_passes() -> tuple[Pass, ...]:
    return PASSES + TIME_PASSES + ACCOUNTABILITY_PASSES


def check(
    tree: ast.PolicyFile, limit: int = DEFAULT_LIMIT
) -> tuple[CheckedPolicy | None, list[Diagnostic]]:
    """Run every pass; return the checked policy when no diagnostic is an error."""
    ctx = Ctx(tree, tree.file, symbols_of(tree))
    found = [d for p in _all_passes() for d in p(ctx)]
    # The lint passes judge what well-formed rules mean; on a policy with errors they
    # mostly repeat them (a misspelt `start at` leaves the right activity unused).
    if not any(d.is_error for d in found):
        found += [d for p in LINT_PASSES for d in p(ctx)]
    found.sort(key=lambda d: (d.line, d.col))
    ok = not any(d.is_error for d in found)
    if len(found) > limit:
        rest = found[limit:]
        errors = sum(d.is_error for d in rest)
        msg = f"… and {len(rest)} more ({errors} errors, {len(rest) - errors} warnings)"
        found = [*found[:limit], diag("W999", msg, ctx.file, None)]
    return (CheckedPolicy(tree, ctx.sym) if ok else None), found
