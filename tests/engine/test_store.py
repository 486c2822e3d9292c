"""The store on SQLite and PostgreSQL: idempotent re-runs, review status kept, runs found."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session

from engine.store import FindingRow, RunRecord, load_run_findings, open_store, resolve_run, save_run

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def _finding(fid: str, case: str, grade: str = "提醒谈话") -> dict:
    return {
        "id": fid,
        "case_id": case,
        "lapse": "decision_late",
        "grade": grade,
        "anchor": "2025-03-31",
        "subjects": [{"person": "S01", "responsibility": "直接责任"}],
        "policy": {"id": "licensing", "version": "2019-04-23", "source": "行政许可法"},
    }


def _run(as_of: str = "2026-11-20") -> RunRecord:
    return RunRecord(
        ["licensing@2019-04-23"], "p" * 64, "i" * 64, as_of, "0.1.0", ["x.csv"], {"cases": 2}
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'w.db'}"
        return
    name = f"wenze_test_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # server absent on a developer machine
        if os.environ.get("WENZE_REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_rerun_is_idempotent_and_keeps_review_status(url: str) -> None:
    engine = open_store(url)
    findings = [_finding("a1", "C1"), _finding("b2", "C2")]
    rid = save_run(engine, _run(), findings, [("bad_time", "x.csv", 4, "time", "not a time")])
    with Session(engine) as s, s.begin():
        s.execute(update(FindingRow).where(FindingRow.id == "a1").values(review_status="confirmed"))
    rid2 = save_run(engine, _run(), [_finding("a1", "C1", grade="批评教育"), _finding("b2", "C2")])
    assert rid == rid2
    with Session(engine) as s:
        rows = {r.id: r for r in s.scalars(select(FindingRow))}
    assert set(rows) == {"a1", "b2"}
    assert rows["a1"].review_status == "confirmed" and rows["a1"].grade == "批评教育"
    got = load_run_findings(engine, rid)
    assert [f["id"] for f in got] == ["a1", "b2"] and got[0]["review_status"] == "confirmed"
    engine.dispose()


def test_runs_are_found_by_id_prefix_and_latest(url: str) -> None:
    engine = open_store(url)
    r1 = save_run(engine, _run("2026-01-01"), [_finding("a1", "C1")])
    r2 = save_run(engine, _run("2026-02-01"), [_finding("a1", "C1"), _finding("c3", "C3")])
    assert r1 != r2
    latest = resolve_run(engine, "latest")
    assert latest is not None and latest.id == r2
    found = resolve_run(engine, r1[:8])
    assert found is not None and found.id == r1
    assert resolve_run(engine, "zzzz") is None
    assert [f["id"] for f in load_run_findings(engine, r1)] == ["a1"]
    engine.dispose()


def test_changed_finding_keeps_review_but_is_flagged(url: str) -> None:
    from engine.store import load_run_findings, record_review

    engine = open_store(url)
    rid = save_run(engine, _run(), [_finding("a1", "C1")])
    assert (
        record_review(engine, "a1", "confirmed", "核实属实", "李审核", "2026-11-27T00:00:00+00:00")
        == "a1"
    )
    save_run(engine, _run(), [_finding("a1", "C1", grade="通报批评")])
    got = load_run_findings(engine, rid)[0]
    assert (
        got["review_status"] == "confirmed" and got["review_flag"] == "changed since review: grade"
    )
    assert record_review(engine, "zz", "confirmed", "x", "y", "t") is None
    engine.dispose()


def test_a_database_from_an_older_schema_is_a_clear_error(tmp_path: Path) -> None:
    import io
    import sqlite3

    from engine.cli_report import run_report

    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute("create table findings (id text primary key, payload text)")
    con.commit()
    con.close()
    err = io.StringIO()
    assert run_report(["latest", "--db", f"sqlite:///{db}"], io.StringIO(), err) == 2
    assert "lacks column(s)" in err.getvalue() and "older wenze" in err.getvalue()
    err = io.StringIO()
    assert run_report(["latest", "--db", "nosuchdialect://x"], io.StringIO(), err) == 2
    assert "cannot open the store" in err.getvalue()


def test_first_run_builds_the_finding_indexes_after_its_rows(url: str) -> None:
    """Into an empty SQLite store the findings' secondary indexes are dropped and built
    again once the rows are in; every declared index is there after the first run and
    after a second, and queries by them see every finding."""
    from sqlalchemy import inspect

    engine = open_store(url)
    declared = {i.name for i in FindingRow.__table__.indexes}  # type: ignore[attr-defined]
    for as_of in ("2026-01-01", "2026-02-01"):
        save_run(engine, _run(as_of), [_finding(f"f{i}", f"C{i % 7}") for i in range(50)])
        names = {i["name"] for i in inspect(engine).get_indexes("findings")}
        assert declared <= names
    with Session(engine) as s:
        hits = s.scalars(select(FindingRow.id).where(FindingRow.case_id == "C3")).all()
    assert sorted(hits) == sorted(f"f{i}" for i in range(50) if i % 7 == 3)


def test_each_run_lists_exactly_its_own_findings(url: str) -> None:
    """A first run into an empty store links its findings in one statement, later runs
    row by row: either way a run lists its findings and no other run's."""
    engine = open_store(url)
    first = save_run(engine, _run("2026-01-01"), [_finding(f"f{i}", "C1") for i in range(5)])
    second = save_run(engine, _run("2026-02-01"), [_finding(f"f{i}", "C1") for i in range(3, 8)])
    empty = save_run(engine, _run("2026-03-01"), [])
    assert sorted(f["id"] for f in load_run_findings(engine, first)) == [f"f{i}" for i in range(5)]
    assert sorted(f["id"] for f in load_run_findings(engine, second)) == [
        f"f{i}" for i in range(3, 8)
    ]
    assert load_run_findings(engine, empty) == []
    again = save_run(engine, _run("2026-01-01"), [_finding(f"f{i}", "C1") for i in range(5)])
    assert again == first
    assert sorted(f["id"] for f in load_run_findings(engine, first)) == [f"f{i}" for i in range(5)]
