"""`wenze doc`: the licensing policy's document against golden files (md/zh, md/en, html),
escaping, version history, and generic wording of IR constructs the renderer does not know.

Regenerate the goldens with WENZE_REGEN_GOLDEN=1 and review the diff before committing."""

from __future__ import annotations

import enum
import io
import os
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from dsl.api import load_policies
from engine import ir
from engine.cli_policy import run_doc
from engine.policy_doc import document
from engine.policy_doc_render import md_escape, render_html, render_markdown
from engine.policy_doc_words import EN, ZH

ROOT = Path(__file__).resolve().parents[2]
LICENSING = ROOT / "policies" / "licensing"
GOLDEN = Path(__file__).parent / "golden"


def wenze_doc(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_doc(list(args), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("licensing.zh.md", ()),
        ("licensing.en.md", ("--lang", "en")),
        ("licensing.zh.html", ("--format", "html")),
    ],
)
def test_licensing_document_matches_its_golden_file(name: str, args: tuple[str, ...]) -> None:
    # Relative path: the document must not depend on where the checkout lives.
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        code, text, err = wenze_doc("policies/licensing", *args)
    finally:
        os.chdir(cwd)
    assert code == 0, err
    golden = GOLDEN / name
    if os.environ.get("WENZE_REGEN_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{name} is stale: WENZE_REGEN_GOLDEN=1"


def test_the_deadline_is_stated_in_words_a_drafter_can_check_against_the_law() -> None:
    text = wenze_doc(str(LICENSING))[1]
    assert (
        "自起算之日起20个工作日内作出许可决定；经机关负责人批准，可以延长10个工作日（以一次为限）"
        in text
    )
    assert "听证、专家评审、检验检测所需时间不计入。" in text
    assert "「作出许可决定期限」届满时的承办人承担直接责任" in text
    assert "| 4至10 | 责令书面检查 |" in text
    assert "| 0至3 | 提醒谈话 |\n| 4至10 | 责令书面检查 |" in text  # cf. late_on_rest_day


def test_every_rule_of_the_policy_appears_in_its_document() -> None:
    (policy,), _ = load_policies(LICENSING)
    text = wenze_doc(str(LICENSING))[1]
    for c in policy.clocks:
        assert f"### {c.label}" in text and c.source in text
    for lap in policy.lapses:
        assert f"### {lap.label}" in text and lap.id in text and lap.source in text
        for b in lap.grading.bands:
            assert re.search(rf"\| {b.low}(至{b.high}|及以上)? \| {b.level} \|", text), b
    for name, label in policy.activities.items():
        assert f"| {name} | {label} |" in text


def test_both_languages_have_the_same_wording_keys() -> None:
    assert set(ZH) == set(EN)
    for key in ZH:
        fields = set(re.findall(r"{(\w+)}", ZH[key]))
        assert fields == set(re.findall(r"{(\w+)}", EN[key])), key


def test_version_history_lists_every_version_and_states_the_chosen_one() -> None:
    (v1,), _ = load_policies(LICENSING)
    v2 = replace(v1, version="2025-01-01", effective=date(2025, 1, 1), source="修订后的规定")
    doc = render_markdown(document([v2, v1]))
    assert "## 版本沿革" in doc
    assert "| 2019-04-23 | 2019-04-23 | — |" in doc and "| 2025-01-01 | 2025-01-01 | — |" in doc
    assert "本文档为版本 2025-01-01 的规则。" in doc
    older = render_markdown(document([v2, v1], at=date(2024, 6, 1)))
    assert "本文档为版本 2019-04-23 的规则。" in older
    assert older.count("# 行政许可办理时限\n") == 1  # one document per policy id


def test_html_is_self_contained_and_escapes_every_text() -> None:
    (policy,), _ = load_policies(LICENSING)
    hostile = replace(
        policy,
        title='<script>alert("x")</script>',
        activities={**policy.activities, "受理": "受理 & <b>申请</b>"},
    )
    page = render_html(document([hostile]))
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "受理 &amp; &lt;b&gt;申请&lt;/b&gt;" in page
    assert not re.search(r"(src|href)=", page)  # nothing fetched from elsewhere


def test_markdown_escapes_markup_in_labels_but_keeps_ordinary_text_readable() -> None:
    assert md_escape("a*b|c [x] <b>") == r"a\*b\|c \[x\] \<b>"
    assert md_escape("notice_late 与 _x_") == r"notice_late 与 \_x\_"
    assert md_escape("1. 第一", block_start=True) == r"\1. 第一"
    assert md_escape("提醒谈话 < 批评教育") == "提醒谈话 < 批评教育"


def test_cli_writes_a_file_and_reports_mistakes_with_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "licensing.html"
    assert wenze_doc(str(LICENSING), "--format", "html", "--out", str(out))[0] == 0
    assert "<h1>行政许可办理时限</h1>" in out.read_text(encoding="utf-8")
    assert wenze_doc(str(tmp_path / "missing"))[0] == 2
    bad = tmp_path / "bad.policy"
    text = (LICENSING / "licensing.policy").read_text(encoding="utf-8")
    bad.write_text(text.replace("start at 受理", "start at 受里"), encoding="utf-8")
    code, _, err = wenze_doc(str(bad))
    assert code == 2 and "N201" in err and "Traceback" not in err
    assert wenze_doc(str(LICENSING), "--lang", "fr")[0] == 2


# ------------------------------------------------------------------ constructs it does not know


class FutureUnit(enum.Enum):
    FORTNIGHTS = "fortnights"


class FutureKind(enum.Enum):
    CHAIR_OF = "chair_of"


class FutureProp(enum.Enum):
    WARNED = "warned"


@dataclass(frozen=True)
class Within:
    """An expression the IR may gain one day."""

    activity: str
    days: int


@dataclass(frozen=True)
class ClockWithWarning(ir.Clock):
    warn_before: int = 0


def _future_policy() -> ir.Policy:
    at = ir.PolicyRef("future.policy", 7)
    clock = ClockWithWarning(
        name="办结时限",
        label="办结期限",
        starts=(ir.StartTrigger("受理", Within("收件", 3), at),),
        stops=("办结",),
        suspensions=(),
        limits=(ir.Limit(2, FutureUnit.FORTNIGHTS, None, (), at),),  # type: ignore[arg-type]
        ref=at,
        warn_before=3,
    )
    grading = ir.Grading(
        "效能问责",
        ir.ClockRef("办结时限", FutureProp.WARNED),  # type: ignore[arg-type]
        (ir.Band(1, 5, "提醒谈话", at), ir.Band(7, None, "通报批评", at)),
        None,
        at,
    )
    lapse = ir.Lapse(
        "late",
        "逾期办结",
        "慢作为",
        ir.ForEach(FutureKind.CHAIR_OF, "办结"),  # type: ignore[arg-type]
        ir.Or((ir.Truth(ir.ClockRef("办结时限", ir.ClockProperty.BREACHED)), Within("办结", 1))),  # type: ignore[arg-type]
        (ir.SubjectRule(ir.Responsibility.DIRECT, FutureKind.CHAIR_OF, "办结", at),),  # type: ignore[arg-type]
        grading,
        "",
        at,
    )
    ladder = ir.Ladder("效能问责", "效能问责措施", ("提醒谈话", "通报批评"), "", at)
    return ir.Policy(
        "future",
        "未来的政策",
        "1",
        date(2030, 1, 1),
        "",
        {"收件": "收件", "受理": "受理", "办结": "办结"},
        (),
        (ladder,),
        (clock,),
        (lapse,),
        "future.policy",
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unknown_ir_constructs_render_generically_instead_of_crashing(lang: str) -> None:
    doc = document([_future_policy()], lang)
    text = render_markdown(doc)
    render_html(doc)
    assert "fortnights" in text  # a unit with no words: its name
    within = (
        "Within（activity: 收件；days: 3）" if lang == "zh" else "Within(activity: 收件; days: 3)"
    )
    assert within in text  # an expression with no words: its fields
    assert "chair_of" in text  # a subject kind and a `for each` kind with no words
    assert "warned" in text  # a clock fact with no words
    assert "ClockWithWarning.warn_before = 3" in text  # a field with no words: listed, marked
    assert ("其他规定" if lang == "zh" else "Further terms") in text
    gap = "| 6 | 记录问题，不定处理档次 |" if lang == "zh" else "| 6 | recorded without a measure |"
    assert gap in text  # the gap between the bands is a row of its own


# ------------------------------------------------------------------ constructs worded by field
# Stand-ins with the fields engine.policy_doc_fields reads, so the wording is tested
# whatever the IR's own classes for them are called.


@dataclass(frozen=True)
class Again:
    activity: str
    when: object
    ref: ir.PolicyRef
    note: str = ""


@dataclass(frozen=True)
class Deemed:
    activity: str
    ref: ir.PolicyRef


@dataclass(frozen=True)
class Promise:
    amount: int
    attr: str
    unit: ir.Unit
    ref: ir.PolicyRef


@dataclass(frozen=True)
class Notice:
    activity: str
    amount: int
    unit: ir.Unit
    ref: ir.PolicyRef


@dataclass(frozen=True)
class LaterClock(ir.Clock):
    restarts: tuple[Again, ...] = ()
    deems: tuple[Deemed, ...] = ()
    step_of: str = ""


@dataclass(frozen=True)
class LaterLimit(ir.Limit):
    promised: Promise | None = None


@dataclass(frozen=True)
class LaterExtension(ir.Extension):
    amount_attr: str = ""
    notice: Notice | None = None


def _later_policy() -> ir.Policy:
    at = ir.PolicyRef("later.policy", 3)
    wd = ir.Unit.WORKDAYS
    ext = LaterExtension(
        20, wd, 1, "延期", "负责人", at, amount_attr="延长工作日", notice=Notice("告知", 1, wd, at)
    )
    whole = LaterClock(
        "答复时限",
        "答复期限",
        (ir.StartTrigger("收到", None, at),),
        ("答复",),
        (),
        (LaterLimit(20, wd, None, (ext,), at, promised=Promise(0, "承诺工作日", wd, at)),),
        at,
        restarts=(
            Again(
                "补正", ir.Truth(ir.ClockRef("答复时限", ir.ClockProperty.STARTED)), at, "重新计算"
            ),
        ),
        deems=(Deemed("视为同意", at),),
    )
    step = LaterClock(
        "环节",
        "签收环节",
        (ir.StartTrigger("收到", None, at),),
        ("签收",),
        (),
        (ir.Limit(2, ir.Unit.WORKHOURS, None, (), at),),
        at,
        step_of="答复时限",
    )
    acts = {
        "收到": "收到申请",
        "补正": "收到补正",
        "答复": "作出答复",
        "延期": "批准延期",
        "告知": "告知延期",
        "视为同意": "视为同意",
        "签收": "签收",
    }
    return ir.Policy(
        "later",
        "后来的政策",
        "1",
        date(2025, 1, 1),
        "",
        acts,
        (),
        (),
        (whole, step),
        (),
        "later.policy",
    )


def test_constructs_added_later_are_worded_not_listed_generically() -> None:
    zh = render_markdown(document([_later_policy()]))
    assert "其他规定" not in zh, zh
    assert "**重新起算**：「答复期限」已起算的，自收到补正之日起重新计算期限（重新计算）" in zh
    assert "**视为**：期限届满仍未作出答复的，于期限届满时视为「视为同意」" in zh
    assert "**所属期限**：本期限是「答复期限」中的一个环节（环节时限）。" in zh
    assert "每次延长的时长以批准记录的 延长工作日 为准，至多20个工作日" in zh
    assert "延期须自批准之日起1个工作日内告知申请人（告知延期），否则不延长期限" in zh
    assert "承诺时限为案件属性 承诺工作日 所记载的工作日数" in zh
    assert "**时限**：自收到申请时起2个工作小时内签收。" in zh  # hours run from the moment
    en = render_markdown(document([_later_policy()], "en"))
    assert "Further terms" not in en and "**Starts afresh**:" in en and "promised limit:" in en
