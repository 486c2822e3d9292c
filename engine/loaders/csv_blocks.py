"""The records of a CSV file after its header, a block at a time, each with its line number.

In: a text handle opened with `newline=""` whose header `csv.reader` has just read.
Out: blocks of (rows, line numbers), exactly the rows and `line_num`s that `csv.reader`
would give for the rest of the file.

Why: `csv.reader` costs about 0.7 µs a row, a quarter of the canonical loader's time on a
million rows. Most exports hold no quote character at all, and a text without quotes and
without carriage returns parses the same as splitting it at newlines and commas (RFC 4180:
only a quoted field can hold a comma or a line break), which `str.split` does several
times faster, a block of text at a time. A block with a quote or a lone carriage return
sends the rest of the file to `csv.reader`, so quoted fields, line breaks inside them and
old Mac line ends are read as before; CRLF line ends stay on the fast path.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from typing import TextIO

# Characters read per block: big enough that the per-block work vanishes, small enough
# that a block's lines (about 10,000 rows) stay in cache and memory stays flat.
BLOCK_CHARS = 1 << 20
# Rows per block once csv.reader has taken over.
CSV_BLOCK_ROWS = 4096

Rows = Iterable[list[str]]


def row_blocks(handle: TextIO, first_line: int) -> Iterator[tuple[Rows, Iterable[int]]]:
    """The rows from the handle's position on; `first_line` is the line number the
    handle is at (the header's last line + 1). A blank line is a row `['']` on the fast
    path and `[]` from csv.reader, as csv.reader itself would give it on each kind of
    text: callers treat both as "not a record"."""
    line = first_line
    carry = ""  # the text after the last newline read, the start of an unfinished line
    while True:
        chunk = handle.read(BLOCK_CHARS)
        if not chunk:
            break
        text = carry + chunk if carry else chunk
        cut = text.rfind("\n") + 1
        raw = text[:cut]
        carry = text[cut:]
        body = raw.replace("\r\n", "\n") if "\r" in raw else raw
        if '"' in body or "\r" in body or (not cut and ('"' in carry or "\r" in carry)):
            yield from _csv_blocks(handle, raw + carry, line)
            return
        if not cut:  # no line end yet (a very long line): read on
            continue
        lines = body.split("\n")
        lines.pop()  # the empty string after the block's last newline
        yield map(str.split, lines, itertools.repeat(",")), range(line, line + len(lines))
        line += len(lines)
    if carry:  # the last line has no line end
        if '"' in carry or "\r" in carry:
            yield from _csv_blocks(handle, carry, line)
        else:
            yield [carry.split(",")], (line,)


def _csv_blocks(handle: TextIO, pending: str, line: int) -> Iterator[tuple[Rows, Iterable[int]]]:
    """`pending` (text already read, from the start of a line) and the rest of the handle,
    read by csv.reader: line numbers are csv.reader's own, counted on from `line`."""
    if not pending.endswith("\n"):
        # Finish the unfinished line first: csv.reader ends a record at the end of each
        # string it is given, so a line (or a CR LF) must not be cut between two of them.
        pending += handle.readline()
    reader = csv.reader(itertools.chain(io.StringIO(pending, newline=""), handle))
    offset = line - 1
    rows: list[list[str]] = []
    numbers: list[int] = []
    for row in reader:
        rows.append(row)
        numbers.append(offset + reader.line_num)
        if len(rows) == CSV_BLOCK_ROWS:
            yield rows, numbers
            rows, numbers = [], []
    if rows:
        yield rows, numbers
