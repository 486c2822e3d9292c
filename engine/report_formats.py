"""Report formats for spreadsheets and browsers: CSV (UTF-8 with BOM), XLSX and HTML.

In: the same `ReportModel` the text, Markdown and JSON renderers read.
Out: bytes (XLSX) or text (CSV, HTML). Chinese labels render everywhere: the CSV carries a
BOM so Excel opens it as UTF-8, the HTML declares UTF-8 and escapes every value, and the
HTML is one self-contained file (inline CSS and SVG charts, no network).
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from typing import Any

from engine.report import ReportModel, mask, summary_rows

COLUMNS = (
    ("id", "发现编号"),
    ("case_id", "案件"),
    ("lapse", "问题代码"),
    ("label", "问题"),
    ("category", "类别"),
    ("grade", "处理"),
    ("persons", "责任人"),
    ("responsibilities", "责任类型"),
    ("units", "单位"),
    ("conduct", "发生日"),
    ("deadline", "期限届满日"),
    ("overdue_workdays", "逾期工作日"),
    ("ongoing", "持续中"),
    ("evidence", "证据事件"),
    ("policy", "依据"),
    ("review_status", "复核状态"),
    ("explanation", "说明"),
)


def _row(f: dict[str, Any]) -> dict[str, str]:
    facts = f.get("facts", {})
    subjects = f.get("subjects", [])
    pol = f.get("policy", {})
    return {
        "id": f["id"],
        "case_id": f["case_id"],
        "lapse": f["lapse"],
        "label": f.get("label", ""),
        "category": f.get("category", ""),
        "grade": f.get("grade", ""),
        "persons": "；".join(s.get("person") or "—" for s in subjects),
        "responsibilities": "；".join(s.get("responsibility", "") for s in subjects),
        "units": "；".join(s.get("unit", "") for s in subjects),
        "conduct": f.get("conduct", ""),
        "deadline": str(facts.get("deadline", "")),
        "overdue_workdays": str(facts.get("overdue_workdays", "")),
        "ongoing": "是" if facts.get("ongoing") else "",
        "evidence": " ".join(
            f"{e}({f.get('sources', {}).get(e, '')})" for e in f.get("evidence", [])
        ),
        "policy": f"{pol.get('id', '')} {pol.get('version', '')} {pol.get('lapse_source') or pol.get('source', '')}",
        "review_status": f.get("review_status", "open"),
        "explanation": " / ".join(s["text"] for s in f.get("explanation", [])),
    }


def render_csv(model: ReportModel) -> str:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel reads UTF-8 only with a BOM
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([label for _k, label in COLUMNS])
    for f in model.findings:
        row = _row(f)
        w.writerow([mask(row[k]) for k, _label in COLUMNS])
    return buf.getvalue()


def render_xlsx(model: ReportModel) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "发现"
    ws.append([label for _k, label in COLUMNS])
    for f in model.findings:
        row = _row(f)
        ws.append([mask(row[k]) for k, _label in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    summary = wb.create_sheet("汇总")
    summary.append(["问题代码", "问题", "处理", "件数"])
    for lapse, label, grade, n in summary_rows(model.findings):
        summary.append([lapse, label, grade or "—", n])
    quality = wb.create_sheet("数据质量")
    quality.append(["文件", "行", "代码", "字段", "说明"])
    for d in model.defects:
        quality.append([d["file"], d["line"], d["code"], d["field"], mask(d["message"])])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_html(model: ReportModel) -> str:
    r = model.run
    s = r.get("summary", {})
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>wenze 审计报告 {e(r['id'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>wenze 审计报告 <small>run {e(r['id'])}</small></h1>",
        "<table class='kv'>",
        *(
            f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>"
            for k, v in (
                ("政策", ", ".join(r.get("policies", []))),
                ("截至", r.get("as_of", "")),
                ("输入", ", ".join(r.get("inputs", []))),
                (
                    "案件 / 事件",
                    f"{s.get('cases', '')} / {s.get('rows_in', '')}（采用 {s.get('rows_used', '')}，隔离 {s.get('rows_quarantined', '')}）",
                ),
                ("发现", len(model.findings)),
            )
        ),
        "</table>",
        "<h2>按问题与处理</h2>",
        _bars(
            [
                (f"{label}·{grade or '未定档'}", n)
                for _l, label, grade, n in summary_rows(model.findings)
            ]
        ),
        "<h2>按责任人</h2>",
        _bars(_count(model.findings, "person")[:30]),
        "<h2>按单位</h2>",
        _bars(_count(model.findings, "unit")[:30]),
    ]
    dq = s.get("data_quality", [])
    if dq:
        parts.append(
            "<h2>数据质量问题</h2><table><tr><th>代码</th><th>文件</th><th>行数</th><th>处理</th>"
            "<th>说明</th><th>前几处</th></tr>"
        )
        parts += [
            f"<tr><td>{e(d['code'])}</td><td>{e(d['file'])}</td><td>{d['count']}</td>"
            f"<td>{'隔离' if d['rows'] == 'quarantined' else '保留'}</td><td>{e(d['summary'])}</td>"
            f"<td>{'<br>'.join(e(mask(x)) for x in d['examples'][:3])}</td></tr>"
            for d in dq
        ]
        parts.append("</table>")
    if model.defects:
        shown = model.defects[:500]
        parts.append(
            f"<h2>数据缺陷明细（{len(model.defects)}{'，列出前 500 条' if len(shown) < len(model.defects) else ''}）</h2>"
            "<table><tr><th>位置</th><th>代码</th><th>字段</th><th>说明</th></tr>"
        )
        parts += [
            f"<tr><td>{e(d['file'])}:{d['line']}</td><td>{e(d['code'])}</td><td>{e(d['field'])}</td>"
            f"<td>{e(mask(d['message']))}</td></tr>"
            for d in shown
        ]
        parts.append("</table>")
    parts.append("<h2>发现明细</h2>")
    parts += [_finding(f) for f in model.findings]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _count(findings: list[dict[str, Any]], key: str) -> list[tuple[str, int]]:
    c: Counter[str] = Counter()
    for f in findings:
        for s in f.get("subjects", []):
            c[s.get(key) or "（未知）"] += 1
    return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))


def _bars(rows: list[tuple[str, int]]) -> str:
    if not rows:
        return "<p>（无）</p>"
    top = max(n for _l, n in rows)
    out = ["<table class='bars'>"]
    for label, n in rows:
        width = max(1, round(300 * n / top))
        out.append(
            f"<tr><th>{html.escape(label)}</th><td><svg width='{width}' height='12' role='img'>"
            f"<rect width='{width}' height='12' fill='#b03a2e'/></svg> {n}</td></tr>"
        )
    out.append("</table>")
    return "\n".join(out)


def _finding(f: dict[str, Any]) -> str:
    e = html.escape
    row = _row(f)
    facts = f.get("facts", {})
    steps = "".join(
        f"<li>{e(mask(st['text']))}{' <code>' + e(st['policy']) + '</code>' if st.get('policy') else ''}</li>"
        for st in f.get("explanation", [])
    )
    return (
        f"<section class='finding' id='f-{e(f['id'])}'>"
        f"<h3>{e(f['case_id'])} · {e(row['label'])} <span class='grade'>{e(row['grade'] or '未定档')}</span></h3>"
        f"<p>责任人：{e(row['persons'])}（{e(row['responsibilities'])}） · 类别：{e(row['category'])} · "
        f"发现编号 <code>{e(f['id'])}</code> · 复核：{e(row['review_status'])}</p>"
        f"{_timeline(f.get('timeline', []), facts)}"
        f"<ol>{steps}</ol>"
        f"<p class='src'>依据：{e(row['policy'])}；证据：{e(row['evidence'])}</p></section>"
    )


def _timeline(events: list[dict[str, str]], facts: dict[str, Any]) -> str:
    """An SVG time axis: evidence events, suspensions (grey) and the deadline (red)."""
    from datetime import date

    days = [date.fromisoformat(ev["time"][:10]) for ev in events]
    marks = list(days)
    deadline = facts.get("deadline")
    if deadline:
        marks.append(date.fromisoformat(deadline))
    for a, b in facts.get("suspended", []):
        marks += [date.fromisoformat(a), date.fromisoformat(b)]
    if not marks:
        return ""
    lo, hi = min(marks), max(marks)
    span = max((hi - lo).days, 1)
    width = 640

    def x(d: date) -> float:
        return 20 + (width - 40) * (d - lo).days / span

    out = [
        f"<svg class='timeline' width='{width}' height='{40 + 16 * len(events)}' role='img'>",
        f"<line x1='20' y1='20' x2='{width - 20}' y2='20' stroke='#555'/>",
    ]
    for a, b in facts.get("suspended", []):
        xa, xb = x(date.fromisoformat(a)), x(date.fromisoformat(b))
        out.append(
            f"<rect x='{xa:.1f}' y='14' width='{max(xb - xa, 2):.1f}' height='12' fill='#ccc'/>"
        )
    if deadline:
        xd = x(date.fromisoformat(deadline))
        anchor = "end" if xd > width / 2 else "start"
        dx = -3 if anchor == "end" else 3
        out.append(
            f"<line x1='{xd:.1f}' y1='6' x2='{xd:.1f}' y2='34' stroke='#c00' stroke-width='2'/>"
            f"<text x='{xd + dx:.1f}' y='10' font-size='10' fill='#c00' text-anchor='{anchor}'>"
            f"期限 {html.escape(deadline)}</text>"
        )
    for i, (ev, d) in enumerate(zip(events, days, strict=True)):
        xe = x(d)
        out.append(
            f"<circle cx='{xe:.1f}' cy='20' r='4' fill='#1f4e79'/>"
            f"<text x='{min(xe, width - 200):.1f}' y='{44 + 16 * i}' font-size='11'>"
            f"{html.escape(d.isoformat())} {html.escape(ev['activity'])} {html.escape(ev.get('actor', ''))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:2em;max-width:60em;color:#222}
h1 small{font-weight:normal;color:#777;font-size:60%}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:2px 8px;text-align:left;vertical-align:top}
table.kv th{color:#555}table.bars th{font-weight:normal;white-space:nowrap}
section.finding{border-top:1px solid #ddd;padding:.5em 0}
.grade{background:#b03a2e;color:#fff;border-radius:3px;padding:0 6px;font-size:80%}
code{color:#555;font-size:85%}.src{color:#666;font-size:85%}svg.timeline{display:block;margin:.3em 0}
"""
