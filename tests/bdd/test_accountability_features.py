"""Steps of tests/features/accountability.feature: rosters, votes, reviews, versions."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, scenarios, then

from engine.cli_review import run_review
from tests.bdd.conftest import save_docstring

scenarios("accountability.feature")

ROOT = Path(__file__).resolve().parents[2]


@given("人员名册如下:")
def roster(ctx: dict[str, Any], docstring: str) -> None:
    save_docstring(ctx, "roster", "roster.csv", docstring)


@given("表决记录如下:")
def votes(ctx: dict[str, Any], docstring: str) -> None:
    save_docstring(ctx, "votes", "votes.csv", docstring)


@given("又收到办件记录如下:")
def second_export(ctx: dict[str, Any], docstring: str) -> None:
    save_docstring(ctx, "export", "export2.csv", docstring)


@given(parsers.parse("适用政策目录 {folder}"))
def policy_folder(ctx: dict[str, Any], folder: str) -> None:
    ctx["policy"] = str(ROOT / folder)


@given(parsers.parse("政策文件 {name} 内容如下:"))
def policy_text(ctx: dict[str, Any], name: str, docstring: str) -> None:
    folder = ctx["tmp"] / "policy"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(docstring.strip() + "\n", encoding="utf-8")
    ctx["policy"] = str(folder)


@given(parsers.parse("复核人{decision}了案件 {case} 的 {lapse} 发现"))
def reviewed(ctx: dict[str, Any], decision: str, case: str, lapse: str) -> None:
    _review(ctx, case, lapse, {"撤销": "--dismiss", "确认": "--confirm"}[decision])


def _review(ctx: dict[str, Any], case: str, lapse: str, flag: str) -> None:
    f = next(f for f in ctx["doc"]["findings"] if f["case_id"] == case and f["lapse"] == lapse)
    err = io.StringIO()
    code = run_review(
        [
            f["id"],
            flag,
            "--reason",
            "复核意见",
            "--by",
            "李审核",
            "--db",
            f"sqlite:///{ctx['tmp'] / 'wenze.db'}",
        ],
        io.StringIO(),
        err,
    )
    assert code == 0, err.getvalue()


@then("该发现的责任人依次为:")
def subjects_table(ctx: dict[str, Any], datatable: list[list[str]]) -> None:
    header, *rows = datatable
    got = [[s[k] for k in header] for s in ctx["finding"]["subjects"]]
    assert got == rows, got


@then(parsers.parse("该发现的责任主体不明确，写明责任单位 {unit}"))
def unattributed(ctx: dict[str, Any], unit: str) -> None:
    subjects = ctx["finding"]["subjects"]
    assert [(s["person"], s["responsibility"], s.get("unit")) for s in subjects] == [
        ("", "责任主体不明确", unit)
    ]


@then(parsers.parse("该发现适用版本 {version}，行为时版本为 {conduct}"))
def version_applied(ctx: dict[str, Any], version: str, conduct: str) -> None:
    v = ctx["finding"]["policy"]["versions"]
    assert (v["applied"], v["conduct_version"]) == (version, conduct), v
