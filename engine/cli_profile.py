"""The `profile` verb: work with import profiles (docs/import-profiles.md).

In: the verb's arguments and the output streams. Out: an exit code (engine.exit_codes).
`wenze profile infer FILE` drafts a profile from the file's header and a sample of its
rows; `wenze profile check PROFILE [FILE…]` loads a profile and, given exports, reads
them with it and prints what it would do (rows, defects by code) without any policy.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TextIO

from engine.cli import ArgParser, UsageError
from engine.exit_codes import Exit


def run_profile(args: list[str], out: TextIO, err: TextIO) -> int:
    p = ArgParser(
        prog="wenze profile",
        err=err,
        out=out,
        description="Import profiles: draft one from an export, or check one against exports.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  wenze profile infer 办件导出.csv --out fixtures/profiles/mine.toml\n"
        "  wenze profile check fixtures/profiles/road_fines.toml road_fines.xes.gz "
        "--policy policies/road_fines",
    )
    # Sub-parsers report usage errors the same way (exit 2, no SystemExit into tests).
    sub = p.add_subparsers(dest="action", required=True, parser_class=_bound(out, err))
    infer = sub.add_parser("infer", help="draft a profile from a file's header and sample rows")
    infer.add_argument("file", help="an export: .csv .xlsx .jsonl .xes .xes.gz")
    infer.add_argument("--out", help="write the draft here instead of standard output")
    infer.add_argument("--sample", type=int, default=1000, help="rows (XES: traces) to read")
    infer.add_argument("--encoding", help="text encoding (default: detected)")
    infer.add_argument("--sheet", help="xlsx: the sheet (default: the first)")
    check = sub.add_parser("check", help="load a profile; read exports with it")
    check.add_argument("profile", help="profile file (TOML)")
    check.add_argument("exports", nargs="*", help="exports to read with it")
    check.add_argument("--encoding", help="text encoding (default: the profile's, or detected)")
    check.add_argument(
        "--policy",
        help="also check activities, actors and assignees against these policies, as an audit does",
    )
    try:
        ns = p.parse_args(args)
    except UsageError as e:
        return e.status
    if ns.action == "infer":
        return _infer(ns.file, ns.out, ns.sample, ns.encoding, ns.sheet, out, err)
    return _check(ns.profile, ns.exports, ns.encoding, ns.policy, out, err)


def _bound(out: TextIO, err: TextIO) -> type[ArgParser]:
    """ArgParser bound to our streams: argparse builds sub-parsers from a class."""

    class _Sub(ArgParser):
        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, out=out, err=err, **kw)

    return _Sub


def _infer(
    path: str,
    dest: str | None,
    sample: int,
    encoding: str | None,
    sheet: str | None,
    out: TextIO,
    err: TextIO,
) -> int:
    from engine.loaders.result import ExportError
    from engine.profile_infer import infer_profile

    if not Path(path).is_file():
        err.write(f"wenze profile: {path}: no such file\n")
        return Exit.USAGE
    try:
        text = infer_profile(path, sample=sample, encoding=encoding, sheet=sheet)
    except ExportError as e:
        err.write(f"wenze profile: {e}\n")
        return Exit.USAGE
    if dest:
        Path(dest).write_text(text, encoding="utf-8")
        err.write(f"wenze profile: draft written to {dest}; review the lines marked CHECK\n")
    else:
        out.write(text)
    return Exit.OK


def _check(
    profile_path: str,
    exports: list[str],
    encoding: str | None,
    policy: str | None,
    out: TextIO,
    err: TextIO,
) -> int:
    from engine.loaders import Checks, load, responsibility_activities
    from engine.loaders.result import ExportError
    from engine.profile import ProfileError, load_profile

    checks = Checks()
    if policy is not None:
        from dsl.api import load_policies

        if not Path(policy).exists():
            err.write(f"wenze profile: {policy}: no such policy file or folder\n")
            return Exit.USAGE
        policies, diags = load_policies(policy)
        if any(d.severity == "error" for d in diags) or not policies:
            err.write(f"wenze profile: {policy}: the policy does not check (run wenze check)\n")
            return Exit.USAGE
        custody, actors = responsibility_activities(policies)
        vocabulary = frozenset(a for p in policies for a in p.activities)
        checks = Checks(known_activities=vocabulary, custody=custody, actor_required=actors)
    try:
        profile = load_profile(profile_path)
        if not exports:
            return Exit.OK  # like `wenze check`: silence when clean
        loaded = load(exports, profile=profile, encoding=encoding, checks=checks)
    except (ProfileError, ExportError) as e:
        err.write(f"wenze profile: {e}\n")
        return Exit.USAGE
    for src in loaded.sources:
        how = f"{src.format}, {src.encoding}" if src.encoding else src.format
        out.write(f"{src.path} ({how}): {src.rows_in:,} rows\n")
    out.write(
        f"cases {len(loaded.cases):,}  rows in {loaded.rows_in:,}  used {loaded.rows_used:,}  "
        f"quarantined {loaded.rows_quarantined:,}\n"
    )
    for code, n in sorted(Counter(d.code for d in loaded.defects).items()):
        first = next(d for d in loaded.defects if d.code == code)
        out.write(f"  {code}: {n:,}  e.g. {first}\n")
    return Exit.OK
