"""Helpers for the clock tests: a policy from text, a history from compact rows, and the
clocks of one case as the derive stage computes them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from dsl import load_policy_text
from engine.calendar import load_cn_calendar
from engine.clocks import ClockResult
from engine.derive import CaseFacts, derive_case
from engine.ir import Policy
from engine.model import CaseHistory, Event

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = load_cn_calendar()

HEAD = """policy t "测试"
version "1" effective 2024-01-01
source "测试"
activity 收件 "收件"
activity 受理 "受理"
activity 补正告知 "补正告知"
activity 补正完成 "补正完成"
activity 挂起 "挂起"
activity 恢复 "恢复"
activity 状态变更 "状态变更"
activity 延期 "延期批准"
activity 告知 "延期告知"
activity 办结 "办结"
activity 视为受理 "视为受理"
ladder 问责 "问责" { 提醒 < 批评 }
"""


def policy(body: str) -> Policy:
    p, diags = load_policy_text(HEAD + body, "t.policy")
    assert p is not None and not [d for d in diags if d.is_error], diags
    return p


def history(
    rows: list[tuple[str, str]] | list[tuple[str, str, dict[str, str]]],
    attrs: dict[str, str] | None = None,
    tz: ZoneInfo = SHANGHAI,
) -> CaseHistory:
    """rows: (time, activity[, attributes]); time "YYYY-MM-DD" alone is day-precision.
    Attributes `role` and `actor` fill the columns of those names."""
    events = []
    for i, row in enumerate(rows):
        when, act = row[0], row[1]
        extra = dict(row[2]) if len(row) > 2 else {}  # type: ignore[misc]
        day_only = len(when) == 10
        t = datetime.fromisoformat(when)
        # As the loader does: naive times are local to tz, offsets are converted to it.
        t = t.replace(tzinfo=tz) if t.tzinfo is None else t.astimezone(tz)
        role = extra.pop("role", "")
        actor = extra.pop("actor", "S1")
        events.append(
            Event(
                "C1", f"E{i + 1}", t, act, actor, "", role, "U", extra, "x.csv", i + 2, day_only, i
            )
        )
    events.sort(key=lambda e: (e.time, e.seq))
    return CaseHistory("C1", events, attrs or {})


def facts(p: Policy, h: CaseHistory, as_of: str) -> CaseFacts:
    return derive_case(h, p, CAL, date.fromisoformat(as_of))


def clock(p: Policy, h: CaseHistory, as_of: str, name: str) -> ClockResult:
    return facts(p, h, as_of).clocks[name]
