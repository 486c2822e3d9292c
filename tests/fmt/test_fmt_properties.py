"""What formatting must always do, over every policy text we have: keep the meaning
(parse(src) == parse(fmt(src)), spans aside), keep every comment, and be idempotent.
The texts are the shipped policies, the checker corpus, the formatter goldens, and
mutants of a real policy (characters doubled or deleted; extra blanks)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.comments import scan_comments
from dsl.formatter import format_policy, quote
from dsl.parser import parse

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def _texts() -> list[Path]:
    found = [
        *sorted((ROOT / "policies").rglob("*.policy")),
        *sorted((ROOT / "tests" / "dsl" / "corpus").glob("*.policy")),
        *sorted((HERE / "golden").glob("*.policy")),
    ]
    return [p for p in found if _parses(_read(p))]


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def _parses(text: str) -> bool:
    return parse(text, "t.policy")[0] is not None


def _comment_texts(text: str) -> Counter[str]:
    return Counter(c.text for c in scan_comments(text))


def _assert_formats_well(text: str) -> str:
    tree, _ = parse(text, "t.policy")
    assert tree is not None
    once, diags = format_policy(text, "t.policy")
    assert once is not None, diags
    again, _ = format_policy(once, "t.policy")
    assert again == once, "formatting is not idempotent"
    assert parse(once, "t.policy")[0] == tree, "formatting changed the meaning"
    assert _comment_texts(once) == _comment_texts(text), "a comment was lost or changed"
    assert "\r" not in once and not once.startswith("\ufeff")
    assert once == "" or (once.endswith("\n") and not once.endswith("\n\n"))
    assert all(line == line.rstrip() for line in once.split("\n"))
    return once


@pytest.mark.parametrize("path", _texts(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_meaning_comments_idempotence(path: Path) -> None:
    _assert_formats_well(_read(path))


def test_the_texts_include_every_shipped_policy() -> None:
    shipped = sorted((ROOT / "policies").rglob("*.policy"))
    assert shipped and set(shipped) <= set(_texts())


LICENSING = (ROOT / "policies" / "licensing" / "licensing.policy").read_text(encoding="utf-8")


def test_mutants_that_parse_format_well() -> None:
    """Every doubled or deleted character: a `#` doubled, a quote moved, a brace lost."""
    n = 0
    for i in range(0, len(LICENSING), 23):
        deleted = LICENSING[:i] + LICENSING[i + 1 :]
        doubled = LICENSING[:i] + LICENSING[i] + LICENSING[i:]
        for mutant in (deleted, doubled):
            if _parses(mutant):
                _assert_formats_well(mutant)
                n += 1
    assert n > 30


_BLANKS = st.sampled_from([" ", "  ", "\t", " \t "])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), _BLANKS), max_size=25))
def test_extra_blanks_between_words_change_nothing(inserts: list[tuple[int, str]]) -> None:
    """Blanks added where there already is one (outside texts and comments) give the
    same formatted text: the layout depends on the words, not on how they were spaced."""
    lines = LICENSING.split("\n")
    for at, blank in inserts:
        n = at % len(lines)
        line = lines[n]
        cut = line.find("#")
        code = line if cut < 0 else line[:cut]
        spots = [j for j, ch in enumerate(code) if ch == " " and code.count('"', 0, j) % 2 == 0]
        if spots:
            j = spots[at % len(spots)]
            lines[n] = line[:j] + blank + line[j:]
    mutant = "\n".join(lines)
    assert format_policy(mutant, "m.policy")[0] == format_policy(LICENSING, "m.policy")[0]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_text_value_survives_quoting(value: str) -> None:
    src = f'policy p {quote(value)}\nversion "1" effective 2025-01-01\n'
    tree, diags = parse(src, "q.policy")
    assert tree is not None, diags
    assert tree.items[0].title.value == value  # type: ignore[union-attr]
    _assert_formats_well(src)
