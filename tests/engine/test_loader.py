"""The canonical CSV loader: sorting, zones, case attributes, and every defect located."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.loader_csv import ExportError, load_exports

HEADER = "case_id,event_id,time,activity,actor,assignee,role,unit,result,case.procedure\n"


def write(
    tmp_path: Path, body: str, header: str = HEADER, name: str = "x.csv", bom: bool = False
) -> str:
    p = tmp_path / name
    p.write_bytes((("\ufeff" if bom else "") + header + body).encode("utf-8"))
    return str(p)


def test_rows_are_sorted_by_time_and_ties_keep_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "C1,E3,2025-01-03T09:00:00,受理,S1,,窗口,审批科,,一般\n"
        "C1,E1,2025-01-02T09:00:00,收件,S1,,窗口,审批科,,一般\n"
        "C1,E2,2025-01-03T09:00:00,分派,S2,S3,科长,审批科,,一般\n",
        bom=True,
    )
    r = load_exports([path])
    assert [e.event_id for e in r.cases["C1"].events] == ["E1", "E3", "E2"]
    assert r.cases["C1"].attrs == {"procedure": "一般"}
    assert r.rows_in == r.rows_used == 3


def test_naive_times_are_shanghai_and_offsets_are_converted(tmp_path: Path) -> None:
    # Naive and offset-aware times in one source are a defect (mixed_naive_aware), so each
    # kind comes in its own file here.
    naive = write(
        tmp_path,
        "C1,E1,2025-01-02T09:00:00,收件,S1,,,,,\nC1,E3,2025-01-03,作出决定,S1,,,,准予,\n",
        name="naive.csv",
    )
    aware = write(tmp_path, "C1,E2,2025-01-02T01:30:00+00:00,受理,S1,,,,,\n", name="aware.csv")
    r = load_exports([naive, aware])
    assert not r.defects
    ev = {e.event_id: e for e in r.cases["C1"].events}
    assert ev["E1"].time.utcoffset() == timedelta(hours=8)
    assert ev["E2"].time == datetime(2025, 1, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert ev["E3"].day_precision and ev["E3"].attrs == {"result": "准予"}


def test_defects_are_located_and_quarantined_never_dropped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "C1,E1,2025-01-02T09:00:00,收件,S1,,,,,\n"
        ",E2,2025-01-02T09:00:00,收件,S1,,,,,\n"
        "C1,E3,yesterday,受理,S1,,,,,\n"
        "C1,E1,2025-01-04T09:00:00,受理,S1,,,,,\n"
        "C1,E5,2025-01-04T09:00:00,开会,S1,,,,,\n"
        "C1,E6,2031-01-04T09:00:00,受理,S1,,,,,\n"
        "C1,E7,2025-01-04T09:00:00,受理\n",
    )
    end = datetime(2026, 11, 20, 23, 59, tzinfo=timezone(timedelta(hours=8)))
    r = load_exports([path], known_activities=frozenset({"收件", "受理"}), as_of_end=end)
    got = [(d.line, d.code, d.field) for d in r.defects]
    assert got == [
        (3, "missing_case_id", "case_id"),
        (4, "bad_time", "time"),
        (5, "duplicate_event_id", "event_id"),
        (6, "unknown_activity", "activity"),
        (7, "after_as_of", "time"),
        (8, "bad_row", "*"),
    ]
    assert r.rows_in == 7 and r.rows_used == 1 and r.rows_quarantined == 6
    assert r.rows_in == r.rows_used + r.rows_quarantined
    assert "already used at" in r.defects[2].message and ":2" in r.defects[2].message


def test_inconsistent_case_attribute_is_reported_first_value_wins(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "C1,E1,2025-01-02T09:00:00,收件,S1,,,,,一般\n"
        "C1,E2,2025-01-03T09:00:00,受理,S1,,,,,联合办理\n",
    )
    r = load_exports([path])
    assert r.cases["C1"].attrs["procedure"] == "一般"
    assert [(d.line, d.code, d.field) for d in r.defects] == [
        (3, "inconsistent_case_attribute", "case.procedure")
    ]
    assert r.rows_used == 2


def test_missing_column_and_bad_encoding_are_clear_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "C1,E1,2025-01-02T09:00:00\n", header="case_id,event_id,time\n")
    with pytest.raises(ExportError, match=r"x\.csv:1: missing column\(s\) activity"):
        load_exports([path])
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((HEADER + "C1,E1,2025-01-02T09:00:00,收件,S1,,,,,\n").encode("gbk"))
    with pytest.raises(ExportError, match=r"gbk\.csv:2: not valid UTF-8"):
        load_exports([str(gbk)])


def test_input_hash_changes_with_content(tmp_path: Path) -> None:
    a = write(tmp_path, "C1,E1,2025-01-02T09:00:00,收件,S1,,,,,\n", name="a.csv")
    b = write(tmp_path, "C1,E1,2025-01-02T09:00:01,收件,S1,,,,,\n", name="b.csv")
    assert load_exports([a]).input_sha256 != load_exports([b]).input_sha256
    assert load_exports([a]).input_sha256 == load_exports([a]).input_sha256
