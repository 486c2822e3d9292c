"""The findings store: SQLAlchemy 2 models, kept apart from the domain dataclasses.

In: a database URL (SQLite file by default, PostgreSQL for shared use), an audit run's
record and its findings as JSON-able dicts.
Out: stored runs and findings; reading them back for reports.

A run's id is a hash of what determines its result (policy hashes, input hash, as_of,
wenze version), so running the same audit again replaces the same run and upserts the
same finding ids: re-running is idempotent. Review status lives on the finding and is
never reset by a re-run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from engine.grading import Prior
from engine.jsonfmt import compact


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, index=True)  # order runs were stored in
    policy_ids: Mapped[str] = mapped_column(Text)
    policy_hash: Mapped[str] = mapped_column(String(64))
    input_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[str] = mapped_column(String(10))
    wenze_version: Mapped[str] = mapped_column(String(32))
    inputs: Mapped[str] = mapped_column(Text)  # JSON list of file names
    summary: Mapped[str] = mapped_column(Text)  # JSON: counts in/used/quarantined, states …


class FindingRow(Base):
    __tablename__ = "findings"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(200), index=True)
    lapse: Mapped[str] = mapped_column(String(200), index=True)
    case_id: Mapped[str] = mapped_column(String(200), index=True)
    person: Mapped[str] = mapped_column(String(200), index=True)
    grade: Mapped[str] = mapped_column(String(100))
    anchor: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # the finding's JSON
    review_status: Mapped[str] = mapped_column(String(20), default="open")
    # Set when a re-run changed the grade or facts of a finding a reviewer had decided on:
    # the decision carries over, flagged for a second look (DESIGN §8).
    review_flag: Mapped[str] = mapped_column(String(200), default="")


class RunFindingRow(Base):
    __tablename__ = "run_findings"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    finding_id: Mapped[str] = mapped_column(ForeignKey("findings.id"), primary_key=True)


class ReviewRow(Base):
    """The audit log of reviewers' decisions: one row per decision, never updated."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(ForeignKey("findings.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # confirmed / dismissed / regraded
    grade: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(String(40))  # when the reviewer decided (adapter clock)


class DefectRow(Base):
    __tablename__ = "defects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(Text)
    line: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class RunRecord:
    policy_ids: list[str]
    policy_hash: str
    input_hash: str
    as_of: str
    wenze_version: str
    inputs: list[str]
    summary: dict[str, Any]

    @property
    def run_id(self) -> str:
        raw = "\x1f".join((self.policy_hash, self.input_hash, self.as_of, self.wenze_version))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


def default_url(path: str = "wenze.db") -> str:
    return f"sqlite:///{path}"


class StoreError(Exception):
    """The store cannot be used as it is (unreachable, or written by another schema)."""


def open_store(url: str) -> Engine:
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:  # a malformed URL or a missing driver: say which
        raise StoreError(f"{url}: cannot open the store: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        Base.metadata.create_all(engine)
        _check_schema(engine, url)
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"{url}: cannot open the store: {exc.__class__.__name__}: {exc}") from exc
    return engine


def _check_schema(engine: Engine, url: str) -> None:
    """A database written by an older wenze lacks columns this one needs: say so plainly
    instead of failing later in the middle of an audit."""
    found = inspect(engine)
    for table in Base.metadata.sorted_tables:
        have = {c["name"] for c in found.get_columns(table.name)}
        missing = sorted(c.name for c in table.columns if c.name not in have)
        if missing:
            raise StoreError(
                f"{url}: table {table.name} lacks column(s) {', '.join(missing)}: the database was "
                f"written by an older wenze; audit into a new database (--db) — earlier runs stay readable "
                f"with the wenze version that wrote them"
            )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # synchronous=NORMAL keeps the database consistent after an application crash and
    # saves fsyncs; each run is written in one transaction anyway.
    # page_size takes effect only when the file is created (an existing database keeps its
    # own): a finding's JSON is 2–4 KB, so 4 KB pages held one row each and writing 60k
    # findings took nearly twice as long as with 64 KB pages, which hold twenty.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA page_size=65536")
    cur.close()


BATCH = 2000


def _table(model: type[Base]) -> Table:
    t = model.__table__
    assert isinstance(t, Table)
    return t


def save_run(
    engine: Engine,
    run: RunRecord,
    findings: Sequence[dict[str, Any]] = (),
    defects: Iterable[tuple[str, str, int, str, str]] = (),
    on_payload: Callable[[str], None] | None = None,
    rows: Iterable[FindingValues] | None = None,
) -> str:
    """Store a run and its findings; returns the run id. Idempotent for the same run.
    The findings come as JSON-form dicts (`findings`, serialised here with
    `engine.jsonfmt.compact`) or as ready rows (`rows`, in `_ROW_COLUMNS`
    order, the payload last: `engine.finding_text.finding_rows`), which may be produced
    lazily. `on_payload`: called with each finding's text, in order, as it is stored — to
    write the findings document (`engine.report.JsonDocument.finding`) without
    serialising every finding a second time or holding all the texts at once."""
    rid = run.run_id
    with Session(engine) as s, s.begin():
        existing = s.get(RunRow, rid)
        seq = existing.seq if existing is not None else _next_seq(s)
        s.execute(delete(RunFindingRow).where(RunFindingRow.run_id == rid))
        s.execute(delete(DefectRow).where(DefectRow.run_id == rid))
        if existing is not None:
            s.delete(existing)
            s.flush()
        s.add(
            RunRow(
                id=rid,
                seq=seq,
                policy_ids=json.dumps(run.policy_ids, ensure_ascii=False),
                policy_hash=run.policy_hash,
                input_hash=run.input_hash,
                as_of=run.as_of,
                wenze_version=run.wenze_version,
                inputs=json.dumps(run.inputs, ensure_ascii=False),
                summary=json.dumps(run.summary, ensure_ascii=False, sort_keys=True),
            )
        )
        s.flush()
        reviewed = _reviewed(s)
        source = rows if rows is not None else _rows_of(findings)
        # A first run into a new SQLite store fills an empty table: its secondary indexes
        # are built once at the end (a sort) rather than entry by entry (about a third of
        # SQLite's time on 60k findings). Inside the transaction: all or nothing.
        fresh = _fresh_sqlite(s)
        rebuild = _drop_finding_indexes(s) if fresh else []
        # Batch by batch: a million-event audit's findings as JSON text would otherwise sit
        # in memory all at once.
        while batch := list(islice(source, BATCH)):
            if reviewed:
                _flag_changed_reviews(s, reviewed, batch)
            if on_payload is not None:
                for row in batch:
                    on_payload(row[-1])
            _upsert_findings(s, batch)
            if not fresh:
                _link_findings(s, rid, batch)
        if fresh:
            # The store held no finding before this run: every stored finding is this
            # run's, linked in one statement rather than row by row from Python.
            s.connection().exec_driver_sql(_SQLITE_LINK_ALL, (rid,))
        for index in rebuild:
            index.create(s.connection())
        drows = [
            {"run_id": rid, "code": c, "file": f, "line": ln, "field": fl, "message": m}
            for c, f, ln, fl, m in defects
        ]
        for i in range(0, len(drows), BATCH):
            s.execute(_table(DefectRow).insert(), drows[i : i + BATCH])
    return rid


def _rows_of(findings: Sequence[dict[str, Any]]) -> Iterator[FindingValues]:
    return (_finding_row(f, compact(f)) for f in findings)


def _fresh_sqlite(s: Session) -> bool:
    """SQLite with no finding stored yet (a first run into a new store)."""
    return s.get_bind().dialect.name == "sqlite" and not s.scalar(select(FindingRow.id).limit(1))


def _drop_finding_indexes(s: Session) -> list[Index]:
    """Drop the findings table's secondary indexes (the caller creates them again once
    the rows are in) and return them."""
    indexes = sorted(_table(FindingRow).indexes, key=lambda i: str(i.name))
    for index in indexes:
        index.drop(s.connection())
    return indexes


def _reviewed(s: Session) -> dict[str, str]:
    """Stored findings a reviewer has confirmed or dismissed: id -> their JSON text."""
    q = select(FindingRow.id, FindingRow.payload).where(FindingRow.review_status != "open")
    # A comprehension, not dict(): a Result has keys() and dict() would treat it as a mapping.
    return {fid: payload for fid, payload in s.execute(q)}


def _flag_changed_reviews(s: Session, reviewed: dict[str, str], rows: list[FindingValues]) -> None:
    for row in rows:
        old_text = reviewed.get(row[0])
        if old_text is None:
            continue
        old, new = json.loads(old_text), json.loads(row[-1])
        changed = [k for k in ("grade", "facts") if old.get(k) != new.get(k)]
        if changed:
            flag = f"changed since review: {', '.join(changed)}"
            s.execute(update(FindingRow).where(FindingRow.id == row[0]).values(review_flag=flag))


def _next_seq(s: Session) -> int:
    last = s.scalar(select(RunRow.seq).order_by(RunRow.seq.desc()).limit(1))
    return (last or 0) + 1


# The columns a finding row is written with, in the order `_finding_row` gives them; a
# re-run refreshes all but the id (review_status and review_flag stay as they were).
_ROW_COLUMNS = ("id", "policy_id", "lapse", "case_id", "person", "grade", "anchor", "payload")
_UPDATE_COLUMNS = _ROW_COLUMNS[1:]
FindingValues = tuple[str, str, str, str, str, str, str, str]


def _finding_row(f: dict[str, Any], payload: str) -> FindingValues:
    subjects = f.get("subjects") or [{}]
    return (
        f["id"],
        f["policy"]["id"],
        f["lapse"],
        f["case_id"],
        subjects[0].get("person", ""),
        f.get("grade", ""),
        f.get("anchor", ""),
        payload,
    )


# SQLite: the upsert as plain SQL, run with the driver's executemany on tuples. Through
# SQLAlchemy each row becomes a dict and is re-read into the compiled statement's order,
# which cost as much as SQLite's own work. New rows get the columns' defaults ("open", "").
_SQLITE_UPSERT = (
    f"INSERT INTO findings ({', '.join(_ROW_COLUMNS)}, review_status, review_flag) "
    f"VALUES ({', '.join('?' for _ in _ROW_COLUMNS)}, 'open', '') "
    f"ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in _UPDATE_COLUMNS)
)
_SQLITE_LINK = "INSERT INTO run_findings (run_id, finding_id) VALUES (?, ?)"
_SQLITE_LINK_ALL = "INSERT INTO run_findings (run_id, finding_id) SELECT ?, id FROM findings"


def _upsert_findings(s: Session, rows: list[FindingValues]) -> None:
    """Insert new findings, refresh stored ones; review_status is left as the reviewer set it."""
    if not rows:
        return
    dialect = s.get_bind().dialect.name
    if dialect == "sqlite":
        s.connection().exec_driver_sql(_SQLITE_UPSERT, rows)
        return
    table = _table(FindingRow)
    dicts = [dict(zip(_ROW_COLUMNS, r, strict=True)) for r in rows]
    if dialect == "postgresql":
        ins = postgresql.insert(table)
        stmt = ins.on_conflict_do_update(
            index_elements=["id"], set_={c: getattr(ins.excluded, c) for c in _UPDATE_COLUMNS}
        )
        # executemany with one statement: compiling a VALUES list of thousands of rows
        # costs more than the insert itself.
        s.execute(stmt, dicts)
        return
    known = set(s.scalars(select(FindingRow.id).where(FindingRow.id.in_([r[0] for r in rows]))))
    fresh = [d for d in dicts if d["id"] not in known]
    if fresh:
        s.execute(table.insert(), fresh)
    for d in dicts:
        if d["id"] in known:
            values = {c: d[c] for c in _UPDATE_COLUMNS}
            s.execute(table.update().where(table.c.id == d["id"]).values(values))


def _link_findings(s: Session, rid: str, rows: list[FindingValues]) -> None:
    if s.get_bind().dialect.name == "sqlite":
        s.connection().exec_driver_sql(_SQLITE_LINK, [(rid, r[0]) for r in rows])
    else:
        s.execute(
            _table(RunFindingRow).insert(), [{"run_id": rid, "finding_id": r[0]} for r in rows]
        )


def resolve_run(engine: Engine, ref: str) -> RunRow | None:
    """A run by id, unique id prefix, or `latest`."""
    with Session(engine) as s:
        if ref == "latest":
            return s.scalars(select(RunRow).order_by(RunRow.seq.desc()).limit(1)).first()
        exact = s.get(RunRow, ref)
        if exact is not None:
            return exact
        hits = list(s.scalars(select(RunRow).where(RunRow.id.like(f"{ref}%"))))
        return hits[0] if len(hits) == 1 else None


def load_run_findings(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    with Session(engine) as s:
        q = (
            select(FindingRow.payload, FindingRow.review_status, FindingRow.review_flag)
            .join(RunFindingRow, RunFindingRow.finding_id == FindingRow.id)
            .where(RunFindingRow.run_id == run_id)
        )
        out = []
        for payload, status, flag in s.execute(q):
            f = json.loads(payload)
            f["review_status"] = status
            if flag:
                f["review_flag"] = flag
            out.append(f)
    out.sort(key=lambda f: (f["case_id"], f["lapse"], f.get("anchor", ""), f["id"]))
    return out


def load_run_defects(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.scalars(select(DefectRow).where(DefectRow.run_id == run_id).order_by(DefectRow.id))
        return [
            {"code": r.code, "file": r.file, "line": r.line, "field": r.field, "message": r.message}
            for r in rows
        ]


DECISIONS = ("confirmed", "dismissed", "regraded")


def record_review(
    engine: Engine,
    finding_id: str,
    decision: str,
    reason: str,
    reviewer: str,
    at: str,
    grade: str = "",
) -> str | None:
    """Record a reviewer's decision and set the finding's status; returns None when the
    finding does not exist. The decision survives re-runs (review_status is never reset)."""
    if decision not in DECISIONS:
        raise ValueError(decision)
    with Session(engine) as s, s.begin():
        row = s.get(FindingRow, finding_id)
        if row is None:
            hits = list(
                s.scalars(select(FindingRow).where(FindingRow.id.like(f"{finding_id}%")).limit(2))
            )
            if len(hits) != 1:
                return None
            row = hits[0]
        row.review_status = decision
        s.add(
            ReviewRow(
                finding_id=row.id,
                decision=decision,
                grade=grade,
                reason=reason,
                reviewer=reviewer,
                at=at,
            )
        )
        return row.id


def review_log(engine: Engine, finding_id: str) -> list[dict[str, str]]:
    with Session(engine) as s:
        rows = s.scalars(
            select(ReviewRow).where(ReviewRow.finding_id == finding_id).order_by(ReviewRow.id)
        )
        return [
            {
                "decision": r.decision,
                "grade": r.grade,
                "reason": r.reason,
                "reviewer": r.reviewer,
                "at": r.at,
            }
            for r in rows
        ]


def confirmed_priors(engine: Engine) -> list[Prior]:
    """Findings reviewers confirmed, for repeat-offence modifiers; dismissed never count."""
    with Session(engine) as s:
        q = select(FindingRow.id, FindingRow.person, FindingRow.payload).where(
            FindingRow.review_status == "confirmed"
        )
        out = []
        for fid, person, payload in s.execute(q):
            doc = json.loads(payload)
            conduct = doc.get("conduct") or doc.get("anchor", "")[:10]
            try:
                day = date.fromisoformat(conduct)
            except ValueError:
                continue
            out.append(Prior(fid, person, doc.get("category", ""), day))
    return sorted(out, key=lambda p: (p.conduct, p.finding_id))
