"""Tabular and line-oriented exports: CSV in any of the usual encodings, XLSX, JSON Lines.

In: a path, the import profile (encoding, delimiter, sheet, header row). Out: the header
and `(line, record)` pairs for engine.loaders.records — `record` is a dict of column →
text, or a `Problem` for a line that cannot be a record (wrong number of fields, JSON that
is not an object), which becomes a `bad_row` defect rather than vanishing.

Encodings: a UTF-8 BOM, then UTF-16 BOMs, then strict UTF-8, then GBK, then GB18030 — the
order matters: GBK text is almost never valid UTF-8, while UTF-8 text often decodes as
GBK garbage. `--encoding` or the profile's `encoding` overrides the guess.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime
from typing import Any

from engine.loaders.result import ExportError


@dataclass(frozen=True)
class BadRow:
    """A line that cannot be a record; it becomes a `bad_row` defect, never vanishes."""

    message: str
    raw: dict[str, str]


Record = dict[str, str] | BadRow


def decode(path: str, data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding used): the given encoding, or the detected one."""
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise _decode_error(path, data, exc, encoding, given=True) from None
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gbk", "gb18030"]
    last: UnicodeDecodeError | None = None
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            last = last or exc
    assert last is not None
    raise _decode_error(path, data, last, "/".join(candidates), given=False)


def _decode_error(
    path: str, data: bytes, exc: UnicodeDecodeError, tried: str, given: bool
) -> ExportError:
    line = data.count(b"\n", 0, exc.start) + 1
    byte = data[exc.start]
    hint = (
        "the file is in another encoding: give --encoding or the profile's [source] encoding"
        if given
        else "give the encoding with --encoding or the profile's [source] encoding"
    )
    return ExportError(f"{path}:{line}: not valid {tried} (byte 0x{byte:02x}); {hint}")


def read_csv(
    path: str, text: str, delimiter: str = ",", header_row: int = 1
) -> tuple[list[str], Iterator[tuple[int, Record]]]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter)
    header: list[str] | None = None
    for _ in range(header_row):
        header = next(reader, None)
    if header is None:
        raise ExportError(f"{path}:{header_row}: no header row (the file is too short)")
    header = [h.strip() for h in header]
    _check_header(path, header_row, header)
    return header, _csv_records(reader, header)


def _csv_records(reader: Any, header: list[str]) -> Iterator[tuple[int, Record]]:
    width = len(header)
    for row in reader:
        if not row or all(not c.strip() for c in row):
            continue  # blank line: not a record
        if len(row) != width:
            message = f"{len(row)} fields where the header has {width}"
            yield reader.line_num, BadRow(message, dict(zip(header, row, strict=False)))
            continue
        yield reader.line_num, dict(zip(header, row, strict=True))


def _check_header(path: str, line: int, header: list[str]) -> None:
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise ExportError(
                f"{path}:{line}: column {h!r} appears twice in the header; "
                f"rename one so each field has one meaning"
            )
        seen.add(h)


def read_xlsx(
    path: str, sheet: str | None, header_row: int = 1
) -> tuple[list[str], Iterator[tuple[int, Record]]]:
    """Rows of one sheet (by name, else the first), read-only so a large workbook streams."""
    from openpyxl import load_workbook

    from engine.loaders.sources import is_zip, read_all

    try:
        # An .xlsx is itself a ZIP: only a ZIP *holding* one needs unpacking first.
        source: Any = io.BytesIO(read_all(path)) if is_zip(path) else path
        wb = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad workbook
        raise ExportError(f"{path}: cannot open the workbook: {exc}") from exc
    if sheet is not None and sheet not in wb.sheetnames:
        wb.close()
        raise ExportError(
            f"{path}: no sheet {sheet!r}; the workbook has {', '.join(map(repr, wb.sheetnames))}"
        )
    ws = wb[sheet] if sheet is not None else wb.worksheets[0]
    rows = ws.iter_rows()
    header: list[str] | None = None
    for _ in range(header_row):
        cells = next(rows, None)
        header = None if cells is None else [_cell_text(c).strip() for c in cells]
    if header is None:
        wb.close()
        raise ExportError(f"{path}:{header_row}: sheet {ws.title!r} has no header row")
    while header and not header[-1]:
        header.pop()  # formatting often reaches past the last real column
    _check_header(path, header_row, header)
    return header, _xlsx_records(wb, rows, header, header_row)


def _xlsx_records(
    wb: Any, rows: Iterator[Any], header: list[str], header_row: int
) -> Iterator[tuple[int, Record]]:
    width = len(header)
    try:
        for n, cells in enumerate(rows, start=header_row + 1):
            values = [_cell_text(c) for c in cells]
            if not any(v.strip() for v in values):
                continue
            extra = [v for v in values[width:] if v.strip()]
            if extra:
                message = f"values beyond the header's {width} columns: {extra!r}"
                yield n, BadRow(message, dict(zip(header, values, strict=False)))
                continue
            values += [""] * (width - len(values))
            yield n, dict(zip(header, values[:width], strict=True))
    finally:
        wb.close()


def _cell_text(cell: Any) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, datetime):
        fmt = str(getattr(cell, "number_format", "") or "").lower()
        # A date cell (no time in its format) at midnight is a date, not a moment.
        if value.time() == dtime(0, 0) and not any(ch in fmt for ch in ("h", "s")):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, date | dtime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # ids typed as numbers: 20250101001.0 → 20250101001
    return str(value)


def read_jsonl(path: str, text: str) -> Iterator[tuple[int, Record]]:
    for n, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield n, BadRow(f"not JSON ({exc.msg} at column {exc.colno})", {"line": raw})
            continue
        if not isinstance(obj, dict):
            yield n, BadRow(f"a JSON {type(obj).__name__}, not an object", {"line": raw})
            continue
        yield n, {str(k): _json_text(v) for k, v in obj.items()}


def _json_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def read_bytes(path: str) -> bytes:
    """The whole export (a ZIP's one member, decompressed)."""
    from engine.loaders.sources import read_all

    return read_all(path)
