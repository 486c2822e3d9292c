"""Syntax errors as diagnostics: what the parser expected, said in the drafter's words.

In: a Lark `UnexpectedInput` raised while parsing `text` (reported as `file`). Out: one
P1xx `Diagnostic` — a stray or full-width character, an unclosed text or block, two
statements on one line, a label without quotes, or "expected …" with a did-you-mean for
a misspelt keyword. No Lark exception leaves dsl.parser; this is where they become data.
"""

from __future__ import annotations

from typing import Any

from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from dsl import ast
from dsl.diagnostics import Diagnostic, diag, did_you_mean
from dsl.lark_grammar import terminal_pattern

# Words that begin a statement: meeting one where a line should have ended means two
# statements were written on one line.
_STATEMENT_WORDS = frozenset(
    {
        "policy", "version", "source", "activity", "custody", "ladder", "clock", "lapse",
        "start", "stop", "suspend", "limit", "extend", "for", "when", "responsible", "grade",
        "calendar", "rest", "holiday", "work", "office", "restart", "on",
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
    "TIME_SPAN": "office hours (HH:MM-HH:MM)",
    "_NL": "the end of the line",
    "$END": "the end of the file",
}


def syntax_error(e: UnexpectedInput, text: str, file: str) -> Diagnostic:
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
        return f"'{terminal_pattern(name)}'"
    except KeyError:
        return name


def _keyword(name: str) -> str:
    """The word a keyword terminal stands for, or "" for any other terminal."""
    try:
        value = terminal_pattern(name)
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
    if last.isdigit() and before in ("limit", "extend", "promised", "to", "within"):
        return "a unit (workdays, days, weeks, months, hours or workhours)"
    if last == "calendar":
        return "a calendar kind (national or weekends_plus)"
    if last in ("count", "exists", "absent", "each", "first", "last", "deem"):
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
