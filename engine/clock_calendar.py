"""The calendar, office hours and zone a policy's clocks count in.

In: a policy's `CalendarSpec` (or None) and the national calendar the caller passes.
Out: a `ClockSetting` — the `WorkCalendar` to count on (the national table with the
policy's local rest and working days on top, or a weekends-plus-holidays calendar for a
foreign log), the office hours for `workhours`, and the zone whose days are counted.
Built once per (policy, calendar) pair: building a calendar walks 40,000 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo

from engine.calendar import WorkCalendar
from engine.ir import DEFAULT_OFFICE_HOURS, CalendarSpec, Policy


@dataclass(frozen=True)
class ClockSetting:
    cal: WorkCalendar
    office_hours: tuple[tuple[int, int], ...]
    zone: tzinfo | None  # None: count days in the zone the events were loaded in


def calendar_of(spec: CalendarSpec, national: WorkCalendar) -> WorkCalendar:
    """The WorkCalendar a spec describes (the national one when it adds nothing)."""
    rest = dict(spec.rest)
    work = dict(spec.work)
    name = spec.label or "地方调整"
    if spec.base == "weekends_plus":
        return WorkCalendar(
            name,
            spec.first_year,
            spec.last_year,
            rest_days=rest,
            work_days=work,
            default_source=f"{name}: Saturday/Sunday weekends plus listed holidays ({spec.ref})",
        )
    if not rest and not work:
        return national
    return national.with_overrides(rest, work, name)


_Entry = tuple[Policy, WorkCalendar, ClockSetting]
_SETTINGS: dict[tuple[int, int], _Entry] = {}
_LAST: list[_Entry | None] = [None]


def clock_setting(policy: Policy, national: WorkCalendar) -> ClockSetting:
    """Cached per (policy, calendar) object pair; the cache keeps both alive, so an id is
    never reused for another object while its entry exists."""
    last = _LAST[0]
    if last is not None and last[0] is policy and last[1] is national:
        return last[2]  # the common case: one policy, one calendar, a million cases
    key = (id(policy), id(national))
    hit = _SETTINGS.get(key)
    if hit is not None and hit[0] is policy and hit[1] is national:
        _LAST[0] = hit
        return hit[2]
    spec = policy.calendar
    if spec is None:
        setting = ClockSetting(national, DEFAULT_OFFICE_HOURS, None)
    else:
        setting = ClockSetting(
            calendar_of(spec, national),
            spec.office_hours or DEFAULT_OFFICE_HOURS,
            ZoneInfo(spec.zone) if spec.zone else None,
        )
    if len(_SETTINGS) > 64:  # many policies loaded in one process (tests): start afresh
        _SETTINGS.clear()
    _SETTINGS[key] = _LAST[0] = (policy, national, setting)
    return setting
