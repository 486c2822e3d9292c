"""The `fmt` verb: print, write, list or diff policies in the canonical layout.

In: the verb's arguments (files, folders searched for `*.policy`, or `-` for stdin) and the
output streams. Out: an exit code (engine.exit_codes): 0 done, 1 `--check` found a file
that would change, 2 usage error or a policy that does not parse (its diagnostics go to
stderr), 3 internal error. The layout itself is dsl.formatter's (docs/fmt.md).

Before anything is printed or written, the formatted text is parsed again and compared
with the original tree: a formatter that changed a policy's meaning is a bug, reported
as an internal error, and the file is left as it was.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from engine.cli import ArgParser, UsageError
from engine.exit_codes import Exit

EPILOG = """\
examples:
  wenze fmt policies/licensing/licensing.policy     print the formatted policy
  wenze fmt -w policies/                            format every policy in place
  wenze fmt --check policies/                       exit 1 and list files that are not formatted
  wenze fmt --diff policies/hotline                 show what formatting would change
  cat x.policy | wenze fmt -                        format standard input

exit codes: 0 done · 1 --check: some file would change · 2 usage error or a policy that
does not parse · 3 internal error
"""


@dataclass(frozen=True)
class _Source:
    name: str  # as given, or "<stdin>"
    path: Path | None  # None for stdin
    text: str


def run_fmt(args: list[str], out: TextIO, err: TextIO, stdin: TextIO | None = None) -> int:
    p = ArgParser(
        prog="wenze fmt",
        err=err,
        out=out,
        description="Format policies in the canonical layout (docs/fmt.md); comments are kept.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", help="policy files, folders (searched for *.policy), or -")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("-w", "--write", action="store_true", help="rewrite files in place")
    mode.add_argument("-l", "--list", action="store_true", help="list files that would change")
    mode.add_argument(
        "--check", action="store_true", help="list files that would change; exit 1 if any"
    )
    p.add_argument("--diff", action="store_true", help="print a unified diff instead of the text")
    try:
        ns = p.parse_args(args)
        sources = _sources(ns.paths, stdin if stdin is not None else sys.stdin, ns.write, err)
    except UsageError as e:
        return e.status
    changed, failed = 0, False
    for src in sources:
        formatted = _format(src, err)
        if formatted is None:
            failed = True
            continue
        if formatted != src.text:
            changed += 1
        _emit(src, formatted, ns, out)
    if failed:
        return Exit.USAGE
    return Exit.FAILED if ns.check and changed else Exit.OK


def _emit(src: _Source, formatted: str, ns: argparse.Namespace, out: TextIO) -> None:
    differs = formatted != src.text
    # Only changed files are written, so their times say what formatting changed.
    if ns.write and differs and src.path is not None:
        src.path.write_bytes(formatted.encode("utf-8"))
    if ns.diff:
        if differs:
            out.writelines(_diff(src, formatted))
    elif ns.list or ns.check:
        if differs:
            out.write(src.name + "\n")
    elif not ns.write:
        out.write(formatted)


def _diff(src: _Source, formatted: str) -> list[str]:
    lines = difflib.unified_diff(
        src.text.splitlines(keepends=True),
        formatted.splitlines(keepends=True),
        fromfile=f"{src.name} (as written)",
        tofile=f"{src.name} (formatted)",
    )
    return [
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    ]


def _sources(paths: list[str], stdin: TextIO, write: bool, err: TextIO) -> list[_Source]:
    from dsl.api import policy_files

    out: list[_Source] = []
    for given in paths:
        if given == "-":
            if write:
                err.write("wenze fmt: -w cannot write back to standard input\n")
                raise UsageError()
            out.append(_Source("<stdin>", None, stdin.read()))
            continue
        if not Path(given).exists():
            err.write(f"wenze fmt: {given}: no such policy file or folder\n")
            raise UsageError()
        for f in policy_files(given):
            text = _read(f, err)
            if text is None:
                raise UsageError()
            out.append(_Source(f.as_posix() if Path(given).is_dir() else given, f, text))
    return out


def _read(path: Path, err: TextIO) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as e:
        err.write(f"wenze fmt: {path}: cannot read the file: {e.strerror or type(e).__name__}\n")
    except UnicodeDecodeError:
        err.write(f"wenze fmt: {path}: the file is not UTF-8 text; save it as UTF-8\n")
    return None


def _format(src: _Source, err: TextIO) -> str | None:
    """The formatted text, or None after printing why the source does not parse."""
    from dsl.diagnostics import render_all
    from dsl.formatter import format_policy
    from dsl.parser import parse

    formatted, diags = format_policy(src.text, src.name)
    if formatted is None:
        err.write(render_all(diags, {src.name: src.text}))
        return None
    before, _ = parse(src.text, src.name)
    after, _ = parse(formatted, src.name)
    if before != after:
        raise AssertionError(f"formatting would change the meaning of {src.name}")
    return formatted
