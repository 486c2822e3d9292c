"""Reports a person opens: Excel-ready CSV, XLSX, a self-contained HTML page; all deterministic."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from engine.cli_audit import run_audit
from engine.cli_report import run_report

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    d = tmp_path_factory.mktemp("rep")
    url = f"sqlite:///{d / 'w.db'}"
    code = run_audit(
        [
            str(ROOT / "fixtures/sample/licensing_sample.csv"),
            "--policy",
            str(ROOT / "policies/licensing"),
            "--as-of",
            "2026-11-20",
            "--db",
            url,
            "--engine",
            "python",
            "--quiet",
        ],
        io.StringIO(),
        io.StringIO(),
    )
    assert code == 0
    return url


def _report(db: str, fmt: str, out: Path | None = None) -> str:
    buf, err = io.StringIO(), io.StringIO()
    args = ["latest", "--db", db, "--format", fmt] + (["--out", str(out)] if out else [])
    assert run_report(args, buf, err) == 0, err.getvalue()
    return buf.getvalue()


def test_csv_has_bom_chinese_header_and_one_row_per_finding(db: str) -> None:
    text = _report(db, "csv")
    assert text.startswith("\ufeff发现编号,案件,问题代码")
    n = len(json.loads(_report(db, "json"))["findings"])
    assert text.count("\r\n") == n + 1
    assert text == _report(db, "csv")


def test_xlsx_opens_with_findings_summary_and_quality_sheets(db: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "r.xlsx"
    _report(db, "xlsx", out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["发现", "汇总", "数据质量"]
    assert wb["发现"]["D1"].value == "问题" and wb["发现"].max_row > 100


def test_xlsx_needs_an_output_file(db: str) -> None:
    err = io.StringIO()
    assert run_report(["latest", "--db", db, "--format", "xlsx"], io.StringIO(), err) == 2
    assert "--out" in err.getvalue()


def test_html_is_self_contained_escaped_and_has_timelines(db: str) -> None:
    page = _report(db, "html")
    assert page.startswith("<!doctype html>") and '<meta charset="utf-8">' in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert page.count("<section class='finding'") == len(
        json.loads(_report(db, "json"))["findings"]
    )
    assert "svg class='timeline'" in page and "期限 " in page


def test_defects_become_grouped_data_quality_findings(tmp_path: Path) -> None:
    export = tmp_path / "dq.csv"
    export.write_text(
        "case_id,event_id,time,activity,actor,assignee,role,unit\n"
        "C1,E1,2025-03-03T09:00:00,受理,S1,,窗口,科\n"
        "C1,E2,bad,作出决定,S1,,窗口,科\n"
        "C2,E3,2025-03-03T09:00:00,开会,S1,,窗口,科\n"
        "C2,E4,2025-03-04T09:00:00,开会,S1,,窗口,科\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'w.db'}"
    out_json = tmp_path / "out.json"
    code = run_audit(
        [
            str(export),
            "--policy",
            str(ROOT / "policies/licensing"),
            "--as-of",
            "2026-11-20",
            "--db",
            url,
            "--json",
            str(out_json),
            "--quiet",
        ],
        io.StringIO(),
        io.StringIO(),
    )
    assert code == 0
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    dq = doc["run"]["summary"]["data_quality"]
    assert [(d["code"], d["count"], d["rows"]) for d in dq] == [
        ("bad_time", 1, "quarantined"),
        ("unknown_activity", 2, "quarantined"),
    ]
    assert dq[1]["examples"][0].endswith(
        "dq.csv:4: [activity] activity '开会' is not in the policy vocabulary"
    )
    assert (tmp_path / "quarantine.csv").read_text(encoding="utf-8-sig").count("\n") == 4
    text = _report(url, "text")
    assert "数据质量问题" in text and "unknown_activity" in text
