"""The shipped sample: the engine's findings equal the generator's own expectations.

The generator (fixtures/generate.py) writes, beside the export, the findings each scenario
must produce (case, lapse, person, deadline, overdue working days, ongoing). It computes
them from the scenario it drew, not with engine code, so this is an independent oracle.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from engine.cli_audit import run_audit
from engine.cli_report import run_report

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "sample" / "licensing_sample.csv"
EXPECTED = ROOT / "fixtures" / "sample" / "licensing_sample_expected.csv"
POLICY = ROOT / "policies" / "licensing"


def _audit(tmp_path: Path, engine: str, name: str = "out.json") -> dict:
    out, err = io.StringIO(), io.StringIO()
    code = run_audit(
        [
            str(SAMPLE),
            "--policy",
            str(POLICY),
            "--as-of",
            "2026-11-20",
            "--engine",
            engine,
            "--db",
            f"sqlite:///{tmp_path / 'w.db'}",
            "--json",
            str(tmp_path / name),
        ],
        out,
        err,
    )
    assert code == 0, err.getvalue()
    return json.loads((tmp_path / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _audit(tmp_path_factory.mktemp("sample"), "python")


def test_findings_match_generator_expectations(doc: dict) -> None:
    with EXPECTED.open(encoding="utf-8") as f:
        expected = sorted(
            (
                r["case_id"],
                r["lapse"],
                r["subject"],
                r["deadline"],
                r["overdue_workdays"],
                r["ongoing"],
            )
            for r in csv.DictReader(f)
        )
    got = sorted(
        (
            f["case_id"],
            f["lapse"],
            f["subjects"][0]["person"],
            f["facts"].get("deadline", "")
            if f["lapse"] not in ("notice_piecemeal", "extension_invalid")
            else "",
            str(f["facts"]["overdue_workdays"]) if "overdue_workdays" in f["facts"] else "",
            ("true" if f["facts"]["ongoing"] else "false") if "ongoing" in f["facts"] else "",
        )
        for f in doc["findings"]
    )
    exp_cmp = [
        (
            c,
            lapse,
            s,
            d if lapse not in ("notice_piecemeal", "extension_invalid") else "",
            o if lapse not in ("notice_piecemeal", "extension_invalid") else "",
            g if lapse not in ("notice_piecemeal", "extension_invalid") else "",
        )
        for c, lapse, s, d, o, g in expected
    ]
    assert got == sorted(exp_cmp)
    assert len(got) >= 100


def test_every_lapse_of_the_policy_occurs_in_the_sample(doc: dict) -> None:
    lapses = {f["lapse"] for f in doc["findings"]}
    assert lapses == {
        "notice_late",
        "notice_piecemeal",
        "extension_invalid",
        "decision_late",
        "certificate_late",
    }


def test_findings_document_shape_and_order(doc: dict) -> None:
    run = doc["run"]
    assert {
        "id",
        "policies",
        "policy_hash",
        "input_hash",
        "as_of",
        "wenze_version",
        "summary",
    } <= set(run)
    s = run["summary"]
    assert s["rows_in"] == s["rows_used"] + s["rows_quarantined"]
    keys = [(f["case_id"], f["lapse"], f["anchor"]) for f in doc["findings"]]
    assert keys == sorted(keys)
    f = doc["findings"][0]
    assert {
        "id",
        "case_id",
        "lapse",
        "category",
        "grade",
        "subjects",
        "facts",
        "evidence",
        "explanation",
        "policy",
    } <= set(f)
    assert {"id", "version", "source"} <= set(f["policy"])
    assert all(s["responsibility"] == "直接责任" for f in doc["findings"] for s in f["subjects"])
    assert len({f["id"] for f in doc["findings"]}) == len(doc["findings"])


def test_same_inputs_give_byte_identical_json_and_report(tmp_path: Path) -> None:
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _audit(a, "python")
    _audit(b, "python")
    assert (a / "out.json").read_bytes() == (b / "out.json").read_bytes()
    reports = []
    for d in (a, b):
        out = io.StringIO()
        assert (
            run_report(
                ["latest", "--db", f"sqlite:///{d / 'w.db'}", "--format", "md"], out, io.StringIO()
            )
            == 0
        )
        reports.append(out.getvalue())
    assert reports[0] == reports[1]
    assert "逾期作出许可决定" in reports[0] and "## 发现明细" in reports[0]


def test_the_program_ends_fast_and_loses_nothing(tmp_path: Path) -> None:
    """Run as a program, `wenze` ends with a hard exit (engine.cli.console) that skips
    freeing the audit's objects: the summary, the JSON, the quarantine-free database and
    the exit code must all be there, exactly as when `main` returns normally."""
    import subprocess
    import sys

    from engine.store import load_run_findings, open_store, resolve_run

    db = tmp_path / "w.db"
    args = [str(SAMPLE), "--policy", str(POLICY), "--as-of", "2026-11-20"]
    args += ["--db", f"sqlite:///{db}", "--json", str(tmp_path / "p.json"), "--fail-on-findings"]
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cli", "audit", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
    )
    assert proc.returncode == 1, proc.stderr  # --fail-on-findings, and there are findings
    assert "stored in sqlite:///" in proc.stdout  # the last line of the summary was flushed
    in_process = _audit(tmp_path, "durable", "q.json")
    program = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    assert program["findings"] == in_process["findings"]
    engine = open_store(f"sqlite:///{db}")
    run = resolve_run(engine, "latest")
    assert run is not None
    assert len(load_run_findings(engine, run.id)) == len(program["findings"]) > 100
