"""The deeper checks and `# wenze: allow`: every shipped policy is clean in strict mode;
where an allow applies, and that formatting never changes it; the law table of W913;
`--profile`. The exact messages are in the corpus (tests/dsl/corpus/w909…w918)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from dsl import load_policy_text
from dsl.checker_lint import DAY_RULES
from dsl.formatter import format_policy
from engine.cli_audit import run_check

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "dsl" / "corpus"

HEAD = """policy demo "示例"
version "1" effective 2024-01-01
source "SOURCE"
activity 受理 "受理"
activity 决定 "决定"
ladder 问责 "问责" { 提醒 < 批评 }
"""
LAPSE = """lapse late 慢作为 "逾期" {
  when 期限.breached
  responsible 直接责任 holder at 期限.deadline
  grade 问责 fixed 提醒
}
"""


def _codes(text: str) -> list[tuple[str, int]]:
    _, diags = load_policy_text(text, "t.policy")
    return [(d.code, d.line) for d in diags]


def _clock(limit: str, source: str = "示例规定") -> str:
    clock = f'clock 期限 "期限" {{\n  start at 受理\n  stop at 决定\n  {limit}\n}}\n'
    return HEAD.replace("SOURCE", source) + clock + LAPSE


def _check(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check(list(args), out, err)
    return code, out.getvalue() + err.getvalue()


def test_every_shipped_policy_is_clean_in_strict_mode() -> None:
    assert _check("--strict", str(ROOT / "policies")) == (0, "")


def test_road_fines_match_their_import_profile() -> None:
    profile = str(ROOT / "fixtures" / "profiles" / "road_fines.toml")
    assert _check("--strict", str(ROOT / "policies" / "road_fines"), "--profile", profile) == (
        0,
        "",
    )


def test_a_partial_profile_map_names_the_activities_it_does_not_give() -> None:
    profile = str(ROOT / "fixtures" / "profiles" / "banjian_gbk.toml")
    code, out = _check(str(ROOT / "policies" / "licensing"), "--profile", profile)
    assert code == 0
    assert "W916 no value of the profile's map gives activity '受理'" in out
    assert "'收件'" not in out  # the map gives it


def test_an_unreadable_profile_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("[activities\n", encoding="utf-8")
    code, out = _check(str(ROOT / "policies" / "licensing"), "--profile", str(bad))
    assert code == 2 and "not valid TOML" in out


@pytest.mark.parametrize(
    ("source", "limit", "warned"),
    [
        ("《中华人民共和国行政处罚法》", "limit 90 workdays", True),
        ("《中华人民共和国行政处罚法》", "limit 90 days", False),
        ("《中华人民共和国行政处罚法》", "limit 7 workdays", False),
        ("《中华人民共和国行政处罚法》", "limit 7 days", True),
        ("《中华人民共和国行政复议法》", "limit 10 workdays", False),
        ("《中华人民共和国行政复议法》", "limit 60 workdays", True),
        ("《中华人民共和国行政许可法》", "limit 20 days", True),
        ("《政府信息公开条例》", "limit 15 days", True),
        ("《信访工作条例》", "limit 5 workdays", False),
        ("《信访工作条例》", "limit 15 workdays", True),
        ("《信访条例》（2005年）", "limit 5 workdays", True),
        ("示例规定", "limit 90 workdays", False),  # no law in the table: nothing to say
        ("《行政处罚法》；《行政复议法》", "limit 10 workdays", False),  # right under one
        ("《中华人民共和国行政处罚法》", "limit 2 months", False),  # not a day count
    ],
)
def test_units_of_the_cited_law(source: str, limit: str, warned: bool) -> None:
    assert (("W913", 10) in _codes(_clock(limit, source))) is warned


def test_a_clock_citing_its_own_law_is_judged_by_it() -> None:
    text = _clock("limit 90 days", "《中华人民共和国行政处罚法》").replace(
        'clock 期限 "期限" {', 'clock 期限 "期限" source "《中华人民共和国行政许可法》第四十二条" {'
    )
    assert ("W913", 10) in _codes(text)


def test_the_law_table_follows_domain_md() -> None:
    laws = {r.law: r.workdays for r in DAY_RULES}
    assert laws["行政许可法"] is None and laws["政府信息公开条例"] is None
    assert laws["行政处罚法"] == {2, 3, 5, 7} and laws["行政复议法"] == {3, 5, 7, 10}


def test_lint_warnings_wait_until_the_policy_has_no_error() -> None:
    text = _clock("limit 90 workdays", "《中华人民共和国行政处罚法》")
    assert ("W913", 10) in _codes(text)
    broken = text.replace("stop at 决定", "stop at 决订")  # N201, and 决定 now unused
    assert [c for c, _ in _codes(broken)] == ["N201"]


@pytest.mark.parametrize(
    ("line", "written", "silenced"),
    [
        ("  limit 90 workdays", "  limit 90 workdays  # wenze: allow W913 本地规定", True),
        ("  limit 90 workdays", "  # wenze: allow W913 本地规定\n  limit 90 workdays", True),
        ('clock 期限 "期限" {', 'clock 期限 "期限" {  # wenze: allow W913 本地规定', True),
        ("  start at 受理", "  start at 受理  # wenze: allow W913 本地规定", False),
    ],
)
def test_where_an_allow_applies(line: str, written: str, silenced: bool) -> None:
    text = _clock("limit 90 workdays", "《中华人民共和国行政处罚法》")
    assert text.count(line + "\n") == 1
    codes = [c for c, _ in _codes(text.replace(line + "\n", written + "\n"))]
    assert ("W913" not in codes) is silenced
    assert ("W918" in codes) is not silenced


def test_an_allow_above_activities_covers_their_run() -> None:
    text = HEAD.replace("SOURCE", "示例").replace(
        'activity 受理 "受理"\n',
        '# wenze: allow W909 只记录\nactivity 初审 "初审"\nactivity 审核 "审核"\n'
        'activity 受理 "受理"\n\nactivity 送达 "送达"\n',
    )
    text += 'clock 期限 "期限" {\n  start at 受理\n  stop at 决定\n  limit 5 workdays\n}\n' + LAPSE
    assert _codes(text) == [("W909", 9)]  # 送达, after the blank line, is not covered


@pytest.mark.parametrize("path", sorted(CORPUS.glob("w9*.policy")), ids=lambda p: p.stem)
def test_formatting_keeps_what_an_allow_covers(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    formatted, _ = format_policy(text, path.name)
    assert formatted is not None
    _, before = load_policy_text(text, "t.policy")
    _, after = load_policy_text(formatted, "t.policy")
    assert [(d.code, d.message) for d in before] == [(d.code, d.message) for d in after]
