"""Registers loaded beside a case export: the roster, collective-decision votes, sanctions.

In: CSV files (UTF-8, BOM allowed) with the documented columns. Out: small immutable
lookups the core reads — who led which unit on a given day, how each participant voted on
a decision event, and whose sanction period covers a given day.
Every malformed row is an error naming `file:line` and the field: these registers decide
who is named in a finding, so nothing in them is guessed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from engine.daycount import add_months
from engine.model import CaseHistory

ROSTER_COLUMNS = ("person", "name", "unit", "post", "leader_role", "area", "valid_from", "valid_to")
VOTES_COLUMNS = ("event_id", "person", "vote", "chair")
SANCTION_COLUMNS = ("person", "sanction", "effective", "months")

PRINCIPAL = "主要负责人"
DEPUTY = "分管领导"
VOTES = ("同意", "反对", "保留", "弃权", "缺席")
EXEMPT_VOTES = frozenset({"反对", "保留", "缺席"})  # 问责条例 art. 17; absence: not a voter


class RegisterError(Exception):
    """A register file that cannot be used; the message names file, line and field."""


@dataclass(frozen=True)
class Post:
    person: str
    name: str
    unit: str
    post: str
    leader_role: str  # 主要负责人, 分管领导 or ""
    areas: tuple[str, ...]  # for a deputy: case kinds or sub-units in charge
    valid_from: date
    valid_to: date | None  # None: still in post
    line: int

    def holds_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Roster:
    posts: tuple[Post, ...] = ()
    file: str = ""

    def principal(self, unit: str, day: date) -> Post | None:
        """The unit's principal leader on `day` (the latest appointed if several overlap)."""
        hits = [
            p
            for p in self.posts
            if p.unit == unit and p.leader_role == PRINCIPAL and p.holds_on(day)
        ]
        return max(hits, key=lambda p: (p.valid_from, p.line)) if hits else None

    def deputy(self, unit: str, area: str, day: date) -> Post | None:
        """The deputy in charge of `area` (a case kind or sub-unit) of the unit on `day`."""
        hits = [
            p
            for p in self.posts
            if p.unit == unit
            and p.leader_role == DEPUTY
            and p.holds_on(day)
            and (area in p.areas or "*" in p.areas)
        ]
        return max(hits, key=lambda p: (p.valid_from, p.line)) if hits else None

    def unit_of(self, person: str, day: date) -> str:
        """The unit a person belonged to on `day` ("" when the roster does not say)."""
        hits = [p for p in self.posts if p.person == person and p.holds_on(day)]
        return max(hits, key=lambda p: (p.valid_from, p.line)).unit if hits else ""


@dataclass(frozen=True)
class Vote:
    person: str
    vote: str  # 同意 / 反对 / 保留 / 弃权 / 缺席
    chair: bool
    line: int


@dataclass(frozen=True)
class Votes:
    by_event: dict[str, tuple[Vote, ...]] = field(default_factory=dict)
    file: str = ""

    def of(self, event_id: str) -> tuple[Vote, ...]:
        return self.by_event.get(event_id, ())


@dataclass(frozen=True)
class Sanction:
    person: str
    sanction: str
    effective: date
    months: int  # the period (政务处分法 art. 8: 警告 6, 记过 12, 记大过 18, 降级/撤职 24)
    line: int

    def covers(self, day: date) -> bool:
        return self.effective <= day < add_months(self.effective, self.months)


@dataclass(frozen=True)
class Sanctions:
    items: tuple[Sanction, ...] = ()
    file: str = ""

    def active(self, person: str, day: date) -> Sanction | None:
        hits = [s for s in self.items if s.person == person and s.covers(day)]
        return min(hits, key=lambda s: (s.effective, s.line)) if hits else None


def _rows(
    path: str, columns: tuple[str, ...], required: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = Path(path).open(encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise RegisterError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise RegisterError(
                f"{path}:1: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}"
            )
        reader.fieldnames = header
        try:
            for row in reader:
                yield (
                    reader.line_num,
                    {k: (v or "").strip() for k, v in row.items() if k is not None},
                )
        except UnicodeDecodeError as exc:
            raise RegisterError(f"{path}: not valid UTF-8 near line {reader.line_num + 1}") from exc


def _date(path: str, line: int, fld: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RegisterError(
            f"{path}:{line}: field {fld}: {text!r} is not a date YYYY-MM-DD"
        ) from None


def _need(path: str, line: int, fld: str, text: str) -> str:
    if not text:
        raise RegisterError(f"{path}:{line}: field {fld} is empty")
    return text


def load_roster(path: str) -> Roster:
    posts = []
    for line, r in _rows(path, ROSTER_COLUMNS, ("person", "unit", "leader_role", "valid_from")):
        role = r.get("leader_role", "")
        if role not in ("", PRINCIPAL, DEPUTY):
            raise RegisterError(
                f"{path}:{line}: field leader_role: {role!r} is not {PRINCIPAL}, {DEPUTY} or empty"
            )
        start = _date(
            path, line, "valid_from", _need(path, line, "valid_from", r.get("valid_from", ""))
        )
        end_text = r.get("valid_to", "")
        end = _date(path, line, "valid_to", end_text) if end_text else None
        if end is not None and end < start:
            raise RegisterError(
                f"{path}:{line}: field valid_to: {end} is before valid_from {start}"
            )
        areas = tuple(a.strip() for a in r.get("area", "").split(";") if a.strip())
        posts.append(
            Post(
                _need(path, line, "person", r["person"]),
                r.get("name", ""),
                _need(path, line, "unit", r["unit"]),
                r.get("post", ""),
                role,
                areas,
                start,
                end,
                line,
            )
        )
    return Roster(tuple(posts), path)


def load_votes(path: str) -> Votes:
    by_event: dict[str, list[Vote]] = {}
    for line, r in _rows(path, VOTES_COLUMNS, VOTES_COLUMNS):
        vote = r["vote"]
        if vote not in VOTES:
            raise RegisterError(
                f"{path}:{line}: field vote: {vote!r} is not one of {', '.join(VOTES)}"
            )
        chair = r["chair"].lower()
        if chair not in ("yes", "no", "是", "否", ""):
            raise RegisterError(f"{path}:{line}: field chair: {r['chair']!r} is not yes or no")
        event = _need(path, line, "event_id", r["event_id"])
        by_event.setdefault(event, []).append(
            Vote(_need(path, line, "person", r["person"]), vote, chair in ("yes", "是"), line)
        )
    return Votes({k: tuple(v) for k, v in sorted(by_event.items())}, path)


def load_sanctions(path: str) -> Sanctions:
    items = []
    for line, r in _rows(path, SANCTION_COLUMNS, SANCTION_COLUMNS):
        try:
            months = int(r["months"])
        except ValueError:
            raise RegisterError(
                f"{path}:{line}: field months: {r['months']!r} is not a whole number"
            ) from None
        items.append(
            Sanction(
                _need(path, line, "person", r["person"]),
                r["sanction"],
                _date(path, line, "effective", r["effective"]),
                months,
                line,
            )
        )
    return Sanctions(tuple(items), path)


@dataclass(frozen=True)
class Registers:
    """Everything loaded beside the export that attribution and grading read."""

    roster: Roster = field(default_factory=Roster)
    votes: Votes = field(default_factory=Votes)
    sanctions: Sanctions = field(default_factory=Sanctions)


VOTE_ATTRS = ("表决人数", "出席人数", "赞成人数", "出席比例", "赞成比例")


def annotate_votes(histories: Mapping[str, CaseHistory], votes: Votes) -> int:
    """Give each decision event with votes the attributes a policy can test, e.g.
    `for each 集体讨论 when number 出席比例 < 67` (票决制 quorum): 表决人数 (members listed),
    出席人数 (not 缺席), 赞成人数 (同意), 出席比例 (present, % of members, rounded down) and
    赞成比例 (in favour, % of those present). Returns how many events were annotated;
    idempotent, so auditing several policy versions annotates once in effect."""
    if not votes.by_event:
        return 0
    n = 0
    for history in histories.values():
        for e in history.events:
            cast = votes.by_event.get(e.event_id)
            if not cast:
                continue
            present = sum(1 for v in cast if v.vote != "缺席")
            favour = sum(1 for v in cast if v.vote == "同意")
            extra = {
                "表决人数": str(len(cast)),
                "出席人数": str(present),
                "赞成人数": str(favour),
                "出席比例": str(100 * present // len(cast)),
                "赞成比例": str(100 * favour // present) if present else "0",
            }
            e.attrs = {**e.attrs, **extra}
            n += 1
    return n
