"""No user mistake raises: broken variants of a real policy and random token soup only
ever produce diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsl import load_policy_text
from dsl.diagnostics import render

LICENSING = Path(__file__).resolve().parents[2] / "policies" / "licensing" / "licensing.policy"
TEXT = LICENSING.read_text(encoding="utf-8")
LINES = TEXT.splitlines(keepends=True)


def _survives(text: str) -> None:
    policy, diags = load_policy_text(text, "mutant.policy")
    for d in diags:
        render(d, text)  # rendering must not fail either
    assert (policy is None) == any(d.is_error for d in diags)


def test_every_truncation() -> None:
    for n in range(len(LINES) + 1):
        _survives("".join(LINES[:n]))


def test_every_line_deleted() -> None:
    for n in range(len(LINES)):
        _survives("".join(LINES[:n] + LINES[n + 1 :]))


def test_characters_deleted_or_doubled() -> None:
    for i in range(0, len(TEXT), 11):
        _survives(TEXT[:i] + TEXT[i + 1 :])
        _survives(TEXT[:i] + TEXT[i] + TEXT[i:])


_SOUP = (
    "policy version effective source activity custody ladder clock lapse start stop at "
    "when note suspend between and or not limit workdays days rollover extend most time "
    "times by role before deadline for each refused extension of responsible 直接责任 "
    "holder actor first last it grade fixed case count index exists absent true false "
    "收件 受理 作出决定 许可决定时限 许可决定时限.breached 效能问责 提醒谈话 "
    "calendar national weekends_plus zone covers rest holiday work office hours 09:00-12:00 "
    "restart on breach deem step promised up to as with notice within from until "
    "weeks months workhours 承诺工作日 "
    '{ } ( ) < <= == != > >= , . .. 1 20 2019-04-23 2019-02-30 "x" "y\\q" "open # 。 ，'
)
WORDS = [*_SOUP.split(), "\n", "\n", "\n", "  "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=60))
def test_token_soup(words: list[str]) -> None:
    _survives(" ".join(words))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text(text: str) -> None:
    _survives(text)


@pytest.mark.parametrize("name", ["gov_info", "hotline"])
def test_time_policies_broken_line_by_line(name: str) -> None:
    """The policies with the time shapes (calendar, restart, deem, step, promise, notice):
    every truncation and every deleted line is a diagnostic, never a traceback."""
    path = LICENSING.parents[1] / name / f"{name}.policy"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for n in range(len(lines) + 1):
        _survives("".join(lines[:n]))
        _survives("".join(lines[:n] + lines[n + 1 :]))
