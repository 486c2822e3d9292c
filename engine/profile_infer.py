"""Draft an import profile from a file's header and a sample of its rows.

In: an export (csv, xlsx, jsonl, xes). Out: the TOML text of a profile (engine.profile)
for a person to review — which column is the case id, the time, the activity…, the
encoding and header row found, time formats that read every sampled time, columns that
hold one value per case (case attributes), and the activity names seen, as a commented
value map to fill in. Guesses are marked; the draft always loads as a profile.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from datetime import datetime
from itertools import islice
from pathlib import Path

from engine.loaders.dispatch import detect_format
from engine.loaders.tabular import BadRow, decode, read_bytes, read_csv, read_jsonl, read_xlsx
from engine.loaders.timeparse import TimeParser
from engine.loaders.xes import read_xes
from engine.profile import CANONICAL_FIELDS

# Header names seen in exports, per canonical field (DOMAIN.md §16), best first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "case_id": (
        "case_id",
        "case:concept:name",
        "办件编号",
        "办件号",
        "案件编号",
        "工单编号",
        "投诉编号",
        "受理编号",
        "申报号",
        "业务编号",
        "case",
        "caseid",
        "case id",
    ),
    "event_id": ("event_id", "identity:id", "流水号", "事件编号", "记录编号", "环节编号", "id"),
    "time": (
        "time",
        "time:timestamp",
        "办理时间",
        "处理时间",
        "操作时间",
        "环节开始时间",
        "发生时间",
        "时间",
        "timestamp",
        "datetime",
    ),
    "activity": (
        "activity",
        "concept:name",
        "环节名称",
        "办理环节",
        "业务动作",
        "环节",
        "操作",
        "activity name",
        "step",
    ),
    "actor": (
        "actor",
        "org:resource",
        "经办人",
        "办理人",
        "处理人",
        "操作人",
        "受理人员",
        "resource",
        "user",
    ),
    "assignee": ("assignee", "接收人", "下一环节处理人", "承办人", "转办对象", "派单对象"),
    "role": ("role", "org:role", "岗位", "角色", "职务"),
    "unit": ("unit", "org:group", "办理部门", "部门", "单位", "处室", "承办单位"),
}
CUSTODY_WORDS = ("分派", "转办", "派单", "转派", "交办", "移交", "改派")
TIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H时%M分",
    "%Y年%m月%d日",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
)


def infer_profile(
    path: str, sample: int = 1000, encoding: str | None = None, sheet: str | None = None
) -> str:
    fmt = detect_format(path)
    if fmt == "xes":
        return _infer_xes(path, sample)
    notes: list[str] = []
    enc = ""
    header_row = 1
    if fmt == "xlsx":
        header_row = _xlsx_header_row(path, sheet)
        header, records = read_xlsx(path, sheet, header_row)
        rows = [r for _n, r in islice(records, sample) if not isinstance(r, BadRow)]
    else:
        text, enc = decode(path, read_bytes(path), encoding)
        if fmt == "jsonl":
            rows = [
                r for _n, r in islice(read_jsonl(path, text), sample) if not isinstance(r, BadRow)
            ]
            header = list(dict.fromkeys(k for r in rows for k in r))
        else:
            delimiter = _delimiter(text)
            header_row = _csv_header_row(text, delimiter)
            header, records = read_csv(path, text, delimiter, header_row)
            rows = [r for _n, r in islice(records, sample) if not isinstance(r, BadRow)]
            if delimiter != ",":
                notes.append(f'delimiter = "{_esc(delimiter)}"')
    fields = _guess_fields(header)
    return _render(path, fmt, enc, header_row, sheet, notes, header, fields, rows)


def _guess_fields(header: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    taken: set[str] = set()
    lowered = {h.lower(): h for h in header}
    for canonical, names in SYNONYMS.items():
        for name in names:  # exact names first, then a header containing the name
            col = lowered.get(name.lower())
            if col is None and len(name) >= 2 and not name.isascii():
                col = next((h for h in header if name in h and h not in taken), None)
            if col is not None and col not in taken:
                found[canonical] = col
                taken.add(col)
                break
    return found


def _render(
    path: str,
    fmt: str,
    enc: str,
    header_row: int,
    sheet: str | None,
    notes: list[str],
    header: list[str],
    fields: dict[str, str],
    rows: list[dict[str, str]],
) -> str:
    out = [
        f"# Import profile drafted by `wenze profile infer` from {Path(path).name}",
        f"# ({len(rows)} sampled rows). Review every line marked CHECK before use;",
        "# the format is described in docs/import-profiles.md.",
        "",
        "[profile]",
        f'name = "{_esc(Path(path).stem)}"',
        "",
        "[source]",
        f'format = "{fmt}"',
    ]
    if enc:
        out.append(f'encoding = "{enc}"  # detected')
    out.append('zone = "Asia/Shanghai"  # CHECK: where the times were recorded')
    if sheet:
        out.append(f'sheet = "{_esc(sheet)}"')
    if header_row != 1:
        out.append(f"header_row = {header_row}  # rows above it are titles")
    out += notes
    out += ["", "[fields]"]
    for canonical in CANONICAL_FIELDS:
        col = fields.get(canonical)
        if col is not None:
            out.append(f'{canonical} = "{_esc(col)}"')
        elif canonical in ("case_id", "time", "activity"):
            out.append(f'# {canonical} = ""  # CHECK: required, no column recognised')
        else:
            out.append(f'# {canonical} = ""  # no column recognised')
    times = [r.get(fields.get("time", ""), "") for r in rows]
    out += _time_section(times)
    activities = Counter(r.get(fields.get("activity", ""), "").strip() for r in rows)
    out += _activity_section(activities)
    case_attrs = _case_attributes(header, fields, rows)
    if case_attrs:
        out += ["", "[case]", "# One value per case in the sample: read as case attributes."]
        out.append(
            "attributes = { " + ", ".join(f'{_key(c)} = "{_esc(c)}"' for c in case_attrs) + " }"
        )
    out += [
        "",
        "[event]",
        '# Other columns become event attributes named as the column ("drop" to ignore them).',
        'others = "keep"',
    ]
    return "\n".join(out) + "\n"


def _time_section(times: list[str]) -> list[str]:
    values = [t.strip() for t in times if t.strip()]
    iso = TimeParser("UTC")
    odd = []
    for v in values:
        try:
            iso.parse(v)
        except ValueError:
            odd.append(v)
    out = ["", "[time]"]
    if not values:
        return [*out, "# no time values in the sample"]
    if not odd:
        out.append("# every sampled time is ISO 8601: no formats needed")
        aware = sum(1 for v in values if re.search(r"(Z|[+-]\d\d:?\d\d)$", v))
        if aware:
            out.append(f"# {aware} of {len(values)} sampled times carry a UTC offset")
        return out
    fits = [f for f in TIME_FORMATS if all(_fits(v, f) for v in odd)]
    if fits:
        out.append(f'formats = ["{_esc(fits[0])}"]  # reads every sampled time, e.g. {odd[0]!r}')
    else:
        out.append(f"# CHECK: no known format reads {odd[0]!r}; add a strptime format:")
        out.append('# formats = ["%Y/%m/%d %H:%M"]')
    return out


def _fits(value: str, fmt: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _activity_section(activities: Counter[str]) -> list[str]:
    out = [
        "",
        "[activities]",
        "# Activity names seen in the sample (rows). Map each to the policy's name, e.g.",
        '# "收件登记" = "收件"; a name neither mapped nor in the policy is unknown_activity.',
    ]
    custody = [a for a in activities if any(w in a for w in CUSTODY_WORDS)]
    if custody:
        out.append("# CHECK: these look like hand-overs (the assignee takes the case);")
        out.append("# list them by their names after the map:")
        out.append("# custody = [" + ", ".join(f'"{_esc(a)}"' for a in custody) + "]")
    out.append("[activities.map]")
    for name, n in activities.most_common():
        if name:
            out.append(f'# "{_esc(name)}" = ""  # {n}')
    return out


def _case_attributes(
    header: list[str], fields: dict[str, str], rows: list[dict[str, str]]
) -> list[str]:
    case_col = fields.get("case_id")
    if case_col is None:
        return []
    used = set(fields.values())
    by_case: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_case.setdefault(r.get(case_col, ""), []).append(r)
    multi = [rs for rs in by_case.values() if len(rs) >= 2]
    if len(multi) < 2:
        return []  # too few cases with several rows to tell
    return [
        col
        for col in header
        if col not in used
        and not col.startswith(("case:", "case."))  # read as case attributes anyway
        and len({r.get(col, "") for r in rows}) >= 2  # constant everywhere: not telling
        and all(len({r.get(col, "") for r in rs}) == 1 for rs in multi)
    ]


def _infer_xes(path: str, sample: int) -> str:
    event_keys: Counter[str] = Counter()
    trace_keys: Counter[str] = Counter()
    activities: Counter[str] = Counter()
    n_events = n_traces = 0
    # Closed explicitly: the reader's decompression thread stops when the sample is taken.
    with closing(read_xes(path)) as traces:
        sampled = list(islice(traces, sample))
    for trace in sampled:
        n_traces += 1
        trace_keys.update(trace.attrs.keys())
        for _line, d in trace.events:
            event_keys.update(d.keys())
            activities[d.get("concept:name", "")] += 1
            n_events += 1
    out = [
        f"# Import profile drafted by `wenze profile infer` from {Path(path).name}",
        f"# ({n_traces} traces sampled, {n_events} events). XES standard keys are read",
        "# without being named here.",
        "",
        "[profile]",
        f'name = "{_esc(Path(path).name.split(".")[0])}"',
        "",
        "[source]",
        'format = "xes"',
        'zone = "Asia/Shanghai"  # CHECK: the zone whose calendar days deadlines count',
        "",
        "[fields]",
        '# Defaults: case_id = "case:concept:name", activity = "concept:name",',
        '# time = "time:timestamp", actor = "org:resource", role = "org:role", unit = "org:group".',
        "# Event keys seen: " + ", ".join(f"{k} ({n})" for k, n in event_keys.most_common()),
        "# Trace keys seen (case attributes): " + ", ".join(trace_keys),
    ]
    out += _activity_section(activities)
    return "\n".join(out) + "\n"


def _delimiter(text: str) -> str:
    first = text.removeprefix("\ufeff").split("\n", 5)[:5]
    counts = {
        d: min(line.count(d) for line in first if line.strip()) for d in (",", "\t", ";", "|")
    }
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _csv_header_row(text: str, delimiter: str) -> int:
    """Excel exports often put a title row (or two) above the header."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter)
    return _header_row(islice(reader, 6))


def _xlsx_header_row(path: str, sheet: str | None) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = [
            ["" if v is None else str(v) for v in r]
            for r in islice(ws.iter_rows(values_only=True), 6)
        ]
    finally:
        wb.close()
    return _header_row(rows)


def _header_row(rows: Iterable[list[str]]) -> int:
    filled = [sum(1 for c in r if str(c).strip()) for r in rows]
    widest = max(filled, default=0)
    for i, n in enumerate(filled):
        if n >= max(2, widest - 1):
            return i + 1
    return 1


def _esc(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{_esc(name)}"'
