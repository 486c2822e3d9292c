"""Formatter goldens: each `golden/NAME.policy` formats to exactly `golden/NAME.formatted`.
`WENZE_REGEN_GOLDEN=1` rewrites the expected files; review the diff before committing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from dsl.formatter import format_policy

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = sorted(GOLDEN.glob("*.policy"))
REGEN = os.environ.get("WENZE_REGEN_GOLDEN") == "1"


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")  # bytes: keep CRLF and BOM as written
    formatted, diags = format_policy(text, path.name)
    assert formatted is not None, diags
    expected = path.with_suffix(".formatted")
    if REGEN:
        expected.write_bytes(formatted.encode("utf-8"))
    assert expected.exists(), f"no golden for {path.name}: run with WENZE_REGEN_GOLDEN=1"
    assert formatted == expected.read_bytes().decode("utf-8")


def test_every_expected_file_has_its_input() -> None:
    assert all(p.with_suffix(".policy").exists() for p in GOLDEN.glob("*.formatted"))


def test_the_example_of_docs_fmt_is_formatted_and_clean() -> None:
    from dsl import load_policy_text

    page = (GOLDEN.parents[2] / "docs" / "fmt.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```policy\n(.*?)```", page, flags=re.S)
    assert format_policy(example, "docs/fmt.md")[0] == example
    policy, diags = load_policy_text(example, "docs/fmt.md")
    assert policy is not None and diags == []
