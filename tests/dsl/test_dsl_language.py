"""Language details: Unicode names, layout, comparisons normalised, spans ignored by
equality, rendering, the JSON form, the API on files and directories, the registry."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from dsl import ast as A
from dsl import check, load_policies, load_policy_file, load_policy_text, parse, render
from dsl.codes import BY_CODE, CODES
from dsl.diagnostics import render_json
from engine import ir

HEAD = """policy demo "示例"
version "1" effective 2024-01-01
source "示例规定"
activity 收件 "收件"
activity 决定 "作出决定"
ladder 问责 "问责措施" { 提醒 < 批评 }
"""
CLOCK = """clock 期限 "办理期限" {
  start at 收件
  stop at 决定
  limit 5 workdays
}
"""


def lapse(when: str) -> str:
    return f"""lapse x 慢作为 "逾期" {{
  when {when}
  responsible 直接责任 holder at 期限.deadline
  grade 问责 fixed 提醒
}}
"""


def compiled(text: str) -> ir.Policy:
    policy, diags = load_policy_text(text, "t.policy")
    assert [d for d in diags if d.is_error] == [], diags
    assert policy is not None
    return policy


@pytest.mark.parametrize(
    ("written", "op", "value"),
    [
        ("期限.overdue_days >= 3", ir.CompareOp.GE, 3),
        ("3 <= 期限.overdue_days", ir.CompareOp.GE, 3),
        ("3 < 期限.overdue_days", ir.CompareOp.GT, 3),
        ("3 > 期限.overdue_days", ir.CompareOp.LT, 3),
        ("3 >= 期限.overdue_days", ir.CompareOp.LE, 3),
        ("3 == 期限.overdue_days", ir.CompareOp.EQ, 3),
        ("3 != 期限.overdue_days", ir.CompareOp.NE, 3),
    ],
)
def test_comparisons_are_normalised_ref_left(written: str, op: ir.CompareOp, value: int) -> None:
    cond = compiled(HEAD + CLOCK + lapse(written)).lapses[0].condition
    ref = ir.ClockRef("期限", ir.ClockProperty.OVERDUE_DAYS)
    assert cond == ir.Compare(op, ref, ir.Const(value))


def test_boolean_structure_and_precedence() -> None:
    cond = (
        compiled(
            HEAD + CLOCK + lapse("not 期限.met and (exists 收件 or absent 决定) or count 收件 > 1")
        )
        .lapses[0]
        .condition
    )
    met = ir.Truth(ir.ClockRef("期限", ir.ClockProperty.MET))
    assert cond == ir.Or(
        (
            ir.And((ir.Not(met), ir.Or((ir.Exists("收件"), ir.Not(ir.Exists("决定")))))),
            ir.Compare(ir.CompareOp.GT, ir.CountRef("收件"), ir.Const(1)),
        )
    )


def test_text_and_bool_literals() -> None:
    cond = (
        compiled(HEAD + CLOCK + lapse('case.渠道 == "12345\\t热线" and 期限.late != false'))
        .lapses[0]
        .condition
    )
    assert cond == ir.And(
        (
            ir.Compare(ir.CompareOp.EQ, ir.CaseAttrRef("渠道"), ir.Const("12345\t热线")),
            ir.Compare(
                ir.CompareOp.NE, ir.ClockRef("期限", ir.ClockProperty.LATE), ir.Const(False)
            ),
        )
    )


def test_unicode_identifiers_and_labels_round_trip() -> None:
    text = (
        'policy 許可_2024 "许可时限（试行）「甲」"\nversion "二〇二四" effective 2024-02-29\n'
        'source "《条例》第3条 \\u2014 全文"\n'
        'activity 收件_1 "收件"\nactivity décision "décision"\nactivity 決定 "決定"\n'
        'ladder 问责 "问责" { 提醒 }\n'
        'clock 時限 "時限" {\n  start at 收件_1\n  stop at décision, 決定\n  limit 1 workday\n}\n'
        + 'lapse 逾期 慢作为 "逾期" {\n  when 時限.breached\n'
        + "  responsible 直接责任 actor of last 決定\n  grade 问责 fixed 提醒\n}\n"
    )
    p = compiled(text)
    assert p.id == "許可_2024" and p.title == "许可时限（试行）「甲」"
    assert p.source == "《条例》第3条 — 全文"
    assert list(p.activities) == ["收件_1", "décision", "決定"]
    assert p.clocks[0].stops == ("décision", "決定")
    assert p.clocks[0].limits[0].unit is ir.Unit.WORKDAYS
    assert p.lapses[0].id == "逾期"


def test_spans_are_not_part_of_equality() -> None:
    a, _ = parse(HEAD + CLOCK, "a.policy")
    b, _ = parse("\n\n# moved down\n" + HEAD.replace(" ", "   ") + CLOCK, "b.policy")
    assert a is not None and b is not None
    assert a == b
    assert a.items[0].span != b.items[0].span
    assert A.Ident("x", A.Span(1, 1, 1, 2)) == A.Ident("x", A.Span(9, 9, 9, 10))


def test_crlf_bom_and_sha() -> None:
    text = "\ufeff" + (HEAD + CLOCK).replace("\n", "\r\n")
    tree, diags = parse(text, "w.policy")
    assert diags == [] and tree is not None
    assert tree.text_sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    plain, _ = parse(HEAD + CLOCK, "u.policy")
    assert tree == plain


def test_rollover_days_and_extensions() -> None:
    text = HEAD + CLOCK.replace(
        "limit 5 workdays",
        "limit 5 days rollover {\n"
        "    extend 3 days at most 2 times at 决定 by role 科长 before deadline\n  }",
    )
    (limit,) = compiled(text).clocks[0].limits
    assert limit.rollover and limit.unit is ir.Unit.DAYS
    (ext,) = limit.extensions
    assert (ext.amount, ext.max_times, ext.role, ext.before_deadline) == (3, 2, "科长", True)


def test_keywords_are_whole_words_and_role_is_an_attribute() -> None:
    text = HEAD + CLOCK.replace("start at 收件", 'start at 收件 when role == "窗口" and unit != ""')
    (start,) = compiled(text).clocks[0].starts
    assert start.when == ir.And(
        (
            ir.Compare(ir.CompareOp.EQ, ir.EventAttrRef("role"), ir.Const("窗口")),
            ir.Compare(ir.CompareOp.NE, ir.EventAttrRef("unit"), ir.Const("")),
        )
    )


def test_anchor_clock_falls_back_to_the_condition() -> None:
    text = (
        HEAD
        + CLOCK
        + lapse("count 收件 > 1 or 期限.late").replace(
            "holder at 期限.deadline", "actor of first 收件"
        )
    )
    assert compiled(text).lapses[0].anchor_clock == "期限"
    text = (
        HEAD
        + CLOCK
        + lapse("exists 收件").replace("holder at 期限.deadline", "actor of first 收件")
    )
    assert compiled(text).lapses[0].anchor_clock == ""


def test_render_aligns_carets_under_chinese_text() -> None:
    text = HEAD + CLOCK.replace("start at 收件", "start at 收到")
    policy, diags = load_policy_text(text, "t.policy")
    assert policy is None
    (d,) = [d for d in diags if d.is_error]  # and W909: 收件 is now unused
    assert (d.code, d.line, d.col, d.end_col) == ("N201", 8, 12, 14)
    lines = render(d, text).splitlines()
    assert lines[0] == "t.policy:8:12: N201 unknown activity '收到'"
    assert lines[1] == "  8 |   start at 收到"
    assert lines[2] == "    |            ^^^^"
    assert lines[3] == "  hint: did you mean '收件'?"


def test_render_json() -> None:
    _, diags = load_policy_text(HEAD.replace('source "示例规定"\n', "") + CLOCK, "j.policy")
    data = json.loads(render_json(diags))
    assert data == [
        {
            "code": "W901",
            "severity": "warning",
            "message": "the policy cites no legal source",
            "file": "j.policy",
            "line": 1,
            "col": 8,
            "end_col": 12,
            "related": [],
            "hint": 'cite the law: source "…"',
        }
    ]


def test_check_limit() -> None:
    tree, _ = parse(HEAD + CLOCK + "".join(f"custody 无{i}\n" for i in range(5)), "l.policy")
    assert tree is not None
    checked, diags = check(tree, limit=2)
    assert checked is None
    assert [d.code for d in diags] == ["N201", "N201", "W999"]
    assert diags[-1].message == "… and 3 more (3 errors, 0 warnings)"


def test_api_files_and_directories(tmp_path: Path) -> None:
    good = HEAD + CLOCK + lapse("期限.breached")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.policy").write_text(good.replace("demo", "two"), encoding="utf-8")
    (tmp_path / "a.policy").write_text(good.replace("demo", "one"), encoding="utf-8")
    (tmp_path / "c.policy").write_text(good + "oops\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a policy", encoding="utf-8")
    policies, diags = load_policies(tmp_path)
    assert [p.id for p in policies] == ["one", "two"]
    assert [(Path(d.file).name, d.code) for d in diags] == [("c.policy", "P102")]
    assert policies[1].file == str(tmp_path / "b" / "two.policy")
    missing, diags = load_policy_file(tmp_path / "nope.policy")
    assert missing is None and [d.code for d in diags] == ["P100"]


def test_code_registry_is_consistent() -> None:
    codes = [c.code for c in CODES]
    assert len(codes) == len(set(codes)) == len(BY_CODE)
    for c in CODES:
        assert re.fullmatch(r"[PNTSGW]\d{3}", c.code)
        assert c.severity == ("warning" if c.code.startswith("W") else "error")
        assert c.title and c.explain and c.bad and c.better and c.bad != c.better
