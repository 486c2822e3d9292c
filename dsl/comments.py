"""Find the comments of a policy text, which the grammar throws away.

In: the text of a `.policy` file that parses. Out: its `Comment`s in order, each with its
line, column, text (from `#`, trailing blanks dropped) and whether it stands on a line of
its own. The formatter puts them back (dsl/formatter.py); the `# wenze: allow` directives
are read from them (dsl/suppress.py).

A `#` starts a comment unless it is inside a quoted text; in text that parses, quotes
only open texts, and a text never spans lines, so a scan line by line is exact. Lines are
split at "\\n" only, as Lark counts them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Comment:
    line: int  # 1-based
    col: int  # 1-based column of the `#`
    text: str  # "# …", trailing blanks removed
    own_line: bool  # nothing but blanks before it on its line


def scan_comments(text: str) -> list[Comment]:
    """Every comment of `text`, in order."""
    out: list[Comment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        col = _comment_start(line)
        if col < 0:
            continue
        before = line[:col].lstrip("\ufeff")
        out.append(Comment(number, col + 1, line[col:].rstrip(), not before.strip()))
    return out


def _comment_start(line: str) -> int:
    """Index of the `#` that starts a comment on `line`, or -1."""
    in_text = False
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if in_text:
            if ch == "\\":
                i += 1  # the escaped character cannot close the text
            elif ch == '"':
                in_text = False
        elif ch == '"':
            in_text = True
        elif ch == "#":
            return i
        i += 1
    return -1
