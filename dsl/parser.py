"""Parse policy text into the AST.

In: the text of a `.policy` file and the file name to report. Out: `(PolicyFile, [])`,
or `(None, diagnostics)` when the text is not a sentence of the language. No Lark
exception leaves this module: syntax errors become P1xx diagnostics with friendly
messages (what was expected, the likely fix). Names are not resolved here; that is the
checker's job (dsl/checker.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from dsl import ast
from dsl.diagnostics import Diagnostic, diag, did_you_mean

# Words that begin a statement: meeting one where a line should have ended means two
# statements were written on one line.
_STATEMENT_WORDS = frozenset(
    {
        "policy", "version", "source", "activity", "custody", "ladder", "clock", "lapse",
        "start", "stop", "suspend", "limit", "extend", "for", "when", "responsible", "grade",
    }
)  # fmt: skip
_FULL_WIDTH = {
    "，": ",", "（": "(", "）": ")", "“": '"', "”": '"', "：": ":", "；": ";",
    "｛": "{", "｝": "}", "＜": "<", "＞": ">", "＝": "=", "．": ".", "。": ".",
}  # fmt: skip
_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a text in double quotes",
    "INT": "a whole number",
    "DATE": "a date (YYYY-MM-DD)",
    "_NL": "the end of the line",
    "$END": "the end of the file",
}
# Conditions deeper than this are refused: the tree walks of the later stages recurse,
# and no rule read aloud nests this deep.
MAX_NESTING = 64
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


class _WholeWords:
    """Postlexer that keeps NAME in every lexer state. Lark's contextual lexer only tries
    the terminals a state accepts; without NAME, `stopp` would lex as the keyword `stop`
    followed by `p`. With it, keywords match whole words only, and a keyword the state
    does not expect (`role`, `unit` …) is still an ordinary name there."""

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return stream


@cache
def _lark() -> Any:
    grammar = resources.files("dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        postlex=_WholeWords(),
        propagate_positions=True,
        maybe_placeholders=True,
    )


def parse(text: str, file: str) -> tuple[ast.PolicyFile | None, list[Diagnostic]]:
    """Parse `text` (reported as `file`). The AST is returned only when there is no error."""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    # A byte-order mark becomes a blank so that columns on line 1 stay put.
    body = " " + text[1:] if text.startswith("\ufeff") else text
    try:
        tree = _lark().parse(body)
    except UnexpectedInput as e:
        return None, [_syntax_error(e, body, file)]
    builder = _Builder(file)
    items = tuple(builder.item(child) for child in tree.children)
    if builder.diags:
        return None, builder.diags
    return ast.PolicyFile(items, file, sha), []


# ------------------------------------------------------------------ syntax errors


def _syntax_error(e: UnexpectedInput, text: str, file: str) -> Diagnostic:
    if isinstance(e, UnexpectedCharacters):
        return _bad_character(e, text, file)
    if isinstance(e, UnexpectedToken):
        return _bad_token(e, text, file)
    line, col = getattr(e, "line", 0) or 0, getattr(e, "column", 0) or 0
    return diag("P102", "this cannot be read as a policy", file, ast.Span(line, col, line, 0))


def _bad_character(e: UnexpectedCharacters, text: str, file: str) -> Diagnostic:
    pos = e.pos_in_stream or 0
    ch = text[pos] if pos < len(text) else ""
    line, col = e.line, e.column
    one = ast.Span(line, col, line, col + 1)
    if ch == '"':
        span = ast.Span(line, col, line, 0)
        return diag(
            "P104",
            "this text has no closing quote",
            file,
            span,
            hint='end the text with " on the same line',
        )
    if ch in _FULL_WIDTH:
        return diag(
            "P101",
            f"full-width character '{ch}'",
            file,
            one,
            hint=f"write the ASCII '{_FULL_WIDTH[ch]}' instead",
        )
    if ch == "=":
        return diag("P101", "unexpected '='", file, one, hint="to compare, write '=='")
    shown = repr(ch)[1:-1] if not ch.isprintable() else ch
    return diag("P101", f"unexpected character '{shown}'", file, one)


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    try:
        return f"'{_lark().get_terminal(name).pattern.value}'"
    except KeyError:
        return name


def _keyword(name: str) -> str:
    """The word a keyword terminal stands for, or "" for any other terminal."""
    try:
        value = _lark().get_terminal(name).pattern.value
    except KeyError:
        return ""
    return value if isinstance(value, str) and value.isalpha() else ""


def _describe_token(tok: Any) -> str:
    if tok.type in ("$END", "_NL"):
        return _TERMINAL_WORDS[tok.type]
    return f"'{tok.value}'"


def _token_span(tok: Any) -> ast.Span:
    line, col = getattr(tok, "line", None) or 1, getattr(tok, "column", None) or 1
    if tok.type in ("$END", "_NL"):
        return ast.Span(line, col, line, col + 1)
    end_line, end_col = getattr(tok, "end_line", line), getattr(tok, "end_column", col + 1)
    return ast.Span(line, col, end_line or line, end_col or col + 1)


def _wanted_name(e: UnexpectedToken) -> str:
    """What kind of name the parser wants, judged by the words just before: `limit 20 ?`
    wants a unit, `count ?` an activity, `1..3 ?` a level."""
    state = getattr(e.interactive_parser, "parser_state", None)
    stack = getattr(state, "value_stack", [])[-2:]
    words = [str(getattr(v, "value", "")) for v in stack]
    last = words[-1] if words else ""
    before = words[-2] if len(words) > 1 else ""
    if last.isdigit() and before in ("limit", "extend"):
        return "a unit (workdays or days)"
    if last in ("count", "exists", "absent", "each", "first", "last"):
        return "an activity name"
    if last in ("fixed", "..") or (last.isdigit() and before == ".."):
        return "a level of the ladder"
    return "a ladder name" if last == "grade" else _TERMINAL_WORDS["NAME"]


def _bad_token(e: UnexpectedToken, text: str, file: str) -> Diagnostic:
    tok = e.token
    expected: set[str] = set(e.accepts or e.expected)
    wanted = sorted({_describe_terminal(n) for n in expected})
    if expected == {"NAME"}:
        wanted = [_wanted_name(e)]
    listing = wanted[0] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " or " + wanted[-1]
    span = _token_span(tok)
    if tok.type == "$END":
        opened = _unclosed_brace(text)
        if opened is not None and "RBRACE" in expected:
            msg = "this '{' is never closed: the file ends inside its block"
            hint = "add the closing '}' on a line of its own"
            return diag("P103", msg, file, opened, hint=hint)
        return diag("P102", f"the file ends too early; expected {listing}", file, span)
    if "_NL" in expected and tok.value in _STATEMENT_WORDS:
        return diag(
            "P107",
            f"'{tok.value}' starts a new statement on the same line",
            file,
            span,
            hint=f"put '{tok.value} …' on a line of its own",
        )
    if "STRING" in expected and tok.type in ("NAME", "INT", "DATE"):
        return diag(
            "P108",
            f"expected a text in double quotes, found '{tok.value}'",
            file,
            span,
            hint=f'write "{tok.value}"',
        )
    hint = ""
    if "DATE" in expected and tok.type == "STRING":
        hint = f"write the date without quotes: {tok.value.strip(chr(34))}"
    elif tok.type == "NAME":
        hint = did_you_mean(tok.value, filter(None, map(_keyword, expected)))
    if tok.type == "_NL":
        return diag("P102", f"the line ends too early; expected {listing}", file, span, hint=hint)
    found = _describe_token(tok)
    return diag("P102", f"unexpected {found}; expected {listing}", file, span, hint=hint)


def _unclosed_brace(text: str) -> ast.Span | None:
    """The innermost `{` left open at the end of `text` (strings and comments skipped)."""
    stack: list[ast.Span] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        in_string = escaped = False
        for col, ch in enumerate(line, start=1):
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif ch == "#":
                break
            elif ch == "{":
                stack.append(ast.Span(lineno, col, lineno, col + 1))
            elif ch == "}" and stack:
                stack.pop()
    return stack[-1] if stack else None


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
                return ast.VersionDecl(self.text(c[0]), self.date(c[1]), sp)
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
                body = tuple(self.clock_stmt(s) for s in c[3:])
                return ast.ClockDecl(_ident(c[0]), self.text(c[1]), self.opt_text(c[2]), body, sp)
            case _:  # lapse_decl
                lbody = tuple(self.lapse_stmt(s) for s in c[4:])
                return ast.LapseDecl(
                    _ident(c[0]), _ident(c[1]), self.text(c[2]), self.opt_text(c[3]), lbody, sp
                )

    def clock_stmt(self, t: Any) -> ast.ClockStmt:
        c, sp = t.children, _span(t)
        match t.data:
            case "start_stmt":
                return ast.StartStmt(_ident(c[0]), self.opt_cond(c[1]), self.opt_text(c[2]), sp)
            case "stop_stmt":
                return ast.StopStmt(tuple(_ident(n) for n in c), sp)
            case "suspend_stmt":
                return ast.SuspendStmt(_ident(c[0]), _ident(c[1]), sp)
            case _:  # limit_stmt
                exts = () if c[4] is None else tuple(self.extend(e) for e in c[4].children)
                return ast.LimitStmt(
                    int(str(c[0])), _ident(c[1]), c[2] is not None, self.opt_cond(c[3]), exts, sp
                )

    def extend(self, t: Any) -> ast.ExtendStmt:
        c = t.children
        return ast.ExtendStmt(
            int(str(c[0])),
            _ident(c[1]),
            int(str(c[2])),
            _ident(c[3]),
            _ident(c[4]),
            _span(t),
        )

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
            case _:  # grade_fixed_stmt
                return ast.GradeStmt(_ident(c[0]), None, (), _ident(c[1]), sp)

    def subject(self, t: Any) -> ast.Subject:
        c, sp = t.children, _span(t)
        match t.data:
            case "holder_at":
                return ast.HolderAt(_ident(c[0]), _ident(c[1]), sp)
            case "actor_first":
                return ast.ActorOf("first", _ident(c[0]), sp)
            case "actor_last":
                return ast.ActorOf("last", _ident(c[0]), sp)
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
            case "count_ref":
                return ast.CountRef(_ident(c[0]), sp)
            case "index_ref":
                return ast.IndexRef(sp)
            case _:  # name_ref
                return ast.NameRef(_ident(c[0]), sp)
