"""Policy tests: find them, run them, and say plainly what differs.

In: paths (a policy file, a policy folder, a tree of policies, a test file), compiled
policies for each folder (the CLI compiles them: this module does not import `dsl`), a
calendar and the match stage. Out: `SuiteResult`s — per test PASS / FAIL / ERROR with the
lines that explain a failure (expected vs actual, and how the engine reached its value),
plus what each test exercised, for `engine.policy_coverage`.

A test is `<policy folder>/tests/NAME.expect.toml` (what should be found, as of a date)
with its history `NAME.csv` beside it, in the canonical export format (docs/drafters.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from engine.attribution import UNATTRIBUTED
from engine.audit import audit_policies
from engine.calendar import WorkCalendar
from engine.clocks import ClockResult
from engine.derive import CaseFacts, derive_case
from engine.findings import Finding
from engine.ir import Policy
from engine.loader_csv import DEFAULT_ZONE, ExportError, load_exports
from engine.model import CaseHistory
from engine.policy_tests_spec import (
    EXPECT_SUFFIX,
    FACT_KEYS,
    Expectation,
    SpecError,
    TestSpec,
    Value,
    read_spec,
    validate,
)
from engine.registers import Registers

TESTS_DIR = "tests"


class DiscoveryError(Exception):
    """A path that names no policy and no test."""


# ------------------------------------------------------------------ discovery


@dataclass
class Suite:
    """The policies of one folder and the tests that exercise them."""

    folder: Path
    policy_files: list[Path]
    tests: list[Path] = field(default_factory=list)


def discover(paths: Sequence[str]) -> list[Suite]:
    suites: dict[Path, Suite] = {}
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*.policy"), key=lambda f: f.as_posix()):
                if TESTS_DIR not in f.relative_to(p).parts[:-1]:
                    _suite(suites, f.parent).policy_files.append(f)
            tests = sorted(p.rglob(f"*{EXPECT_SUFFIX}"), key=lambda f: f.as_posix())
        elif p.name.endswith(".policy") and p.is_file():
            _suite(suites, p.parent, only=p)
            tests = sorted((p.parent / TESTS_DIR).rglob(f"*{EXPECT_SUFFIX}"))
        elif p.name.endswith(EXPECT_SUFFIX) and p.is_file():
            tests = [p]
        elif p.suffix == ".csv" and p.with_name(p.stem + EXPECT_SUFFIX).is_file():
            tests = [p.with_name(p.stem + EXPECT_SUFFIX)]
        else:
            raise DiscoveryError(
                f"{raw}: not a policy file, a folder, or a test file (*{EXPECT_SUFFIX})"
            )
        for t in tests:
            folder = policy_folder(t)
            if folder is None:
                raise DiscoveryError(f"{t}: no *.policy file in any folder above this test")
            suite = _suite(suites, folder)
            if t not in suite.tests:
                suite.tests.append(t)
    for s in suites.values():
        s.policy_files = sorted(set(s.policy_files), key=lambda f: f.as_posix())
    return [suites[k] for k in sorted(suites, key=lambda k: k.as_posix())]


def _suite(suites: dict[Path, Suite], folder: Path, only: Path | None = None) -> Suite:
    if folder not in suites:
        files = [only] if only is not None else sorted(folder.glob("*.policy"))
        suites[folder] = Suite(folder, files)
    elif only is not None and only not in suites[folder].policy_files:
        suites[folder].policy_files.append(only)
    return suites[folder]


def policy_folder(test: Path) -> Path | None:
    """The nearest folder above a test file that holds `*.policy` files."""
    for folder in test.parents:
        if any(f.is_file() for f in folder.glob("*.policy")):
            return folder
    return None


# ------------------------------------------------------------------ results


@dataclass
class Exercised:
    """What one test exercised in one policy (read by engine.policy_coverage)."""

    facts: list[CaseFacts] = field(default_factory=list)  # cases the test asserts on
    findings: list[Finding] = field(default_factory=list)  # findings it expected and got


@dataclass
class TestResult:
    path: Path
    title: str
    status: str  # PASS | FAIL | ERROR
    lines: list[str] = field(default_factory=list)  # why it failed, ready to print
    findings: list[Finding] = field(default_factory=list)  # everything the engine found
    exercised: dict[str, Exercised] = field(default_factory=dict)  # by policy file


@dataclass
class SuiteResult:
    suite: Suite
    policies: list[Policy]
    tests: list[TestResult]


def wanted(path: Path, title: str, pattern: re.Pattern[str] | None) -> bool:
    """`--run PATTERN`: the pattern is searched in the test's path and its title."""
    return pattern is None or bool(pattern.search(path.as_posix()) or pattern.search(title))


def run_suite(
    suite: Suite,
    policies: list[Policy],
    cal: WorkCalendar,
    *,
    stage: str = "python",
    pattern: re.Pattern[str] | None = None,
) -> SuiteResult:
    results: list[TestResult] = []
    for path in suite.tests:
        try:
            spec = read_spec(path)
        except SpecError as e:
            if wanted(path, "", pattern):
                results.append(TestResult(path, "", "ERROR", [str(e)]))
            continue
        if wanted(path, spec.title, pattern):
            results.append(run_test(spec, policies, cal, stage=stage))
    return SuiteResult(suite, policies, results)


def run_test(
    spec: TestSpec, policies: list[Policy], cal: WorkCalendar, *, stage: str = "python"
) -> TestResult:
    chosen = _chosen(spec, policies)
    try:
        if not chosen:
            names = ", ".join(f"{p.id}@{p.version}" for p in policies) or "none"
            raise SpecError(spec.file, 1, f"policy {spec.policy!r} is not in the folder ({names})")
        histories = _histories(spec, chosen)
        validate(spec, chosen, histories)
        registers = _registers(spec)
    except SpecError as e:
        return TestResult(spec.path, spec.title, "ERROR", [str(e)])
    # Exactly as `wenze audit` evaluates: versions chosen per lapse, the run-wide grading
    # pass (repeat offences, sanctions, time bar) included.
    findings = audit_policies(
        histories, chosen, cal, spec.as_of, stage=stage, registers=registers
    ).findings
    facts = {
        (pol.file, case): derive_case(h, pol, cal, spec.as_of)
        for pol in chosen
        for case, h in histories.items()
    }
    return _compare(spec, chosen, findings, facts)


def _chosen(spec: TestSpec, policies: list[Policy]) -> list[Policy]:
    if not spec.policy:
        return policies
    return [p for p in policies if spec.policy in (p.id, f"{p.id}@{p.version}")]


def _registers(spec: TestSpec) -> Registers:
    from engine.registers import RegisterError, load_roster, load_sanctions, load_votes

    loaders = {"roster": load_roster, "votes": load_votes, "sanctions": load_sanctions}
    loaded: dict[str, Any] = {}
    for key, (path, line) in spec.registers.items():
        try:
            loaded[key] = loaders[key](str(path))
        except (RegisterError, OSError) as e:
            raise SpecError(spec.file, line, f"{key}: {e}") from None
    return Registers(**loaded)


def _histories(spec: TestSpec, policies: list[Policy]) -> dict[str, CaseHistory]:
    """The test's history, loaded exactly as an audit would load it; any defect in it is
    a mistake in the test, reported with its file:line."""
    zone = ZoneInfo(DEFAULT_ZONE)
    end = datetime.combine(spec.as_of + timedelta(days=1), dtime(0, 0), zone)
    vocabulary = frozenset(a for p in policies for a in p.activities)
    try:
        loaded = load_exports(
            [str(spec.history)],
            known_activities=vocabulary,
            as_of_end=end - timedelta(microseconds=1),
        )
    except ExportError as e:
        raise SpecError(str(spec.history), 1, str(e)) from None
    if loaded.defects:
        d = loaded.defects[0]
        more = f" (and {len(loaded.defects) - 1} more)" if len(loaded.defects) > 1 else ""
        raise SpecError(d.file, d.line, f"{d.code} [{d.field}] {d.message}{more}")
    return loaded.cases


# ------------------------------------------------------------------ comparing


def finding_view(f: Finding) -> dict[str, Value]:
    """A finding as the keys an expectation may name (the findings document's keys)."""
    view: dict[str, Value] = {
        "person": "、".join(s.person or UNATTRIBUTED for s in f.subjects),
        "responsibility": "、".join(s.responsibility for s in f.subjects),
        "unit": f.subjects[0].unit if f.subjects else "",
        "grade": f.grade,
        "category": f.category,
        "provisional": bool(f.facts.get("provisional", False)),
    }
    for key in FACT_KEYS:
        if key in f.facts:
            view[key] = f.facts[key]
    for key in ("exempt", "time_barred", "not_pursued"):
        view[key] = bool(f.facts.get(key, False))
    view["conduct"] = f.conduct.isoformat()
    view["version"] = f.policy.version
    state = f.grade_state
    ok = state.ladder is not None and 0 <= state.base_rank < len(state.ladder.levels)
    view["base_grade"] = state.ladder.levels[state.base_rank] if ok and state.ladder else ""
    if "suspended" in f.facts:
        view["suspended"] = tuple((a, b) for a, b in f.facts["suspended"])
    view["explains"] = " / ".join(s.text for s in f.explanation)
    return view


def clock_view(c: ClockResult) -> dict[str, Value]:
    start = c.start_event
    view: dict[str, Value] = {
        "state": c.state,
        "overdue_workdays": c.overdue_workdays,
        "overdue_days": c.overdue_days,
        "remaining_workdays": c.remaining_workdays,
        "extensions": sum(1 for x in c.extensions if x.accepted),
        "refused_extensions": sum(1 for x in c.extensions if not x.accepted),
        "suspended": tuple((a.isoformat(), b.isoformat()) for a, b in c.merged),
        "start": start.time.date().isoformat() if start is not None else "",
        "started_by": start.activity if start is not None else "",
        "deadline": c.deadline.isoformat() if c.deadline is not None else "",
    }
    # Facts of later clock shapes (hours, promised limits, restarts), where they apply.
    view.update({k: v for k, v in c.extra_facts().items() if isinstance(v, str | int | bool)})
    return view


def agrees(key: str, expected: Value, actual: Value | None) -> bool:
    if key == "explains":
        return isinstance(actual, str) and all(str(t) in actual for t in _items(expected))
    return actual == expected


def _items(v: Value) -> tuple[object, ...]:
    return v if isinstance(v, tuple) else (v,)


def _compare(
    spec: TestSpec,
    policies: list[Policy],
    findings: list[Finding],
    facts: Mapping[tuple[str, str], CaseFacts],
) -> TestResult:
    result = TestResult(spec.path, spec.title, "PASS", findings=findings)
    views = [finding_view(f) for f in findings]
    # Exact matches first, so one expectation's near miss cannot steal another's finding.
    matched = _pair_exact(spec.findings, findings, views)
    taken = set(matched.values())
    for i, e in enumerate(spec.findings):
        if i not in matched:
            result.lines += _miss(spec, e, findings, views, taken)  # adds its near miss
    result.lines += _unexpected(spec, findings, taken)
    for e in spec.clocks:
        result.lines += _clock_problems(spec, policies, e, facts)
    if result.lines:
        result.status = "FAIL"
    _record_exercised(spec, policies, findings, matched, facts, result)
    return result


def _pair_exact(
    expected: Sequence[Expectation], findings: list[Finding], views: list[dict[str, Value]]
) -> dict[int, int]:
    """Expectation index -> index of the first unused finding that agrees on every key."""
    matched: dict[int, int] = {}
    for i, e in enumerate(expected):
        for j in _same(findings, e):
            fits = all(agrees(k, v, views[j].get(k)) for k, v in e.fields.items())
            if fits and j not in matched.values():
                matched[i] = j
                break
    return matched


def _same(findings: list[Finding], e: Expectation) -> Iterable[int]:
    return (j for j, f in enumerate(findings) if f.case_id == e.case and f.lapse == e.name)


def _miss(
    spec: TestSpec,
    e: Expectation,
    findings: list[Finding],
    views: list[dict[str, Value]],
    taken: set[int],
) -> list[str]:
    where = f"{spec.path.name}:{e.line}"
    free = [j for j in _same(findings, e) if j not in taken]
    if not free:
        has = sorted({f.lapse for f in findings if f.case_id == e.case})
        what = f"case {e.case} has: {', '.join(has)}" if has else f"case {e.case} has no finding"
        return [f"✗ {where}: expected a {e.name} finding for case {e.case} — none found ({what})"]

    def score(j: int) -> int:
        return sum(agrees(k, v, views[j].get(k)) for k, v in e.fields.items())

    best = max(free, key=score)
    taken.add(best)  # shown here as a difference, not again as an unexpected finding
    f = findings[best]
    out = [f"✗ {where}: case {e.case} · {e.name} {f.label} — differs"]
    rows = [("", "expected", "actual")]
    for k, v in e.fields.items():
        actual = views[best].get(k)
        ok = agrees(k, v, actual)
        shown = (
            _show(actual) if k != "explains" else ("(found)" if ok else "(not in the explanation)")
        )
        rows.append(("  " + k if ok else "✗ " + k, _show(v), shown))
    out += ["    " + line for line in table(rows)]
    out.append("    how the engine found it:")
    out += [
        f"      {n}. {s.text}" + (f" [{s.policy}]" if s.policy else "")
        for n, s in enumerate(f.explanation, start=1)
    ]
    return out


def _unexpected(spec: TestSpec, findings: list[Finding], taken: set[int]) -> list[str]:
    out: list[str] = []
    for j, f in enumerate(findings):
        if j in taken:
            continue
        rule = next(
            (a for a in spec.absences if a.case == f.case_id and a.name in ("", f.lapse)), None
        )
        if rule is not None:
            why = f"{spec.path.name}:{rule.line} says there is none"
        elif spec.no_other_findings:
            why = "no_other_findings = true"
        else:
            continue
        out.append(f"✗ unexpected finding ({why}): {describe(f)}")
    return out


def describe(f: Finding) -> str:
    v = finding_view(f)
    bits = [
        f"case {f.case_id} · {f.lapse} {f.label}",
        f"grade {f.grade or '(none)'}",
        f"person {v['person']}",
    ]
    for k in ("deadline", "overdue_workdays", "ongoing", "index", "reason"):
        if k in v:
            bits.append(f"{k}={_show(v[k])}")
    return " · ".join(bits)


def _clock_problems(
    spec: TestSpec,
    policies: list[Policy],
    e: Expectation,
    facts: Mapping[tuple[str, str], CaseFacts],
) -> list[str]:
    pol = next(p for p in policies if any(c.name == e.name for c in p.clocks))
    result = facts[(pol.file, e.case)].clocks[e.name]
    view = clock_view(result)
    if all(agrees(k, v, view.get(k)) for k, v in e.fields.items()):
        return []
    out = [
        f"✗ {spec.path.name}:{e.line}: case {e.case} · clock {e.name} 「{result.clock.label}」 — differs"
    ]
    rows = [("", "expected", "actual")]
    for k, v in e.fields.items():
        mark = "  " if agrees(k, v, view.get(k)) else "✗ "
        rows.append((mark + k, _show(v), _show(view.get(k))))
    out += ["    " + line for line in table(rows)]
    trail = result.trail
    if trail:
        out.append("    how the engine worked it out:")
        out += [f"      {n}. {s.text}" for n, s in enumerate(trail, start=1)]
    return out


def _record_exercised(
    spec: TestSpec,
    policies: list[Policy],
    findings: list[Finding],
    matched: Mapping[int, int],
    facts: Mapping[tuple[str, str], CaseFacts],
    result: TestResult,
) -> None:
    """Coverage counts what a test *asserts*: findings it expected, and the clocks of the
    cases it says something about (all cases when no_other_findings is set)."""
    asserted = {e.case for e in (*spec.findings, *spec.clocks, *spec.absences)}
    for pol in policies:
        ex = result.exercised.setdefault(pol.file, Exercised())
        ex.findings += [findings[j] for j in matched.values() if findings[j].policy is pol]
        ex.facts += [
            cf
            for (file, case), cf in facts.items()
            if file == pol.file and (spec.no_other_findings or case in asserted)
        ]


# ------------------------------------------------------------------ text helpers


def _show(v: object) -> str:
    if v is None:
        return "(absent)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        items = ("–".join(map(str, x)) if isinstance(x, tuple) else _show(x) for x in v)
        return ", ".join(items) or "(none)"
    return str(v) if v != "" else '""'


def width(text: str) -> int:
    """Terminal cells: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c + " " * (widths[i] - width(c)) for i, c in enumerate(r)).rstrip() for r in rows
    ]


def as_toml(findings: Iterable[Finding]) -> str:
    """The engine's findings as `[[finding]]` tables, for `--print-actual`: a drafter checks
    them against the law by hand, then pastes what is right into the expectation file."""
    out: list[str] = []
    for f in findings:
        v = finding_view(f)
        out += ["[[finding]]", f'case = "{f.case_id}"', f'lapse = "{f.lapse}"  # {f.label}']
        for k in ("person", "grade", "deadline", "overdue_workdays", "ongoing", "index", "reason"):
            if k in v:
                out.append(f"{k} = {_toml_value(k, v[k])}")
        out.append("")
    return "\n".join(out)


def _toml_value(key: str, v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if key == "deadline":
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
