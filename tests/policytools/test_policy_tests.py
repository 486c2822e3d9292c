"""`wenze test`: the shipped policies' tests pass with full coverage, failures read well,
and every mistake in a test file is a `file:line` message with exit code 2, never a trace."""

from __future__ import annotations

import io
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from engine.cli_policy import run_test

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
LICENSING = POLICIES / "licensing"


def wenze_test(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_test(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


def policy_folders() -> list[Path]:
    return sorted({p.parent for p in POLICIES.rglob("*.policy") if "tests" not in p.parts})


@pytest.mark.parametrize("folder", policy_folders(), ids=lambda p: p.name)
def test_every_shipped_policy_passes_its_tests_with_full_coverage(folder: Path) -> None:
    if not (folder / "tests").is_dir():
        # Visible in the summary (-ra); once tests/ exists the full gate below applies.
        pytest.skip(
            f"{folder.name} has no tests yet: `wenze test {folder.relative_to(ROOT)} --coverage` "
            f"lists every branch to cover"
        )
    code, out, err = wenze_test(str(folder), "--fail-under", "100")
    assert code == 0, out + err
    assert "failed" in out and " 0 failed" in out
    assert "(100%)" in out and "not tested" not in out, out


def test_licensing_tests_pass_on_the_durable_rules_stage_too() -> None:
    code, out, err = wenze_test(str(LICENSING), "--engine", "durable")
    assert code == 0, out + err
    assert re.search(r"^\d+ passed, 0 failed$", out, re.M), out


def test_one_line_per_test_and_a_summary() -> None:
    code, out, _ = wenze_test(str(LICENSING))
    lines = out.splitlines()
    tests = sorted((LICENSING / "tests").glob("*.expect.toml"))
    assert code == 0
    assert [ln.split()[1] for ln in lines[: len(tests)]] == [
        str(LICENSING / "tests" / t.name) for t in tests
    ]
    assert all(ln.startswith("PASS  ") for ln in lines[: len(tests)])
    assert lines[-1] == f"{len(tests)} passed, 0 failed"


# ------------------------------------------------------------------ a scratch policy folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the licensing policy with one of its tests."""
    (tmp_path / "tests").mkdir()
    shutil.copy(LICENSING / "licensing.policy", tmp_path)
    for name in ("decision_bands.csv", "decision_bands.expect.toml"):
        shutil.copy(LICENSING / "tests" / name, tmp_path / "tests" / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_failing_test_shows_expected_against_actual_and_how_the_engine_got_there(
    folder: Path,
) -> None:
    expect = folder / "tests" / "decision_bands.expect.toml"
    edit(
        expect,
        'grade = "效能告诫"\noverdue_workdays = 11',
        'grade = "通报批评"\noverdue_workdays = 12',
    )
    code, out, _ = wenze_test(str(folder))
    assert code == 1
    assert out.startswith(f"FAIL  {expect}")
    assert (
        "decision_bands.expect.toml:39: case D3 · decision_late 逾期作出许可决定 — differs" in out
    )
    rows = {
        ln.split()[1]: ln.split()[2:]
        for ln in out.splitlines()
        if ln.strip().startswith("✗ ") and len(ln.split()) == 4
    }
    assert rows["grade"] == ["通报批评", "效能告诫"]
    assert rows["overdue_workdays"] == ["12", "11"]
    assert "期限届满日 2026-03-16" in out  # the engine's own explanation follows
    assert "unexpected" not in out  # the near miss is shown once, as a difference
    assert out.rstrip().endswith("0 passed, 1 failed")


def test_a_missing_and_an_unexpected_finding_are_named(folder: Path) -> None:
    expect = folder / "tests" / "decision_bands.expect.toml"
    edit(expect, 'case = "D1"\nlapse = "decision_late"', 'case = "D0"\nlapse = "decision_late"')
    code, out, _ = wenze_test(str(folder))
    assert code == 1
    assert (
        "expected a decision_late finding for case D0 — none found (case D0 has no finding)" in out
    )
    assert "unexpected finding (no_other_findings = true): case D1 · decision_late" in out


def test_no_finding_tables_fail_when_the_engine_finds_one(folder: Path) -> None:
    expect = folder / "tests" / "decision_bands.expect.toml"
    expect.write_text(
        'as_of = 2026-04-30\n\n[[no_finding]]\ncase = "D0"\n\n[[no_finding]]\ncase = "D1"\n'
        'lapse = "decision_late"\n',
        encoding="utf-8",
    )
    code, out, _ = wenze_test(str(folder))
    assert code == 1
    assert "✗ unexpected finding (decision_bands.expect.toml:6 says there is none): case D1" in out
    assert out.count("unexpected") == 1  # the other cases are not asserted on


def test_run_selects_tests_by_path_or_title(folder: Path) -> None:
    assert wenze_test(str(LICENSING), "--run", "春节")[1].count("PASS") == 1
    assert wenze_test(str(LICENSING), "--run", "^nothing")[0] == 2
    code, _, err = wenze_test(str(LICENSING), "--run", "(")
    assert code == 2 and "not a valid pattern" in err


def test_coverage_points_at_the_untested_band_with_its_line(folder: Path) -> None:
    expect = folder / "tests" / "decision_bands.expect.toml"
    text = expect.read_text(encoding="utf-8")
    start = text.index("# D4")
    expect.write_text(text[:start], encoding="utf-8")  # drop the 21.. examples (D4, D5)
    edit(expect, "no_other_findings = true", "")
    code, out, _ = wenze_test(str(folder), "--coverage")
    assert code == 0
    policy = folder / "licensing.policy"
    line = next(
        n
        for n, t in enumerate(policy.read_text(encoding="utf-8").splitlines(), 1)
        if t.strip() == "21.. 通报批评"
    )
    assert (
        f"{policy}:{line}: band 21.. 通报批评 of lapse decision_late — no test expects a "
        "decision_late finding graded 通报批评" in out
    )
    assert "lapse notice_piecemeal" in out and "%)" in out
    assert wenze_test(str(folder), "--fail-under", "90")[0] == 1


def test_a_policy_without_tests_is_reported_with_everything_untested(tmp_path: Path) -> None:
    shutil.copy(LICENSING / "licensing.policy", tmp_path)
    code, out, _ = wenze_test(str(tmp_path), "--coverage")
    assert code == 0
    assert out.startswith(f"NO TESTS  {tmp_path} (licensing 2019-04-23)")
    assert "0 of " in out and "(0%) — no tests: write them in" in out
    assert wenze_test(str(tmp_path), "--fail-under", "100")[0] == 1


def test_print_actual_gives_tables_that_pass_when_pasted(folder: Path) -> None:
    expect = folder / "tests" / "decision_bands.expect.toml"
    code, out, _ = wenze_test(str(expect), "--print-actual")
    assert code == 0
    printed = out.split("# what the engine found in decision_bands.expect.toml:\n", 1)[1]
    printed = printed.rsplit("\n\n", 1)[0]
    assert len(tomllib.loads(printed)["finding"]) == 5
    head = "as_of = 2026-04-30\nno_other_findings = true\n"
    expect.write_text(head + printed, encoding="utf-8")
    assert wenze_test(str(expect))[0] == 0


def test_a_test_file_or_its_history_csv_can_be_named(folder: Path) -> None:
    t = folder / "tests" / "decision_bands"
    for path in (f"{t}.expect.toml", f"{t}.csv", str(folder / "licensing.policy")):
        assert wenze_test(path)[1].startswith("PASS"), path


# ------------------------------------------------------------------ mistakes → file:line, exit 2

BAD = "decision_bands.expect.toml"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            'lapse = "decision_late"',
            'lapse = "decision_lat"',
            22,
            "the policy has no lapse 'decision_lat'; did you mean 'decision_late'?",
        ),
        (
            'grade = "提醒谈话"',
            'grade = "提醒"',
            24,
            "grade '提醒' is not a level of ladder 效能问责 (提醒谈话 < 批评教育 <",
        ),
        (
            "overdue_workdays = 3",
            "overdue_workday = 3",
            26,
            "unknown key 'overdue_workday' in [[finding]]; did you mean overdue_workdays?",
        ),
        (
            "overdue_workdays = 3",
            'overdue_workdays = "3"',
            26,
            "overdue_workdays must be a whole number, e.g. 10",
        ),
        (
            "deadline = 2026-03-16\nstate",
            'deadline = "16/03/2026"\nstate',
            16,
            "deadline must be a date, e.g. 2025-03-31",
        ),
        ('case = "D1"', 'case = "D9"', 21, "case 'D9' is not in decision_bands.csv"),
        ('clock = "许可决定时限"', 'clock = "许可决定"', 15, "the policy has no clock '许可决定'"),
        (
            'state = "met"',
            'state = "done"',
            17,
            "state 'done' is not one of inactive, undetermined",
        ),
        ("as_of = 2026-04-30", "as_of = 2026-04-31", 9, "not valid TOML"),
        ("as_of = 2026-04-30", "", 1, "missing as_of: the audit date"),
        ("as_of = 2026-04-30", 'as_of = 2026-04-30\nhistory = "nope.csv"', 10, "does not exist"),
        ("title =", "titel =", 8, "unknown key 'titel' in the file; did you mean title?"),
        ('[[finding]]\ncase = "D1"', "[[finding]]\n# no case", 20, "[[finding]] needs case = …"),
    ],
)
def test_mistakes_in_a_test_file_are_errors_with_file_and_line(
    folder: Path, old: str, new: str, line: int, message: str
) -> None:
    expect = folder / "tests" / BAD
    edit(expect, old, new)
    code, out, err = wenze_test(str(folder))
    assert code == 2, out + err
    assert f"ERROR {expect}" in out
    assert f"{expect}:{line}: " in out and message in out, out
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "D1,D1-3,2026-03-19T10:00:00,作出决定",
            "D1,D1-3,2026-03-19T10:00:00,作决定",
            7,
            "unknown_activity [activity] activity '作决定' is not in the policy vocabulary",
        ),
        ("D1,D1-3,2026-03-19T10:00:00", "D1,D1-3,2026-05-19T10:00:00", 7, "after_as_of [time]"),
        ("D1,D1-3,2026-03-19T10:00:00", "D1,D1-2,2026-03-19T10:00:00", 7, "duplicate_event_id"),
    ],
)
def test_defects_in_a_history_are_errors_with_its_file_and_line(
    folder: Path, old: str, new: str, line: int, message: str
) -> None:
    csv = folder / "tests" / "decision_bands.csv"
    edit(csv, old, new)
    code, out, _ = wenze_test(str(folder))
    assert code == 2
    assert f"{csv}:{line}: {message}" in out, out


def test_a_policy_that_does_not_check_stops_its_tests_with_exit_2(folder: Path) -> None:
    edit(folder / "licensing.policy", "start at 受理", "start at 受里")
    code, _, err = wenze_test(str(folder))
    assert code == 2
    assert "N201" in err and "its tests were not run" in err
    assert "Traceback" not in err


def test_paths_that_name_nothing_are_usage_errors(tmp_path: Path) -> None:
    assert wenze_test(str(tmp_path / "missing.policy"))[0] == 2
    lone = tmp_path / "lone.expect.toml"
    lone.write_text("as_of = 2025-01-01\n", encoding="utf-8")
    code, _, err = wenze_test(str(lone))
    assert code == 2 and "no *.policy file in any folder above this test" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert wenze_test(str(empty))[0] == 2


def test_a_test_may_name_one_policy_of_its_folder(folder: Path) -> None:
    expect = folder / "tests" / BAD
    edit(expect, "as_of =", 'policy = "licensing@2019-04-23"\nas_of =')
    assert wenze_test(str(expect))[0] == 0
    edit(expect, 'policy = "licensing@2019-04-23"', 'policy = "handling"')
    code, out, _ = wenze_test(str(expect))
    assert code == 2 and "policy 'handling' is not in the folder (licensing@2019-04-23)" in out
