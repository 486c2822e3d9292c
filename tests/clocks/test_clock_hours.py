"""Hour clocks: natural hours as elapsed time (across daylight saving), office hours on
working days, date-only events read in the office's favour, pauses between instants, and
the conservative reading of as_of (an export may be taken at any moment of that day)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from clockkit import clock, history, policy

HOURS = """clock 签收 "签收期限" {
  start at 收件
  suspend between 挂起 and 恢复
  stop at 受理
  limit 2 workhours promised 1 workhour {
    extend 2 workhours at most 1 time at 延期 by role 负责人 before deadline
  }
}
clock 自然 "24小时" {
  start at 收件
  stop at 受理
  limit 24 hours
}
"""
ROME = ZoneInfo("Europe/Rome")


def test_office_hours_skip_lunch_evenings_and_the_national_day_holiday() -> None:
    p = policy(HOURS)
    c = clock(p, history([("2025-09-30T11:30", "收件")]), "2025-09-30", "签收")
    # 11:30–12:00 is half an hour; 13:30–15:00 the rest.
    assert c.deadline_at is not None and c.deadline_at.isoformat() == "2025-09-30T15:00:00+08:00"
    assert c.promised_deadline_at is not None
    assert c.promised_deadline_at.isoformat() == "2025-09-30T14:00:00+08:00"
    evening = clock(p, history([("2025-09-30T20:00", "收件")]), "2025-09-30", "签收")
    assert evening.deadline_at is not None
    assert evening.deadline_at.isoformat() == "2025-10-09T11:00:00+08:00"


def test_closing_time_is_a_deadline_not_the_next_opening() -> None:
    p = policy(HOURS)
    h = history([("2025-03-07T15:30", "收件"), ("2025-03-07T18:00", "受理")])
    c = clock(p, h, "2025-03-31", "签收")
    assert c.deadline_at is not None and c.deadline_at.isoformat() == "2025-03-07T17:30:00+08:00"
    # Acting after closing but before any further office time passed is not late.
    assert c.state == "met" and c.overdue_hours == 0


def test_late_by_office_hours_and_by_elapsed_hours() -> None:
    p = policy(HOURS)
    h = history([("2025-03-07T15:30", "收件"), ("2025-03-10T10:15", "受理")])
    sign = clock(p, h, "2025-03-31", "签收")
    assert (sign.state, sign.overdue_hours, sign.overdue_workdays) == ("late", 2, 1)
    assert sign.promised_breached
    natural = clock(p, h, "2025-03-31", "自然")
    assert natural.state == "late" and natural.overdue_hours == 43  # 15:30 Sat → 10:15 Mon


def test_pauses_and_extensions_in_hours() -> None:
    p = policy(HOURS)
    h = history(
        [
            ("2025-03-03T09:00", "收件"),
            ("2025-03-03T09:30", "挂起"),
            ("2025-03-03T10:30", "恢复"),
            ("2025-03-03T11:00", "延期", {"role": "负责人"}),
            ("2025-03-03T15:00", "受理"),
        ]
    )
    c = clock(p, h, "2025-03-31", "签收")
    # 09:00–09:30 counts, 09:30–10:30 paused, 10:30–12:00 counts: due 12:00, plus two
    # office hours: 13:30–15:30.
    assert c.deadline_at is not None and c.deadline_at.isoformat() == "2025-03-03T15:30:00+08:00"
    assert c.state == "met" and [x.accepted for x in c.extensions] == [True]


def test_date_only_events_never_make_an_office_late() -> None:
    p = policy(HOURS)
    start_only_date = clock(p, history([("2025-03-03", "收件")]), "2025-03-31", "签收")
    assert start_only_date.day_precision_start
    assert start_only_date.deadline_at is not None
    assert start_only_date.deadline_at.isoformat() == "2025-03-04T11:00:00+08:00"
    stop_only_date = clock(
        p, history([("2025-03-03T16:00", "收件"), ("2025-03-04", "受理")]), "2025-03-31", "签收"
    )
    assert stop_only_date.state == "met"  # due 4 March 09:30; the act is taken at 00:00


def test_an_hour_deadline_on_the_audit_day_is_still_running() -> None:
    p = policy(HOURS)
    h = history([("2025-03-03T09:00", "收件")])
    assert clock(p, h, "2025-03-03", "签收").state == "running"
    later = clock(p, h, "2025-03-04", "签收")
    assert (later.state, later.overdue_hours) == ("overdue", 12)  # 5 + 7 hours to 4 March's end


def test_natural_hours_are_elapsed_hours_across_daylight_saving() -> None:
    p = policy(
        """calendar weekends_plus "意大利" zone "Europe/Rome" covers 2025..2025
clock 自然 "24小时" {
  start at 收件
  stop at 受理
  limit 24 hours
}
"""
    )
    spring = clock(p, history([("2025-03-29T12:00", "收件")], tz=ROME), "2025-04-30", "自然")
    assert spring.deadline_at is not None
    assert spring.deadline_at.isoformat() == "2025-03-30T13:00:00+02:00"
    autumn = clock(p, history([("2025-10-25T12:00", "收件")], tz=ROME), "2025-11-30", "自然")
    assert autumn.deadline_at is not None
    assert autumn.deadline_at.isoformat() == "2025-10-26T11:00:00+01:00"
    assert spring.deadline == date(2025, 3, 30)


def test_days_are_counted_in_the_policys_zone() -> None:
    body = """clock 办理 "5个工作日" {
  start at 收件
  stop at 受理
  limit 5 workdays
}
"""
    rome = policy(
        'calendar weekends_plus "意大利" zone "Europe/Rome" covers 2025..2025 {\n'
        '  holiday 2025-04-21 "Pasquetta"\n  holiday 2025-04-25 "Liberazione"\n}\n' + body
    )
    # 23:30 in Rome on Thursday 17 April is already Friday morning in Shanghai.
    h = history([("2025-04-17T23:30:00+02:00", "收件")])
    c = clock(rome, h, "2025-06-30", "办理")
    assert c.start_event is not None and c.start_event.time.tzinfo is ROME
    assert c.deadline == date(2025, 4, 28)
    national = clock(policy(body), h, "2025-06-30", "办理")
    assert national.deadline == date(2025, 4, 25)  # counted from Friday 18 in Shanghai


def test_local_rest_and_working_days_on_top_of_the_national_table() -> None:
    body = """clock 办理 "5个工作日" {
  start at 收件
  stop at 受理
  limit 5 workdays
}
"""
    local = policy(
        'calendar national "某市" {\n  rest 2025-03-10 "地方节日"\n'
        '  work 2025-03-16 "调休上班"\n}\n' + body
    )
    h = history([("2025-03-06T09:00", "收件")])
    assert clock(local, h, "2025-06-30", "办理").deadline == date(2025, 3, 14)
    assert clock(policy(body), h, "2025-06-30", "办理").deadline == date(2025, 3, 13)
    h2 = history([("2025-03-12T09:00", "收件")])
    assert clock(local, h2, "2025-06-30", "办理").deadline == date(2025, 3, 18)
