"""Documentation that tests keep honest: docs/diagnostics.md is generated from
dsl/codes.py, and docs/policy-language.md mentions every keyword, fact, unit and
responsibility type, and its complete examples compile clean."""

from __future__ import annotations

import os
import re
from pathlib import Path

from dsl import load_policy_text
from dsl.checker import CLOCK_PROPERTIES, RESPONSIBILITIES, UNITS
from dsl.codes import CODES, render_markdown

ROOT = Path(__file__).resolve().parents[2]
DIAGNOSTICS = ROOT / "docs" / "diagnostics.md"
LANGUAGE = ROOT / "docs" / "policy-language.md"
GRAMMAR = ROOT / "dsl" / "grammar.lark"


def test_diagnostics_page_is_generated_from_the_registry() -> None:
    if os.environ.get("WENZE_REGEN_GOLDEN") == "1":
        DIAGNOSTICS.write_text(render_markdown(), encoding="utf-8")
    assert DIAGNOSTICS.read_text(encoding="utf-8") == render_markdown(), (
        "docs/diagnostics.md is stale: rerun with WENZE_REGEN_GOLDEN=1"
    )


def test_every_code_has_an_entry_with_bad_and_better_examples() -> None:
    page = DIAGNOSTICS.read_text(encoding="utf-8")
    for c in CODES:
        entry = page.split(f"\n## {c.code}\n", 1)
        assert len(entry) == 2, f"{c.code} has no entry"
        body = entry[1].split("\n## ", 1)[0]
        assert "Bad:" in body and "Better:" in body and c.bad in body and c.better in body


def test_language_page_names_every_keyword_and_registry_entry() -> None:
    page = LANGUAGE.read_text(encoding="utf-8")
    keywords = set(re.findall(r'"([a-z]+)"', GRAMMAR.read_text(encoding="utf-8")))
    words = set(re.findall(r"[A-Za-z_]+", page))
    assert keywords and not keywords - words, sorted(keywords - words)
    for name in [*CLOCK_PROPERTIES, *UNITS]:
        assert name in words, name
    for resp in RESPONSIBILITIES:
        assert resp in page


def test_language_page_examples_compile_clean() -> None:
    page = LANGUAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"```policy\n(.*?)```", page, flags=re.S)
    assert blocks, "the page should hold at least one complete example"
    for text in blocks:
        policy, diags = load_policy_text(text, "docs/policy-language.md")
        assert diags == [] and policy is not None
