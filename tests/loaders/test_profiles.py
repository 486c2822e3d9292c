"""Import profiles: the shipped ones load, mistakes name file, line and key, and
`wenze profile infer` drafts a profile that loads and maps the right columns."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path
from typing import Any

import pytest

from engine.cli_profile import run_profile
from engine.loaders import load
from engine.profile import ProfileError, for_format, load_profile, parse_profile
from engine.profile_infer import infer_profile


def test_shipped_profiles_load(root: Path) -> None:
    shipped = sorted((root / "fixtures" / "profiles").glob("*.toml"))
    assert {p.stem for p in shipped} >= {"road_fines", "bpic2015", "banjian_gbk"}
    for path in shipped:
        profile = load_profile(str(path))
        assert profile.name == path.stem and profile.description
    road = load_profile(str(root / "fixtures" / "profiles" / "road_fines.toml"))
    assert road.zone == "Europe/Rome" and road.day_precision and len(road.known_activities) == 11
    gbk = load_profile(str(root / "fixtures" / "profiles" / "banjian_gbk.toml"))
    assert gbk.activity_map["分派承办人"] == "分派" and gbk.custody == {"分派", "转办"}
    assert gbk.encoding == "gbk" and gbk.header_row == 2 and not gbk.keep_others


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[fields]\ncase_id = 'a'\n\n[sorce]\nzone = 'UTC'\n",
            r"p\.toml:4: unknown table \[sorce\]",
        ),
        (
            "[source]\nzone = 'UTC'\ntimezone = 'x'\n",
            r"p\.toml:3: \[source\] unknown key 'timezone'",
        ),
        ("[source]\nzone = 'Mars/Olympus'\n", r"p\.toml:2: \[source\] zone: 'Mars/Olympus' is not"),
        ("[source]\nencoding = 'klingon'\n", r"p\.toml:2: \[source\] encoding: unknown encoding"),
        ("[source]\nformat = 'parquet'\n", r"p\.toml:2: \[source\] format: 'parquet' is not one"),
        ("[source]\nheader_row = 'two'\n", r"p\.toml:2: \[source\] header_row: wrong type str"),
        (
            "[time]\nformats = ['YYYY-MM-DD']\n",
            r"p\.toml:2: \[time\] formats: 'YYYY-MM-DD' is not a strptime",
        ),
        (
            "[activities]\nknown_pattern = '(['\n",
            r"p\.toml:2: \[activities\] known_pattern: not a regular",
        ),
        (
            "[activities.map]\n'a' = 1\n",
            r"p\.toml:1: \[activities\] map: every value must be a string",
        ),
        ("[fields\n", r"p\.toml: not valid TOML"),
    ],
)
def test_profile_mistakes_name_file_line_and_key(write: Any, text: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profile(write("p.toml", text))


def test_a_profile_must_map_the_required_fields_for_its_format(write: Any) -> None:
    profile = load_profile(write("p.toml", "[fields]\ncase_id = '办件编号'\n"))
    with pytest.raises(
        ProfileError, match=r"p\.toml: \[fields\] must map time, activity for a csv"
    ):
        for_format(profile, "csv")
    xes = for_format(profile, "xes")  # XES has standard keys for what the profile leaves out
    assert xes.fields["activity"] == ("concept:name",) and xes.fields["case_id"] == ("办件编号",)


def test_a_profile_that_does_not_fit_fails_before_reading(write: Any) -> None:
    profile = parse_profile(
        {"fields": {"case_id": "编号", "time": "时间", "activity": "环节名"}}, "p.toml"
    )
    path = write("x.csv", "编号,时间,环节\nC1,2025-01-01,受理\n")
    with pytest.raises(
        Exception,
        match=r"x\.csv:1: missing column\(s\) '环节名' that the profile p\.toml reads; the header has '编号', '时间', '环节'",
    ):
        load([path], profile=profile)


def test_inference_drafts_the_gbk_example_profile(root: Path) -> None:
    example = root / "fixtures" / "profiles" / "examples" / "banjian_gbk.csv"
    draft = infer_profile(str(example))
    profile = parse_profile(tomllib.loads(draft), "draft.toml")
    shipped = load_profile(str(root / "fixtures" / "profiles" / "banjian_gbk.toml"))
    assert profile.fields == shipped.fields
    assert profile.encoding == "gbk" and profile.header_row == 2
    assert profile.time_formats == ("%Y/%m/%d %H:%M",)
    assert profile.case_attributes == {"事项名称": "事项名称", "办理类型": "办理类型"}
    assert '# "收件登记" = ""  # 60' in draft and '# custody = ["分派承办人", "转交办理"]' in draft
    # the draft reads the file it came from without a defect (no policy given)
    assert not load([str(example)], profile=profile).defects


def test_inference_on_xlsx_jsonl_and_xes(tmp_path: Path, write: Any, xes: Any) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["工单明细"])
    ws.append(["工单编号", "处理时间", "办理环节", "处理人", "部门"])
    ws.append(["G1", "2025年3月6日 09:30", "派单", "A", "热线办"])
    ws.append(["G1", "2025年3月7日 10:00", "办结", "B", "城管局"])
    wb.save(tmp_path / "g.xlsx")
    profile = parse_profile(tomllib.loads(infer_profile(str(tmp_path / "g.xlsx"))), "d.toml")
    assert profile.header_row == 2 and profile.time_formats == ("%Y年%m月%d日 %H:%M",)
    assert profile.fields["case_id"] == ("工单编号",) and profile.fields["unit"] == ("部门",)

    jsonl = write(
        "j.jsonl", '{"case_id": "C1", "time": "2025-01-01T09:00:00", "activity": "受理"}\n'
    )
    profile = parse_profile(tomllib.loads(infer_profile(jsonl)), "d.toml")
    assert profile.fields["activity"] == ("activity",) and profile.format == "jsonl"

    log = write("l.xes", xes.doc(xes.trace("A", xes.ev("a", "2020-01-01T00:00:00Z", "r1"))))
    draft = infer_profile(log)
    assert "concept:name (1)" in draft and '# "a" = ""  # 1' in draft
    parse_profile(tomllib.loads(draft), "d.toml")


def test_profile_verb_infer_and_check(root: Path, tmp_path: Path) -> None:
    example = str(root / "fixtures" / "profiles" / "examples" / "banjian_gbk.csv")
    out, err = io.StringIO(), io.StringIO()
    assert run_profile(["infer", example], out, err) == 0
    assert out.getvalue().startswith("# Import profile drafted by `wenze profile infer`")
    dest = tmp_path / "mine.toml"
    assert run_profile(["infer", example, "--out", str(dest)], io.StringIO(), err) == 0
    assert "review the lines marked CHECK" in err.getvalue() and dest.is_file()

    out = io.StringIO()
    profile = str(root / "fixtures" / "profiles" / "banjian_gbk.toml")
    assert run_profile(["check", profile, example], out, io.StringIO()) == 0
    assert "(csv, gbk): 568 rows" in out.getvalue()
    assert "rows in 568  used 568  quarantined 0" in out.getvalue()
    out = io.StringIO()
    assert run_profile(["check", profile], out, io.StringIO()) == 0 and out.getvalue() == ""
    out = io.StringIO()
    licensing = str(root / "policies" / "licensing")
    assert run_profile(["check", profile, example, "--policy", licensing], out, io.StringIO()) == 0
    assert "quarantined 0" in out.getvalue()
    road = str(root / "fixtures" / "profiles" / "road_fines.toml")
    sample = str(root / "fixtures" / "real_samples" / "road_fines_sample.xes.gz")
    out = io.StringIO()
    policy = str(root / "policies" / "road_fines")
    assert run_profile(["check", road, sample, "--policy", policy], out, io.StringIO()) == 0
    assert "missing_actor: 128  e.g. " in out.getvalue()  # the log names nobody for appeals

    err = io.StringIO()
    assert run_profile(["infer", str(tmp_path / "none.csv")], io.StringIO(), err) == 2
    assert "no such file" in err.getvalue()
    err = io.StringIO()
    assert run_profile(["check", str(tmp_path / "none.toml")], io.StringIO(), err) == 2
    assert "cannot read the profile" in err.getvalue()
    assert run_profile(["frobnicate"], io.StringIO(), io.StringIO()) == 2
