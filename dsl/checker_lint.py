"""Checker passes that look for rules that are well-formed but cannot mean what the
drafter meant: an activity nothing uses, a pause that cannot work, a modifier that can
never change a grade, two lapses that always fire together, a unit the cited law does
not count in.

In: the checker's context (`dsl.check_context.Ctx`). Out: warnings (W909–W913), never
exceptions; they run after the other passes (dsl.checker `_all_passes`). Each can be
silenced, with a reason, by a `# wenze: allow CODE reason` comment (dsl.suppress).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dsl import ast
from dsl.check_context import UNITS, Ctx, Pass, items_of
from dsl.diagnostics import Diagnostic, diag, related
from engine.ir import Unit

# ------------------------------------------------------------ W909 unused activity


def activities_used(tree: ast.PolicyFile) -> set[str]:
    """Every activity a statement or a condition of the policy names."""
    used: set[str] = set()
    for item in tree.items:
        match item:
            case ast.CustodyDecl(activities=acts):
                used.update(a.text for a in acts)
            case ast.VersionedByDecl(activity=a):
                used.add(a.text)
            case ast.ClockDecl(body=body):
                for s in body:
                    used.update(a.text for a in ast.activities_named(s))
                    for c in ast.clock_conditions(s):
                        used.update(_activities_read(c))
            case ast.LapseDecl(body=body):
                for ls in body:
                    used.update(a.text for a in ast.activities_named(ls))
                    if isinstance(ls, ast.ResponsibleStmt) and isinstance(ls.subject, ast.VotersOf):
                        used.add(ls.subject.activity.text)
                    for c in _lapse_conditions(ls):
                        used.update(_activities_read(c))
    return used


def _lapse_conditions(s: ast.LapseStmt) -> tuple[ast.CondNode, ...]:
    match s:
        case ast.WhenStmt(cond=c):
            return (c,)
        case ast.ForEachStmt(when=w) | ast.ForEachRefusedStmt(when=w):
            return () if w is None else (w,)
        case ast.ModifierStmt(cond=c):
            return () if c is None else (c,)
    return ()


def _activities_read(c: ast.CondNode) -> Iterator[str]:
    match c:
        case ast.OrNode(operands=ops) | ast.AndNode(operands=ops):
            for o in ops:
                yield from _activities_read(o)
        case ast.NotNode(operand=o):
            yield from _activities_read(o)
        case ast.ExistsNode(activity=a):
            yield a.text
        case ast.TruthNode(ref=ast.CountRef(activity=a)):
            yield a.text
        case ast.CompareNode(left=left, right=right):
            for side in (left, right):
                if isinstance(side, ast.CountRef):
                    yield side.activity.text


def _unused_activities(ctx: Ctx) -> Iterator[Diagnostic]:
    used = activities_used(ctx.tree)
    for name, decl in ctx.sym.activities.items():
        if name not in used:
            msg = f"activity '{name}' is declared but no clock, lapse or custody line uses it"
            hint = (
                "a step the platform records that no rule reads? say so: "
                "# wenze: allow W909 只记录、不计时的环节"
            )
            yield diag("W909", msg, ctx.file, decl.name.span, hint=hint)


# ----------------------------------------------------------- W910 pauses that fail


def _suspensions(ctx: Ctx) -> Iterator[Diagnostic]:
    for clock in items_of(ctx.tree, ast.ClockDecl):
        stops: dict[str, ast.StopStmt] = {}
        for stop in (s for s in clock.body if isinstance(s, ast.StopStmt)):
            for a in stop.activities:
                stops.setdefault(a.text, stop)
        for s in clock.body:
            if isinstance(s, ast.SuspendStmt):
                yield from _suspension(ctx, s, stops)


def _suspension(
    ctx: Ctx, s: ast.SuspendStmt, stops: dict[str, ast.StopStmt]
) -> Iterator[Diagnostic]:
    a = s.start
    if a.text in stops:
        note = related("it stops the clock here", ctx.file, stops[a.text].span)
        msg = f"'{a.text}' stops this clock, so this pause can never begin while the clock runs"
        yield diag("W910", msg, ctx.file, a.span, related=[note])
        return
    for end in (s.end, *s.more_ends):
        if end.text in stops:
            note = related("it stops the clock here", ctx.file, stops[end.text].span)
            msg = (
                f"'{end.text}' stops this clock, so it never ends this pause with the clock "
                f"running again: no time after '{a.text}' counts"
            )
            hint = (
                f"end the pause with the act that resumes the work, or stop the clock at '{a.text}'"
            )
            yield diag("W910", msg, ctx.file, end.span, related=[note], hint=hint)
        elif end.text == a.text and s.start_when == s.end_when:
            msg = (
                f"'{a.text}' both opens and ends this pause on the same condition: "
                "each event of it opens or closes the pause in turn"
            )
            hint = (
                f"give the two ends different conditions (suspend from {a.text} when 状态 == "
                f'"挂起" until {a.text} when 状态 != "挂起"), or name the act that ends the pause'
            )
            yield diag("W910", msg, ctx.file, end.span, hint=hint)


# ------------------------------------------------------ W911 modifiers with no effect


def _modifiers(ctx: Ctx) -> Iterator[Diagnostic]:
    for lapse in items_of(ctx.tree, ast.LapseDecl):
        grade = next((s for s in lapse.body if isinstance(s, ast.GradeStmt)), None)
        ladder = None if grade is None else ctx.sym.ladders.get(grade.ladder.text)
        if grade is None or ladder is None:
            continue  # S411 or N207 says so
        levels = [lv.text for lv in ladder.levels]
        written = [grade.fixed] if grade.fixed is not None else [b.level for b in grade.bands]
        reachable = {levels.index(w.text) for w in written if w.text in levels}
        if not reachable:
            continue
        top = len(levels) - 1
        for m in (s for s in lapse.body if isinstance(s, ast.ModifierStmt)):
            if m.kind == "exempt" or m.levels < 1:
                continue
            up = m.kind == "aggravate"
            end = top if up else 0
            if reachable == {end}:
                note = related("the lapse is graded here", ctx.file, grade.span)
                where = "top" if up else "bottom"
                verb = "raise" if up else "lower"
                msg = (
                    f"'{m.kind} {m.levels}' can never {verb} the grade: '{levels[end]}' is the "
                    f"{where} of ladder '{ladder.name.text}'"
                )
                yield diag("W911", msg, ctx.file, m.span, related=[note])
            step = m.levels if up else -m.levels
            reachable |= {min(max(r + step, 0), top) for r in reachable}


# -------------------------------------------------------- W912 lapses that coincide


def _twin_lapses(ctx: Ctx) -> Iterator[Diagnostic]:
    seen: dict[tuple[ast.LapseStmt, ...], ast.LapseDecl] = {}
    selector = ast.WhenStmt | ast.ForEachStmt | ast.ForEachRefusedStmt
    for lapse in ctx.sym.lapses.values():
        key = tuple(s for s in lapse.body if isinstance(s, selector))
        if not key:
            continue  # S409 says so
        first = seen.setdefault(key, lapse)
        if first is not lapse:
            note = related(f"lapse '{first.id.text}' is declared here", ctx.file, first.id.span)
            msg = (
                f"lapse '{lapse.id.text}' happens exactly when lapse '{first.id.text}' does: "
                "the same 'when' / 'for each'; every case would have both findings"
            )
            hint = "merge the two, or tell them apart with a condition"
            yield diag("W912", msg, ctx.file, lapse.id.span, related=[note], hint=hint)


# ------------------------------------------------------- W913 units of the cited law


@dataclass(frozen=True)
class DayRule:
    """How a law counts its periods in days (DOMAIN.md §1)."""

    law: str  # as it is cited in a `source` text
    workdays: frozenset[int] | None  # periods counted in working days; None: all of them
    says: str  # where and how the law says so, for the message


DAY_RULES: tuple[DayRule, ...] = (
    DayRule("行政许可法", None, "第八十二条：期限以工作日计算"),
    DayRule("政府信息公开条例", None, "各条期限均写明“工作日”"),
    DayRule(
        "行政处罚法", frozenset({2, 3, 5, 7}), "第八十五条：二日、三日、五日、七日的规定是指工作日"
    ),
    DayRule(
        "行政复议法", frozenset({3, 5, 7, 10}), "第八十八条：三日、五日、七日、十日的规定是指工作日"
    ),
    DayRule("信访工作条例", frozenset({5}), "期限写作“日”，仅第二十三条提出异议的五个工作日除外"),
    DayRule("信访条例", frozenset(), "期限均写作“日”"),
)


def _rules_cited(text: str) -> list[DayRule]:
    return [r for r in DAY_RULES if r.law in text]


def _units(ctx: Ctx) -> Iterator[Diagnostic]:
    heads = items_of(ctx.tree, ast.SourceDecl)
    head = heads[0] if heads else None
    for clock in items_of(ctx.tree, ast.ClockDecl):
        cited = head.text if head is not None else None
        if clock.source is not None and _rules_cited(clock.source.value):
            cited = clock.source
        if cited is None or not _rules_cited(cited.value):
            continue
        for limit in (s for s in clock.body if isinstance(s, ast.LimitStmt)):
            yield from _unit(ctx, limit.amount, limit.unit, cited, "limit")
            for e in limit.extensions:
                yield from _unit(ctx, e.amount, e.unit, cited, "extension")


def _unit(
    ctx: Ctx, amount: int, unit: ast.Ident, cited: ast.Text, what: str
) -> Iterator[Diagnostic]:
    u = UNITS.get(unit.text)
    if u not in (Unit.WORKDAYS, Unit.DAYS):
        return
    rules = _rules_cited(cited.value)
    wants_workdays = [r.workdays is None or amount in r.workdays for r in rules]
    # Right under at least one of the laws cited: no warning.
    if (u is Unit.WORKDAYS and any(wants_workdays)) or (u is Unit.DAYS and not all(wants_workdays)):
        return
    rule = rules[0]
    note = related(f"{rule.law} is cited here", ctx.file, cited.span)
    if u is Unit.WORKDAYS:
        msg = f"{rule.law} counts a period of {amount} days in natural days ({rule.says}), but this {what} counts {amount} working days"
        fix = f"{amount} days"
    else:
        msg = f"{rule.law} counts a period of {amount} days in working days ({rule.says}), but this {what} counts {amount} natural days"
        fix = f"{amount} workdays"
    hint = (
        f"write '{fix}'; if another rule really counts it so, say which: # wenze: allow W913 依据…"
    )
    yield diag("W913", msg, ctx.file, unit.span, related=[note], hint=hint)


LINT_PASSES: tuple[Pass, ...] = (
    _unused_activities,
    _suspensions,
    _modifiers,
    _twin_lapses,
    _units,
)
