"""Import profiles: how a foreign export maps onto wenze's canonical events (TOML).

In: a profile file (docs/import-profiles.md; shipped ones in fixtures/profiles/).
Out: a validated `Profile` — source format and encoding, the source time zone and time
formats, which source field gives each canonical field, a value map for activity names,
the activities a source may carry beyond the policies' vocabulary, custody activities,
and which fields are case attributes. Mistakes are `ProfileError`s naming file, line and
key, found when the profile is loaded, never halfway through an export.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CANONICAL_FIELDS = ("case_id", "event_id", "time", "activity", "actor", "assignee", "role", "unit")
REQUIRED_FIELDS = ("case_id", "time", "activity")
FORMATS = ("csv", "xlsx", "jsonl", "xes")

# Every key a profile may hold, by table: anything else is a typo worth stopping for.
_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "profile": {"name": str, "description": str},
    "source": {
        "format": str,
        "encoding": str,
        "zone": str,
        "sheet": str,
        "delimiter": str,
        "header_row": int,
    },
    "fields": dict.fromkeys(CANONICAL_FIELDS, (str, list)),
    "time": {"formats": list, "precision": str},
    "activities": {
        "map": dict,
        "known": list,
        "known_pattern": str,
        "custody": list,
    },
    "case": {"attributes": dict},
    "event": {"attributes": dict, "others": str},
}


class ProfileError(Exception):
    """A profile that cannot be used; the message names the file, line and key."""


@dataclass(frozen=True)
class Profile:
    path: str = ""  # "" for the built-in defaults of a format
    name: str = ""
    description: str = ""
    format: str | None = None  # None: from the file's extension
    encoding: str | None = None  # None: detected (csv, jsonl)
    zone: str = "Asia/Shanghai"
    sheet: str | None = None  # xlsx: sheet name; None: the first sheet
    delimiter: str = ","
    header_row: int = 1  # csv/xlsx: Excel exports often put a title row above the header
    # canonical field -> source fields (several are joined with a space, e.g. date + time)
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    time_formats: tuple[str, ...] = ()
    day_precision: bool = False  # every time is a date (midnight stamps, as in road fines)
    activity_map: dict[str, str] = field(default_factory=dict)  # source value -> canonical
    known: frozenset[str] = frozenset()
    known_pattern: str | None = None
    custody: frozenset[str] = frozenset()
    case_attributes: dict[str, str] = field(default_factory=dict)  # name -> source field
    event_attributes: dict[str, str] = field(default_factory=dict)  # name -> source field
    keep_others: bool = True  # unnamed source fields become event attributes

    @property
    def known_activities(self) -> frozenset[str]:
        """Activities this profile vouches for: its list and its map's targets."""
        return self.known | frozenset(self.activity_map.values())

    def source_of(self, canonical: str) -> str:
        """The source field(s) of a canonical field, for messages."""
        return " + ".join(self.fields.get(canonical, ())) or canonical


# Built-in mapping of a format when no profile is given. XES: IEEE 1849 standard keys;
# trace attributes are named `case:KEY` (as pm4py flattens them, so one profile serves an
# XES file and its pm4py CSV copy alike).
XES_DEFAULT = Profile(
    name="xes (built-in)",
    fields={
        "case_id": ("case:concept:name",),
        "time": ("time:timestamp",),
        "activity": ("concept:name",),
        "actor": ("org:resource",),
        "role": ("org:role",),
        "unit": ("org:group",),
        "event_id": ("identity:id",),
    },
    event_attributes={"lifecycle": "lifecycle:transition"},
)
CANONICAL_DEFAULT = Profile(name="canonical (built-in)", fields={f: (f,) for f in CANONICAL_FIELDS})


def for_format(profile: Profile | None, fmt: str) -> Profile:
    """The profile as it applies to a file of this format: an XES file gets the standard
    keys for whatever the profile leaves unmapped. Raises ProfileError when a required
    field stays unmapped (before any row is read)."""
    if profile is None:
        return XES_DEFAULT if fmt == "xes" else CANONICAL_DEFAULT
    if fmt == "xes":
        profile = replace(
            profile,
            fields={**XES_DEFAULT.fields, **profile.fields},
            event_attributes={**XES_DEFAULT.event_attributes, **profile.event_attributes},
        )
    missing = [f for f in REQUIRED_FIELDS if f not in profile.fields]
    if missing:
        raise ProfileError(
            f"{profile.path}: [fields] must map {', '.join(missing)} for a {fmt} source "
            f"(the source field that holds each)"
        )
    return profile


def load_profile(path: str) -> Profile:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the profile: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: a profile is UTF-8 text ({exc.reason})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from exc
    return parse_profile(data, path, text)


def parse_profile(data: dict[str, Any], path: str = "<profile>", text: str = "") -> Profile:
    _check_schema(data, path, text)

    def get(table: str, key: str, default: Any = None) -> Any:
        return data.get(table, {}).get(key, default)

    def fail(table: str, key: str, message: str) -> ProfileError:
        return ProfileError(f"{path}:{_line_of(text, key)}: [{table}] {key}: {message}")

    fmt = get("source", "format")
    if fmt is not None and fmt not in FORMATS:
        raise fail("source", "format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    encoding = get("source", "encoding")
    if encoding in (None, "auto"):
        encoding = None
    else:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise fail("source", "encoding", f"unknown encoding {encoding!r}") from None
    zone = get("source", "zone", "Asia/Shanghai")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail("source", "zone", f"{zone!r} is not an IANA time zone name") from None
    delimiter = get("source", "delimiter", ",")
    if len(delimiter) != 1:
        raise fail("source", "delimiter", "must be one character")
    header_row = get("source", "header_row", 1)
    if header_row < 1:
        raise fail("source", "header_row", "rows count from 1")

    fields: dict[str, tuple[str, ...]] = {}
    for canonical, spec in data.get("fields", {}).items():
        names = (spec,) if isinstance(spec, str) else tuple(spec)
        if not names or not all(isinstance(n, str) and n for n in names):
            raise fail("fields", canonical, "give a source field name or a list of them")
        fields[canonical] = names

    formats = tuple(get("time", "formats", []))
    for f in formats:
        if not isinstance(f, str) or "%" not in f:
            raise fail(
                "time", "formats", f"{f!r} is not a strptime format such as '%Y/%m/%d %H:%M'"
            )
    precision = get("time", "precision", "auto")
    if precision not in ("auto", "day"):
        raise fail("time", "precision", "is 'auto' (a date alone is day precision) or 'day'")

    activity_map = _str_map(get("activities", "map", {}), lambda m: fail("activities", "map", m))
    known = _str_list(get("activities", "known", []), lambda m: fail("activities", "known", m))
    custody = _str_list(
        get("activities", "custody", []), lambda m: fail("activities", "custody", m)
    )
    pattern = get("activities", "known_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise fail("activities", "known_pattern", f"not a regular expression: {exc}") from None
    case_attrs = _str_map(get("case", "attributes", {}), lambda m: fail("case", "attributes", m))
    event_attrs = _str_map(get("event", "attributes", {}), lambda m: fail("event", "attributes", m))
    others = get("event", "others", "keep")
    if others not in ("keep", "drop"):
        raise fail("event", "others", "is 'keep' (default) or 'drop'")
    return Profile(
        path=path,
        name=get("profile", "name", Path(path).stem),
        description=get("profile", "description", ""),
        format=fmt,
        encoding=encoding,
        zone=zone,
        sheet=get("source", "sheet"),
        delimiter=delimiter,
        header_row=header_row,
        fields=fields,
        time_formats=formats,
        day_precision=precision == "day",
        activity_map=activity_map,
        known=frozenset(known),
        known_pattern=pattern,
        custody=frozenset(custody),
        case_attributes=case_attrs,
        event_attributes=event_attrs,
        keep_others=others == "keep",
    )


def _check_schema(data: dict[str, Any], path: str, text: str) -> None:
    for table, value in data.items():
        if table not in _SCHEMA:
            raise ProfileError(
                f"{path}:{_line_of(text, table)}: unknown table [{table}] "
                f"(tables: {', '.join(_SCHEMA)})"
            )
        if not isinstance(value, dict):
            raise ProfileError(f"{path}:{_line_of(text, table)}: {table} must be a table")
        allowed = _SCHEMA[table]
        for key, v in value.items():
            if key not in allowed:
                raise ProfileError(
                    f"{path}:{_line_of(text, key)}: [{table}] unknown key {key!r} "
                    f"(keys: {', '.join(allowed)})"
                )
            if not isinstance(v, allowed[key]) or isinstance(v, bool):
                raise ProfileError(
                    f"{path}:{_line_of(text, key)}: [{table}] {key}: wrong type {type(v).__name__}"
                )


def _str_map(value: dict[str, Any], fail: Any) -> dict[str, str]:
    if not all(isinstance(v, str) for v in value.values()):
        raise fail("every value must be a string")
    return dict(value)


def _str_list(value: list[Any], fail: Any) -> list[str]:
    if not all(isinstance(v, str) for v in value):
        raise fail("every item must be a string")
    return list(value)


def _line_of(text: str, key: str) -> int:
    """Best-effort line of a key or table in the TOML text (tomllib keeps no positions)."""
    pattern = re.compile(
        rf'^[ \t]*(\[+[ \t]*)?("{re.escape(key)}"|{re.escape(key)})[ \t]*(=|\]|\.)', re.MULTILINE
    )
    m = pattern.search(text)
    return text.count("\n", 0, m.start()) + 1 if m else 1
