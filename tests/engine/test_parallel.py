"""Parallel screening (`wenze audit --jobs N`): more processes, the very same findings.

The shares are made small here (the shipped sample has 200 cases) so that every test
really forks; a screen that dies is screened again by the parent.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date
from pathlib import Path

import pytest

from dsl.api import load_policies
from engine import parallel
from engine.audit import audit_policies
from engine.calendar import load_cn_calendar
from engine.cli import main
from engine.loader_csv import load_exports

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "fixtures" / "sample" / "licensing_sample.csv")
CAL = load_cn_calendar()

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs POSIX fork")


def _audit(policy_dir: str, jobs: int, stage: str) -> list[dict[str, object]]:
    policies = load_policies(str(ROOT / "policies" / policy_dir))[0]
    loaded = load_exports([SAMPLE])
    out = audit_policies(loaded.cases, policies, CAL, date(2026, 11, 20), stage=stage, jobs=jobs)
    return [f.as_json() for f in out.findings]


@pytest.mark.parametrize("stage", ["python", "durable"])
def test_more_jobs_give_the_same_findings(stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_CASES_PER_JOB", 40)
    one = _audit("licensing", 1, stage)
    assert len(parallel.split_cases(list(range(200)), 3)) == 3  # really three processes
    three = _audit("licensing", 3, stage)
    assert one and three == one


def test_split_keeps_every_case_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_CASES_PER_JOB", 10)
    cases = list(range(95))
    shares = parallel.split_cases(cases, 4)
    assert [len(s) for s in shares] == [24, 24, 24, 23]
    assert [c for s in shares for c in s] == cases
    assert parallel.split_cases(cases, 1) == [cases]
    assert parallel.split_cases(cases[:15], 4) == [cases[:15]]  # too small to share


def test_a_screen_that_dies_is_screened_again_by_the_parent() -> None:
    parent = os.getpid()

    def screen(share: list[int]) -> int:
        if os.getpid() != parent and share[0] == 10:
            os._exit(9)  # as a native crash would: no exception, no result
        return sum(share)

    screens = parallel.Screens([[1, 2], [10, 20], [5]], screen)
    assert screens.results() == [3, 30, 5]


def test_cli_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_CASES_PER_JOB", 50)
    docs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}.json"
        code = main(
            [
                "audit",
                SAMPLE,
                "--policy",
                str(ROOT / "policies" / "licensing"),
                "--as-of",
                "2026-11-20",
                "--db",
                f"sqlite:///{tmp_path / ('j' + jobs + '.db')}",
                "--json",
                str(out),
                "--quiet",
                "--jobs",
                jobs,
            ]
        )
        assert code == 0
        assert not out.with_name(out.name + ".partial").exists()  # renamed once complete
        docs.append(json.loads(out.read_text(encoding="utf-8"))["findings"])
    assert docs[0] and docs[0] == docs[1]


def test_cli_rejects_a_negative_job_count(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", SAMPLE, "--policy", "policies/licensing", "--jobs", "-1"])
    assert code == 2
    assert "cannot be negative" in capsys.readouterr().err


def test_a_screen_that_hangs_is_killed_and_screened_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(parallel, "HANG_GRACE_S", 1.0)
    parent = os.getpid()

    def screen(share: list[int]) -> int:
        if os.getpid() != parent and share[0] == 10:
            time.sleep(600)  # stuck, as a hung native call would be
        return sum(share)

    t0 = time.monotonic()
    screens = parallel.Screens([[1, 2], [10, 20]], screen)
    assert screens.results() == [3, 30]
    assert time.monotonic() - t0 < 60  # it did not wait for the sleeper


def test_a_screen_that_raises_is_screened_again_and_raises_here() -> None:
    def screen(share: list[int]) -> int:
        raise ValueError(f"bug on {share}")

    with pytest.raises(ValueError, match="bug on"):
        parallel.Screens([[1], [2]], screen).results()
