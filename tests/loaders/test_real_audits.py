"""Audits of the real road-fines log under policies/road_fines: on the in-repo sample
always, on the full log when ../shared/data/real is there."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROAD_FINES = "road_fines/Road_Traffic_Fine_Management_Process.xes.gz"


def _lapses(doc: dict[str, object]) -> Counter[str]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return Counter(f["lapse"] for f in findings)


def test_road_fines_sample_audit(root: Path, audit_json: Callable[..., dict[str, Any]]) -> None:
    doc = audit_json(
        root / "fixtures/real_samples/road_fines_sample.xes.gz",
        "road_fines",
        "road_fines",
        "2013-06-18",
    )
    assert _lapses(doc) == {
        "cds201_notification_late": 7,
        "cds203_appeal_forwarding_late": 10,
        "cds204_prefecture_decision_late": 1,
    }
    summary = doc["run"]["summary"]  # type: ignore[index]
    assert (summary["cases"], summary["rows_in"], summary["rows_quarantined"]) == (311, 1312, 0)
    # The log names no person for the appeal steps: reported, kept, and the findings say so.
    defects = doc["defects"]
    assert isinstance(defects, list) and {d["code"] for d in defects} == {"missing_actor"}
    findings = doc["findings"]
    assert isinstance(findings, list)
    first = next(f for f in findings if f["lapse"] == "cds203_appeal_forwarding_late")
    assert first["subjects"][0]["responsibility"] == "责任主体不明确"
    assert first["facts"]["deadline"] == "2007-12-21"  # 60 natural days after 2007-10-22
    # cds201 takes the version in force on the day the fine was created (L. 120/2010)
    applied = Counter(
        f["policy"]["versions"]["applied"]
        for f in findings
        if f["lapse"] == "cds201_notification_late"
    )
    assert applied == {"2000-01-01": 5, "2010-08-13": 2}


@pytest.mark.realdata
def test_road_fines_full_audit(
    root: Path, real: Path, audit_json: Callable[..., dict[str, Any]]
) -> None:
    doc = audit_json(real / ROAD_FINES, "road_fines", "road_fines", "2013-06-18")
    assert _lapses(doc) == {
        "cds201_notification_late": 3257,
        "cds203_appeal_forwarding_late": 858,
        "cds204_prefecture_decision_late": 47,
        "l689_collection_time_barred": 4,
    }
    summary = doc["run"]["summary"]  # type: ignore[index]
    assert (summary["cases"], summary["rows_in"], summary["rows_used"]) == (
        150_370,
        561_470,
        561_470,
    )
