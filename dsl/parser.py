"""Parse policy text into the AST.

In: the text of a `.policy` file and the file name to report. Out: `(PolicyFile, [])`,
or `(None, diagnostics)` when the text is not a sentence of the language. No Lark
exception leaves this module: syntax errors become P1xx diagnostics with friendly
messages (dsl/syntax_errors.py: what was expected, the likely fix). Names are not resolved
here; that is the checker's job (dsl/checker.py).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from dsl import ast
from dsl.diagnostics import Diagnostic, diag
from dsl.lark_grammar import lark_parser
from dsl.syntax_errors import syntax_error

# Conditions deeper than this are refused: the tree walks of the later stages recurse,
# and no rule read aloud nests this deep.
MAX_NESTING = 64
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


def parse(text: str, file: str) -> tuple[ast.PolicyFile | None, list[Diagnostic]]:
    """Parse `text` (reported as `file`). The AST is returned only when there is no error."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    # A byte-order mark becomes a blank so that columns on line 1 stay put.
    body = " " + text[1:] if text.startswith("\ufeff") else text
    try:
        tree = lark_parser().parse(body)
    except UnexpectedInput as e:
        return None, [syntax_error(e, body, file)]
    builder = _Builder(file)
    items = tuple(builder.item(child) for child in tree.children)
    if builder.diags:
        return None, builder.diags
    return ast.PolicyFile(items, file, sha), []


# ---------------------------------------------------------------- tree -> AST


def _span(node: Any) -> ast.Span:
    if isinstance(node, Token):
        line, col = node.line or 0, node.column or 0
        return ast.Span(line, col, node.end_line or line, node.end_column or col)
    meta = node.meta
    if getattr(meta, "empty", True):
        return ast.NO_SPAN
    return ast.Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _ident(tok: Any) -> ast.Ident:
    return ast.Ident(str(tok), _span(tok))


def _time_span(tok: Any) -> ast.TimeSpanNode:
    """`09:00-12:00` (spaces allowed around the dash) as written; the checker judges it."""
    start, end = (part.strip() for part in str(tok).split("-"))
    h1, m1 = start.split(":")
    h2, m2 = end.split(":")
    return ast.TimeSpanNode((int(h1), int(m1)), (int(h2), int(m2)), _span(tok))


class _Builder:
    """Turns the Lark tree into AST nodes; collects the few errors found on the way
    (bad escapes, impossible dates) instead of raising."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.diags: list[Diagnostic] = []
        self.depth = 0  # of the condition being built; see MAX_NESTING

    # -------------------------------------------------------------- leaves
    def text(self, tok: Any) -> ast.Text:
        span = _span(tok)

        def unescape(m: re.Match[str]) -> str:
            esc = m.group(1)
            if esc in _SIMPLE_ESCAPES:
                return _SIMPLE_ESCAPES[esc]
            if esc.startswith("u") and len(esc) == 5:
                return chr(int(esc[1:], 16))
            col = span.col + m.start()
            bad = ast.Span(span.line, col, span.line, col + 2)
            self.diags.append(
                diag(
                    "P105",
                    f"unknown escape '\\{esc}' in a text",
                    self.file,
                    bad,
                    hint="write '\\\\' for a backslash",
                )
            )
            return esc

        return ast.Text(_ESCAPE.sub(unescape, str(tok)[1:-1]), span)

    def opt_text(self, tok: Any) -> ast.Text | None:
        return None if tok is None else self.text(tok)

    def date(self, tok: Any) -> date:
        try:
            return date.fromisoformat(str(tok))
        except ValueError:
            self.diags.append(
                diag(
                    "P106",
                    f"{tok} is not a date in the calendar",
                    self.file,
                    _span(tok),
                    hint="dates are written YYYY-MM-DD",
                )
            )
            return date(1, 1, 1)

    # --------------------------------------------------------------- items
    def item(self, t: Any) -> ast.Item:
        c, sp = t.children, _span(t)
        match t.data:
            case "policy_decl":
                return ast.PolicyDecl(_ident(c[0]), self.text(c[1]), sp)
            case "version_decl":
                until = None if c[2] is None else self.date(c[2])
                return ast.VersionDecl(self.text(c[0]), self.date(c[1]), sp, until)
            case "versioned_decl":
                return ast.VersionedByDecl(_ident(c[0]), sp)
            case "pursuable_decl":
                return ast.PursuableDecl(int(str(c[0])), _ident(c[1]), sp)
            case "source_decl":
                return ast.SourceDecl(self.text(c[0]), sp)
            case "activity_decl":
                return ast.ActivityDecl(_ident(c[0]), self.text(c[1]), sp)
            case "custody_decl":
                return ast.CustodyDecl(tuple(_ident(n) for n in c), sp)
            case "ladder_decl":
                levels = tuple(_ident(n) for n in c[3].children if n.type == "NAME")
                return ast.LadderDecl(
                    _ident(c[0]), self.text(c[1]), self.opt_text(c[2]), levels, sp
                )
            case "clock_decl":
                body = tuple(self.clock_stmt(s) for s in c[4:])
                step = None if c[2] is None else _ident(c[2])
                source = self.opt_text(c[3])
                return ast.ClockDecl(_ident(c[0]), self.text(c[1]), source, body, sp, step)
            case "calendar_decl":
                return self.calendar(c, sp)
            case _:  # lapse_decl
                lbody = tuple(self.lapse_stmt(s) for s in c[4:])
                return ast.LapseDecl(
                    _ident(c[0]), _ident(c[1]), self.text(c[2]), self.opt_text(c[3]), lbody, sp
                )

    def calendar(self, c: list[Any], sp: ast.Span) -> ast.CalendarDecl:
        kind, label, zone, first, last, block = c
        covers = None if first is None else (int(str(first)), int(str(last)))
        body = () if block is None else tuple(self.calendar_stmt(s) for s in block.children)
        return ast.CalendarDecl(
            _ident(kind), self.opt_text(label), self.opt_text(zone), covers, body, sp
        )

    def calendar_stmt(self, t: Any) -> ast.CalendarStmt:
        c, sp = t.children, _span(t)
        if t.data == "office_hours":
            return ast.OfficeHoursStmt(tuple(_time_span(x) for x in c), sp)
        return ast.CalendarDay(t.data == "rest_day", self.date(c[0]), self.text(c[1]), sp)

    def clock_stmt(self, t: Any) -> ast.ClockStmt:
        c, sp = t.children, _span(t)
        match t.data:
            case "start_stmt":
                return ast.StartStmt(_ident(c[0]), self.opt_cond(c[1]), self.opt_text(c[2]), sp)
            case "restart_stmt":
                return ast.RestartStmt(_ident(c[0]), self.opt_cond(c[1]), self.opt_text(c[2]), sp)
            case "stop_stmt":
                return ast.StopStmt(tuple(_ident(n) for n in c), sp)
            case "suspend_stmt":
                return ast.SuspendStmt(_ident(c[0]), _ident(c[1]), sp)
            case "suspend_from_stmt":
                a, a_when, b, *more, b_when = c
                return ast.SuspendStmt(
                    _ident(a),
                    _ident(b),
                    sp,
                    self.opt_cond(a_when),
                    self.opt_cond(b_when),
                    tuple(_ident(x) for x in more),
                )
            case "deem_stmt":
                return ast.DeemStmt(_ident(c[0]), sp)
            case _:  # limit_stmt
                amount, unit, rollover, promised, when, block = c
                exts = () if block is None else tuple(self.extend(e) for e in block.children)
                return ast.LimitStmt(
                    int(str(amount)),
                    _ident(unit),
                    rollover is not None,
                    self.opt_cond(when),
                    exts,
                    sp,
                    None if promised is None else self.promised(promised),
                )

    def promised(self, t: Any) -> ast.PromisedNode:
        c, sp = t.children, _span(t)
        if t.data == "promised_amount":
            return ast.PromisedNode(int(str(c[0])), None, _ident(c[1]), sp)
        return ast.PromisedNode(0, _ident(c[0]), _ident(c[1]), sp)

    def extend(self, t: Any) -> ast.ExtendStmt:
        amount_node, times, activity, role, notice = t.children
        a = amount_node.children
        attr = _ident(a[2]) if amount_node.data == "ext_up_to" else None
        return ast.ExtendStmt(
            int(str(a[0])),
            _ident(a[1]),
            int(str(times)),
            _ident(activity),
            _ident(role),
            _span(t),
            attr,
            None if notice is None else self.notice(notice),
        )

    def notice(self, t: Any) -> ast.NoticeNode:
        act, amount, unit = t.children
        return ast.NoticeNode(_ident(act), int(str(amount)), _ident(unit), _span(t))

    def lapse_stmt(self, t: Any) -> ast.LapseStmt:
        c, sp = t.children, _span(t)
        match t.data:
            case "for_each_stmt":
                return ast.ForEachStmt(_ident(c[0]), self.opt_cond(c[1]), sp)
            case "for_each_refused_stmt":
                return ast.ForEachRefusedStmt(_ident(c[0]), self.opt_cond(c[1]), sp)
            case "when_stmt":
                return ast.WhenStmt(self.cond(c[0]), sp)
            case "responsible_stmt":
                return ast.ResponsibleStmt(_ident(c[0]), self.subject(c[1]), sp)
            case "grade_by_stmt":
                bands = tuple(self.band(b) for b in c[2:])
                return ast.GradeStmt(_ident(c[0]), self.ref(c[1]), bands, None, sp)
            case "aggravate_stmt" | "mitigate_stmt":
                return self.modifier(t.data.removesuffix("_stmt"), int(str(c[0])), c[1], c[2], sp)
            case "exempt_stmt":
                return self.modifier("exempt", 0, c[0], c[1], sp)
            case _:  # grade_fixed_stmt
                return ast.GradeStmt(_ident(c[0]), None, (), _ident(c[1]), sp)

    def modifier(
        self, kind: str, levels: int, cond: Any, source: Any, sp: ast.Span
    ) -> ast.ModifierStmt:
        src = self.opt_text(source)
        match cond.data:
            case "repeat_cond":
                n, unit, cat = cond.children
                category = None if cat is None else _ident(cat)
                return ast.ModifierStmt(
                    kind, levels, None, int(str(n)), _ident(unit), category, False, src, sp
                )
            case "sanction_cond":
                return ast.ModifierStmt(kind, levels, None, 0, None, None, True, src, sp)
            case _:  # plain_cond
                return ast.ModifierStmt(
                    kind, levels, self.cond(cond.children[0]), 0, None, None, False, src, sp
                )

    def subject(self, t: Any) -> ast.Subject:
        c, sp = t.children, _span(t)
        match t.data:
            case "holder_at":
                return ast.HolderAt(_ident(c[0]), _ident(c[1]), sp)
            case "actor_first":
                return ast.ActorOf("first", _ident(c[0]), sp)
            case "actor_last":
                return ast.ActorOf("last", _ident(c[0]), sp)
            case "principal_of" | "deputy_of":
                return ast.LeaderOf(t.data.removesuffix("_of"), self.opt_text(c[0]), sp)
            case "voters_of":
                return ast.VotersOf(_ident(c[0]), sp)
            case _:  # actor_it
                return ast.ActorOfIt(sp)

    def band(self, t: Any) -> ast.BandNode:
        low, high, level = t.children
        high_value = None if high is None else int(str(high))
        return ast.BandNode(int(str(low)), high_value, _ident(level), _span(t))

    # ---------------------------------------------------------- conditions
    def opt_cond(self, t: Any) -> ast.CondNode | None:
        return None if t is None else self.cond(t)

    def cond(self, t: Any) -> ast.CondNode:
        sp = _span(t)
        if self.depth >= MAX_NESTING:
            msg = f"this condition is nested more than {MAX_NESTING} levels deep"
            hint = "split it, or drop doubled 'not'"
            if not any(d.code == "P109" for d in self.diags):
                self.diags.append(diag("P109", msg, self.file, sp, hint=hint))
            return ast.ExistsNode(ast.Ident("", sp), False, sp)
        self.depth += 1
        try:
            return self._cond(t, sp)
        finally:
            self.depth -= 1

    def _cond(self, t: Any, sp: ast.Span) -> ast.CondNode:
        c = t.children
        match t.data:
            case "or_cond":
                return ast.OrNode(tuple(self.cond(x) for x in c), sp)
            case "and_cond":
                return ast.AndNode(tuple(self.cond(x) for x in c), sp)
            case "not_cond":
                return ast.NotNode(self.cond(c[0]), sp)
            case "exists" | "absent":
                return ast.ExistsNode(_ident(c[0]), t.data == "absent", sp)
            case "compare":
                return ast.CompareNode(str(c[1]), self.operand(c[0]), self.operand(c[2]), sp)
            case _:  # truth
                return ast.TruthNode(self.ref(c[0]), sp)

    def operand(self, t: Any) -> ast.Operand:
        if not isinstance(t, Tree):  # pragma: no cover - the grammar wraps every literal
            raise TypeError(t)
        sp = _span(t)
        match t.data:
            case "int_lit":
                return ast.Literal(int(str(t.children[0])), sp)
            case "str_lit":
                return ast.Literal(self.text(t.children[0]).value, sp)
            case "true_lit" | "false_lit":
                return ast.Literal(t.data == "true_lit", sp)
            case _:
                return self.ref(t)

    def ref(self, t: Any) -> ast.RefNode:
        c, sp = t.children, _span(t)
        match t.data:
            case "prop_ref":
                return ast.PropRef(_ident(c[0]), _ident(c[1]), sp)
            case "case_ref":
                return ast.CaseRef(_ident(c[0]), sp)
            case "num_case_ref":
                return ast.CaseRef(_ident(c[0]), sp, numeric=True)
            case "num_name_ref":
                return ast.NameRef(_ident(c[0]), sp, numeric=True)
            case "count_ref":
                return ast.CountRef(_ident(c[0]), sp)
            case "index_ref":
                return ast.IndexRef(sp)
            case _:  # name_ref
                return ast.NameRef(_ident(c[0]), sp)
