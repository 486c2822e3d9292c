"""The canonical reader's shortcuts give what the plain path gives: times read from a
shared epoch, event ids checked with a set and indexed only when asked, case ids and case
attributes taken once per run of a case's rows."""

from __future__ import annotations

from typing import Any

import pytest

from engine.loaders.canonical import load_exports, read_canonical
from engine.loaders.checks import Checks
from engine.loaders.result import Batch, LoadResult
from engine.loaders.timeparse import TimeParser

HEADER = "case_id,event_id,time,activity,actor,assignee,role,unit,case.b,case.a\n"

# 19 characters with "T" or " " at 10 (the inlined case) and others: each must come out as
# TimeParser.parse reads it, or be quarantined where it raises.
TIMES = [
    "2025-09-04T16:32:00",
    "2025-09-04 16:32:59",
    "1991-12-31T23:59:59",  # before Shanghai's offset was fixed: the full parser
    "1992-01-01T00:00:00",
    "2025-W36-4T16:32:00",  # an ISO week date
    "2025-09-04T163200.5",
    "2025-09-04T16:32+08",  # has an offset: aware
    "2025-09-04T24:00:00",
    "2025-02-29T10:00:00",
    "0000-01-01T00:00:00",
    "２０２５-09-04T16:32:00",
    "2025-09-04",
    "2025-09-04T16:32:00+02:00",
    " 2025-09-04T16:32:00",
]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "Europe/Amsterdam"])
def test_times_are_what_the_time_parser_reads(write: Any, zone: str) -> None:
    body = "".join(f"C{i},E{i},{t},收件,S1,,,,,\n" for i, t in enumerate(TIMES))
    r = load_exports([write("t.csv", HEADER + body)], zone_name=zone)
    parse = TimeParser(zone)
    got = {e.event_id: e for c in r.cases.values() for e in c.events}
    quarantined = {q[0].event_id: q[0].code for q in r.quarantined}
    for i, text in enumerate(TIMES):
        try:
            want, _kind = parse.parse(text)
        except ValueError:
            assert quarantined[f"E{i}"] == "bad_time", text
            continue
        if f"E{i}" in quarantined:  # the fewer kind of a naive/aware mix
            assert quarantined[f"E{i}"] == "mixed_naive_aware", text
            continue
        e = got[f"E{i}"].time
        assert (e, e.isoformat(), str(e.tzinfo)) == (want, want.isoformat(), str(want.tzinfo))


def test_naive_local_times_share_one_tzinfo(write: Any) -> None:
    body = "".join(f"C1,E{i},2025-09-0{i}T10:00:00,收件,S1,,,,,\n" for i in range(1, 6))
    events = load_exports([write("t.csv", HEADER + body)]).cases["C1"].events
    assert len({id(e.time.tzinfo) for e in events}) == 1
    assert events[0].time.isoformat() == "2025-09-01T10:00:00+08:00"


def test_every_duplicate_names_the_row_that_took_the_id(write: Any) -> None:
    first = write(
        "a.csv",
        HEADER + "C1,E1,2025-01-01T09:00:00,收件,S1,,,,,\nC1,E2,2025-01-01T09:01:00,受理,S1,,,,,\n",
    )
    second = write(
        "b.csv",
        HEADER
        + "C2,E3,2025-01-01T09:00:00,收件,S1,,,,,\n"
        + "C2,E2,2025-01-01T09:00:00,收件,S1,,,,,\n"  # 3: taken by a.csv:3
        + "C2,E4,2025-01-01T09:00:00,收件,S1,,,,,\n"
        + "C2,E3,2025-01-01T09:00:00,收件,S1,,,,,\n"  # 5: taken by b.csv:2
        + "C2,E5,2025-01-01T09:00:00,收件,S1,,,,,\n"
        + "C2,E4,2025-01-01T09:00:00,收件,S1,,,,,\n",  # 7: taken by b.csv:4
    )
    r = load_exports([first, second])
    assert [(d.line, d.message.rsplit(" at ", 1)[1]) for d in r.defects] == [
        (3, f"{first}:3"),
        (5, f"{second}:2"),
        (7, f"{second}:4"),
    ]


def test_seen_ids_hold_every_accepted_id_in_order(write: Any) -> None:
    batch = Batch(LoadResult(cases={}))
    parse = TimeParser()
    a = write("a.csv", HEADER + "C1,E1,2025-01-01T09:00:00,收件,S1,,,,,\n,E9,x,y,,,,,,\n")
    b = write(
        "b.csv",
        HEADER + "C1,E3,2025-01-01T09:00:00,收件,S1,,,,,\nC1,E1,2025-01-02,收件,S1,,,,,\n",
    )
    read_canonical(a, batch, Checks(), parse, None)
    read_canonical(b, batch, Checks(), parse, None)
    assert batch.seen_ids == {"E1": 2, "E3": 1 << 32 | 2}
    assert list(batch.seen_ids) == ["E1", "E3"]


def test_an_id_quarantined_for_a_naive_aware_mix_is_free_again(write: Any) -> None:
    mixed = write(
        "m.csv",
        HEADER
        + "C1,E1,2025-01-01T09:00:00,收件,S1,,,,,\n"
        + "C1,E2,2025-01-01T10:00:00,收件,S1,,,,,\n"
        + "C1,E3,2025-01-01T11:00:00+08:00,收件,S1,,,,,\n",
    )
    later = write("l.csv", HEADER + "C1,E3,2025-01-01T11:00:00,受理,S1,,,,,\n")
    r = load_exports([mixed, later])
    assert [d.code for d in r.defects] == ["mixed_naive_aware"]
    assert [e.event_id for e in r.cases["C1"].events] == ["E1", "E2", "E3"]


def test_case_attributes_first_value_wins_and_names_come_sorted(write: Any) -> None:
    path = write(
        "c.csv",
        HEADER
        + "C1,E1,2025-01-01T09:00:00,收件,S1,,,,x,\n"
        + "C2,E2,2025-01-01T09:00:00,收件,S1,,,,p,q\n"
        + " C1,E3,2025-01-01T10:00:00,收件,S1,,,,x,\n"  # the same case, the same values
        + "C1,E4,2025-01-01T11:00:00,收件,S1,,,,y,z\n",  # b conflicts; a is new
    )
    r = load_exports([path])
    assert list(r.cases["C1"].attrs.items()) == [("a", "z"), ("b", "x")]
    assert list(r.cases["C2"].attrs.items()) == [("a", "q"), ("b", "p")]
    assert [(d.line, d.code, d.field) for d in r.defects] == [
        (5, "inconsistent_case_attribute", "case.b")
    ]
    assert f"differs from 'x' at {path}:2" in r.defects[0].message
