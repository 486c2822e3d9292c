"""Every clock shape of the language, evaluated on small histories with hand-counted
answers (the national calendar: 春节 2025 is 28 Jan – 4 Feb with make-up Sunday 26 Jan and
Saturday 8 Feb; 国庆 2025 is 1–8 Oct with make-up Sunday 28 Sep and Saturday 11 Oct)."""

from __future__ import annotations

from datetime import date

from clockkit import clock, facts, history, policy

BASIC = """clock 办理 "办理期限" {
  start at 受理
  stop at 办结
  limit 5 workdays
}
"""


def test_several_start_triggers_first_that_fires_wins() -> None:
    p = policy(
        """clock 办理 "办理期限" {
  start at 受理 when actor == "S9"
  start at 收件 note "未见受理，自收件起算"
  stop at 办结
  limit 5 workdays
}
"""
    )
    h = history([("2025-03-03T09:00", "收件"), ("2025-03-04T09:00", "受理")])
    c = clock(p, h, "2025-03-05", "办理")
    assert c.start_event is not None and c.start_event.activity == "收件"
    assert c.deadline == date(2025, 3, 10)


def test_stop_is_the_first_of_several_activities() -> None:
    p = policy(BASIC.replace("stop at 办结", "stop at 办结, 补正告知"))
    h = history(
        [("2025-03-03T09:00", "受理"), ("2025-03-12T09:00", "补正告知"), ("2025-03-13", "办结")]
    )
    c = clock(p, h, "2025-06-30", "办理")
    assert c.stop_event is not None and c.stop_event.activity == "补正告知"
    assert (c.state, c.deadline, c.overdue_workdays) == ("late", date(2025, 3, 10), 2)


def test_restart_counts_from_the_last_restart_before_the_stop() -> None:
    p = policy(
        """clock 答复 "答复期限" {
  start at 收件
  restart at 补正完成
  suspend between 挂起 and 恢复
  stop at 办结
  limit 5 workdays
}
"""
    )
    h = history(
        [
            ("2025-03-03T09:00", "收件"),
            ("2025-03-04T09:00", "挂起"),
            ("2025-03-06T09:00", "恢复"),
            ("2025-03-07T09:00", "补正完成"),
            ("2025-03-11T09:00", "补正完成"),
            ("2025-03-18T09:00", "办结"),
            ("2025-03-20T09:00", "补正完成"),  # after the stop: restarts nothing
        ]
    )
    c = clock(p, h, "2025-06-30", "答复")
    assert [e.event_id for e in c.restarts] == ["E4", "E5"]
    assert c.start_event is not None and c.start_event.event_id == "E5"
    assert c.merged == ()  # the pause before the restart no longer counts
    assert (c.deadline, c.state) == (date(2025, 3, 18), "met")
    steps = [s.text for s in c.trail]
    assert any("期限自该日重新起算" in s for s in steps)
    assert steps[0].startswith("「答复期限」自 收件（2025-03-03）起算")


def test_restart_at_the_stop_instant_comes_too_late() -> None:
    p = policy(BASIC.replace("start at 受理", "start at 受理\n  restart at 补正完成"))
    h = history(
        [
            ("2025-03-03T09:00", "受理"),
            ("2025-03-20T09:00", "补正完成"),
            ("2025-03-20T09:00", "办结"),
        ]
    )
    c = clock(p, h, "2025-06-30", "办理")
    assert c.restarts == () and c.state == "late"


def test_restart_condition_reads_earlier_clocks() -> None:
    p = policy(
        """clock 告知 "补正告知期限" {
  start at 收件 when exists 补正告知
  stop at 补正告知
  limit 2 workdays
}
clock 答复 "答复期限" {
  start at 收件
  restart at 补正完成 when 告知.met
  stop at 办结
  limit 5 workdays
}
"""
    )
    on_time = history(
        [
            ("2025-03-03T09:00", "收件"),
            ("2025-03-05T09:00", "补正告知"),
            ("2025-03-10T09:00", "补正完成"),
        ]
    )
    late = history(
        [
            ("2025-03-03T09:00", "收件"),
            ("2025-03-07T09:00", "补正告知"),
            ("2025-03-10T09:00", "补正完成"),
        ]
    )
    assert clock(p, on_time, "2025-03-11", "答复").deadline == date(2025, 3, 17)
    assert clock(p, late, "2025-03-11", "答复").deadline == date(2025, 3, 10)


def test_status_events_suspend_while_the_status_says_so() -> None:
    p = policy(
        """clock 办理 "办理期限" {
  start at 受理
  suspend from 状态变更 when 状态 == "挂起" until 状态变更 when 状态 != "挂起"
  stop at 办结
  limit 5 workdays
}
"""
    )
    h = history(
        [
            ("2025-03-03T09:00", "受理"),
            ("2025-03-04T09:00", "状态变更", {"状态": "办理中"}),  # closes nothing
            ("2025-03-05T09:00", "状态变更", {"状态": "挂起"}),
            ("2025-03-06T09:00", "状态变更", {"状态": "挂起"}),  # already paused
            ("2025-03-10T09:00", "状态变更", {"状态": "办理中"}),
        ]
    )
    c = clock(p, h, "2025-03-12", "办理")
    assert list(c.merged) == [(date(2025, 3, 5), date(2025, 3, 10))]
    assert (c.deadline, c.state, c.remaining_workdays) == (date(2025, 3, 14), "running", 2)


def test_an_open_suspension_runs_through_as_of() -> None:
    p = policy(BASIC.replace("stop at 办结", "suspend between 挂起 and 恢复\n  stop at 办结"))
    h = history([("2025-03-03T09:00", "受理"), ("2025-03-04T09:00", "挂起")])
    c = clock(p, h, "2025-06-30", "办理")
    assert list(c.merged) == [(date(2025, 3, 4), date(2025, 6, 30))]
    assert c.state == "running" and c.deadline == date(2025, 7, 7)


def test_extensions_by_role_before_deadline_at_most_k_times_each_with_its_own_amount() -> None:
    p = policy(
        """clock 办理 "办理期限" {
  start at 受理
  stop at 办结
  limit 5 workdays {
    extend up to 5 workdays as 天数 at most 2 times at 延期 by role 负责人 before deadline
  }
}
"""
    )
    h = history(
        [
            ("2025-03-03T09:00", "受理"),
            ("2025-03-05T09:00", "延期", {"role": "科员", "天数": "5"}),  # wrong role
            ("2025-03-06T09:00", "延期", {"role": "负责人", "天数": "2"}),  # 3-10 → 3-12
            ("2025-03-12T09:00", "延期", {"role": "负责人"}),  # no amount: the cap, → 3-19
            ("2025-03-13T09:00", "延期", {"role": "负责人", "天数": "1"}),  # a third time
            ("2025-03-25T09:00", "延期", {"role": "负责人", "天数": "1"}),  # too late anyway
        ]
    )
    c = clock(p, h, "2025-03-19", "办理")
    assert [(x.accepted, x.amount) for x in c.extensions] == [
        (False, 0),
        (True, 2),
        (True, 5),
        (False, 0),
        (False, 0),
    ]
    assert "须为「负责人」" in c.extensions[0].reason
    assert "次数上限" in c.extensions[3].reason
    assert c.base_deadline == date(2025, 3, 10) and c.deadline == date(2025, 3, 19)
    assert c.state == "running"


def test_an_extension_without_the_required_notice_extends_nothing() -> None:
    p = policy(
        """clock 办理 "办理期限" {
  start at 受理
  stop at 办结
  limit 5 workdays {
    extend 5 workdays at most 1 time at 延期 by role 负责人 before deadline with notice 告知 within 1 workday
  }
}
"""
    )
    rows = [("2025-03-03T09:00", "受理"), ("2025-03-07T09:00", "延期", {"role": "负责人"})]
    told = history([*rows, ("2025-03-10T09:00", "告知")])
    late = history([*rows, ("2025-03-11T09:00", "告知")])
    untold = history(rows)
    assert clock(p, told, "2025-06-30", "办理").deadline == date(2025, 3, 17)
    refused = clock(p, late, "2025-06-30", "办理")
    assert refused.deadline == date(2025, 3, 10) and not refused.extensions[0].accepted
    assert "延期无效" in refused.extensions[0].reason
    # The notice window (1 working day after 7 March: 10 March) is still open on 10 March.
    pending = clock(p, untold, "2025-03-10", "办理")
    assert pending.deadline == date(2025, 3, 17) and "尚未届满" in pending.extensions[0].reason
    assert clock(p, untold, "2025-03-11", "办理").deadline == date(2025, 3, 10)


def test_breach_deems_an_event_that_later_clocks_and_lapses_use() -> None:
    p = policy(
        """clock 受理审查 "受理审查期限" {
  start at 收件
  stop at 受理
  limit 5 workdays
  on breach deem 视为受理
}
clock 决定 "决定期限" {
  start at 受理
  start at 视为受理
  stop at 办结
  limit 20 workdays
}
lapse deemed 不作为 "逾期未作受理决定" {
  when exists 视为受理
  responsible 直接责任 actor of first 收件
  grade 问责 fixed 批评
}
"""
    )
    # 5 working days after Thu 25 Sep 2025: 26, 28 (make-up Sunday), 29, 30 Sep, 9 Oct.
    f = facts(p, history([("2025-09-25T09:00", "收件")]), "2025-12-31")
    review, decide = f.clocks["受理审查"], f.clocks["决定"]
    assert review.deadline == date(2025, 10, 9) and review.state == "overdue"
    deemed = [e for e in f.history.events if e.activity == "视为受理"]
    assert [e.time.isoformat() for e in deemed] == ["2025-10-10T00:00:00+08:00"]
    assert deemed[0].source.file == "t.policy" and f.counts["视为受理"] == 1
    # From Fri 10 Oct: 11 Oct (make-up Saturday) is the first counted working day.
    assert decide.start_event is deemed[0] and decide.deadline == date(2025, 11, 6)
    met = facts(
        p, history([("2025-09-25T09:00", "收件"), ("2025-10-09T09:00", "受理")]), "2025-12-31"
    )
    assert "视为受理" not in met.counts and met.clocks["决定"].deadline == date(2025, 11, 5)


def test_promised_limit_beside_the_statutory_one() -> None:
    p = policy(
        """clock 办理 "办理期限" {
  start at 受理
  stop at 办结
  limit 5 workdays promised case.承诺 workdays
}
"""
    )
    rows = [("2025-03-03T09:00", "受理"), ("2025-03-07T09:00", "办结")]
    c = clock(p, history(rows, {"承诺": "3"}), "2025-06-30", "办理")
    assert (c.promised_deadline, c.promised_breached, c.promised_overdue_workdays) == (
        date(2025, 3, 6),
        True,
        1,
    )
    assert c.state == "met"  # the statutory limit holds
    none = clock(p, history(rows, {"承诺": "三天"}), "2025-06-30", "办理")
    assert none.promised_deadline is None and not none.promised_breached
    assert "未载明有效的承诺时限" in " ".join(s.text for s in none.trail)


def test_step_clock_late_while_the_whole_is_on_time() -> None:
    p = policy(
        BASIC
        + """clock 受理环节 "受理环节" step of 办理 {
  start at 收件
  stop at 受理
  limit 1 workday
}
lapse step_late 慢作为 "环节超时" {
  when 受理环节.breached and not 办理.breached
  responsible 直接责任 actor of first 受理
  grade 问责 fixed 提醒
}
"""
    )
    h = history(
        [("2025-03-03T09:00", "收件"), ("2025-03-05T09:00", "受理"), ("2025-03-06", "办结")]
    )
    f = facts(p, h, "2025-06-30")
    assert f.clocks["受理环节"].state == "late" and f.clocks["办理"].state == "met"
    assert f.clocks["受理环节"].extra_facts()["step_of"] == "办理"


def test_open_cases_not_yet_due_are_running_with_remaining_working_days() -> None:
    p = policy(BASIC)
    c = clock(p, history([("2025-09-26T09:00", "受理")]), "2025-09-28", "办理")
    # 29, 30 Sep, 9, 10 Oct remain after the make-up Sunday of 28 Sep.
    assert (c.state, c.deadline, c.remaining_workdays) == ("running", date(2025, 10, 10), 4)
