"""Each format and encoding reads into the same events: GBK Excel-style CSV with Chinese
headers, UTF-8 with BOM, GB18030, XLSX, JSON Lines, XES with a BOM, gzip'd XES — and the
fast XES scan agrees with the expat reader on everything XML allows."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.loader_csv import load_exports
from engine.loaders import ExportError, detect_format, load
from engine.loaders.result import LoadResult
from engine.loaders.xes import read_xes
from engine.profile import load_profile, parse_profile


def _events(r: LoadResult) -> list[tuple[Any, ...]]:
    return [
        (e.case_id, e.event_id, e.time, e.activity, e.actor, e.assignee, e.role, e.unit, e.attrs)
        for c in r.cases.values()
        for e in c.events
    ]


def _canonical_subset(root: Path, tmp_path: Path, cases: int) -> str:
    """The first CASES cases of the shipped sample, canonical."""
    src = root / "fixtures" / "sample" / "licensing_sample.csv"
    rows = list(csv.reader(src.open(encoding="utf-8", newline="")))
    seen: list[str] = []
    keep = [rows[0]]
    for r in rows[1:]:
        if r[0] not in seen:
            if len(seen) == cases:
                break
            seen.append(r[0])
        keep.append(r)
    out = tmp_path / "canonical.csv"
    with out.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(keep)
    return str(out)


def test_gbk_excel_export_with_chinese_headers_reads_as_the_canonical_rows(
    root: Path, tmp_path: Path
) -> None:
    profiles = root / "fixtures" / "profiles"
    foreign = load(
        [str(profiles / "examples" / "banjian_gbk.csv")],
        profile=load_profile(str(profiles / "banjian_gbk.toml")),
    )
    canonical = load_exports([_canonical_subset(root, tmp_path, 60)])
    assert not foreign.defects and foreign.sources[0].encoding == "gbk"
    assert len(foreign.cases) == 60 and foreign.rows_in == canonical.rows_in == 568
    assert _events(foreign) == _events(canonical)
    assert {k: c.attrs for k, c in foreign.cases.items()} == {
        k: {"matter": c.attrs["matter"], "procedure": c.attrs["procedure"]}
        for k, c in canonical.cases.items()
    }
    first = foreign.cases["XK000001"].events[0]
    assert first.line == 3  # the title row and the header come first


def test_regenerating_the_gbk_example_gives_the_shipped_bytes(root: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_examples", root / "fixtures" / "profiles" / "make_examples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = (root / "fixtures" / "profiles" / "examples" / "banjian_gbk.csv").read_bytes()
    assert module.render() == shipped


CN_PROFILE = {
    "fields": {
        "case_id": "办件编号",
        "time": "办理时间",
        "activity": "环节名称",
        "actor": "经办人",
    },
}
CN_ROWS = (
    "办件编号,办理时间,环节名称,经办人\nC1,2025-03-06T09:00:00,受理,张三\nC1,2025-03-07,办结,㐀四\n"
)


@pytest.mark.parametrize(
    ("encoding", "prefix", "detected"),
    [
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
        ("utf-8", b"", "utf-8"),
        ("gb18030", b"", "gb18030"),  # 㐀 (U+3400) is in GB18030 but not in GBK
    ],
)
def test_csv_encodings_are_detected(
    write: Any, encoding: str, prefix: bytes, detected: str
) -> None:
    path = write("x.csv", prefix + CN_ROWS.encode(encoding))
    r = load([path], profile=parse_profile(CN_PROFILE, "p.toml"))
    assert r.sources[0].encoding == detected and not r.defects
    events = r.cases["C1"].events
    assert [e.actor for e in events] == ["张三", "㐀四"]
    assert events[1].day_precision and events[0].event_id == "x.csv:2"


def test_encoding_can_be_given_and_a_wrong_one_names_the_line(write: Any) -> None:
    path = write("x.csv", CN_ROWS.replace("㐀", "李").encode("gbk"))
    profile = parse_profile(CN_PROFILE, "p.toml")
    assert load([path], profile=profile, encoding="gb18030").sources[0].encoding == "gb18030"
    with pytest.raises(ExportError, match=r"x\.csv:1: not valid utf-8 \(byte 0x"):
        load([path], profile=profile, encoding="utf-8")
    with pytest.raises(ExportError, match="unknown encoding"):
        load([path], profile=profile, encoding="no-such-codec")


def test_a_canonical_csv_in_gbk_is_read_without_a_profile(write: Any) -> None:
    header = "case_id,event_id,time,activity,actor,assignee,role,unit\n"
    path = write(
        "c.csv", (header + "C1,E1,2025-03-06T09:00:00,受理,张三,,窗口人员,中心\n").encode("gbk")
    )
    r = load([path])
    assert r.sources[0].encoding == "gbk" and r.cases["C1"].events[0].role == "窗口人员"


def test_xlsx_sheet_by_name_header_row_dates_and_numeric_ids(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由平台导出"])
    ws = wb.create_sheet("办件过程")
    ws.append(["某市办件过程明细"])
    ws.append(["办件编号", "办理时间", "环节名称", "经办人", "金额"])
    ws.append([20250101001, datetime(2025, 3, 6, 9, 30), "受理", "张三", 12.5])
    ws.append([20250101001, date(2025, 3, 7), "办结", "李四", 3.0])
    ws.cell(row=4, column=2).number_format = "yyyy-mm-dd"
    ws.append([None, None, None, None, None])  # an empty row is no record
    path = tmp_path / "导出.xlsx"
    wb.save(path)
    profile = parse_profile(
        {**CN_PROFILE, "source": {"sheet": "办件过程", "header_row": 2}}, "p.toml"
    )
    r = load([str(path)], profile=profile)
    assert not r.defects and r.rows_in == 2
    e1, e2 = r.cases["20250101001"].events
    assert e1.time.isoformat() == "2025-03-06T09:30:00+08:00" and not e1.day_precision
    assert e2.day_precision and e2.time.date() == date(2025, 3, 7)
    assert e1.attrs == {"金额": "12.5"} and e2.attrs == {"金额": "3"}
    assert (e1.line, e1.event_id) == (3, "导出.xlsx:3")
    with pytest.raises(ExportError, match="no sheet '办件'"):
        load([str(path)], profile=parse_profile({**CN_PROFILE, "source": {"sheet": "办件"}}))


def test_jsonl_values_become_text(write: Any) -> None:
    lines = [
        {
            "case_id": "C1",
            "event_id": 1,
            "time": "2025-03-06T09:00:00",
            "activity": "受理",
            "actor": "S1",
            "urgent": True,
            "amount": 1.5,
            "note": None,
            "tags": ["a", "b"],
        },
    ]
    path = write("x.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    e = load([path]).cases["C1"].events[0]
    assert e.event_id == "1" and e.actor == "S1"
    assert e.attrs == {"urgent": "true", "amount": "1.5", "tags": '["a","b"]'}


def _doc(xes: Any) -> bytes:
    return xes.doc(
        xes.trace(
            "A1",
            xes.ev("Create Fine", "2006-07-24T00:00:00.000+02:00", "561", amount="35.0"),
            xes.ev("Send Fine", "2006-12-05T00:00:00+01:00", lifecycle="x"),
            extra='\t\t<string key="kind" value="S"/>\n',
        ),
        xes.trace("A100", xes.ev("Create Fine", "2006-08-02T00:00:00+02:00", "561")),
        bom=True,
    )


def test_xes_with_bom_and_gzip_read_the_same(write: Any, xes: Any) -> None:
    plain = write("log.xes", _doc(xes))
    packed = write("log.xes.gz", gzip.compress(_doc(xes), mtime=0))
    a, b = load([plain]), load([packed])
    assert _events(a) == _events(b) and a.rows_in == 3 and not a.defects
    create, send = a.cases["A1"].events
    assert create.time.utcoffset() == timedelta(hours=8)  # converted to the profile's zone
    assert (create.event_id, create.actor, create.attrs) == ("A1/1", "561", {"amount": "35.0"})
    assert send.attrs == {"lifecycle": "x"}
    assert a.cases["A1"].attrs == {"kind": "S"}
    assert detect_format(packed) == "xes" and a.sources[0].format == "xes"


WEIRD_TRACES = [
    # a comment inside a trace: from here on the expat reader takes over
    '\t<trace>\n\t\t<string key="concept:name" value="W1"/>\n\t\t<!-- </trace> -->\n'
    '\t\t<event><string key="concept:name" value="a"/></event>\n\t</trace>\n',
    # an entity, a nested attribute, trace attributes after the events
    '\t<trace>\n\t\t<string key="concept:name" value="W2"/>\n'
    '\t\t<event>\n\t\t\t<string key="concept:name" value="R &amp; D"/>\n'
    '\t\t\t<string key="p" value="1"><int key="q" value="2"/></string>\n\t\t</event>\n'
    '\t\t<string key="late" value="yes"/>\n\t</trace>\n',
    # single quotes, other spacing, an empty event
    "\t<trace><string value='W3' key='concept:name' /><event/>\n"
    '\t\t<event><date key="time:timestamp"   value="2020-01-01T00:00:00Z"/></event></trace>\n',
]


@pytest.mark.parametrize("where", range(len(WEIRD_TRACES)))
def test_fast_scan_agrees_with_expat_on_what_xml_allows(write: Any, xes: Any, where: int) -> None:
    simple = [xes.trace(f"S{i}", xes.ev("a", "2020-01-01T00:00:00Z")) for i in range(3)]
    traces = [*simple[:2], WEIRD_TRACES[where], simple[2]]
    path = write("w.xes", xes.doc(*traces, tail='\t<string key="log-level" value="after"/>\n'))
    fast = [(t.index, t.line, t.attrs, t.events) for t in read_xes(path)]
    ref = [(t.index, t.line, t.attrs, t.events) for t in read_xes(path, reference=True)]
    assert fast == ref and len(fast) == 4


def test_xes_entities_and_nesting_are_read_as_xml_says(write: Any, xes: Any) -> None:
    path = write("w.xes", xes.doc(WEIRD_TRACES[1]))
    (trace,) = read_xes(path)
    assert trace.attrs == {"concept:name": "W2", "late": "yes"}
    assert trace.events[0][1] == {"concept:name": "R & D", "p": "1", "p/q": "2"}


def test_xes_in_latin1_is_read_through_expat(write: Any) -> None:
    text = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<log><trace>'
        '<string key="concept:name" value="C1"/><event>'
        '<string key="concept:name" value="Café"/>'
        '<date key="time:timestamp" value="2020-01-01T00:00:00+01:00"/></event></trace></log>\n'
    )
    r = load([write("l.xes", text.encode("latin-1"))])
    assert r.cases["C1"].events[0].activity == "Café"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<log><trace><event></trace></log>", r"b\.xes:1: not well-formed XES: mismatched tag"),
        (b"<log>\n<event/></log>", r"b\.xes:2: <event> where XES does not allow it"),
        (b"<html/>", r"b\.xes:1: the root element is <html>"),
    ],
)
def test_broken_xes_is_an_error_naming_the_line(write: Any, content: bytes, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        load([write("b.xes", content)])


def test_truncated_gzip_is_an_error(write: Any, xes: Any) -> None:
    packed = gzip.compress(_doc(xes) * 50, mtime=0)
    path = write("t.xes.gz", packed[: len(packed) // 2])
    with pytest.raises(ExportError, match=r"t\.xes\.gz"):
        load([path])


def test_files_of_several_formats_make_one_load(write: Any, xes: Any) -> None:
    header = "case_id,event_id,time,activity,actor,assignee,role,unit\n"
    csv_path = write("a.csv", header + "A1,A1/1,2006-07-24T06:00:00,X,S,,,\n")
    r = load([csv_path, write("log.xes", _doc(xes))])
    assert [(d.code, d.file) for d in r.defects] == [("duplicate_event_id", r.sources[1].path)]
    assert "a.csv:2" in r.defects[0].message
    assert [s.format for s in r.sources] == ["csv", "xes"]
    assert r.rows_in == 4 == r.rows_used + r.rows_quarantined


def test_the_format_comes_from_the_name(tmp_path: Path) -> None:
    assert detect_format("a.CSV") == "csv" and detect_format("x.xes.gz") == "xes"
    with pytest.raises(ExportError, match=r"save the sheet as \.xlsx"):
        detect_format("old.xls")
    with pytest.raises(ExportError, match="cannot tell the format"):
        detect_format("data.parquet")
    with pytest.raises(ExportError, match="no such export file"):
        load([str(tmp_path / "missing.csv")])


def test_a_late_non_utf8_byte_in_a_canonical_csv_names_its_line(write: Any) -> None:
    # Only the first MiB is sniffed; a GBK row after it stops the canonical reader clearly.
    header = "case_id,event_id,time,activity,actor,assignee,role,unit\n"
    filler = "".join(f"C{i},E{i},2025-03-06T09:00:00,X,S,,,\n" for i in range(40_000))
    data = (header + filler).encode() + "C0,Z,2025-03-06T09:00:00,受理,S,,,\n".encode("gbk")
    assert len(data) > 1 << 20
    with pytest.raises(ExportError, match=r"c\.csv:40002: not valid UTF-8 .* give --encoding"):
        load([write("c.csv", data)])


def test_a_zip_holding_one_export_is_read_as_it(write: Any, xes: Any, tmp_path: Path) -> None:
    import zipfile

    header = "case_id,event_id,time,activity,actor,assignee,role,unit\n"
    with zipfile.ZipFile(tmp_path / "csv.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "export/办件.csv", (header + "C1,E1,2025-03-06T09:00:00,受理,张三,,,\n").encode("gbk")
        )
        z.writestr("__MACOSX/._办件.csv", b"junk")
    r = load([str(tmp_path / "csv.zip")])
    assert r.sources[0].encoding == "gbk" and r.cases["C1"].events[0].actor == "张三"
    assert r.cases["C1"].events[0].file == str(tmp_path / "csv.zip")

    with zipfile.ZipFile(tmp_path / "log.zip", "w") as z:
        z.writestr("log.xes.gz", gzip.compress(_doc(xes), mtime=0))
    assert _events(load([str(tmp_path / "log.zip")])) == _events(load([write("l.xes", _doc(xes))]))

    with zipfile.ZipFile(tmp_path / "two.zip", "w") as z:
        z.writestr("a.csv", header)
        z.writestr("b.csv", header)
    with pytest.raises(ExportError, match=r"two\.zip: a ZIP must hold exactly one export"):
        load([str(tmp_path / "two.zip")])
