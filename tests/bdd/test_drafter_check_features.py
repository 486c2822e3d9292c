"""Steps of tests/features/drafter_check.feature: a drafter checks a policy before any
audit, and silences a deliberate warning with its reason.

Thin, like the other steps: they write the file a drafter would write and call the
verbs' functions (`run_check`, `run_audit`). The typo, "check", exit-code, location,
caret and hint steps are the shared ones of conftest.py.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, scenarios, then, when

from engine.cli_audit import run_audit, run_check

scenarios("drafter_check.feature")

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample" / "licensing_sample.csv"

PENALTY = """\
policy penalty "行政处罚决定期限"
version "2021-07-15" effective 2021-07-15
source "《中华人民共和国行政处罚法》（2021年修订）第六十条"

activity 立案 "立案"
activity 决定 "作出行政处罚决定"

ladder 效能问责 "机关效能问责措施" {
  提醒谈话 < 批评教育
}

clock 处罚决定时限 "作出行政处罚决定期限" source "第六十条" {
  start at 立案
  stop at 决定
  LIMIT
}

lapse decision_late 慢作为 "逾期作出行政处罚决定" source "第六十条" {
  when 处罚决定时限.breached
  responsible 直接责任 holder at 处罚决定时限.deadline
  grade 效能问责 fixed 提醒谈话
}
"""


@given(parsers.parse('起草人写了一份依据行政处罚法的政策，其中写着 "{limit}"'))
def penalty_policy(ctx: dict[str, Any], limit: str) -> None:
    path = ctx["tmp"] / "penalty.policy"
    path.write_text(PENALTY.replace("LIMIT", limit), encoding="utf-8")
    ctx["bad_policy"] = path


@given(parsers.parse('起草人在 "{line}" 这一行末尾写上 "{comment}"'))
def trailing_comment(ctx: dict[str, Any], line: str, comment: str) -> None:
    path = ctx["bad_policy"]
    text = path.read_text(encoding="utf-8")
    assert text.count(line + "\n") == 1
    path.write_text(text.replace(line + "\n", f"{line}  {comment}\n"), encoding="utf-8")


@when("我严格检查这份政策")
def check_strictly(ctx: dict[str, Any]) -> None:
    out, err = io.StringIO(), io.StringIO()
    ctx["code"] = run_check(["--strict", str(ctx["bad_policy"])], out, err)
    ctx["diag"] = out.getvalue() + err.getvalue()


@when("我用这份政策审计样例导出文件")
def audit_with_it(ctx: dict[str, Any]) -> None:
    out, err = io.StringIO(), io.StringIO()
    db, doc = ctx["tmp"] / "wenze.db", ctx["tmp"] / "findings.json"
    args = [str(SAMPLE), "--policy", str(ctx["bad_policy"]), "--as-of", "2026-11-20"]
    args += ["--db", f"sqlite:///{db}", "--json", str(doc)]
    ctx["code"] = run_audit(args, out, err)
    ctx["diag"] = out.getvalue() + err.getvalue()
    ctx["outputs"] = (db, doc)


@then(parsers.parse('提示写明 "{text}"'))
def diag_says(ctx: dict[str, Any], text: str) -> None:
    assert text in ctx["diag"], ctx["diag"]


@then(parsers.parse('提示建议改为 "{fix}"'))
def diag_suggests(ctx: dict[str, Any], fix: str) -> None:
    hints = [line for line in ctx["diag"].splitlines() if line.strip().startswith("hint:")]
    assert any(f"write '{fix}'" in h for h in hints), ctx["diag"]


@then("没有任何提示")
def no_diagnostics(ctx: dict[str, Any]) -> None:
    assert ctx["diag"] == "", ctx["diag"]


@then("没有生成任何审计结果")
def nothing_audited(ctx: dict[str, Any]) -> None:
    assert not any(p.exists() for p in ctx["outputs"]), ctx["outputs"]
