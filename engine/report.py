"""Reports: one report model (run + findings + defects) rendered as text, Markdown or JSON.

In: a run's record and its findings as stored (JSON dicts), and its data defects.
Out: a string. Rendering is deterministic (everything sorted, no wall clock) and personal
data that a reader does not need — ID-card and phone numbers in free text — is masked.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from engine.jsonfmt import compact

# Runs of 11 or more digits (an ID card may end in X): the only places personal numbers
# can hide. One simple scan, then a look at each run, is far cheaper than two regexes
# with look-arounds over every finding.
_DIGIT_RUN = re.compile(r"\d{11,}[Xx]?")


def mask(text: str) -> str:
    """Mask 18-character ID-card numbers and 11-digit mainland mobile numbers in free text."""
    return _DIGIT_RUN.sub(_mask_run, text)


def _mask_run(m: re.Match[str]) -> str:
    run = m.group(0)
    if len(run) == 18:
        return f"{run[:6]}********{run[14:]}"
    if len(run) == 11 and run[0] == "1" and run[1] in "3456789":
        return f"{run[:3]}****{run[7:]}"
    return run


@dataclass(frozen=True)
class ReportModel:
    run: dict[str, Any]
    findings: list[dict[str, Any]]
    defects: list[dict[str, Any]]


def findings_document(model: ReportModel) -> dict[str, Any]:
    """The documented JSON findings document: {"run": {...}, "findings": [...]}."""
    return {"run": model.run, "findings": model.findings, "defects": model.defects}


def render_json(model: ReportModel) -> str:
    buf = io.StringIO()
    write_json(model, buf)
    return buf.getvalue()


def write_json(model: ReportModel, out: TextIO) -> None:
    """Stream the findings document, one finding per line.

    json's indenting encoder is pure Python and took longer than the whole audit on a
    million events; one compact line per finding uses the C encoder, stays greppable and
    diffable, and never holds the whole document as one string. Findings carry ids,
    officials and computed facts only — no applicant data — so nothing here needs masking;
    the human-readable reports mask any ID-card or phone number that reaches them."""
    doc = JsonDocument(out, model.defects)
    for item in model.findings:
        doc.finding(compact(item))
    doc.close(model.run)


class JsonDocument:
    """`write_json` in three steps — defects, then each finding's compact text, then the
    run — so that a caller can write the findings as the store serialises them
    (`engine.store.save_run(on_payload=doc.finding)`) and serialise each finding once.
    The bytes are those of `write_json`, which is built on this."""

    def __init__(self, out: TextIO, defects: list[dict[str, Any]]) -> None:
        self.out = out
        self.n = 0
        out.write("{\n")
        self._list("defects", [compact(d) for d in defects])
        out.write('  "findings": [')

    def _list(self, key: str, texts: list[str]) -> None:
        self.out.write(f'  "{key}": [')
        for i, text in enumerate(texts):
            self.out.write(",\n    " if i else "\n    ")
            self.out.write(text)
        self.out.write("\n  ],\n" if texts else "],\n")

    def finding(self, text: str) -> None:
        """The next finding, as `engine.jsonfmt.compact` spells it."""
        self.out.write(",\n    " if self.n else "\n    ")
        self.out.write(text)
        self.n += 1

    def close(self, run: dict[str, Any]) -> None:
        self.out.write("\n  ],\n" if self.n else "],\n")
        text = json.dumps(run, ensure_ascii=False, indent=2, sort_keys=True)
        self.out.write('  "run": ' + text.replace("\n", "\n  ") + "\n}\n")


def summary_rows(findings: list[dict[str, Any]]) -> list[tuple[str, str, str, int]]:
    """(lapse, label, grade, count), by lapse and then from the lightest grade up."""
    return count_rows(
        (f["lapse"], f.get("label", ""), f.get("grade_rank", -1), f.get("grade", ""))
        for f in findings
    )


def count_rows(keys: Iterable[tuple[str, str, int, str]]) -> list[tuple[str, str, str, int]]:
    """`summary_rows` from (lapse, label, grade rank, grade) per finding."""
    c = Counter(keys)
    return [(lapse, label, grade, n) for (lapse, label, _rank, grade), n in sorted(c.items())]


def _by(findings: list[dict[str, Any]], key: str) -> list[tuple[str, int]]:
    c: Counter[str] = Counter()
    for f in findings:
        if key == "person":
            for s in f.get("subjects", []):
                c[s.get("person") or f"（{s.get('responsibility', '')}）"] += 1
        elif key == "unit":
            for s in f.get("subjects", []):
                c[s.get("unit") or "（未知单位）"] += 1
        else:
            c[str(f.get(key, ""))] += 1
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))


def render_text(model: ReportModel, *, markdown: bool = False) -> str:
    r = model.run
    s = r.get("summary", {})
    h1, h2 = ("# ", "## ") if markdown else ("", "")
    lines = [f"{h1}wenze 审计报告 — run {r['id']}", ""]
    lines += _kv(
        markdown,
        [
            ("政策 policy", ", ".join(r.get("policies", []))),
            ("截至 as_of", r.get("as_of", "")),
            ("输入 inputs", ", ".join(r.get("inputs", []))),
            ("案件 cases", str(s.get("cases", ""))),
            (
                "事件 events in / used / quarantined",
                f"{s.get('rows_in', '')} / {s.get('rows_used', '')} / {s.get('rows_quarantined', '')}",
            ),
            ("发现 findings", str(len(model.findings))),
            ("wenze", r.get("wenze_version", "")),
        ],
    )
    lines += ["", f"{h2}按问题类型与处理 (by lapse and grade)", ""]
    lines += _table(
        markdown,
        ("lapse", "问题", "处理", "件数"),
        [(a, b, c or "—", str(n)) for a, b, c, n in summary_rows(model.findings)],
    )
    lines += ["", f"{h2}按责任人 (by person)", ""]
    lines += _table(
        markdown, ("责任人", "件数"), [(p, str(n)) for p, n in _by(model.findings, "person")]
    )
    lines += ["", f"{h2}按单位 (by unit)", ""]
    lines += _table(
        markdown, ("单位", "件数"), [(u, str(n)) for u, n in _by(model.findings, "unit")]
    )
    dq = s.get("data_quality", [])
    if dq:
        lines += ["", f"{h2}数据质量问题 (data-quality findings)", ""]
        lines += _table(
            markdown,
            ("代码", "文件", "行数", "处理", "说明"),
            [
                (
                    d["code"],
                    d["file"],
                    str(d["count"]),
                    "隔离" if d["rows"] == "quarantined" else "保留",
                    d["summary"],
                )
                for d in dq
            ],
        )
    if model.defects:
        shown = model.defects[:200]
        more = f"（列出前 {len(shown)} 条）" if len(shown) < len(model.defects) else ""
        lines += ["", f"{h2}数据缺陷明细 (data defects): {len(model.defects)} {more}", ""]
        lines += _table(
            markdown,
            ("位置", "代码", "字段", "说明"),
            [(f"{d['file']}:{d['line']}", d["code"], d["field"], d["message"]) for d in shown],
        )
    lines += ["", f"{h2}发现明细 (findings)", ""]
    for f in model.findings:
        lines += _finding_block(f, markdown)
    return mask("\n".join(lines).rstrip() + "\n")


def _finding_block(f: dict[str, Any], markdown: bool) -> list[str]:
    who = "；".join(
        f"{s.get('person') or '—'}（{s.get('responsibility', '')}）" for s in f.get("subjects", [])
    )
    head = f"[{f['id']}] 案件 {f['case_id']} · {f['lapse']} {f.get('label', '')} · {f.get('category', '')}"
    facts = f.get("facts", {})
    fact_line = ", ".join(f"{k}={facts[k]}" for k in sorted(facts) if k not in ("suspended",))
    out = [("### " if markdown else "") + head, ""]
    out += _kv(
        markdown,
        [
            ("责任人", who),
            ("处理", f.get("grade") or "未定档"),
            ("事实", fact_line),
            (
                "证据",
                ", ".join(
                    f"{e} ({f.get('sources', {}).get(e, '')})" for e in f.get("evidence", [])
                ),
            ),
            (
                "依据",
                f"{f['policy']['id']} {f['policy']['version']} — {f['policy'].get('lapse_source') or f['policy']['source']}",
            ),
            ("复核状态", f.get("review_status", "open")),
        ],
    )
    out.append("")
    out.append("说明：" if not markdown else "**说明：**")
    for i, step in enumerate(f.get("explanation", []), start=1):
        where = f" [{step['policy']}]" if step.get("policy") else ""
        out.append(
            f"  {i}. {step['text']}{where}" if not markdown else f"{i}. {step['text']}{where}"
        )
    out.append("")
    return out


def _kv(markdown: bool, pairs: list[tuple[str, str]]) -> list[str]:
    if markdown:
        return [f"- **{k}**: {v}" for k, v in pairs]
    width = max(_width(k) for k, _ in pairs)
    return [f"  {k}{' ' * (width - _width(k))}  {v}" for k, v in pairs]


def _table(markdown: bool, head: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    if not rows:
        return ["（无 none）"]
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return out
    widths = [max(_width(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    fmt = [_pad(h, w) for h, w in zip(head, widths, strict=True)]
    out = ["  " + "  ".join(fmt).rstrip()]
    for r in rows:
        out.append("  " + "  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip())
    return out


def _width(s: str) -> int:
    """Display width in a terminal: CJK characters take two cells."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in s)


def _pad(s: str, w: int) -> str:
    return s + " " * (w - _width(s))
