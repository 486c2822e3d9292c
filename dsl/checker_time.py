"""Checker passes for time: the calendar block, units and their kinds, promised limits,
extension notices, restarts, deemed events and step clocks.

In: the checker's context (`dsl.check_context.Ctx`: the tree and its symbol table). Out:
diagnostics, never exceptions. These passes run after `dsl.checker.PASSES`, in the order
of `TIME_PASSES`; they share the registries and name helpers of dsl.check_context.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dsl import ast
from dsl.check_context import UNITS, Ctx, Pass, check_unit, items_of
from dsl.diagnostics import Diagnostic, diag, did_you_mean, related

#: Kinds of calendar a policy may count on.
CALENDAR_KINDS: dict[str, str] = {
    "national": "国务院节假日安排（全国工作日表）",
    "weekends_plus": "周六周日休息，另列公共假日（境外日历）",
}
_YEARS = (1990, 2100)  # the span every WorkCalendar covers


def _is_hours(unit: ast.Ident) -> bool | None:
    u = UNITS.get(unit.text)
    return None if u is None else u.is_hours


# -------------------------------------------------------------------- calendar


def _calendar(ctx: Ctx) -> Iterator[Diagnostic]:
    decls = items_of(ctx.tree, ast.CalendarDecl)
    for extra in decls[1:]:
        note = related("the first calendar", ctx.file, decls[0].span)
        msg = "a policy counts on one calendar; 'calendar' is written twice"
        yield diag("S420", msg, ctx.file, extra.kind.span, related=[note])
    for decl in decls[:1]:
        yield from _calendar_head(ctx, decl)
        yield from _calendar_days(ctx, decl)
        for stmt in decl.body:
            if isinstance(stmt, ast.OfficeHoursStmt):
                yield from _office_hours(ctx, stmt)


def _calendar_head(ctx: Ctx, decl: ast.CalendarDecl) -> Iterator[Diagnostic]:
    kind = decl.kind.text
    if kind not in CALENDAR_KINDS:
        hint = did_you_mean(kind, CALENDAR_KINDS) or "use national or weekends_plus"
        msg = f"unknown calendar kind '{kind}'"
        yield diag("N215", msg, ctx.file, decl.kind.span, hint=hint)
    if decl.zone is not None and not _zone_exists(decl.zone.value):
        msg = f"unknown time zone '{decl.zone.value}'"
        hint = 'write an IANA zone name such as "Asia/Shanghai" or "Europe/Rome"'
        yield diag("N216", msg, ctx.file, decl.zone.span, hint=hint)
    if kind == "weekends_plus" and decl.covers is None:
        msg = "a weekends_plus calendar must say which years its holiday list is complete for"
        hint = "add e.g. 'covers 2025..2026' after the kind"
        yield diag("S423", msg, ctx.file, decl.kind.span, hint=hint)
    if kind == "national" and decl.covers is not None:
        msg = "the national calendar covers the years of the State Council table; drop 'covers'"
        yield diag("S423", msg, ctx.file, decl.span)
    if decl.covers is not None:
        first, last = decl.covers
        if first > last or first < _YEARS[0] or last > _YEARS[1]:
            msg = f"'covers {first}..{last}' is not a span of years within 1990..2100"
            yield diag("S423", msg, ctx.file, decl.span)


def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _calendar_days(ctx: Ctx, decl: ast.CalendarDecl) -> Iterator[Diagnostic]:
    seen: dict[object, ast.CalendarDay] = {}
    for day in (s for s in decl.body if isinstance(s, ast.CalendarDay)):
        if not (_YEARS[0] <= day.day.year <= _YEARS[1]):
            msg = f"{day.day.isoformat()} lies outside the calendar span 1990..2100"
            yield diag("S423", msg, ctx.file, day.span)
            continue
        first = seen.setdefault(day.day, day)
        if first is day:
            continue
        note = related("listed here first", ctx.file, first.span)
        if first.rest != day.rest:
            msg = f"{day.day.isoformat()} is listed both as a rest day and as a working day"
            yield diag("S421", msg, ctx.file, day.span, related=[note])
        else:
            msg = f"{day.day.isoformat()} is listed twice"
            yield diag("W907", msg, ctx.file, day.span, related=[note])


def _office_hours(ctx: Ctx, stmt: ast.OfficeHoursStmt) -> Iterator[Diagnostic]:
    prev_end = -1
    for ts in stmt.spans:
        (h1, m1), (h2, m2) = ts.start, ts.end
        a, b = h1 * 60 + m1, h2 * 60 + m2
        shown = f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"
        if m1 > 59 or m2 > 59 or h1 > 24 or h2 > 24 or a > 1440 or b > 1440:
            msg = f"'{shown}' is not a time of day"
            yield diag("S422", msg, ctx.file, ts.span, hint="times run from 00:00 to 24:00")
        elif b <= a:
            msg = f"office hours '{shown}' end before they begin"
            yield diag("S422", msg, ctx.file, ts.span)
        elif a < prev_end:
            msg = f"office hours '{shown}' overlap the span before"
            yield diag("S422", msg, ctx.file, ts.span, hint="list the spans of a day in order")
        prev_end = max(prev_end, b)


# ----------------------------------------------------------------------- units


def _limits(ctx: Ctx) -> Iterator[Diagnostic]:
    for clock in items_of(ctx.tree, ast.ClockDecl):
        for limit in (s for s in clock.body if isinstance(s, ast.LimitStmt)):
            yield from _limit(ctx, limit)


def _limit(ctx: Ctx, limit: ast.LimitStmt) -> Iterator[Diagnostic]:
    hours = _is_hours(limit.unit)
    if limit.rollover and hours:
        msg = "'rollover' moves a last day off a rest day; an hour limit has no last day"
        yield diag("S416", msg, ctx.file, limit.span, hint="drop 'rollover'")
    p = limit.promised
    if p is not None:
        yield from check_unit(ctx, p.unit)
        if p.attr is None and p.amount < 1:
            yield diag("S415", "a promised limit must be at least 1", ctx.file, p.span)
        yield from _same_kind(ctx, hours, p.unit, p.span, "the promised limit")
        unit = UNITS.get(p.unit.text)
        same = p.attr is None and unit is not None and unit is UNITS.get(limit.unit.text)
        if same and p.amount >= limit.amount:
            msg = (
                f"the promised limit ({p.amount}) is not shorter than the statutory "
                f"one ({limit.amount}): it can never warn first"
            )
            yield diag("W905", msg, ctx.file, p.span, hint="a promise (承诺时限) is shorter")
    for e in limit.extensions:
        yield from _same_kind(ctx, hours, e.unit, e.span, "an extension")
        n = e.notice
        if n is not None:
            yield from check_unit(ctx, n.unit)
            if n.amount < 1:
                yield diag("S415", "a notice period must be at least 1", ctx.file, n.span)
            if _is_hours(n.unit):
                msg = "a notice period is counted in days (workdays, days, weeks or months)"
                yield diag("S417", msg, ctx.file, n.unit.span)


def _same_kind(
    ctx: Ctx, hours: bool | None, unit: ast.Ident, span: ast.Span, what: str
) -> Iterator[Diagnostic]:
    other = _is_hours(unit)
    if hours is None or other is None or other == hours:
        return
    kind = "hours" if hours else "days"
    msg = f"{what} is counted in {unit.text}, but the limit counts {kind}"
    hint = "count both in hours, or both in days" if hours else "count both in days"
    yield diag("S417", msg, ctx.file, span, hint=hint)


# -------------------------------------------------------- restarts, deems, steps


def _restarts(ctx: Ctx) -> Iterator[Diagnostic]:
    for clock in items_of(ctx.tree, ast.ClockDecl):
        stops = {a.text: a for s in clock.body if isinstance(s, ast.StopStmt) for a in s.activities}
        for rs in (s for s in clock.body if isinstance(s, ast.RestartStmt)):
            stop = stops.get(rs.activity.text)
            if stop is not None:
                note = related("it stops the clock here", ctx.file, stop.span)
                msg = f"'{rs.activity.text}' stops this clock, so it can never restart it"
                yield diag("W906", msg, ctx.file, rs.activity.span, related=[note])


def _deems(ctx: Ctx) -> Iterator[Diagnostic]:
    """A clock may rely on events deemed by clocks above it, never on its own or later
    ones: clocks are worked out in order, and a deemed event exists only once its clock
    has been worked out."""
    clocks = list(ctx.sym.clocks.values())
    deemed_by: dict[str, tuple[int, ast.ClockDecl, ast.DeemStmt]] = {}
    for i, clock in enumerate(clocks):
        for d in (s for s in clock.body if isinstance(s, ast.DeemStmt)):
            deemed_by.setdefault(d.activity.text, (i, clock, d))
    if not deemed_by:
        return
    for i, clock in enumerate(clocks):
        for stmt in clock.body:
            if isinstance(stmt, ast.DeemStmt):
                continue
            for act in ast.activities_named(stmt):
                hit = deemed_by.get(act.text)
                if hit is None or hit[0] < i:
                    continue
                j, owner, deem = hit
                note = related("deemed here", ctx.file, deem.span)
                if j == i:
                    msg = f"clock '{clock.name.text}' relies on '{act.text}', which only its own breach deems"
                else:
                    msg = (
                        f"clock '{clock.name.text}' relies on '{act.text}', deemed by "
                        f"'{owner.name.text}' declared after it"
                    )
                hint = "" if j == i else f"move clock '{owner.name.text}' above"
                yield diag("S418", msg, ctx.file, act.span, related=[note], hint=hint)


def _steps(ctx: Ctx) -> Iterator[Diagnostic]:
    for clock in items_of(ctx.tree, ast.ClockDecl):
        parent_name = clock.step_of
        if parent_name is None:
            continue
        parent = ctx.sym.clocks.get(parent_name.text)
        if parent is None:
            hint = did_you_mean(parent_name.text, ctx.sym.clocks)
            msg = f"unknown clock '{parent_name.text}'"
            yield diag("N206", msg, ctx.file, parent_name.span, hint=hint)
            continue
        if parent is clock or (
            parent.step_of is not None and parent.step_of.text == clock.name.text
        ):
            msg = f"clock '{clock.name.text}' cannot be a step of '{parent_name.text}'"
            hint = "a step belongs to the whole-case clock, which is no step of it"
            yield diag("S419", msg, ctx.file, parent_name.span, hint=hint)
            continue
        yield from _step_longer(ctx, clock, parent)


def _step_longer(ctx: Ctx, step: ast.ClockDecl, whole: ast.ClockDecl) -> Iterator[Diagnostic]:
    mine = [s for s in step.body if isinstance(s, ast.LimitStmt)]
    theirs = [s for s in whole.body if isinstance(s, ast.LimitStmt)]
    if len(mine) != 1 or len(theirs) != 1:
        return  # conditional limits: no single length to compare
    a, b = mine[0], theirs[0]
    ua, ub = UNITS.get(a.unit.text), UNITS.get(b.unit.text)
    if ua is None or ua is not ub or a.amount <= b.amount:
        return
    note = related(f"the whole-case limit of '{whole.name.text}'", ctx.file, b.span)
    msg = f"this step has {a.amount} {ua.value}, more than the whole case's {b.amount}"
    yield diag("W908", msg, ctx.file, a.span, related=[note])


TIME_PASSES: tuple[Pass, ...] = (_calendar, _limits, _restarts, _deems, _steps)
