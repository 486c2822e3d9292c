"""Every data defect kind, reported with its location and the field as the source names it.

Each kind is shown on the mapped CSV path (GBK, Chinese headers), the XES path (line of
the <event>, "trace T event E") and, where the canonical reader has it, the canonical
path. The last test keeps this file, the registry and the docs in step.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from engine.loaders import DEFECT_KINDS, Checks, load
from engine.loaders.xes import read_xes
from engine.profile import parse_profile

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF_END = datetime(2026, 11, 20, 23, 59, 59, tzinfo=SHANGHAI)
CHECKS = Checks(
    known_activities=frozenset({"收件", "受理", "分派", "作出决定"}),
    as_of_end=AS_OF_END,
    custody=frozenset({"分派"}),
    actor_required=frozenset({"作出决定"}),
)
PROFILE = parse_profile(
    {
        "source": {"format": "csv"},
        "fields": {
            "case_id": "办件编号",
            "event_id": "流水号",
            "time": "办理时间",
            "activity": "环节名称",
            "actor": "经办人",
            "assignee": "接收人",
        },
        "time": {"formats": ["%Y/%m/%d %H:%M"]},
        "activities": {"map": {"收件登记": "收件"}},
        "case": {"attributes": {"procedure": "办理类型"}},
    },
    "test.toml",
)
CSV_ROWS = [
    "办件编号,流水号,办理时间,环节名称,经办人,接收人,办理类型",
    "C1,E1,2025/3/6 9:00,收件登记,S1,,一般",  # 2: sound
    ",E2,2025/3/6 9:00,收件登记,S1,,一般",  # 3
    "C1,,2025/3/6 9:00,受理,S1,,一般",  # 4
    "C1,E4,2025/3/6 9:00,,S1,,一般",  # 5
    "C1,E5,2025/3/6 9:00,开会,S1,,一般",  # 6
    "C1,E6,,受理,S1,,一般",  # 7
    "C1,E7,昨天上午,受理,S1,,一般",  # 8
    "C1,E8,2031/1/4 9:00,受理,S1,,一般",  # 9
    "C1,E1,2025/3/7 9:00,受理,S1,,一般",  # 10
    "C1,E10,2025/3/7 9:00,受理,S1,,一般,多余",  # 11
    "C1,E11,2025/3/8 9:00,分派,S2,,一般",  # 12: kept
    "C1,E12,2025/3/9 9:00,作出决定,,,一般",  # 13: kept
    "C1,E13,2025/3/9 10:00,受理,S1,,联合办理",  # 14: kept
    "C1,E14,2025-03-09T10:00:00+08:00,受理,S1,,一般",  # 15: the one aware time
]


def test_mapped_csv_defects_name_line_and_source_column(write: Any) -> None:
    path = write("办件.csv", ("\r\n".join(CSV_ROWS) + "\r\n").encode("gbk"))
    r = load([path], profile=PROFILE, checks=CHECKS)
    assert [(d.line, d.code, d.field) for d in r.defects] == [
        (3, "missing_case_id", "办件编号"),
        (4, "missing_event_id", "流水号"),
        (5, "missing_activity", "环节名称"),
        (6, "unknown_activity", "环节名称"),
        (7, "missing_time", "办理时间"),
        (8, "bad_time", "办理时间"),
        (9, "after_as_of", "办理时间"),
        (10, "duplicate_event_id", "流水号"),
        (11, "bad_row", "*"),
        (12, "missing_assignee", "接收人"),
        (13, "missing_actor", "经办人"),
        (14, "inconsistent_case_attribute", "办理类型"),
        (15, "mixed_naive_aware", "办理时间"),
    ]
    assert all(d.file == path for d in r.defects)
    assert str(r.defects[0]).startswith(f"{path}:3: missing_case_id [办件编号]")
    assert "'%Y/%m/%d %H:%M'" in r.defects[5].message  # bad_time says what was tried
    assert "already used at" in r.defects[7].message and ":2" in r.defects[7].message
    assert r.sources[0].encoding == "gbk"
    assert r.rows_in == 14 and r.rows_used == 4 and r.rows_quarantined == 10
    assert r.rows_in == r.rows_used + r.rows_quarantined
    assert [e.event_id for e in r.cases["C1"].events] == ["E1", "E11", "E12", "E13"]
    assert r.cases["C1"].events[0].activity == "收件"  # through the value map
    assert r.cases["C1"].attrs == {"procedure": "一般"}
    # the quarantine keeps each row as the source had it (the mixed one as read)
    by_line = {d.line: row for d, row in r.quarantined}
    assert by_line[8]["办理时间"] == "昨天上午" and by_line[11]["办件编号"] == "C1"
    assert by_line[15]["event_id"] == "E14"


def test_canonical_reader_reports_the_new_kinds_too(write: Any) -> None:
    header = "case_id,event_id,time,activity,actor,assignee,role,unit\n"
    path = write(
        "c.csv",
        header + "C1,E1,2025-03-06T09:00:00,分派,S1,,,\n"
        "C1,E2,2025-03-07T09:00:00,作出决定,,,,\n"
        "C1,E3,2025-03-07T09:00:00+08:00,受理,S1,,,\n"
        "C1,E4,2025-03-08,受理,S1,,,\n",  # a date alone is neither naive nor aware
    )
    r = load([path], checks=CHECKS)
    assert [(d.line, d.code, d.field) for d in r.defects] == [
        (2, "missing_assignee", "assignee"),
        (3, "missing_actor", "actor"),
        (4, "mixed_naive_aware", "time"),
    ]
    assert "e.g. " in r.defects[2].message and f"{path}:2" in r.defects[2].message
    assert r.rows_in == 4 and r.rows_used == 3 and r.rows_quarantined == 1


def test_the_fewer_kind_is_quarantined_whichever_comes_first(write: Any) -> None:
    header = "case_id,event_id,time,activity,actor,assignee,role,unit\n"
    path = write(
        "c.csv",
        header + "C1,E1,2025-03-06T09:00:00,受理,S1,,,\n"  # the odd one, first
        "C1,E2,2025-03-07T09:00:00+08:00,受理,S1,,,\n"
        "C1,E3,2025-03-08T09:00:00+08:00,受理,S1,,,\n",
    )
    r = load([path], checks=CHECKS)
    assert [(d.line, d.code) for d in r.defects] == [(2, "mixed_naive_aware")]
    assert "has no UTC offset" in r.defects[0].message
    # its event id is free again: nothing else refers to a quarantined row
    assert [e.event_id for e in r.cases["C1"].events] == ["E2", "E3"]


def _event_line(text: str, marker: str) -> int:
    at = text.index(f'value="{marker}"')
    return text.count("\n", 0, text.rindex("<event>", 0, at)) + 1


def test_xes_defects_name_the_event_line_trace_and_key(write: Any, xes: Any) -> None:
    doc = xes.doc(
        xes.trace(
            "A",
            xes.ev("收件", "2025-03-06T09:00:00+08:00", "S1", tag="ok"),
            xes.event(
                ("date", "time:timestamp", "2025-03-06T10:00:00+08:00"), ("string", "tag", "m2")
            ),
            xes.ev("开会", "2025-03-06T11:00:00+08:00", "S1", tag="m3"),
            xes.event(("string", "concept:name", "受理"), ("string", "tag", "m4")),
            xes.ev("受理", "yesterday", "S1", tag="m5"),
            xes.ev("受理", "2031-01-04T09:00:00+08:00", "S1", tag="m6"),
            xes.ev("作出决定", "2025-03-07T09:00:00+08:00", tag="m7"),
            xes.ev("受理", "2025-03-07T10:00:00", "S1", tag="m8"),
        ),
        xes.trace(None, xes.ev("收件", "2025-03-06T09:00:00+08:00", "S1", tag="m9")),
        xes.trace(
            "B",
            xes.ev("收件", "2025-03-06T09:00:00+08:00", "S1", tag="b1", **{"identity:id": "X1"}),
            xes.ev("受理", "2025-03-06T09:30:00+08:00", "S1", tag="b2", **{"identity:id": "X1"}),
        ),
        xes.trace("C"),
    )
    path = write("log.xes", doc)
    text = doc.decode()
    r = load([path], checks=CHECKS)
    got = [(d.line, d.code, d.field) for d in r.defects]
    assert got == [
        (_event_line(text, "m2"), "missing_activity", "concept:name"),
        (_event_line(text, "m3"), "unknown_activity", "concept:name"),
        (_event_line(text, "m4"), "missing_time", "time:timestamp"),
        (_event_line(text, "m5"), "bad_time", "time:timestamp"),
        (_event_line(text, "m6"), "after_as_of", "time:timestamp"),
        (_event_line(text, "m7"), "missing_actor", "org:resource"),
        (_event_line(text, "m8"), "mixed_naive_aware", "time:timestamp"),
        (_event_line(text, "m9"), "missing_case_id", "case:concept:name"),
        (_event_line(text, "b2"), "duplicate_event_id", "identity:id"),
        (text.count("\n", 0, text.index('value="C"')), "empty_trace", "trace"),
    ]
    messages = {d.code: d.message for d in r.defects}
    assert messages["missing_activity"].startswith("trace 1 event 2: ")
    assert messages["missing_case_id"].startswith("trace 2 event 1: ")
    assert messages["duplicate_event_id"].startswith("trace 3 event 2: ")
    assert messages["empty_trace"] == "trace 4 ('C') has no events"
    assert r.rows_in == 11 and r.rows_used == 3 and r.rows_quarantined == 8
    assert [e.event_id for e in r.cases["A"].events] == ["A/1", "A/7"]
    rows = {d.code: row for d, row in r.quarantined}
    assert rows["bad_time"]["trace"] == "1" and rows["bad_time"]["event"] == "5"
    assert rows["bad_time"]["time:timestamp"] == "yesterday"
    assert rows["missing_case_id"]["tag"] == "m9"
    # the reference reader sees the same file the same way
    fast = [(t.index, t.line, t.attrs, t.events) for t in read_xes(path)]
    assert fast == [(t.index, t.line, t.attrs, t.events) for t in read_xes(path, reference=True)]


def test_xes_event_id_named_by_a_profile_must_be_there(write: Any, xes: Any) -> None:
    doc = xes.doc(
        xes.trace(
            "A",
            xes.ev("收件", "2025-03-06T09:00:00+08:00", "S1", id="e1"),
            xes.ev("受理", "2025-03-06T10:00:00+08:00", "S1"),
        )
    )
    profile = parse_profile({"source": {"format": "xes"}, "fields": {"event_id": "id"}}, "p.toml")
    r = load([write("log.xes", doc)], profile=profile, checks=CHECKS)
    assert [(d.code, d.field) for d in r.defects] == [("missing_event_id", "id")]
    assert [e.event_id for e in r.cases["A"].events] == ["e1"]


def test_jsonl_and_xlsx_rows_that_are_no_records_are_bad_rows(write: Any, tmp_path: Path) -> None:
    from openpyxl import Workbook

    jsonl = write(
        "x.jsonl",
        '{"case_id": "C1", "event_id": "E1", "time": "2025-03-06T09:00:00", "activity": "受理"}\n'
        "{not json\n"
        "\n"
        '["an", "array"]\n',
    )
    r = load([jsonl], checks=CHECKS)
    assert [(d.line, d.code, d.field) for d in r.defects] == [
        (2, "bad_row", "*"),
        (4, "bad_row", "*"),
    ]
    assert r.quarantined[0][1] == {"line": "{not json"}
    assert r.rows_in == 3 and r.rows_used == 1

    wb = Workbook()
    ws = wb.active
    ws.append(["case_id", "event_id", "time", "activity"])
    ws.append(["C1", "E1", "2025-03-06T09:00:00", "受理"])
    ws.append(["C1", "E2", "2025-03-06T10:00:00", "受理", "stray note"])
    wb.save(tmp_path / "x.xlsx")
    r = load([str(tmp_path / "x.xlsx")], checks=CHECKS)
    assert [(d.line, d.code) for d in r.defects] == [(3, "bad_row")]
    assert "stray note" in r.defects[0].message


def test_every_defect_kind_is_tested_here_and_documented(root: Path) -> None:
    tested = set(re.findall(r'"([a-z_]+)"', Path(__file__).read_text(encoding="utf-8")))
    assert set(DEFECT_KINDS) <= tested, sorted(set(DEFECT_KINDS) - tested)
    doc = (root / "docs" / "import-profiles.md").read_text(encoding="utf-8")
    assert all(f"`{code}`" in doc for code in DEFECT_KINDS), [
        c for c in DEFECT_KINDS if f"`{c}`" not in doc
    ]


def test_a_tie_quarantines_the_kind_that_came_second(write: Any) -> None:
    header = "case_id,event_id,time,activity,actor,assignee,role,unit\n"
    path = write(
        "c.csv",
        header + "C1,E1,2025-03-06T09:00:00+08:00,受理,S1,,,\n"
        "C1,E2,2025-03-07T09:00:00,受理,S1,,,\n",
    )
    r = load([path], checks=CHECKS)
    assert [(d.line, d.code) for d in r.defects] == [(3, "mixed_naive_aware")]
