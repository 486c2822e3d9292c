"""Domain types for case histories: events as loaded, and one case's sorted history.

In: nothing (data definitions). Out: `Event`, `CaseHistory`, `SourceLine`.
Loaders build these; the core (derive, match, attribute, grade) only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SourceLine:
    """Where a record came from: export file and 1-based line (header is line 1)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(slots=True, eq=False)
class Event:
    """One row of an export. Not frozen: a million of these are built per audit and a
    frozen dataclass pays for `object.__setattr__` on every field; treat it as read-only."""

    case_id: str
    event_id: str
    time: datetime  # aware, in the case's zone
    activity: str
    actor: str
    assignee: str  # "" unless this event hands the case to someone
    role: str
    unit: str
    attrs: dict[str, str]
    file: str
    line: int
    day_precision: bool = False  # the export gave a date without a time of day
    seq: int = 0  # position in the input, to keep file order among equal times

    @property
    def source(self) -> SourceLine:
        return SourceLine(self.file, self.line)

    def attr(self, name: str) -> str:
        """Built-in columns by name, then event attributes; absent = ""."""
        if name in _BUILTIN:
            return str(getattr(self, name))
        return self.attrs.get(name, "")


_BUILTIN = frozenset({"actor", "assignee", "role", "unit", "activity", "event_id"})


@dataclass(slots=True)
class CaseHistory:
    case_id: str
    events: list[Event]  # sorted by (time, seq)
    attrs: dict[str, str] = field(default_factory=dict)

    def of(self, activity: str) -> list[Event]:
        return [e for e in self.events if e.activity == activity]
