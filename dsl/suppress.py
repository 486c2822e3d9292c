"""`# wenze: allow CODE REASON` — a drafter silences a warning where it is deliberate,
and says why, in the policy next to the rule.

In: the parsed policy, its text and the checker's diagnostics. Out: the diagnostics
without the ones silenced, plus W917 for a directive that lacks its code or its reason
(it then silences nothing) and W918 for one that silences nothing where it stands.

Where a directive applies (the same before and after `wenze fmt`, which never splits a
statement or a run of activities):
- at the end of a line: the statement on that line — the whole block, if the line
  opens one;
- on a line of its own: the statement below it, with its whole block; above a run of
  `activity` lines not broken by a blank line, the whole run.

Several codes are separated by commas: `# wenze: allow W909, W913 reason`. Only
warnings can be allowed — errors are to be fixed — and not those found across files
(W914–W916, `wenze check` on a folder), nor W917, W918 and W999.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dsl import ast
from dsl.codes import BY_CODE
from dsl.comments import Comment, scan_comments
from dsl.diagnostics import Diagnostic, diag, did_you_mean

_DIRECTIVE = re.compile(r"#\s*wenze\s*[:：]\s*(?P<rest>.*)$", re.IGNORECASE)
_ALLOW = re.compile(r"allow\b(?P<rest>.*)$", re.IGNORECASE)
# A code as a drafter might type it, typos included (W9O9), so that it can be named.
_CODE = re.compile(r"\s*[,，]?\s*(?P<code>[A-Za-z](?=[0-9A-Za-z]{3}\b)[A-Za-z]*\d[0-9A-Za-z]*)")
NOT_ALLOWED = frozenset({"W914", "W915", "W916", "W917", "W918", "W999"})
_FORM = "# wenze: allow CODE reason"


@dataclass(frozen=True)
class Allow:
    comment: Comment
    codes: tuple[str, ...]
    lines: range  # the source lines it covers


def apply_allows(tree: ast.PolicyFile, text: str, diags: Sequence[Diagnostic]) -> list[Diagnostic]:
    """`diags` less the allowed warnings, plus the directives' own diagnostics."""
    allows, found = _directives(tree, text)
    used: set[tuple[int, str]] = set()
    kept: list[Diagnostic] = []
    for d in diags:
        hits = [i for i, a in enumerate(allows) if d.code in a.codes and d.line in a.lines]
        if d.is_error or not hits:
            kept.append(d)
        used.update((i, d.code) for i in hits)
    # With errors, the lint passes did not run (dsl.checker): an unused allow proves nothing.
    checked_fully = not any(d.is_error for d in diags)
    for i, a in enumerate(allows if checked_fully else []):
        for code in a.codes:
            if (i, code) not in used:
                first, last = a.lines.start, a.lines.stop - 1
                where = f"line {first}" if first == last else f"lines {first}–{last}"
                msg = f"nothing to allow: {code} is not reported on {where}"
                hint = "remove the comment, or move it to the statement the warning is about"
                found.append(_at(a.comment, "W918", msg, tree.file, hint))
    # In position order, as the checker gives them; its "… and N more" stays last.
    return sorted([*kept, *found], key=lambda d: (d.code == "W999", d.line, d.col))


def _at(c: Comment, code: str, msg: str, file: str, hint: str = "") -> Diagnostic:
    span = ast.Span(c.line, c.col, c.line, c.col + len(c.text))
    return diag(code, msg, file, span, hint=hint)


def _directives(tree: ast.PolicyFile, text: str) -> tuple[list[Allow], list[Diagnostic]]:
    allows: list[Allow] = []
    found: list[Diagnostic] = []
    statements = list(_statements(tree))
    for c in scan_comments(text):
        m = _DIRECTIVE.match(c.text)
        if m is None:
            continue
        allow = _ALLOW.match(m.group("rest"))
        codes, reason = _codes_and_reason(allow.group("rest") if allow else "")
        if allow is None or not codes:
            msg = "a 'wenze:' comment must read: " + _FORM
            found.append(_at(c, "W917", msg, tree.file, hint="name the warning's code"))
            continue
        if not reason:
            msg = "this allow gives no reason, so it silences nothing"
            hint = "say why the rule is right as written: " + _FORM
            found.append(_at(c, "W917", msg, tree.file, hint=hint))
            continue
        good = [x for x in codes if _allowable(x)]
        found += [_refuse(c, x, tree.file) for x in codes if not _allowable(x)]
        if good:
            allows.append(Allow(c, tuple(good), _scope(c, statements, tree, text)))
    return allows, found


def _codes_and_reason(rest: str) -> tuple[list[str], str]:
    """`W909, W913 reason` -> (["W909", "W913"], "reason")."""
    codes: list[str] = []
    while (m := _CODE.match(rest)) is not None and len(m.group("code")) == 4:
        codes.append(m.group("code").upper())
        rest = rest[m.end() :]
    return codes, rest.strip(" \t:：")


def _allowable(code: str) -> bool:
    info = BY_CODE.get(code)
    return info is not None and info.severity == "warning" and code not in NOT_ALLOWED


def _refuse(c: Comment, code: str, file: str) -> Diagnostic:
    info = BY_CODE.get(code)
    if info is None:
        typo = code.replace("O", "0").replace("I", "1")  # letters typed for digits
        hint = f"did you mean '{typo}'?" if typo in BY_CODE else did_you_mean(code, BY_CODE)
        hint = hint or "the codes are listed in docs/diagnostics.md"
        return _at(c, "W918", f"nothing to allow: {code} is not a diagnostic code", file, hint)
    if info.severity == "error":
        msg = f"{code} is an error, and errors cannot be allowed"
        return _at(c, "W918", msg, file, hint="fix it: the policy cannot be used as it is")
    msg = f"{code} cannot be allowed in a policy file"
    return _at(c, "W918", msg, file, hint="it is about the folder or the profile: fix it there")


# --------------------------------------------------------------------- scopes


def _statements(tree: ast.PolicyFile) -> Iterator[ast.Span]:
    """The span of every item and of every statement inside a block."""
    for item in tree.items:
        yield item.span
        match item:
            case ast.ClockDecl(body=body):
                for s in body:
                    yield s.span
                    if isinstance(s, ast.LimitStmt):
                        yield from (e.span for e in s.extensions)
            case ast.LapseDecl(body=body):
                for ls in body:
                    yield ls.span
                    if isinstance(ls, ast.GradeStmt):
                        yield from (b.span for b in ls.bands)
            case ast.CalendarDecl(body=cal):
                yield from (s.span for s in cal)


def _scope(c: Comment, spans: Sequence[ast.Span], tree: ast.PolicyFile, text: str) -> range:
    line = c.line
    if c.own_line:
        after = [s for s in spans if s.line > line]
        if not after:
            return range(line, line + 1)  # nothing below: covers nothing, W918 will say so
        first = min(s.line for s in after)
        span = max((s for s in after if s.line == first), key=lambda s: s.end_line)
        return range(first, _activity_run_end(span, tree, text) + 1)
    here = [s for s in spans if s.line == line]
    end = max((s.end_line for s in here), default=line)
    return range(line, end + 1)


def _activity_run_end(span: ast.Span, tree: ast.PolicyFile, text: str) -> int:
    """The last line of the run of activities starting at `span` (or of `span` itself)."""
    items = tree.items
    start = next((i for i, it in enumerate(items) if it.span == span), None)
    if start is None or not isinstance(items[start], ast.ActivityDecl):
        return span.end_line
    lines = text.split("\n")
    end = span.end_line
    for item in items[start + 1 :]:
        gap = range(end + 1, item.span.line)
        if not isinstance(item, ast.ActivityDecl) or any(not lines[n - 1].strip() for n in gap):
            break
        end = item.span.end_line
    return end
