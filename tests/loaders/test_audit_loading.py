"""`wenze audit` on foreign exports: --profile, --encoding, --strict, the quarantine file
and the counts identity recorded in the run."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from engine.cli_audit import run_audit
from engine.cli_report import run_report

POLICY = "policies/licensing"


def _audit(root: Path, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = [*args, "--policy", str(root / POLICY), "--db", f"sqlite:///{tmp_path / 'w.db'}"]
    code = run_audit([*argv, "--engine", "python"], out, err)
    return code, out.getvalue(), err.getvalue()


def _findings(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [
        {k: v for k, v in f.items() if k not in ("sources", "timeline")} for f in doc["findings"]
    ]


def test_the_gbk_export_audits_to_the_canonical_findings(root: Path, tmp_path: Path) -> None:
    profiles = root / "fixtures" / "profiles"
    code, _out, err = _audit(
        root,
        tmp_path,
        str(profiles / "examples" / "banjian_gbk.csv"),
        "--profile",
        str(profiles / "banjian_gbk.toml"),
        "--as-of",
        "2026-11-20",
        "--json",
        str(tmp_path / "foreign.json"),
    )
    assert code == 0, err
    assert "(csv, gbk): 568 rows" in err
    sample = list(
        csv.reader((root / "fixtures/sample/licensing_sample.csv").open(encoding="utf-8"))
    )
    cases = sorted({r[0] for r in sample[1:]})[:60]
    canonical = tmp_path / "canonical.csv"
    with canonical.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([sample[0], *(r for r in sample[1:] if r[0] in cases)])
    code, _out, err = _audit(
        root, tmp_path, str(canonical), "--as-of", "2026-11-20", "--json", str(tmp_path / "c.json")
    )
    assert code == 0, err
    foreign, expected = _findings(tmp_path / "foreign.json"), _findings(tmp_path / "c.json")
    assert foreign == expected and len(foreign) == 43


BAD = (
    "办件编号,流水号,办理时间,环节名称,经办人,接收人\n"
    "C1,E1,2026/11/2 9:00,收件登记,S1,\n"
    "C1,E2,2026/11/3 9:00,受理,S1,\n"
    + "".join(f"C1,X{i},2026/11/4 9:00,开会,S1,\n" for i in range(22))
    + "C1,E3,2026/11/30 9:00,作出决定,S1,\n"
)
PROFILE = """
[source]
format = "csv"
[fields]
case_id = "办件编号"
event_id = "流水号"
time = "办理时间"
activity = "环节名称"
actor = "经办人"
assignee = "接收人"
[time]
formats = ["%Y/%m/%d %H:%M"]
[activities.map]
"收件登记" = "收件"
"""


def test_default_quarantines_and_records_the_counts(root: Path, tmp_path: Path, write: Any) -> None:
    export = write("办件.csv", BAD.encode("gbk"))
    profile = write("p.toml", PROFILE)
    out_json = tmp_path / "out" / "findings.json"
    out_json.parent.mkdir()
    code, _out, err = _audit(
        root,
        tmp_path,
        export,
        "--profile",
        profile,
        "--as-of",
        "2026-11-20",
        "--json",
        str(out_json),
    )
    assert code == 0, err
    assert f"{export}:4: unknown_activity [环节名称] activity '开会'" in err
    assert "… and 3 more data defect(s)" in err  # 23 defects, 20 shown
    assert "23 row(s) quarantined to" in err
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    summary = doc["run"]["summary"]
    assert (summary["rows_in"], summary["rows_used"], summary["rows_quarantined"]) == (25, 2, 23)
    assert summary["rows_in"] == summary["rows_used"] + summary["rows_quarantined"]
    assert doc["defects"][-1] == {
        "code": "after_as_of",
        "file": export,
        "line": 26,
        "field": "办理时间",
        "message": "2026/11/30 9:00 is after the audit's as-of date",
    }
    with (out_json.parent / "quarantine.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 23 and rows[0]["defect"] == "unknown_activity"
    assert rows[0]["line"] == "4" and rows[0]["环节名称"] == "开会" and rows[0]["流水号"] == "X0"
    report = io.StringIO()
    run_report(
        ["latest", "--db", f"sqlite:///{tmp_path / 'w.db'}", "--format", "md"],
        report,
        io.StringIO(),
    )
    assert "数据质量" in report.getvalue() and "unknown_activity" in report.getvalue()


def test_strict_stops_with_exit_2_and_the_full_list(root: Path, tmp_path: Path, write: Any) -> None:
    export = write("办件.csv", BAD.encode("gbk"))
    code, out, err = _audit(
        root,
        tmp_path,
        export,
        "--profile",
        write("p.toml", PROFILE),
        "--as-of",
        "2026-11-20",
        "--strict",
    )
    assert code == 2 and out == ""
    assert sum(1 for line in err.splitlines() if line.startswith(f"{export}:")) == 23
    assert "23 data defect(s); --strict stops here" in err
    assert not (tmp_path / "w.db").exists() or "quarantined" not in err


def test_as_of_is_the_end_of_the_day_in_the_profile_zone(
    root: Path, tmp_path: Path, write: Any
) -> None:
    # 23:30 in Rome on the as-of day is still that day there (it is the next day in Shanghai).
    export = write(
        "x.jsonl",
        '{"case_id": "C1", "event_id": "E1", "time": "2026-11-20T23:30:00+01:00", '
        '"activity": "收件", "actor": "S1"}\n',
    )
    rome = write(
        "p.toml",
        '[source]\nzone = "Europe/Rome"\n[fields]\ncase_id = "case_id"\nevent_id = "event_id"\ntime = "time"\nactivity = "activity"\nactor = "actor"\n',
    )
    code, out, err = _audit(root, tmp_path, export, "--profile", rome, "--as-of", "2026-11-20")
    assert code == 0 and "quarantined 0" in out, err
    code, out, err = _audit(root, tmp_path, export, "--as-of", "2026-11-20")
    assert code == 0 and "after_as_of" in err


def test_unreadable_inputs_are_usage_errors(root: Path, tmp_path: Path, write: Any) -> None:
    export = write("办件.csv", BAD.encode("gbk"))
    code, _out, err = _audit(
        root, tmp_path, export, "--profile", write("p.toml", "[x]\n"), "--as-of", "2026-11-20"
    )
    assert code == 2 and "unknown table [x]" in err
    code, _out, err = _audit(
        root,
        tmp_path,
        export,
        "--profile",
        write("q.toml", PROFILE),
        "--encoding",
        "utf-8",
        "--as-of",
        "2026-11-20",
    )
    assert code == 2 and "办件.csv:1: not valid utf-8" in err
    code, _out, err = _audit(root, tmp_path, export, "--as-of", "2026-11-20")
    assert code == 2 and "missing column(s)" in err and "wenze profile infer" in err
