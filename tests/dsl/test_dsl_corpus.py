"""The corpus of bad (and a few good) policies: one `.policy` per case, its exact rendered
diagnostics in the `.expected` file next to it. A case about several files (versions of
one policy, a policy against an import profile) is a folder: `wenze check` runs on it
(with `--profile profile.toml` when the folder holds one) and `check.expected` inside
holds what it prints and its exit code. `WENZE_REGEN_GOLDEN=1` rewrites the goldens;
review the diff before committing."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from dsl.api import load_policy_file
from dsl.codes import CODES
from dsl.diagnostics import Diagnostic, render_all
from engine.cli_audit import run_check

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
REGEN = os.environ.get("WENZE_REGEN_GOLDEN") == "1"
CASES = sorted(CORPUS.glob("*.policy"))
FOLDERS = sorted(p for p in CORPUS.iterdir() if p.is_dir())


def _source(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None


def _run(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, list[Diagnostic], str]:
    monkeypatch.chdir(ROOT)  # diagnostics name the file as given: a stable relative path
    rel = path.relative_to(ROOT).as_posix()
    policy, diags = load_policy_file(rel)
    text = _source(path)
    rendered = render_all(diags, {rel: text} if text is not None else {})
    return policy is not None, diags, rendered


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_corpus_case(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok, diags, rendered = _run(path, monkeypatch)
    golden = path.with_suffix(".expected")
    if REGEN:
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"no golden for {path.name}: run with WENZE_REGEN_GOLDEN=1"
    assert rendered == golden.read_text(encoding="utf-8")
    # A policy comes back exactly when nothing is an error.
    assert ok == (not any(d.is_error for d in diags))


def test_corpus_case_names_say_their_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """`n201_….policy` must produce N201: the name is the case's promise."""
    for path in CASES:
        m = re.match(r"([a-z]\d{3})_", path.name)
        if m is None:
            continue
        _, diags, _ = _run(path, monkeypatch)
        assert m.group(1).upper() in {d.code for d in diags}, path.name


def test_ok_cases_are_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for path in CASES:
        if path.name.startswith("ok_"):
            ok, diags, _ = _run(path, monkeypatch)
            assert ok and diags == [], path.name


def _run_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(ROOT)
    rel = folder.relative_to(ROOT).as_posix()
    args = [rel] + (
        ["--profile", f"{rel}/profile.toml"] if (folder / "profile.toml").exists() else []
    )
    out, err = io.StringIO(), io.StringIO()
    code = run_check(args, out, err)
    return out.getvalue() + err.getvalue() + f"exit {int(code)}\n"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_corpus_folder_case(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    printed = _run_folder(folder, monkeypatch)
    golden = folder / "check.expected"
    if REGEN:
        golden.write_text(printed, encoding="utf-8")
    assert golden.exists(), f"no golden for {folder.name}: run with WENZE_REGEN_GOLDEN=1"
    assert printed == golden.read_text(encoding="utf-8")
    code = re.match(r"([a-z]\d{3})_", folder.name)
    assert code is None or f" {code.group(1).upper()} " in printed, folder.name


def test_every_code_is_exercised_by_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: set[str] = set()
    for path in CASES:
        seen |= {d.code for d in _run(path, monkeypatch)[1]}
    for folder in FOLDERS:
        seen |= set(re.findall(r": ([A-Z]\d{3}) ", _run_folder(folder, monkeypatch)))
    missing = sorted({c.code for c in CODES} - seen)
    assert not missing, f"codes without a corpus case: {missing}"


def test_every_golden_has_its_policy() -> None:
    orphans = [g.name for g in CORPUS.glob("*.expected") if not g.with_suffix(".policy").exists()]
    assert not orphans
