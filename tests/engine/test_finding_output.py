"""The fast paths of finding output spell the findings exactly as the plain ones did.

`compact` reuses one C encoder instead of calling `json.dumps`; `JsonDocument` writes the
findings document in steps so the store's serialisation can feed it; `save_run` hands
each stored text to `on_payload`. Each must give the bytes of the simple version.
"""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.findings import _dedupe
from engine.jsonfmt import compact
from engine.model import Event
from engine.report import JsonDocument, ReportModel, write_json
from engine.store import RunRecord, load_run_findings, open_store, save_run


def _dumps(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


SAMPLES: list[dict[str, Any]] = [
    {},
    {"b": 1, "a": [1, 2.5, None, True, False], "c": {"z": "", "y": {"x": []}}},
    {"text": "期限届满日 2026-03-10（已扣除中止期间）", "q": 'a "quoted" \\ back\nslash\t\x01'},
    {"nan": math.nan, "inf": math.inf, "big": 10**30, "neg": -0.0, "f": 1e-7},
    {"emoji": "😀", "surrogate-free": "\u2028\u2029", "mixed": ["①", {"é": "ü"}]},
    {3: "int key", 2: "keys json turns into text"},
]


@pytest.mark.parametrize("item", SAMPLES)
def test_compact_matches_json_dumps(item: dict[str, Any]) -> None:
    assert compact(item) == _dumps(item)


def test_compact_rejects_what_json_rejects() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        compact({"when": datetime(2026, 1, 1)})
    assert compact({"ok": 1}) == '{"ok": 1}'  # a failed call leaves the encoder usable


def _finding(i: int) -> dict[str, Any]:
    return {
        "id": f"f{i:03d}",
        "case_id": f"C{i % 3}",
        "lapse": "decision_late",
        "grade": "提醒谈话",
        "anchor": "2025-03-31",
        "subjects": [{"person": f"S{i}", "responsibility": "直接责任"}],
        "policy": {"id": "licensing", "version": "2019-04-23", "source": "行政许可法"},
        "explanation": [{"step": "deadline", "text": f"期限届满日 2025-03-{i % 28 + 1:02d}"}],
    }


@pytest.mark.parametrize("n", [0, 1, 5])
def test_streamed_document_equals_write_json(tmp_path: Path, n: int) -> None:
    findings = [_finding(i) for i in range(n)]
    defects = [{"code": "bad_time", "file": "x.csv", "line": 4, "field": "time", "message": "坏"}]
    run = {"id": "r1", "summary": {"findings": n, "cases": 3}, "inputs": ["x.csv"]}
    plain = io.StringIO()
    write_json(ReportModel(run, findings, defects), plain)

    streamed = io.StringIO()
    doc = JsonDocument(streamed, defects)
    record = RunRecord(["licensing@1"], "p" * 64, "i" * 64, "2026-11-20", "0", ["x.csv"], {})
    save_run(open_store(f"sqlite:///{tmp_path / 'w.db'}"), record, findings, on_payload=doc.finding)
    doc.close(run)
    assert streamed.getvalue() == plain.getvalue()
    assert json.loads(plain.getvalue())["findings"] == findings


def test_store_keeps_the_compact_text_and_the_review_defaults(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    findings = [_finding(i) for i in range(3)]
    record = RunRecord(["licensing@1"], "p" * 64, "i" * 64, "2026-11-20", "0", ["x.csv"], {})
    rid = save_run(engine, record, findings)
    rid2 = save_run(engine, record, findings)  # a re-run upserts the same rows
    assert rid == rid2
    back = load_run_findings(engine, rid)
    assert [f.pop("review_status") for f in back] == ["open"] * 3
    assert back == sorted(findings, key=lambda f: (f["case_id"], f["lapse"], f["anchor"], f["id"]))


def _ev(eid: str, minute: int, seq: int) -> Event:
    t = datetime(2026, 1, 5, 9, minute, tzinfo=UTC)
    return Event("C1", eid, t, "受理", "S1", "", "", "", {}, "x.csv", seq + 2, seq=seq)


def test_dedupe_orders_by_time_then_file_order_and_keeps_the_first_of_an_id() -> None:
    a, b, c = _ev("E1", 5, 0), _ev("E2", 5, 1), _ev("E3", 1, 2)
    assert _dedupe([]) == []
    assert _dedupe([b]) == [b]
    assert _dedupe([b, a]) == [a, b]  # same instant: file order
    assert _dedupe([a, c]) == [c, a]
    twin = _ev("E1", 9, 7)
    assert _dedupe([a, twin]) == [a]
    assert _dedupe([twin, a]) == [twin]
    assert _dedupe([a, b, c, twin]) == [c, a, b]
