"""The block reader under the canonical loader gives what csv.reader gives: the same rows
with the same line numbers, whatever the quotes, line ends and block boundaries — and a
whole export loads the same through it as through csv.reader row by row."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

import pytest

from engine.loaders import canonical, csv_blocks
from engine.loaders.canonical import load_exports
from engine.loaders.csv_blocks import _csv_blocks, row_blocks


def _by_csv(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    return [(reader.line_num, _blank(row)) for row in reader]


def _by_blocks(text: str) -> list[tuple[int, list[str]]]:
    handle = io.StringIO(text, newline="")
    reader = csv.reader(handle)
    next(reader, None)
    out = []
    for rows, numbers in row_blocks(handle, reader.line_num + 1):
        out.extend((n, _blank(row)) for row, n in zip(rows, numbers, strict=True))
    return out


def _blank(row: list[str]) -> list[str]:
    # csv.reader gives a blank line as [], the split path as [""]: both "not a record".
    return [] if row == [""] else row


@pytest.fixture(params=[1, 2, 3, 7, 64, 1 << 20])
def block_chars(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Small blocks put block boundaries everywhere: inside CR LF pairs, quoted fields
    and multi-line records."""
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", request.param)
    monkeypatch.setattr(csv_blocks, "CSV_BLOCK_ROWS", 3)
    return int(request.param)


CASES = {
    "plain": "h1,h2\na,b\nc,d\n",
    "no final newline": "h1,h2\na,b\nc,d",
    "crlf": "h1,h2\r\na,b\r\nc,d\r\n",
    "crlf, no final newline": "h1,h2\r\na,b\r\nc,d",
    "lone cr": "h1,h2\ra,b\rc,d\r",
    "mixed ends": "h1,h2\na,b\r\nc,d\re,f\n",
    "blank and space lines": "h1,h2\n\na,b\n   \n\r\n\nc,d\n\n",
    "quote late": 'h1,h2\na,b\nc,d\ne,"f,g"\nh,i\n',
    "newline in quotes": 'h1,h2\na,"b\nb"\nc,"d\r\nd"\ne,f\n',
    "unterminated quote": 'h1,h2\na,b\nc,"d\ne,f\ng,h\n',
    "quoted header": '"h1","h\n2"\na,b\nc,d\n',
    "header only": "h1,h2\n",
    "header, no newline": "h1,h2",
    "empty": "",
    "wide and ragged": "a,b,c\n1,2\n3,4,5,6\n,,\n,\n",
    "ideographic space": "h1,h2\n\u3000a\u3000,b\n",
    "nul": "h1,h2\na\x00,b\n",
    "cr at end": "h1,h2\na,b\r",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rows_and_lines_are_csv_readers(name: str, block_chars: int) -> None:
    text = CASES[name]
    assert _by_blocks(text) == _by_csv(text)


def test_random_texts_are_read_as_csv_reader_reads_them(block_chars: int) -> None:
    rng = random.Random(block_chars)
    alphabet = ["a", "b", ",", ",", "\n", "\n", "\r\n", "\r", '"', " ", "甲"]
    for _ in range(300):
        text = "h1,h2\n" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert _by_blocks(text) == _by_csv(text), repr(text)


def test_an_export_loads_the_same_with_any_block_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quoted values, CR LF line ends and blank lines, read in blocks of every size
    from one row to the whole file: the same histories, defects and quarantine."""
    header = "case_id,event_id,time,activity,actor,assignee,role,unit,note,case.kind\r\n"
    rows = []
    for i in range(40):
        note = '"a, ""quoted""\r\nnote"' if i == 25 else ("x" if i % 3 else "")
        rows.append(f"C{i // 4},E{i},2025-03-0{1 + i % 9}T10:00:00,收件, S{i % 5} ,,,,{note},k\r\n")
        if i % 7 == 0:
            rows.append("\r\n")
    rows.append("C9,E3,2025-03-01T10:00:00,收件,S1,,,,,k\r\n")  # a duplicate id
    path = tmp_path / "export.csv"
    path.write_bytes(("\ufeff" + header + "".join(rows)).encode())

    def load() -> Any:
        r = load_exports([str(path)])
        return (
            [
                (c, [(e.event_id, e.time, e.actor, e.attrs, e.line, e.seq) for e in h.events])
                for c, h in sorted(r.cases.items())
            ],
            [str(d) for d in r.defects],
            r.rows_in,
        )

    # The reference: csv.reader over the whole file, row by row.
    with monkeypatch.context() as m:
        m.setattr(canonical, "row_blocks", lambda handle, line: _csv_blocks(handle, "", line))
        whole = load()
    assert whole[2] == 41 and any("duplicate_event_id" in d for d in whole[1])
    for size in (1, 5, 64, 300, 1 << 20):
        monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", size)
        assert load() == whole, size
