"""The real logs: the in-repo samples always, the full files in ../shared/data/real when
present (the `realdata` tests skip cleanly otherwise)."""

from __future__ import annotations

import gzip
import importlib.util
import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from engine.loaders import load
from engine.loaders.xes import read_xes
from engine.profile import load_profile

ROAD_FINES = "road_fines/Road_Traffic_Fine_Management_Process.xes.gz"
ROAD_FINES_CSV = "road_fines/csv/Road_Traffic_Fine_Management_Process.zip"
# (cases, events) per municipality, as the log README counts them
BPIC15 = {1: (1199, 52217), 2: (832, 44354), 3: (1409, 59681), 4: (1053, 47293), 5: (1156, 59083)}
SAMPLES = {
    "road_fines_sample.xes.gz": ("road_fines", 311, 1312),
    "bpic2015_1_sample.xes.gz": ("bpic2015", 60, 2489),
    "bpic2015_2_sample.xes.gz": ("bpic2015", 60, 3172),
    "bpic2015_3_sample.xes.gz": ("bpic2015", 60, 2490),
    "bpic2015_4_sample.xes.gz": ("bpic2015", 60, 2705),
    "bpic2015_5_sample.xes.gz": ("bpic2015", 60, 3141),
}


def _profile(root: Path, name: str) -> Any:
    return load_profile(str(root / "fixtures" / "profiles" / f"{name}.toml"))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_samples_load_whole_and_clean(root: Path, sample: str) -> None:
    profile, cases, events = SAMPLES[sample]
    path = str(root / "fixtures" / "real_samples" / sample)
    r = load([path], profile=_profile(root, profile))
    assert (len(r.cases), r.rows_in, r.rows_used, r.defects) == (cases, events, events, [])
    fast = [(t.index, t.line, t.attrs, t.events) for t in read_xes(path)]
    assert fast == [(t.index, t.line, t.attrs, t.events) for t in read_xes(path, reference=True)]


def test_road_fines_sample_reads_rome_days(root: Path) -> None:
    path = str(root / "fixtures" / "real_samples" / "road_fines_sample.xes.gz")
    r = load([path], profile=_profile(root, "road_fines"))
    first = r.cases["A1"].events[0]
    assert (first.activity, first.time.isoformat()) == ("create_fine", "2006-07-24T00:00:00+02:00")
    assert first.day_precision and first.actor == "561" and first.event_id == "A1/1"
    assert first.attrs["lifecycle"] == "complete" and first.attrs["amount"] == "35.0"


def test_bpic_sample_case_attributes_and_codes(root: Path) -> None:
    path = str(root / "fixtures" / "real_samples" / "bpic2015_2_sample.xes.gz")
    r = load([path], profile=_profile(root, "bpic2015"))
    procedures = Counter(c.attrs.get("procedure", "") for c in r.cases.values())
    assert set(procedures) <= {"", "Regulier", "Uitgebreid"} and procedures["Uitgebreid"]
    e = next(iter(r.cases.values())).events[0]
    assert e.time.tzinfo is not None and str(e.time.tzinfo) == "Europe/Amsterdam"
    assert "label" in e.attrs and "activityNameEN" not in e.attrs


@pytest.mark.realdata
def test_road_fines_full_log(root: Path, real: Path) -> None:
    r = load([str(real / ROAD_FINES)], profile=_profile(root, "road_fines"))
    assert len(r.cases) == 150_370 and r.rows_in == 561_470
    assert r.rows_used == 561_470 and r.rows_quarantined == 0 and not r.defects
    counts = Counter(e.activity for c in r.cases.values() for e in c.events)
    assert counts["create_fine"] == 150_370 and counts["send_fine"] == 103_987
    assert counts["appeal_to_judge"] == 555 and len(counts) == 11
    lengths = [len(c.events) for c in r.cases.values()]
    assert (min(lengths), max(lengths)) == (2, 20)


@pytest.mark.realdata
@pytest.mark.parametrize("n", sorted(BPIC15))
def test_bpic2015_full_logs(root: Path, real: Path, n: int) -> None:
    r = load([str(real / f"bpic2015/BPIC15_{n}.xes.gz")], profile=_profile(root, "bpic2015"))
    assert (len(r.cases), r.rows_in) == BPIC15[n]
    assert r.rows_used == r.rows_in and not r.defects


@pytest.mark.realdata
def test_bpic2020_zip_reads_with_the_xes_defaults(real: Path) -> None:
    r = load([str(real / "bpic2020_permit/BPIC20_PermitLog.zip")])
    assert (len(r.cases), r.rows_in, r.rows_used) == (7065, 86581, 86581) and not r.defects
    roles = Counter(e.role for c in r.cases.values() for e in c.events)
    assert roles["SUPERVISOR"] == 14_896 and roles["EMPLOYEE"] == 33_436


@pytest.mark.realdata
def test_the_csv_copy_in_utc_gives_the_same_rome_days(
    root: Path, real: Path, tmp_path: Path
) -> None:
    """The pm4py CSV copy stores 2006-07-24 00:00 +02:00 as 2006-07-23 22:00 UTC: read in
    Europe/Rome with the same profile it gives the XES file's calendar days."""
    with zipfile.ZipFile(real / ROAD_FINES_CSV) as z, z.open(z.namelist()[0]) as f:
        lines = list(io.TextIOWrapper(f, encoding="utf-8").readlines()[:3001])
    (tmp_path / "copy.csv").write_text("".join(lines), encoding="utf-8")
    profile = _profile(root, "road_fines")
    csv_load = load([str(tmp_path / "copy.csv")], profile=profile)
    assert not csv_load.defects and csv_load.rows_in == 3000
    wanted = set(csv_load.cases)
    xes_days: dict[str, list[tuple[str, str]]] = {}
    for trace in read_xes(str(real / ROAD_FINES)):
        case = trace.attrs["concept:name"]
        if case in wanted:
            xes_days[case] = [
                (profile.activity_map[d["concept:name"]], d["time:timestamp"][:10])
                for _l, d in trace.events
            ]
    complete = [c for c in wanted if len(csv_load.cases[c].events) == len(xes_days[c])]
    assert len(complete) >= len(wanted) - 1  # the last case may be cut by the 3000 lines
    for case in complete:
        got = [(e.activity, e.time.date().isoformat()) for e in csv_load.cases[case].events]
        assert sorted(got) == sorted(xes_days[case]), case


@pytest.mark.realdata
def test_samples_regenerate_byte_for_byte(
    root: Path, real: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_samples", root / "fixtures" / "real_samples" / "make_samples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    monkeypatch.setattr("sys.argv", ["make_samples", "--real", str(real)])
    assert module.main() == 0
    for name in SAMPLES:
        shipped = (root / "fixtures" / "real_samples" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == shipped, name
        assert gzip.decompress(shipped)  # a whole gzip stream
