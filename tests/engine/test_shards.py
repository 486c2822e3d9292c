"""Sharded audits (`wenze audit --jobs N` on a large input): every process loads and
screens its share, and the result is byte for byte that of one process — findings,
defects, quarantine, counts — also when a check spans shares and the audit falls back.

The size threshold is lowered so that the small in-repo exports really are sharded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from engine import cli_audit, parallel, shards
from engine.audit import AuditOutcome
from engine.cli import main
from engine.loaders import Checks, load, xes
from engine.loaders.result import LoadResult
from engine.shards import Share, merge_shares

real_merge = merge_shares

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "sample" / "licensing_sample.csv"
ROAD = ROOT / "fixtures" / "real_samples" / "road_fines_sample.xes.gz"
BPIC = ROOT / "fixtures" / "real_samples" / "bpic2015_1_sample.xes.gz"

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs POSIX fork")


def _audit_json(
    tmp_path: Path, export: Path, jobs: int, extra: list[str], name: str
) -> tuple[int, str, str]:
    out = tmp_path / f"{name}-{jobs}.json"
    quarantine = tmp_path / f"{name}-{jobs}-q.csv"
    code = main(
        [
            "audit",
            str(export),
            "--db",
            f"sqlite:///{tmp_path / f'{name}-{jobs}.db'}",
            "--json",
            str(out),
            "--quarantine",
            str(quarantine),
            "--quiet",
            "--jobs",
            str(jobs),
            *extra,
        ]
    )
    q = quarantine.read_text(encoding="utf-8-sig") if quarantine.exists() else ""
    return code, out.read_text(encoding="utf-8"), q


CASES = [
    ("sample", SAMPLE, ["--policy", "policies/licensing", "--as-of", "2026-11-20"]),
    (
        "road",
        ROAD,
        [
            "--policy",
            "policies/road_fines",
            "--as-of",
            "2013-06-18",
            "--profile",
            "fixtures/profiles/road_fines.toml",
        ],
    ),
    (
        # An earlier as-of: XES rows quarantined (after_as_of) beside missing-actor defects.
        "road-early",
        ROAD,
        [
            "--policy",
            "policies/road_fines",
            "--as-of",
            "2010-01-01",
            "--profile",
            "fixtures/profiles/road_fines.toml",
        ],
    ),
    (
        "bpic",
        BPIC,
        [
            "--policy",
            "policies/wabo",
            "--as-of",
            "2015-03-10",
            "--profile",
            "fixtures/profiles/bpic2015.toml",
        ],
    ),
]


@pytest.mark.parametrize(("name", "export", "extra"), CASES, ids=[c[0] for c in CASES])
def test_shards_give_the_bytes_of_one_process(
    name: str,
    export: Path,
    extra: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(cli_audit, "SHARD_MIN_BYTES", 0)
    # Small blocks, so that each share of an XES file parses some and skips the others.
    monkeypatch.setattr(xes, "_CHUNK", 1 << 14)
    merged: list[object] = []

    def spy(shares: list[Share]) -> object:
        merged.append(result := real_merge(shares))
        return result

    monkeypatch.setattr(shards, "merge_shares", spy)
    one = _audit_json(tmp_path, export, 1, extra, name)
    three = _audit_json(tmp_path, export, 3, extra, name)
    assert len(merged) == 1 and merged[0] is not None  # three shares really were merged
    assert '"findings": []' not in one[1]  # the comparison is about something
    if name == "road-early":
        assert '"defects": []' not in one[1] and one[2].count("\n") > 100
    assert three == one


def _defective_export(tmp_path: Path, extra_rows: list[str]) -> Path:
    """The shipped sample plus defective rows (a bad time, an unknown activity, a short
    row, an event after as-of) appended at the end."""
    lines = SAMPLE.read_text(encoding="utf-8-sig").splitlines()
    width = lines[0].count(",")
    pad = "," * (width - 7)
    rows = [
        f"XK900001,EX1,昨天,收件,S1,,窗口人员,审批科{pad}",
        f"XK900002,EX2,2025-03-06T09:00:00,开会,S1,,窗口人员,审批科{pad}",
        "XK900003,EX3,2025-03-06T09:00:00",
        f"XK900004,EX4,2031-01-04T09:00:00,收件,S1,,窗口人员,审批科{pad}",
        f",EX5,2025-03-06T09:00:00,收件,S1,,窗口人员,审批科{pad}",
        *extra_rows,
    ]
    path = tmp_path / "defective.csv"
    path.write_text("\n".join(lines + rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "extra_rows",
    [
        [],
        # The same event id in another case: a check across shares (may fall back).
        ["XK000003,E000001,2025-03-06T09:00:00,收件,S1,,窗口人员,审批科{pad}"],
        # One aware time among naive ones: which is odd needs every row (falls back).
        ["XK000004,EX9,2025-03-06T09:00:00+08:00,收件,S1,,窗口人员,审批科{pad}"],
    ],
    ids=["defects", "duplicate-id", "naive-aware-mix"],
)
def test_defects_and_quarantine_are_those_of_one_process(
    extra_rows: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(cli_audit, "SHARD_MIN_BYTES", 0)
    width = SAMPLE.read_text(encoding="utf-8-sig").splitlines()[0].count(",")
    pad = "," * (width - 7)
    export = _defective_export(tmp_path, [r.replace("{pad}", pad) for r in extra_rows])
    extra = ["--policy", "policies/licensing", "--as-of", "2026-11-20"]
    one = _audit_json(tmp_path, export, 1, extra, "d")
    three = _audit_json(tmp_path, export, 3, extra, "d")
    assert one[2].count("\n") >= 5  # rows really were quarantined
    assert three == one


def test_a_sharded_load_keeps_every_row_exactly_once() -> None:
    full = load([str(SAMPLE)], checks=Checks())
    shares = [load([str(SAMPLE)], checks=Checks(shard=(k, 3))) for k in range(3)]
    ids = sorted(e.event_id for s in shares for c in s.cases.values() for e in c.events)
    assert ids == sorted(e.event_id for c in full.cases.values() for e in c.events)
    assert sum(s.rows_in for s in shares) == full.rows_in


def _share(
    ids: list[str], kinds: tuple[int, int] = (1, 0), cases: list[str] | None = None
) -> Share:
    loaded = LoadResult(cases={}, event_ids=ids, kind_counts={"x.csv": kinds})
    case_ids = [f"case-{i}" for i in ids] if cases is None else cases
    return Share(loaded, 0, 0, AuditOutcome(findings=[]), {}, case_ids)


def test_checks_that_span_shares_refuse_to_merge() -> None:
    assert merge_shares([_share(["a", "b"]), _share(["c"])]) is not None
    assert merge_shares([_share(["a", "b"]), _share(["b"])]) is None  # duplicate id
    assert merge_shares([_share(["a"]), _share(["b"], (0, 1))]) is None  # naive + aware
    # One case's traces in two shares' blocks of an XES file.
    assert merge_shares([_share(["a"], cases=["C1"]), _share(["b"], cases=["C1"])]) is None


def test_a_share_that_crashes_is_screened_again_by_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forked share runs durable_rules in its own process; if it dies as a native crash
    would, the parent screens that share itself, through the rule worker."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(cli_audit, "SHARD_MIN_BYTES", 0)
    parent = os.getpid()
    real_screen = shards.screen_share

    def crashing(*args: Any, **kwargs: Any) -> Share:
        if os.getpid() != parent:
            os._exit(11)  # no exception, no result: what a segfault leaves
        return real_screen(*args, **kwargs)

    monkeypatch.setattr(shards, "screen_share", crashing)
    extra = ["--policy", "policies/licensing", "--as-of", "2026-11-20"]
    one = _audit_json(tmp_path, SAMPLE, 1, extra, "crash")
    two = _audit_json(tmp_path, SAMPLE, 2, extra, "crash")
    assert two == one


def test_an_xes_share_parses_only_its_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xes, "_CHUNK", 1 << 14)
    whole = list(xes.read_xes(str(ROAD)))
    shares = [list(xes.read_xes(str(ROAD), blocks=(k, 3))) for k in range(3)]
    assert all(shares)  # every share got blocks of its own
    got = sorted((t.index, t.line, t.attrs["concept:name"]) for s in shares for t in s)
    assert got == sorted((t.index, t.line, t.attrs["concept:name"]) for t in whole)
