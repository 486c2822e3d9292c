"""The drafters' verbs `test` and `doc`.

In: the verb's arguments and the output streams. Out: an exit code (engine.exit_codes).
`run_test` runs the example histories beside each policy against it and compares the
findings with the expected ones (engine.policy_tests), optionally reporting what no test
exercised (engine.policy_coverage). `run_doc` renders policies as a document for
publication before they apply (engine.policy_doc). Policies are compiled here, through
`dsl`, so the modules behind these verbs work on the IR alone.
"""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from engine.cli import ArgParser, UsageError
from engine.exit_codes import Exit
from engine.ir import Policy

if TYPE_CHECKING:
    from engine.policy_coverage import Coverage
    from engine.policy_tests import SuiteResult

TEST_EPILOG = """\
examples:
  wenze test policies/                          run every policy's tests
  wenze test policies/licensing --coverage      and list what no test exercised
  wenze test policies/ --run deemed             only tests whose file or title matches
  wenze test policies/licensing/tests/deemed_acceptance.expect.toml --print-actual

a test is NAME.expect.toml (as_of, expected findings) beside NAME.csv (the history, in the
canonical export format), in the policy's tests/ folder; see docs/drafters.md.
exit codes: 0 all passed · 1 a test failed (or coverage under --fail-under)
            · 2 usage, policy or test-file error
"""

DOC_EPILOG = """\
examples:
  wenze doc policies/licensing                           Markdown, Chinese
  wenze doc policies/licensing --lang en                 Markdown, English
  wenze doc policies/licensing --format html --out licensing.html
exit codes: 0 written · 2 usage or policy error
"""


# ---------------------------------------------------------------------- test


def _test_parser(out: TextIO, err: TextIO) -> ArgParser:
    p = ArgParser(
        prog="wenze test",
        err=err,
        out=out,
        description="Run the policy tests beside each policy: one PASS/FAIL line per test, "
        "expected vs actual findings on failure.",
        epilog=TEST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", help="policy files or folders, or test files")
    p.add_argument("--run", metavar="PATTERN", help="only tests whose path or title matches")
    p.add_argument("--coverage", action="store_true", help="list what no test exercised")
    p.add_argument(
        "--fail-under",
        type=int,
        metavar="PCT",
        help="exit 1 when a policy's coverage is below PCT percent (implies --coverage)",
    )
    p.add_argument(
        "--engine",
        choices=("python", "durable"),
        default="python",
        help="rule stage: the plain-Python oracle (default, fast) or durable_rules",
    )
    p.add_argument(
        "--print-actual",
        action="store_true",
        help="print what the engine found, as [[finding]] tables to check and paste",
    )
    return p


def run_test(args: list[str], out: TextIO, err: TextIO) -> int:
    try:
        ns = _test_parser(out, err).parse_args(args)
        pattern = _pattern(ns.run)
    except UsageError as e:
        return e.status
    except re.error as e:
        err.write(f"wenze test: --run {ns.run!r} is not a valid pattern: {e}\n")
        return Exit.USAGE
    from engine.calendar import load_cn_calendar
    from engine.policy_tests import DiscoveryError, discover, run_suite

    try:
        suites = discover(ns.paths)
    except DiscoveryError as e:
        err.write(f"wenze test: {e}\n")
        return Exit.USAGE
    if not suites:
        err.write(f"wenze test: no policy and no test under {' '.join(ns.paths)}\n")
        return Exit.USAGE
    cal = load_cn_calendar()
    tally = {"PASS": 0, "FAIL": 0, "ERROR": 0}
    coverages: list[Coverage] = []
    policy_error = False
    for suite in suites:
        policies = _compile(suite.policy_files, err)
        if policies is None:
            policy_error = True
            continue
        result = run_suite(suite, policies, cal, stage=ns.engine, pattern=pattern)
        _print_suite(result, pattern, ns.print_actual, out, tally)
        if ns.coverage or ns.fail_under is not None:
            coverages += _coverages(result)
    return _finish(ns, pattern, tally, coverages, policy_error, out, err)


def _pattern(text: str | None) -> re.Pattern[str] | None:
    return re.compile(text) if text else None


def _compile(files: list[Path], err: TextIO) -> list[Policy] | None:
    """The folder's policies, or None (diagnostics printed) when one does not check."""
    from dsl.api import load_policy_file, render_file_diagnostics

    policies: list[Policy] = []
    failed = False
    for f in files:
        policy, diags = load_policy_file(f)
        errors = [d for d in diags if d.severity == "error"]
        if errors:
            err.write(render_file_diagnostics(errors))
            err.write(f"wenze test: {f} does not check; its tests were not run\n")
            failed = True
        elif policy is not None:
            policies.append(policy)
    return None if failed else policies


def _print_suite(
    result: SuiteResult,
    pattern: re.Pattern[str] | None,
    actual: bool,
    out: TextIO,
    tally: dict[str, int],
) -> None:
    from engine.policy_tests import as_toml

    if not result.suite.tests and pattern is None:
        names = ", ".join(f"{p.id} {p.version}" for p in result.policies)
        out.write(
            f"NO TESTS  {result.suite.folder} ({names}): write them in "
            f"{result.suite.folder / 'tests'}/\n"
        )
    for t in result.tests:
        tally[t.status] += 1
        title = f"  {t.title}" if t.title else ""
        out.write(f"{t.status:<5} {t.path}{title}\n")
        for line in t.lines:
            out.write(f"      {line}\n")
        if actual and t.status != "ERROR":
            out.write(f"# what the engine found in {t.path.name}:\n{as_toml(t.findings)}\n")


def _coverages(result: SuiteResult) -> list[Coverage]:
    from engine.policy_coverage import coverage

    out = []
    for pol in result.policies:
        exercised = [t.exercised[pol.file] for t in result.tests if pol.file in t.exercised]
        out.append(coverage(pol, exercised, tests=len(result.suite.tests)))
    return out


def _finish(
    ns: argparse.Namespace,
    pattern: re.Pattern[str] | None,
    tally: dict[str, int],
    coverages: list[Coverage],
    policy_error: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    from engine.policy_coverage import render

    ran = sum(tally.values())
    if pattern is not None and ran == 0 and not policy_error:
        err.write(f"wenze test: no test matches --run {pattern.pattern!r}\n")
        return Exit.USAGE
    errors = f", {tally['ERROR']} error(s)" if tally["ERROR"] else ""
    out.write(f"\n{tally['PASS']} passed, {tally['FAIL']} failed{errors}\n")
    low = False
    for cov in coverages:
        out.write("\n" + "\n".join(render(cov)) + "\n")
        low |= ns.fail_under is not None and cov.percent < ns.fail_under
    if low:
        out.write(f"\ncoverage is below --fail-under {ns.fail_under}%\n")
    if policy_error or tally["ERROR"]:
        return Exit.USAGE
    return Exit.FAILED if tally["FAIL"] or low else Exit.OK


# ---------------------------------------------------------------------- doc


def _doc_parser(out: TextIO, err: TextIO) -> ArgParser:
    p = ArgParser(
        prog="wenze doc",
        err=err,
        out=out,
        description="Render policies as a readable document for publication before they apply "
        "(规则在先): time limits in words, who answers, the grade tables.",
        epilog=DOC_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="+",
        help="policy files or folders (several versions of one policy id give a version history)",
    )
    p.add_argument("--format", choices=("md", "html"), default="md")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument(
        "--at",
        type=_date,
        metavar="DATE",
        help="state the version in force on DATE (default: the latest)",
    )
    p.add_argument("--out", help="write to this file instead of standard output")
    return p


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def run_doc(args: list[str], out: TextIO, err: TextIO) -> int:
    try:
        ns = _doc_parser(out, err).parse_args(args)
    except UsageError as e:
        return e.status
    from dsl.api import policy_files

    files: list[Path] = []
    for raw in ns.paths:
        if not Path(raw).exists():
            err.write(f"wenze doc: {raw}: no such policy file or folder\n")
            return Exit.USAGE
        files += [f for f in policy_files(raw) if "tests" not in f.parent.parts[-1:]]
    policies = _compile(files, err)
    if policies is None:
        return Exit.USAGE
    if not policies:
        err.write(f"wenze doc: no *.policy file under {' '.join(ns.paths)}\n")
        return Exit.USAGE
    from engine.policy_doc import document
    from engine.policy_doc_render import render_html, render_markdown

    doc = document(policies, ns.lang, ns.at)
    text = render_html(doc) if ns.format == "html" else render_markdown(doc)
    if ns.out:
        Path(ns.out).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return Exit.OK
