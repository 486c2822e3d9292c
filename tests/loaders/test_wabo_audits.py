"""Audits of the BPIC 2015 building-permit logs under policies/wabo (Wabo decision terms):
on the in-repo samples always, on the five full logs when ../shared/data/real is there.

Each municipality is audited as of the day after its log's last event (BPIC15_1: after its
last event but one — a registration dated 2015-08-01 in a case whose every other step is
of 25 November 2013, quarantined as after_as_of). The README's "Real logs" table is these
counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

AS_OF = {1: "2015-03-10", 2: "2015-03-05", 3: "2015-03-06", 4: "2015-03-06", 5: "2015-03-04"}
DEEMED, EXTENDED, EXTENSION = (
    "wabo_deemed_permit",
    "wabo_extended_decision_late",
    "wabo_extension_late",
)


def _by_lapse(doc: dict[str, Any]) -> Counter[str]:
    return Counter(f["lapse"] for f in doc["findings"])


def _finding(doc: dict[str, Any], case: str, lapse: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        f for f in doc["findings"] if f["case_id"] == case and f["lapse"] == lapse
    )
    return found


SAMPLE_COUNTS = {
    1: {DEEMED: 4, EXTENDED: 2},
    2: {DEEMED: 5, EXTENDED: 4},
    3: {DEEMED: 3, EXTENDED: 1, EXTENSION: 1},
    4: {EXTENDED: 2},
    5: {DEEMED: 1, EXTENDED: 1},
}


@pytest.mark.parametrize("n", sorted(SAMPLE_COUNTS))
def test_wabo_sample_audit(root: Path, audit_json: Callable[..., dict[str, Any]], n: int) -> None:
    sample = root / f"fixtures/real_samples/bpic2015_{n}_sample.xes.gz"
    doc = audit_json(sample, "bpic2015", "wabo", AS_OF[n])
    assert _by_lapse(doc) == SAMPLE_COUNTS[n]
    summary = doc["run"]["summary"]
    assert (summary["cases"], summary["rows_quarantined"], doc["defects"]) == (60, 0, [])


def test_wabo_sample_findings_read_as_the_law_says(
    root: Path, audit_json: Callable[..., dict[str, Any]]
) -> None:
    # BPIC15_1 case 3301142: received Thursday 17 March 2011, regular procedure inferred
    # (no caseProcedure, no draft decision); eight weeks end Thursday 12 May 2011; the
    # decision's send date is 13 May: a day late, the permit deemed granted on 13 May. The
    # case's Responsible_actor (560464) answers, not the clerk who sent it (560890).
    doc = audit_json(
        root / "fixtures/real_samples/bpic2015_1_sample.xes.gz", "bpic2015", "wabo", AS_OF[1]
    )
    f = _finding(doc, "3301142", DEEMED)
    assert (f["facts"]["deadline"], f["facts"]["overdue_days"], f["facts"]["state"]) == (
        "2011-05-12",
        1,
        "late",
    )
    assert [s["person"] for s in f["subjects"]] == ["560464"] and f["grade"] == "licht"
    assert f["policy"]["versions"]["applied"] == "2010-10-01"

    # BPIC15_3 case 4530770: caseProcedure Uitgebreid, received Monday 6 February 2012:
    # 26 weeks end Monday 6 August 2012; the extension was sent on 29 November, 115 days
    # after the term — it extends nothing and is a finding of its own, on its sender —
    # and the decision of 30 November is 116 days late.
    doc = audit_json(
        root / "fixtures/real_samples/bpic2015_3_sample.xes.gz", "bpic2015", "wabo", AS_OF[3]
    )
    late = _finding(doc, "4530770", EXTENDED)
    assert (late["facts"]["deadline"], late["facts"]["overdue_days"], late["grade"]) == (
        "2012-08-06",
        116,
        "zeer_zwaar",
    )
    assert [s["person"] for s in late["subjects"]] == ["2013365"]
    extension = _finding(doc, "4530770", EXTENSION)
    assert [s["person"] for s in extension["subjects"]] == ["560741"]
    assert extension["grade"] == "aanzienlijk"


# Per municipality: (cases, events in, events quarantined), findings per lapse, and of
# them how many are still open at the audit date.
FULL = {
    1: ((1199, 52217, 1), {DEEMED: 126, EXTENDED: 39, EXTENSION: 4}, 25),
    2: ((832, 44354, 0), {DEEMED: 78, EXTENDED: 56, EXTENSION: 5}, 12),
    3: ((1409, 59681, 0), {DEEMED: 93, EXTENDED: 33, EXTENSION: 7}, 20),
    4: ((1053, 47293, 0), {DEEMED: 36, EXTENDED: 35, EXTENSION: 1}, 8),
    5: ((1156, 59083, 0), {DEEMED: 57, EXTENDED: 29}, 10),
}


@pytest.mark.realdata
@pytest.mark.parametrize("n", sorted(FULL))
def test_wabo_full_audit(
    root: Path, real: Path, audit_json: Callable[..., dict[str, Any]], n: int
) -> None:
    doc = audit_json(real / f"bpic2015/BPIC15_{n}.xes.gz", "bpic2015", "wabo", AS_OF[n])
    counts, lapses, ongoing = FULL[n]
    summary = doc["run"]["summary"]
    assert (summary["cases"], summary["rows_in"], summary["rows_quarantined"]) == counts
    assert summary["rows_used"] + summary["rows_quarantined"] == summary["rows_in"]
    assert _by_lapse(doc) == lapses
    assert sum(1 for f in doc["findings"] if f["facts"]["ongoing"]) == ongoing
    if n == 1:
        # The future-dated registration is quarantined; the trace without a
        # Responsible_actor is reported and kept.
        assert sorted(d["code"] for d in doc["defects"]) == ["after_as_of", "missing_assignee"]
    if n == 5:
        # The one application received before the Wabo (23 November 2009) is not judged.
        assert not [f for f in doc["findings"] if f["case_id"] == "4511735"]
