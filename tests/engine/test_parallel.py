"""Work in forked processes (engine.parallel) and `wenze audit --jobs N`: more processes,
the very same findings; a share that raises, dies or hangs is done again by the parent.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from engine import cli_audit, parallel
from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "fixtures" / "sample" / "licensing_sample.csv")

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs POSIX fork")


def test_a_screen_that_dies_is_screened_again_by_the_parent() -> None:
    parent = os.getpid()

    def screen(share: list[int]) -> int:
        if os.getpid() != parent and share[0] == 10:
            os._exit(9)  # as a native crash would: no exception, no result
        return sum(share)

    screens = parallel.Screens([[1, 2], [10, 20], [5]], screen)
    assert screens.results() == [3, 30, 5]


@pytest.mark.parametrize("stage", ["python", "durable"])
def test_cli_jobs(stage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_audit, "SHARD_MIN_BYTES", 0)  # the sample is sharded too
    docs = []
    for jobs in ("1", "3"):
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
                "--engine",
                stage,
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


def test_early_rule_workers_are_handed_over_and_stopped() -> None:
    """`early_workers` starts a rule worker per policy before the exports are read; the
    audit takes the one of its policy (once), and every worker is stopped on exit."""
    from datetime import date

    from dsl.api import load_policies
    from engine.calendar import load_cn_calendar
    from engine.derive import derive_case
    from engine.loader_csv import load_exports
    from engine.match import _EARLY, DurableStage, early_workers, match_python

    root = Path(__file__).resolve().parents[2]
    licensing = load_policies(str(root / "policies" / "licensing"))[0][0]
    road = load_policies(str(root / "policies" / "road_fines"))[0][0]
    loaded = load_exports([str(root / "fixtures" / "sample" / "licensing_sample.csv")])
    facts = [
        derive_case(h, licensing, load_cn_calendar(), date(2026, 11, 20))
        for h in loaded.cases.values()
    ]
    with early_workers([licensing, road]):
        spawned = [s._matcher._starting for s in _EARLY]
        assert len(spawned) == 2 and all(p is not None for p in spawned)
        stage = DurableStage.take(licensing)
        assert stage._matcher._starting is spawned[0]  # the early worker, not a new one
        assert DurableStage.take(licensing) is not stage  # handed over once only
        with stage:
            oracle = sorted(m for f in facts for m in match_python(f, licensing))
            assert stage.match(facts) == oracle
        assert stage._matcher._proc is None  # stopped with its `with`
    assert _EARLY == []
    for proc, _conn in spawned:  # type: ignore[misc]
        proc.join(10)
        assert not proc.is_alive()  # the road worker nobody took is stopped too
