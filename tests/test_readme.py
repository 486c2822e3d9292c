"""The README tells the truth: its tour commands run, and its example finding is real.

Every `wenze …` line of the five-minute tour runs (in a scratch folder that sees the
repository's fixtures and policies) with the exit code the tour promises, and the example
finding at the top of the README is reproduced line for line by `wenze report`.
"""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block_after(heading: str) -> str:
    section = README[README.index(heading) :]
    return section[section.index("```") + 3 : section.index("```", section.index("```") + 3)]


def _tour_commands() -> list[list[str]]:
    text = _block_after("## A five-minute tour").replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].split("|", 1)[0].strip()
        if line.startswith("wenze ") and "/tmp/typo.policy" not in line:
            commands.append(shlex.split(line)[1:])
    return commands


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("fixtures", "policies"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(args: list[str]) -> tuple[int, str, str]:
    import sys

    out, err = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(args)
    finally:
        sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def test_every_tour_command_runs(scratch: Path) -> None:
    commands = _tour_commands()
    assert [c[0] for c in commands] == [
        "check",
        "calendar",
        "calendar",
        "audit",
        "report",
        "report",
    ]
    for args in commands:
        code, _out, err = _run(args)
        assert code == 0, (args, err)
    assert _run(["calendar", "add", "2026-02-10", "20"])[1].splitlines()[-1] == "2026-03-16"
    assert (scratch / "out" / "findings.json").exists() and (scratch / "out" / "report.md").exists()


def test_the_typo_in_the_tour_is_pointed_at(scratch: Path) -> None:
    text = (ROOT / "policies/licensing/licensing.policy").read_text(encoding="utf-8")
    (scratch / "typo.policy").write_text(
        text.replace("start at 受理", "start at 受里"), encoding="utf-8"
    )
    code, _out, err = _run(["check", "typo.policy"])
    assert code == 2 and "did you mean" in err and "受理" in err and "^" in err


def test_the_example_finding_is_what_wenze_reports(scratch: Path) -> None:
    example = README[README.index("```\n[") + 4 : README.index("```", README.index("```\n[") + 4)]
    assert (
        _run(
            [
                "audit",
                "fixtures/sample/licensing_sample.csv",
                "--policy",
                "policies/licensing",
                "--as-of",
                "2026-11-20",
                "--quiet",
            ]
        )[0]
        == 0
    )
    code, report, _err = _run(["report", "latest"])
    assert code == 0
    lines = [ln for ln in example.splitlines() if re.match(r"\s+\d\. |\[", ln)]
    assert len(lines) >= 8
    for line in lines:
        assert line in report, line
