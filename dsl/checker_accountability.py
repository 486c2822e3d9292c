"""Checker passes for accountability constructs: leadership and collective subjects,
grade modifiers, versions and the time bar.

In: a `Ctx` (the parsed policy and its symbols). Out: diagnostics, reusing the stable codes
of the main checker (N201 unknown activity, N210 unknown unit, S415 amount below 1, W904
unknown category, and the condition codes of `check_cond`).
"""

from __future__ import annotations

from collections.abc import Iterator

from dsl import ast
from dsl.check_context import (
    LAPSE_CATEGORIES,
    Ctx,
    check_activity,
    check_amount,
    check_cond,
    items_of,
    lapse_scope,
)
from dsl.diagnostics import Diagnostic, diag, did_you_mean

PERIOD_UNITS = {"months": 1, "month": 1, "years": 12, "year": 12}


def months_of(amount: int, unit: str) -> int:
    return amount * PERIOD_UNITS[unit]


def _period_unit(ctx: Ctx, unit: ast.Ident) -> Iterator[Diagnostic]:
    if unit.text not in PERIOD_UNITS:
        hint = did_you_mean(unit.text, PERIOD_UNITS) or "write months or years"
        yield diag(
            "N210",
            f"unknown unit '{unit.text}' for a period (months or years)",
            ctx.file,
            unit.span,
            hint=hint,
        )


def _header_extras(ctx: Ctx) -> Iterator[Diagnostic]:
    for by in items_of(ctx.tree, ast.VersionedByDecl):
        yield from check_activity(ctx, by.activity, "'versioned by'")
    for p in items_of(ctx.tree, ast.PursuableDecl):
        yield from check_amount(ctx, p.amount, p.span, "a time bar")
        yield from _period_unit(ctx, p.unit)
    for v in items_of(ctx.tree, ast.VersionDecl):
        if v.until is not None and v.until < v.effective:
            yield diag(
                "S415",
                f"version ends {v.until}, before it takes effect {v.effective}",
                ctx.file,
                v.span,
            )


def _accountability(ctx: Ctx) -> Iterator[Diagnostic]:
    for lapse in items_of(ctx.tree, ast.LapseDecl):
        scope = lapse_scope(lapse)
        for s in lapse.body:
            if isinstance(s, ast.ResponsibleStmt) and isinstance(s.subject, ast.VotersOf):
                yield from check_activity(ctx, s.subject.activity, "'voters of'")
            if not isinstance(s, ast.ModifierStmt):
                continue
            if s.kind != "exempt":
                yield from check_amount(ctx, s.levels, s.span, f"'{s.kind}' levels")
            if s.repeat_unit is not None:
                yield from check_amount(ctx, s.repeat_within, s.span, "a repeat window")
                yield from _period_unit(ctx, s.repeat_unit)
            cat = s.repeat_category
            if cat is not None and cat.text not in LAPSE_CATEGORIES:
                hint = did_you_mean(cat.text, LAPSE_CATEGORIES)
                yield diag(
                    "W904",
                    f"'{cat.text}' is not a known lapse category",
                    ctx.file,
                    cat.span,
                    hint=hint,
                )
            if s.cond is not None:
                out: list[Diagnostic] = []
                check_cond(ctx, s.cond, scope, out)
                yield from out


ACCOUNTABILITY_PASSES = (_header_extras, _accountability)
