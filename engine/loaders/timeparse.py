"""Time values of an export → aware datetimes in the source's zone.

In: the text of a time field; the source zone (an IANA name) and, from an import profile,
extra `strptime` formats. Out: `(datetime, kind)` with kind NAIVE, AWARE or DATE_ONLY —
the kind feeds the mixed naive/aware check and day precision (DESIGN.md §4).
Naive values are local time in the zone; values with an offset are converted to it, so
`time.date()` is always the calendar day in the case's zone (what deadlines count).
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from engine.loaders.result import AWARE, DATE_ONLY, NAIVE

DEFAULT_ZONE = "Asia/Shanghai"

# Zones without daylight saving since the given year: a naive local time there can be
# read with a fixed offset, which datetime.fromisoformat parses five times faster than
# attaching a ZoneInfo afterwards (a million rows per audit make that count).
_FIXED_SINCE = {"Asia/Shanghai": ("+08:00", 1992), "UTC": ("+00:00", 1)}
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%X", "%c", "%T", "%p")


class TimeParser:
    """ISO 8601 date or date-time, then the profile's formats in order. Raises ValueError."""

    def __init__(self, zone_name: str = DEFAULT_ZONE, formats: tuple[str, ...] = ()) -> None:
        self.zone_name = zone_name
        self.zone: tzinfo = ZoneInfo(zone_name)
        fixed = _FIXED_SINCE.get(zone_name)
        self._suffix, self._since = fixed if fixed is not None else ("", 10_000)
        self.formats = tuple(
            (f, "%z" in f, not any(d in f for d in _TIME_DIRECTIVES)) for f in formats
        )

    def __call__(self, text: str) -> tuple[datetime, bool]:
        """(time, day_precision): the canonical loader's historical interface."""
        dt, kind = self.parse(text)
        return dt, kind == DATE_ONLY

    def fixed_offset(self) -> tuple[str, int]:
        """The offset suffix naive local times may be read with, and the first year it
        holds for ("" when the zone has daylight saving): for loaders that inline `parse`'s
        first case."""
        return self._suffix, self._since

    def parse(self, text: str) -> tuple[datetime, int]:
        if len(text) == 19 and self._suffix and text[10] in "T ":
            dt = datetime.fromisoformat(text + self._suffix)
            if dt.year >= self._since:
                return dt, NAIVE
        text = text.strip()
        try:
            return self._iso(text)
        except ValueError:
            if not self.formats:
                raise
        for fmt, aware, date_only in self.formats:
            try:
                dt = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if aware:
                return dt.astimezone(self.zone), AWARE
            if date_only:
                return dt.replace(tzinfo=self.zone), DATE_ONLY
            return dt.replace(tzinfo=self.zone), NAIVE
        raise ValueError(text)

    def _iso(self, text: str) -> tuple[datetime, int]:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime.combine(d, time(0, 0), self.zone), DATE_ONLY
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            return dt.replace(tzinfo=self.zone), NAIVE
        return dt.astimezone(self.zone), AWARE

    def describe(self) -> str:
        """For messages: what this parser accepts."""
        extra = "".join(f", {f!r}" for f, _a, _d in self.formats)
        return f"an ISO 8601 date or date-time{extra}"


def parse_time(text: str, zone_name: str = DEFAULT_ZONE) -> tuple[datetime, bool]:
    return TimeParser(zone_name)(text)
