"""Load policies from disk: read, parse, check, compile.

In: a path to a `.policy` file, or to a directory searched recursively for `*.policy`.
Out: compiled `engine.ir.Policy` values and every diagnostic found on the way. A policy
is returned only when it has no error (warnings are returned alongside it). Reading
failures (missing file, not UTF-8) are P100 diagnostics, not exceptions.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from dsl.checker import check
from dsl.compiler import compile_policy
from dsl.diagnostics import Diagnostic, diag, render_all
from dsl.parser import parse
from dsl.suppress import apply_allows
from engine.ir import Policy

PathLike = str | os.PathLike[str]


def load_policy_text(text: str, file: str) -> tuple[Policy | None, list[Diagnostic]]:
    """Parse, check and compile policy source held in memory (reported as `file`)."""
    tree, diags = parse(text, file)
    if tree is None:
        return None, diags
    checked, diags = check(tree)
    diags = apply_allows(tree, text, diags)  # `# wenze: allow CODE reason` comments
    if checked is None:
        return None, diags
    return compile_policy(checked), diags


def _read(path: Path, file: str) -> tuple[str | None, list[Diagnostic]]:
    try:
        data = path.read_bytes()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        return None, [diag("P100", f"cannot read the file: {reason}", file, None)]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        line = data.count(b"\n", 0, e.start) + 1
        col = len(data[line_start : e.start].decode("utf-8", errors="replace")) + 1
        msg = f"the file is not UTF-8 text (byte 0x{data[e.start]:02x})"
        hint = "save the file as UTF-8"
        return None, [Diagnostic("P100", "error", msg, file, line, col, col + 1, (), hint)]


def load_policy_file(path: PathLike) -> tuple[Policy | None, list[Diagnostic]]:
    """Load one policy file; `Policy.file` and the diagnostics name it as given."""
    file = os.fspath(path)
    text, diags = _read(Path(path), file)
    if text is None:
        return None, diags
    return load_policy_text(text, file)


def policy_files(path: PathLike) -> list[Path]:
    """`path` itself if it is not a directory, else its `*.policy` files, sorted."""
    p = Path(path)
    if not p.is_dir():
        return [p]
    return sorted((f for f in p.rglob("*.policy") if f.is_file()), key=lambda f: f.as_posix())


def load_policies(path: PathLike) -> tuple[list[Policy], list[Diagnostic]]:
    """Load a policy file, or every `*.policy` under a directory (in sorted order)."""
    policies: list[Policy] = []
    diags: list[Diagnostic] = []
    for f in policy_files(path):
        policy, found = load_policy_file(f)
        diags += found
        if policy is not None:
            policies.append(policy)
    return policies, diags


def render_file_diagnostics(diags: Sequence[Diagnostic]) -> str:
    """Render diagnostics with the source lines they point at, read from their files."""
    sources: dict[str, str] = {}
    for name in {d.file for d in diags}:
        with contextlib.suppress(OSError, ValueError):  # unreadable: no source lines
            sources[name] = Path(name).read_text(encoding="utf-8")
    return render_all(diags, sources)
