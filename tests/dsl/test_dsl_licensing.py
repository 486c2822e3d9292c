"""The licensing policy parses, checks clean and compiles to the IR the engine expects."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from dsl import load_policies, load_policy_file, parse
from engine import ir

ROOT = Path(__file__).resolve().parents[2]
LICENSING = ROOT / "policies" / "licensing" / "licensing.policy"


@pytest.fixture(scope="module")
def policy() -> ir.Policy:
    p, diags = load_policy_file(LICENSING)
    assert diags == []
    assert p is not None
    return p


def test_header(policy: ir.Policy) -> None:
    assert policy.id == "licensing"
    assert policy.title == "行政许可办理时限"
    assert policy.version == "2019-04-23"
    assert policy.effective == date(2019, 4, 23)
    assert policy.source.startswith("《中华人民共和国行政许可法》（2019年修正）")
    assert policy.file == str(LICENSING)
    assert policy.text_sha256 == hashlib.sha256(LICENSING.read_bytes()).hexdigest()


def test_activities_custody_ladder(policy: ir.Policy) -> None:
    assert list(policy.activities)[:4] == ["收件", "补正告知", "补正完成", "受理"]
    assert policy.activities["延期批准"] == "批准延长办理期限"
    assert {"分派", "转办", "作出决定", "发证"} <= set(policy.activities)
    assert policy.custody == ("分派", "转办")
    ladder = policy.ladder("效能问责")
    assert ladder.levels == ("提醒谈话", "批评教育", "责令书面检查", "效能告诫", "通报批评")
    assert ladder.label == "机关效能问责措施"
    assert ladder.source.startswith("福建省")


def test_clocks_in_evaluation_order(policy: ir.Policy) -> None:
    assert [c.name for c in policy.clocks] == ["补正告知时限", "许可决定时限", "发证时限"]
    notice = policy.clock("补正告知时限")
    assert notice.stops == ("补正告知",)
    assert notice.limits[0].amount == 5 and notice.limits[0].unit is ir.Unit.WORKDAYS
    assert notice.limits[0].when is None


def test_decision_clock(policy: ir.Policy) -> None:
    c = policy.clock("许可决定时限")
    assert c.label == "作出许可决定期限" and c.source == "第四十二条、第四十五条"
    late = ir.Truth(ir.ClockRef("补正告知时限", ir.ClockProperty.LATE))
    assert [(s.activity, s.when, s.note) for s in c.starts] == [
        ("收件", late, "视为受理"),
        ("受理", None, ""),
        ("收件", ir.Not(ir.Exists("补正告知")), "未见受理记录，自收件之日起算"),
    ]
    assert [(s.start_activity, s.end_activity) for s in c.suspensions] == [
        ("听证开始", "听证结束"),
        ("专家评审开始", "专家评审结束"),
        ("检验检测开始", "检验检测结束"),
    ]
    assert c.stops == ("作出决定",)
    general, joint = c.limits
    procedure = ir.CaseAttrRef("procedure")
    assert (general.amount, general.unit) == (20, ir.Unit.WORKDAYS)
    assert general.when == ir.Compare(ir.CompareOp.EQ, procedure, ir.Const("一般"))
    assert general.extensions == (
        ir.Extension(10, ir.Unit.WORKDAYS, 1, "延期批准", "机关负责人", general.extensions[0].ref),
    )
    assert general.extensions[0].before_deadline
    assert (joint.amount, joint.when) == (
        45,
        ir.Compare(ir.CompareOp.EQ, procedure, ir.Const("联合办理")),
    )
    ext = joint.extensions[0]
    assert (ext.amount, ext.max_times, ext.role) == (15, 1, "本级人民政府负责人")
    assert not general.rollover


def test_certificate_clock_reads_an_event_attribute(policy: ir.Policy) -> None:
    (start,) = policy.clock("发证时限").starts
    attr = ir.EventAttrRef("result")
    assert start.when == ir.Compare(ir.CompareOp.EQ, attr, ir.Const("准予"))


def test_lapses(policy: ir.Policy) -> None:
    by_id = {lapse.id: lapse for lapse in policy.lapses}
    assert list(by_id) == [
        "notice_late",
        "notice_piecemeal",
        "extension_invalid",
        "decision_late",
        "certificate_late",
    ]
    piecemeal = by_id["notice_piecemeal"]
    assert piecemeal.for_each == ir.ForEach(ir.ForEachKind.EVENT, "补正告知")
    assert piecemeal.condition == ir.Compare(ir.CompareOp.GE, ir.EventIndexRef(), ir.Const(2))
    assert piecemeal.subjects[0].kind is ir.SubjectKind.ACTOR_OF_IT
    assert piecemeal.grading.fixed == "批评教育" and piecemeal.grading.measure is None
    assert piecemeal.anchor_clock == ""
    refused = by_id["extension_invalid"]
    assert refused.for_each == ir.ForEach(ir.ForEachKind.REFUSED_EXTENSION, "许可决定时限")
    assert refused.condition is None and refused.category == "乱作为"


def test_decision_late(policy: ir.Policy) -> None:
    lapse = next(x for x in policy.lapses if x.id == "decision_late")
    assert lapse.category == "慢作为" and lapse.label == "逾期作出许可决定"
    assert lapse.for_each is None
    assert lapse.condition == ir.Truth(ir.ClockRef("许可决定时限", ir.ClockProperty.BREACHED))
    subject, principal, deputy = lapse.subjects
    assert subject.responsibility is ir.Responsibility.DIRECT
    assert (subject.kind, subject.target) == (ir.SubjectKind.HOLDER_AT_DEADLINE, "许可决定时限")
    assert (principal.responsibility, principal.kind) == (
        ir.Responsibility.PRINCIPAL_LEADER,
        ir.SubjectKind.PRINCIPAL_OF_UNIT,
    )
    assert (deputy.responsibility, deputy.kind, deputy.target) == (
        ir.Responsibility.IMPORTANT_LEADER,
        ir.SubjectKind.DEPUTY_OF_UNIT,
        "",
    )
    (repeat,) = lapse.grading.modifiers
    assert (repeat.kind, repeat.levels, repeat.repeat) == (
        ir.ModifierKind.AGGRAVATE,
        1,
        ir.RepeatRule(12),
    )
    g = lapse.grading
    assert g.ladder == "效能问责"
    assert g.measure == ir.ClockRef("许可决定时限", ir.ClockProperty.OVERDUE_WORKDAYS)
    assert [(b.low, b.high, b.level) for b in g.bands] == [
        (0, 3, "提醒谈话"),
        (4, 10, "责令书面检查"),
        (11, 20, "效能告诫"),
        (21, None, "通报批评"),
    ]
    assert lapse.anchor_clock == "许可决定时限"
    notice = next(x for x in policy.lapses if x.id == "notice_late")
    assert notice.subjects[0].kind is ir.SubjectKind.ACTOR_OF_FIRST
    assert notice.subjects[0].target == "补正告知"
    assert notice.anchor_clock == "补正告知时限"


def test_policy_refs_point_at_the_text(policy: ir.Policy) -> None:
    lines = LICENSING.read_text(encoding="utf-8").splitlines()

    def at(ref: ir.PolicyRef) -> str:
        assert ref.file == str(LICENSING)
        return lines[ref.line - 1][ref.col - 1 :]

    c = policy.clock("许可决定时限")
    assert at(c.ref).startswith("clock 许可决定时限")
    assert at(c.starts[0].ref).startswith("start at 收件 when 补正告知时限.late")
    assert at(c.limits[1].ref).startswith("limit 45 workdays")
    assert at(c.limits[1].extensions[0].ref).startswith("extend 15 workdays")
    lapse = policy.lapses[3]
    assert at(lapse.ref).startswith("lapse decision_late")
    assert at(lapse.grading.bands[3].ref) == "21.. 通报批评"
    assert at(lapse.subjects[0].ref).startswith("responsible 直接责任 holder at")


def test_load_policies_on_a_directory() -> None:
    policies, diags = load_policies(ROOT / "policies")
    ids = [p.id for p in policies]
    assert ids == sorted(ids) and {"gov_info", "hotline", "licensing"} <= set(ids)
    assert [d for d in diags if d.is_error] == []


def test_parse_is_insensitive_to_layout() -> None:
    """Comments, blank lines and indentation do not change the tree (spans aside)."""
    text = LICENSING.read_text(encoding="utf-8")
    relaid = "\n\n".join(
        "    " + line.strip() + "   # note"
        if line.strip() and not line.strip().startswith("#")
        else ""
        for line in text.splitlines()
    )
    a, da = parse(text, "a.policy")
    b, db = parse(relaid, "b.policy")
    assert da == db == [] and a is not None and a == b
