"""wenze's policy language: grammar, AST, checker, compiler to `engine.ir`.

In: `.policy` text or files. Out: `engine.ir.Policy` values and `Diagnostic`s.
The stages are `dsl.parser.parse` → `dsl.checker.check` → `dsl.compiler.compile_policy`;
`dsl.api` strings them together for callers that just want policies from disk.
"""

from __future__ import annotations

from dsl.api import (
    load_policies,
    load_policy_file,
    load_policy_text,
    render_file_diagnostics,
)
from dsl.checker import CheckedPolicy, check
from dsl.compiler import compile_policy
from dsl.diagnostics import Diagnostic, Related, render, render_json
from dsl.parser import parse

__all__ = [
    "CheckedPolicy",
    "Diagnostic",
    "Related",
    "check",
    "compile_policy",
    "load_policies",
    "load_policy_file",
    "load_policy_text",
    "parse",
    "render",
    "render_file_diagnostics",
    "render_json",
]
