"""Steps of the drafters' features (tests/features/drafter_*.feature).

Thin, like the audit steps in conftest.py: they write the files a drafter would write,
call the verbs' functions (`run_test`, `run_doc`) and read what a drafter would read.
`退出码为 N` is the shared step of conftest.py (it reads ctx["code"] and ctx["diag"]).
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, scenarios, then, when

from engine.cli_policy import run_doc, run_test

scenarios("drafter_tools.feature")


def _folder(ctx: dict[str, Any]) -> Path:
    """A policy folder of the drafter's own: the policy, and its tests/ beside it."""
    folder: Path = ctx["tmp"] / "policy"
    if not folder.exists():
        (folder / "tests").mkdir(parents=True)
        shutil.copy(Path(ctx["policy"]) / "licensing.policy", folder)
    return folder


@given("一份政策测试，办件记录如下:")
def history_csv(ctx: dict[str, Any], docstring: str) -> None:
    path = _folder(ctx) / "tests" / "example.csv"
    path.write_text(docstring.strip() + "\n", encoding="utf-8")


@given("期望的问题发现如下:")
def expectation_file(ctx: dict[str, Any], docstring: str) -> None:
    path = _folder(ctx) / "tests" / "example.expect.toml"
    path.write_text(docstring.strip() + "\n", encoding="utf-8")


def _run(ctx: dict[str, Any], *extra: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    ctx["code"] = run_test([str(_folder(ctx)), *extra], out, err)
    ctx["out"] = out.getvalue()
    ctx["diag"] = out.getvalue() + err.getvalue()


@when("我运行政策测试")
def run_policy_tests(ctx: dict[str, Any]) -> None:
    _run(ctx)


@when("我运行政策测试并查看覆盖情况")
def run_policy_tests_with_coverage(ctx: dict[str, Any]) -> None:
    _run(ctx, "--coverage")


@then(parsers.parse("测试结果为 {status}"))
def result_status(ctx: dict[str, Any], status: str) -> None:
    assert ctx["out"].startswith(f"{status}  "), ctx["out"]


def _diff_row(ctx: dict[str, Any], key: str) -> list[str]:
    for line in ctx["out"].splitlines():
        cells = line.split()
        if key in cells[:2]:
            return cells
    raise AssertionError(f"no row {key} in:\n{ctx['out']}")


@then(parsers.parse('差异中 {key} 期望 "{expected}"，实际 "{actual}"'))
def diff_differs(ctx: dict[str, Any], key: str, expected: str, actual: str) -> None:
    assert _diff_row(ctx, key) == ["✗", key, expected, actual]


@then(parsers.parse("差异中 {key} 期望与实际一致"))
def diff_agrees(ctx: dict[str, Any], key: str) -> None:
    row = _diff_row(ctx, key)
    assert row[0] == key and row[1] == row[2], row


@then(parsers.parse('差异后附有引擎的计算过程 "{text}"'))
def diff_explains(ctx: dict[str, Any], text: str) -> None:
    trail = ctx["out"].split("how the engine found it:", 1)[1]
    assert text in trail, ctx["out"]


@when("我生成这份政策的说明文件")
def make_document(ctx: dict[str, Any]) -> None:
    out, err = io.StringIO(), io.StringIO()
    ctx["code"] = run_doc([ctx["policy"]], out, err)
    assert ctx["code"] == 0, err.getvalue()
    ctx["doc"] = out.getvalue()


@then(parsers.parse('说明文件写明 "{text}"'))
def document_says(ctx: dict[str, Any], text: str) -> None:
    assert text in ctx["doc"], ctx["doc"]


@then(parsers.parse('"{lapse}" 的处理表中 "{band}" 对应 "{level}"'))
def document_grade_table(ctx: dict[str, Any], lapse: str, band: str, level: str) -> None:
    section = ctx["doc"].split(f"### {lapse}\n", 1)[1].split("\n### ", 1)[0]
    assert f"| {band} | {level} |" in section, section


def _coverage_line(ctx: dict[str, Any], lapse: str, band: str) -> str | None:
    return next(
        (ln for ln in ctx["out"].splitlines() if f"band {band} of lapse {lapse} " in ln), None
    )


@then(parsers.parse('覆盖情况指出 {lapse} 的 "{band}" 档没有测试，并给出该档在政策文件中的行号'))
def coverage_names_band(ctx: dict[str, Any], lapse: str, band: str) -> None:
    line = _coverage_line(ctx, lapse, band)
    assert line is not None, ctx["out"]
    policy = _folder(ctx) / "licensing.policy"
    m = re.match(rf"\s*{re.escape(str(policy))}:(\d+): ", line)
    assert m, line
    written = policy.read_text(encoding="utf-8").splitlines()[int(m.group(1)) - 1]
    assert written.strip() == band, written


@then(parsers.parse('覆盖情况不再提 {lapse} 的 "{band}" 档'))
def coverage_skips_band(ctx: dict[str, Any], lapse: str, band: str) -> None:
    assert _coverage_line(ctx, lapse, band) is None, ctx["out"]
