"""Policy test files: read a `NAME.expect.toml` into a `TestSpec`, or say where it is wrong.

In: the path of an expectation file (TOML, UTF-8) written by a drafter beside a policy,
in `<policy folder>/tests/`. Out: a `TestSpec` — the audit date, the history CSV, and the
expected findings, clock results and absences, each with the line it was written on —
or a `SpecError` naming `file:line` and what to write instead. Checking the expectations
against a policy (unknown lapse, grade not on the ladder …) is `validate`, since it needs
the compiled policy and the loaded history. The format is documented in docs/drafters.md.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.ir import Policy
from engine.loader_csv import parse_time

EXPECT_SUFFIX = ".expect.toml"
UNATTRIBUTED = "责任主体不明确"  # engine.findings.UNATTRIBUTED, without importing the core

Value = str | int | bool | tuple[object, ...]


class SpecError(Exception):
    """A mistake in a test file (or its history), located to a line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        located = re.match(r"(.+?):(\d+): (.*)", message, re.S)
        if located and located.group(1) == file:  # the message already says where
            line, message = int(located.group(2)), located.group(3)
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line, self.message = file, line, message


# ------------------------------------------------------------------ field kinds
# One small table per table kind says which keys a drafter may write and how each is
# read; the runner compares the normalised values with the engine's output.


def _text(v: object) -> str | None:
    return v if isinstance(v, str) else None


def _int(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _bool(v: object) -> bool | None:
    return v if isinstance(v, bool) else None


def _date(v: object) -> str | None:
    if isinstance(v, date) and not isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, str):
        try:
            return date.fromisoformat(v).isoformat()
        except ValueError:
            return None
    return None


def _datetime(v: object) -> str | None:
    """A date-time with or without offset (naive = Asia/Shanghai), as an aware ISO string."""
    text = v.isoformat() if isinstance(v, datetime) else v
    if not isinstance(text, str):
        return None
    try:
        when, _day = parse_time(text)
    except ValueError:
        return None
    return when.isoformat()


def _spans(v: object) -> tuple[tuple[str, str], ...] | None:
    """`[[2025-03-10, 2025-03-14], …]`: suspended periods, first and last day."""
    if not isinstance(v, list):
        return None
    out: list[tuple[str, str]] = []
    for pair in v:
        if not isinstance(pair, list) or len(pair) != 2:
            return None
        a, b = _date(pair[0]), _date(pair[1])
        if a is None or b is None:
            return None
        out.append((a, b))
    return tuple(out)


def _texts(v: object) -> tuple[str, ...] | None:
    """A text or a list of texts (each must appear in the explanation)."""
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not all(isinstance(t, str) for t in items):
        return None
    return tuple(items)


@dataclass(frozen=True)
class FieldKind:
    read: Callable[[object], Value | None]
    shape: str  # what to write, for the error message


TEXT = FieldKind(_text, 'a text in quotes, e.g. "S011"')
INT = FieldKind(_int, "a whole number, e.g. 10")
BOOL = FieldKind(_bool, "true or false")
DATE = FieldKind(_date, "a date, e.g. 2025-03-31")
DATETIME = FieldKind(_datetime, "a date-time, e.g. 2025-03-04T09:00:00")
SPANS = FieldKind(_spans, "a list of [first day, last day] pairs, e.g. [[2025-03-10, 2025-03-14]]")
TEXTS = FieldKind(_texts, 'a text or a list of texts, e.g. "视为受理"')

# Expected finding: the keys of the findings document (README), facts flattened.
FINDING_FIELDS: dict[str, FieldKind] = {
    "case": TEXT,
    "lapse": TEXT,
    "person": TEXT,
    "responsibility": TEXT,
    "unit": TEXT,
    "grade": TEXT,
    "category": TEXT,
    "deadline": DATE,
    "overdue_workdays": INT,
    "overdue_days": INT,
    "ongoing": BOOL,
    "state": TEXT,
    "suspended": SPANS,
    "extensions_accepted": INT,
    "extensions_refused": INT,
    "provisional": BOOL,
    "event_time": DATETIME,
    "index": INT,
    "reason": TEXT,
    "deadline_at": DATETIME,
    "overdue_hours": INT,
    "promised_deadline": DATE,
    "promised_breached": BOOL,
    "promised_overdue_workdays": INT,
    "restarts": INT,
    "base_grade": TEXT,
    "exempt": BOOL,
    "time_barred": BOOL,
    "not_pursued": BOOL,
    "conduct": DATE,
    "version": TEXT,
    "explains": TEXTS,
}
CLOCK_FIELDS: dict[str, FieldKind] = {
    "case": TEXT,
    "clock": TEXT,
    "state": TEXT,
    "start": DATE,
    "started_by": TEXT,
    "deadline": DATE,
    "overdue_workdays": INT,
    "overdue_days": INT,
    "remaining_workdays": INT,
    "extensions": INT,
    "refused_extensions": INT,
    "suspended": SPANS,
    "deadline_at": DATETIME,
    "overdue_hours": INT,
    "promised_deadline": DATE,
    "promised_breached": BOOL,
    "promised_overdue_workdays": INT,
    "restarts": INT,
}
# Keys of a finding's `facts` an expectation compares as they are (others are derived).
FACT_KEYS = (
    "deadline",
    "overdue_workdays",
    "overdue_days",
    "ongoing",
    "state",
    "index",
    "reason",
    "extensions_accepted",
    "extensions_refused",
    "event_time",
    "deadline_at",
    "overdue_hours",
    "promised_deadline",
    "promised_breached",
    "promised_overdue_workdays",
    "restarts",
)
ABSENCE_FIELDS: dict[str, FieldKind] = {"case": TEXT, "lapse": TEXT}
CLOCK_STATES = ("inactive", "undetermined", "running", "met", "late", "overdue")
TOP_KEYS = (
    "title",
    "as_of",
    "history",
    "policy",
    "roster",
    "votes",
    "sanctions",
    "no_other_findings",
    "finding",
    "clock",
    "no_finding",
)
REGISTERS = ("roster", "votes", "sanctions")  # CSV files beside the test, as for `wenze audit`


@dataclass(frozen=True)
class Expectation:
    """One `[[finding]]`, `[[clock]]` or `[[no_finding]]` table."""

    kind: str  # finding | clock | no_finding
    line: int
    case: str
    name: str  # lapse id (finding, no_finding: "" = any lapse) or clock name
    fields: Mapping[str, Value]  # the other keys, normalised
    key_lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TestSpec:
    path: Path  # the .expect.toml file
    name: str  # its stem without .expect
    title: str
    as_of: date
    history: Path
    policy: str  # "" = every policy of the folder; else an id or id@version
    registers: Mapping[str, tuple[Path, int]]  # roster/votes/sanctions -> (file, line)
    no_other_findings: bool
    findings: tuple[Expectation, ...]
    clocks: tuple[Expectation, ...]
    absences: tuple[Expectation, ...]

    @property
    def file(self) -> str:
        return str(self.path)


# ------------------------------------------------------------------ reading


def read_spec(path: Path) -> TestSpec:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise SpecError(file, 1, f"cannot read the test file: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise SpecError(file, 1, "the test file is not UTF-8 text; save it as UTF-8") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _toml_error(file, str(e)) from None
    lines = _KeyLines(text)
    return _spec(path, doc, lines)


def _toml_error(file: str, message: str) -> SpecError:
    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    line = int(m.group(1)) if m else 1
    what = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) if m else message
    hint = " (texts go between straight double quotes; dates are written 2025-03-31)"
    return SpecError(file, line, f"not valid TOML: {what}{hint}")


def _spec(path: Path, doc: dict[str, Any], lines: _KeyLines) -> TestSpec:
    file = str(path)
    for key in doc:
        if key not in TOP_KEYS:
            raise SpecError(file, lines.at(None, 0, key), _unknown_key(key, TOP_KEYS, "the file"))
    if "as_of" not in doc:
        raise SpecError(file, 1, "missing as_of: the audit date, e.g. as_of = 2025-05-30")
    as_of = _date(doc["as_of"])
    if as_of is None:
        raise SpecError(file, lines.at(None, 0, "as_of"), f"as_of must be {DATE.shape}")
    name = path.name.removesuffix(EXPECT_SUFFIX)
    history_name = doc.get("history", f"{name}.csv")
    if not isinstance(history_name, str) or not history_name:
        raise SpecError(file, lines.at(None, 0, "history"), "history must name a CSV file")
    history = path.parent / history_name
    if not history.is_file():
        line = lines.at(None, 0, "history") if "history" in doc else 1
        raise SpecError(
            file, line, f'the history {history} does not exist (write history = "FILE.csv")'
        )
    registers: dict[str, tuple[Path, int]] = {}
    for key in REGISTERS:
        register = _top(doc, key, TEXT, "", lines, file)
        if register:
            registers[key] = (path.parent / str(register), lines.at(None, 0, key))
    title = _top(doc, "title", TEXT, "", lines, file)
    policy = _top(doc, "policy", TEXT, "", lines, file)
    no_other = _top(doc, "no_other_findings", BOOL, False, lines, file)
    return TestSpec(
        path=path,
        name=name,
        title=str(title),
        as_of=date.fromisoformat(as_of),
        history=history,
        policy=str(policy),
        registers=registers,
        no_other_findings=bool(no_other),
        findings=tuple(_tables(doc, "finding", FINDING_FIELDS, ("case", "lapse"), lines, file)),
        clocks=tuple(_tables(doc, "clock", CLOCK_FIELDS, ("case", "clock"), lines, file)),
        absences=tuple(_tables(doc, "no_finding", ABSENCE_FIELDS, ("case",), lines, file)),
    )


def _top(
    doc: dict[str, Any], key: str, kind: FieldKind, default: Value, lines: _KeyLines, file: str
) -> Value:
    if key not in doc:
        return default
    value = kind.read(doc[key])
    if value is None:
        raise SpecError(file, lines.at(None, 0, key), f"{key} must be {kind.shape}")
    return value


def _tables(
    doc: dict[str, Any],
    kind: str,
    fields: Mapping[str, FieldKind],
    required: tuple[str, ...],
    lines: _KeyLines,
    file: str,
) -> Iterable[Expectation]:
    raw = doc.get(kind, [])
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise SpecError(file, lines.at(None, 0, kind), f"write each {kind} as a [[{kind}]] table")
    for i, table in enumerate(raw):
        head = lines.table_line(kind, i)
        for key in required:
            if key not in table:
                raise SpecError(file, head, f"[[{kind}]] needs {key} = …")
        values: dict[str, Value] = {}
        key_lines: dict[str, int] = {}
        for key, v in table.items():
            line = lines.at(kind, i, key)
            if key not in fields:
                raise SpecError(file, line, _unknown_key(key, tuple(fields), f"[[{kind}]]"))
            value = fields[key].read(v)
            if value is None:
                raise SpecError(file, line, f"{key} must be {fields[key].shape}")
            values[key] = value
            key_lines[key] = line
        case = str(values.pop("case"))
        name = str(values.pop("clock" if kind == "clock" else "lapse", ""))
        yield Expectation(kind, head, case, name, values, key_lines)


def _close(word: str, known: Iterable[str], cutoff: float) -> list[str]:
    """The closest names; a runner-up only when it is about as close (a tie to choose)."""
    scored = sorted(
        ((difflib.SequenceMatcher(None, word, k).ratio(), k) for k in known), reverse=True
    )
    best = scored[0][0] if scored else 0.0
    return [k for r, k in scored[:2] if r >= cutoff and r >= best - 0.05]


def _unknown_key(key: str, known: tuple[str, ...], where: str) -> str:
    close = _close(key, known, 0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return f"unknown key {key!r} in {where}; {hint}known keys: {', '.join(known)}"


class _KeyLines:
    """Lines where keys and `[[table]]` headers are written, for error messages.

    tomllib gives values, not positions; drafters write one `key = value` per line, so a
    scan of the text finds them. Anything unusual falls back to the table's line."""

    _HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_]+)\s*\]\]")
    _KEY = re.compile(r'^\s*"?([^"=\s]+)"?\s*=')

    def __init__(self, text: str) -> None:
        self._tables: dict[str, list[int]] = {}
        self._keys: dict[tuple[str | None, int, str], int] = {}
        current: tuple[str | None, int] = (None, 0)
        for n, line in enumerate(text.splitlines(), start=1):
            head = self._HEADER.match(line)
            if head:
                starts = self._tables.setdefault(head.group(1), [])
                starts.append(n)
                current = (head.group(1), len(starts) - 1)
                continue
            key = self._KEY.match(line)
            if key:
                self._keys.setdefault((*current, key.group(1)), n)

    def table_line(self, kind: str, index: int) -> int:
        starts = self._tables.get(kind, [])
        return starts[index] if index < len(starts) else 1

    def at(self, kind: str | None, index: int, key: str) -> int:
        found = self._keys.get((kind, index, key))
        if found is not None:
            return found
        return self.table_line(kind, index) if kind is not None else 1


# ------------------------------------------------------------------ validating


def validate(spec: TestSpec, policies: list[Policy], cases: Iterable[str]) -> None:
    """Every name in the expectations must exist: a misspelt lapse would otherwise make a
    test that can never fail (or never pass) for the wrong reason."""
    known_cases = set(cases)
    lapses = {lap.id: (pol, lap) for pol in policies for lap in pol.lapses}
    clocks = {c.name for pol in policies for c in pol.clocks}
    for e in (*spec.findings, *spec.clocks, *spec.absences):
        at = e.key_lines.get
        if e.case not in known_cases:
            msg = f"case {e.case!r} is not in {spec.history.name}"
            _fail(spec, at("case", e.line), msg, e.case, known_cases)
        if e.kind == "clock":
            if e.name not in clocks:
                msg = f"the policy has no clock {e.name!r}"
                _fail(spec, at("clock", e.line), msg, e.name, clocks)
            _check_state(spec, e)
            continue
        if e.name and e.name not in lapses:
            msg = f"the policy has no lapse {e.name!r}"
            _fail(spec, at("lapse", e.line), msg, e.name, set(lapses))
        grade = e.fields.get("grade")
        if e.kind == "finding" and isinstance(grade, str) and grade:
            pol, lapse = lapses[e.name]
            levels = pol.ladder(lapse.grading.ladder).levels
            if grade not in levels:
                line = e.key_lines.get("grade", e.line)
                _fail(
                    spec,
                    line,
                    f"grade {grade!r} is not a level of ladder {lapse.grading.ladder} "
                    f"({' < '.join(levels)})",
                    grade,
                    set(levels),
                )


def _check_state(spec: TestSpec, e: Expectation) -> None:
    state = e.fields.get("state")
    if state is not None and state not in CLOCK_STATES:
        line = e.key_lines.get("state", e.line)
        _fail(
            spec,
            line,
            f"state {state!r} is not one of {', '.join(CLOCK_STATES)}",
            str(state),
            set(CLOCK_STATES),
        )


def _fail(spec: TestSpec, line: int, message: str, word: str, known: set[str]) -> None:
    close = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise SpecError(spec.file, line, message + hint)
