"""Step definitions shared by the Gherkin features (tests/features, in the users' words).

Steps are thin: they call the same functions as the CLI (`run_audit`, `run_check`) and
read the JSON findings document an inspector would read.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from engine.calendar import load_cn_calendar
from engine.cli_audit import run_audit, run_check
from engine.derive import derive_case
from engine.loader_csv import load_exports

ROOT = Path(__file__).resolve().parents[2]
ENGINE: list[str] = ["--engine", __import__("os").environ.get("WENZE_BDD_ENGINE", "durable")]
SAMPLE = ROOT / "fixtures" / "sample" / "licensing_sample.csv"


@pytest.fixture
def ctx(tmp_path: Path) -> dict[str, Any]:
    return {"tmp": tmp_path, "runs": []}


@given("适用行政许可时限政策")
def licensing_policy(ctx: dict[str, Any]) -> None:
    ctx["policy"] = str(ROOT / "policies" / "licensing")


def save_docstring(ctx: dict[str, Any], key: str, filename: str, docstring: str) -> None:
    """Write a step's docstring to a file in the scenario's folder; remember it under `key`."""
    path = ctx["tmp"] / filename
    path.write_text(docstring.strip() + "\n", encoding="utf-8")
    ctx[key] = str(path)


@given("办件记录如下:")
def export_from_docstring(ctx: dict[str, Any], docstring: str) -> None:
    save_docstring(ctx, "export", "export.csv", docstring)


@given("随附的样例导出文件")
def shipped_sample(ctx: dict[str, Any]) -> None:
    ctx["export"] = str(SAMPLE)


def _audit(ctx: dict[str, Any], as_of: str) -> None:
    n = len(ctx["runs"])
    out_json = ctx["tmp"] / f"out{n}.json"
    out, err = io.StringIO(), io.StringIO()
    args = [
        ctx["export"],
        "--policy",
        ctx["policy"],
        "--as-of",
        as_of,
        "--db",
        f"sqlite:///{ctx['tmp'] / 'wenze.db'}",
        "--json",
        str(out_json),
        *ENGINE,
    ]
    for register in ("roster", "votes", "sanctions"):
        if register in ctx:
            args += [f"--{register}", ctx[register]]
    code = run_audit(args, out, err)
    assert code == 0, err.getvalue()
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    _differential(ctx, args, doc)
    ctx["runs"].append({"doc": doc, "bytes": out_json.read_bytes(), "stdout": out.getvalue()})
    ctx["doc"] = doc
    ctx["as_of"] = as_of


def _differential(ctx: dict[str, Any], args: list[str], doc: dict[str, Any]) -> None:
    """Every scenario doubles as a differential test: the plain-Python oracle, on a copy
    of the same store, must give the same findings as the durable_rules stage."""
    import shutil

    db = ctx["tmp"] / "wenze.db"
    twin_db = ctx["tmp"] / "oracle.db"
    twin_json = ctx["tmp"] / "oracle.json"
    twin_db.unlink(missing_ok=True)
    shutil.copyfile(db, twin_db)
    twin = [a for a in args]
    twin[twin.index("--db") + 1] = f"sqlite:///{twin_db}"
    twin[twin.index("--json") + 1] = str(twin_json)
    twin[twin.index("--engine") + 1] = "python"
    assert run_audit(twin, io.StringIO(), io.StringIO()) == 0
    assert json.loads(twin_json.read_text(encoding="utf-8"))["findings"] == doc["findings"]


@given(parsers.parse("我以 {as_of} 为审计日进行审计"))
def audited_before(ctx: dict[str, Any], as_of: str) -> None:
    _audit(ctx, as_of)


@when(parsers.parse("我以 {as_of} 为审计日进行审计"))
def audit_as_of(ctx: dict[str, Any], as_of: str) -> None:
    _audit(ctx, as_of)


@when(parsers.parse("我以 {as_of} 为审计日再次审计同一数据库"))
def audit_again(ctx: dict[str, Any], as_of: str) -> None:
    _audit(ctx, as_of)


def _of(ctx: dict[str, Any], case: str, lapse: str) -> list[dict[str, Any]]:
    return [f for f in ctx["doc"]["findings"] if f["case_id"] == case and f["lapse"] == lapse]


@then(parsers.parse("案件 {case} 有一条 {lapse} 发现"))
def one_finding(ctx: dict[str, Any], case: str, lapse: str) -> None:
    found = _of(ctx, case, lapse)
    assert len(found) == 1, [(f["case_id"], f["lapse"]) for f in ctx["doc"]["findings"]]
    ctx["finding"] = found[0]


@then(parsers.parse("案件 {case} 有 {n:d} 条 {lapse} 发现"))
def n_findings(ctx: dict[str, Any], case: str, n: int, lapse: str) -> None:
    found = _of(ctx, case, lapse)
    assert len(found) == n, found
    ctx["found"] = found


@then(parsers.parse("案件 {case} 没有 {lapse} 发现"))
def no_finding(ctx: dict[str, Any], case: str, lapse: str) -> None:
    assert _of(ctx, case, lapse) == []


@then(parsers.parse("该发现的责任人是 {person}，责任类型为 {resp}"))
def finding_subject(ctx: dict[str, Any], person: str, resp: str) -> None:
    assert [(s["person"], s["responsibility"]) for s in ctx["finding"]["subjects"]] == [
        (person, resp)
    ]


@then(parsers.parse("这些发现的责任人依次是 {people}"))
def findings_subjects(ctx: dict[str, Any], people: str) -> None:
    got = [f["subjects"][0]["person"] for f in ctx["found"]]
    assert got == [p.strip() for p in people.split(",")]


@then(parsers.parse("该发现的期限届满日为 {deadline}，逾期 {n:d} 个工作日"))
def finding_deadline(ctx: dict[str, Any], deadline: str, n: int) -> None:
    facts = ctx["finding"]["facts"]
    assert (facts["deadline"], facts["overdue_workdays"]) == (deadline, n)


@then(parsers.parse("该发现的处理为 {grade}"))
def finding_grade(ctx: dict[str, Any], grade: str) -> None:
    assert ctx["finding"]["grade"] == grade


@then(parsers.parse('该发现的说明中写明 "{text}"'))
def finding_explains(ctx: dict[str, Any], text: str) -> None:
    steps = " / ".join(s["text"] for s in ctx["finding"]["explanation"])
    assert text in steps, steps


@then(parsers.parse("该发现的证据包含事件 {a} 和 {b}"))
def finding_evidence(ctx: dict[str, Any], a: str, b: str) -> None:
    ev = ctx["finding"]["evidence"]
    assert a in ev and b in ev, ev
    assert all(re.search(r"\.csv:\d+$", ctx["finding"]["sources"][e]) for e in ev)


def _clock(ctx: dict[str, Any], case: str, clock: str) -> Any:
    from dsl.api import load_policies

    policies, _ = load_policies(ctx["policy"])
    history = load_exports([ctx["export"]]).cases[case]
    facts = derive_case(history, policies[0], load_cn_calendar(), date.fromisoformat(ctx["as_of"]))
    return facts.clocks[clock]


@then(parsers.parse("案件 {case} 的 {clock} 期限届满日为 {deadline}，状态为 {state}"))
def clock_deadline(ctx: dict[str, Any], case: str, clock: str, deadline: str, state: str) -> None:
    c = _clock(ctx, case, clock)
    assert (c.deadline.isoformat(), c.state) == (deadline, state)


@then(parsers.parse("案件 {case} 的 {clock} 状态为 {state}"))
def clock_state(ctx: dict[str, Any], case: str, clock: str, state: str) -> None:
    assert _clock(ctx, case, clock).state == state


@then("两次运行的编号相同")
def same_run_id(ctx: dict[str, Any]) -> None:
    a, b = ctx["runs"][-2:]
    assert a["doc"]["run"]["id"] == b["doc"]["run"]["id"]


@then("两次输出的 JSON 完全相同")
def same_json(ctx: dict[str, Any]) -> None:
    a, b = ctx["runs"][-2:]
    assert a["bytes"] == b["bytes"]


@then("数据库中的发现条数与 JSON 中的发现条数相同")
def db_count(ctx: dict[str, Any]) -> None:
    import sqlite3

    con = sqlite3.connect(ctx["tmp"] / "wenze.db")
    n_findings = con.execute("select count(*) from findings").fetchone()[0]
    n_links = con.execute("select count(*) from run_findings").fetchone()[0]
    n_runs = con.execute("select count(*) from runs").fetchone()[0]
    con.close()
    n = len(ctx["doc"]["findings"])
    assert n > 0 and (n_findings, n_links, n_runs) == (n, n, 1)


@given(parsers.parse('一份政策把 "{right}" 写成了 "{wrong}"'))
def typo_policy(ctx: dict[str, Any], right: str, wrong: str) -> None:
    text = (ROOT / "policies" / "licensing" / "licensing.policy").read_text(encoding="utf-8")
    assert right in text
    bad = ctx["tmp"] / "typo.policy"
    bad.write_text(text.replace(right, wrong, 1), encoding="utf-8")
    ctx["bad_policy"] = bad
    ctx["bad_line"] = text[: text.index(right)].count("\n") + 1
    ctx["wrong"] = wrong.split()[-1]
    ctx["right"] = right.split()[-1]


@when("我检查这份政策")
def check_policy(ctx: dict[str, Any]) -> None:
    out, err = io.StringIO(), io.StringIO()
    ctx["code"] = run_check([str(ctx["bad_policy"])], out, err)
    ctx["diag"] = err.getvalue()


@then(parsers.parse("退出码为 {code:d}"))
def exit_code(ctx: dict[str, Any], code: int) -> None:
    assert ctx["code"] == code, ctx["diag"]


@then("提示中指出出错的文件、行和列")
def diag_location(ctx: dict[str, Any]) -> None:
    first = ctx["diag"].splitlines()[0]
    assert first.startswith(f"{ctx['bad_policy']}:{ctx['bad_line']}:"), ctx["diag"]
    assert "Traceback" not in ctx["diag"]


@then(parsers.parse('提示的下一行用 ^ 标出 "{word}"'))
def diag_caret(ctx: dict[str, Any], word: str) -> None:
    lines = ctx["diag"].splitlines()
    src = next(
        i
        for i, line in enumerate(lines)
        if word in line and not line.startswith(str(ctx["bad_policy"]))
    )
    caret = lines[src + 1]
    col = caret.index("^")

    # CJK characters take two terminal cells: compare display positions.
    def cells(s: str) -> int:
        return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)

    assert cells(lines[src][: lines[src].index(word)]) == col, "\n".join(lines)


@then(parsers.parse('提示建议 "{word}"'))
def diag_hint(ctx: dict[str, Any], word: str) -> None:
    assert "did you mean" in ctx["diag"] and word in ctx["diag"], ctx["diag"]
