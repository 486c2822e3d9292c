"""The Lark parser of the policy language, built once per process from dsl/grammar.lark.

In: nothing (the grammar ships with the package). Out: `lark_parser()`, the LALR parser
with positions kept, and `terminal_pattern(name)` for messages that quote a terminal.
Shared by dsl.parser (building the AST) and dsl.syntax_errors (explaining failures).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from lark import Lark, Token


class _WholeWords:
    """Postlexer that keeps NAME in every lexer state. Lark's contextual lexer only tries
    the terminals a state accepts; without NAME, `stopp` would lex as the keyword `stop`
    followed by `p`. With it, keywords match whole words only, and a keyword the state
    does not expect (`role`, `unit` …) is still an ordinary name there."""

    always_accept = ("NAME",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        return stream


@cache
def lark_parser() -> Any:
    grammar = resources.files("dsl").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        postlex=_WholeWords(),
        propagate_positions=True,
        maybe_placeholders=True,
        # Lark keeps the LALR tables in a file of the temp folder, keyed by the grammar and
        # these options: building them is most of a short audit's start-up.
        cache=True,
    )


def terminal_pattern(name: str) -> object:
    """The pattern value of a terminal (a keyword's word, a regex's text); KeyError if none."""
    return lark_parser().get_terminal(name).pattern.value
