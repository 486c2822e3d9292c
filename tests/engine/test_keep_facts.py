"""The `wenze` program keeps derived facts past their chunk (up to a bound) instead of
freeing them; the findings do not change, and the bound holds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import engine.audit as audit_mod
from dsl.api import load_policies
from engine.audit import audit_policies, keep_facts_until_exit
from engine.calendar import load_cn_calendar
from engine.loader_csv import load_exports

ROOT = Path(__file__).resolve().parents[2]


def test_kept_facts_change_no_finding_and_stop_at_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audit_mod, "CHUNK", 16)
    monkeypatch.setattr(audit_mod._FactsKept, "keep", None)
    monkeypatch.setattr(audit_mod._FactsKept, "count", 0)
    monkeypatch.setattr(audit_mod._FactsKept, "limit", 0)
    loaded = load_exports([str(ROOT / "fixtures/sample/licensing_sample.csv")])
    policies = load_policies(str(ROOT / "policies/licensing"))[0]
    cal, as_of = load_cn_calendar(), date(2026, 11, 20)

    def ids() -> list[str]:
        out = audit_policies(loaded.cases, policies, cal, as_of, stage="python")
        return [f.id for f in out.findings]

    kept: list[list[object]] = []
    plain = ids()
    assert kept == []
    keep_facts_until_exit(40, kept.append)
    assert ids() == plain
    # Chunks of 16 are kept while fewer than 40 cases are: three chunks, then no more.
    assert [len(c) for c in kept] == [16, 16, 16]
    assert len(loaded.cases) > 48
