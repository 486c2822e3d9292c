"""Opening an export's bytes: a plain file, or the one export inside a ZIP archive.

In: a path. Out: the format its name tells (`suffix_format`), and its bytes as a stream
or whole. Published logs often come zipped (the road-fines CSV copy, BPIC 2020); a ZIP
holding exactly one export is read as that export, and locations name the ZIP (there is
only one member, so `file.zip:LINE` is unambiguous).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

from engine.loaders.result import ExportError

SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xes": "xes",
    ".xes.gz": "xes",
}


def suffix_format(name: str) -> str | None:
    lower = name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def is_zip(path: str) -> bool:
    return path.lower().endswith(".zip")


def zip_member(path: str) -> str:
    """The one export inside a ZIP (other members, e.g. __MACOSX, are ignored)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = [
                n
                for n in z.namelist()
                if not n.endswith("/")
                and not n.startswith("__MACOSX/")
                and suffix_format(n) is not None
            ]
    except (OSError, zipfile.BadZipFile) as exc:
        raise ExportError(f"{path}: cannot open the ZIP archive: {exc}") from exc
    if len(names) != 1:
        found = ", ".join(names) or "none"
        raise ExportError(
            f"{path}: a ZIP must hold exactly one export (.csv .xlsx .jsonl .xes); "
            f"it holds {found} — unzip it and name the files"
        )
    return names[0]


def open_binary(path: str) -> BinaryIO:
    """The export's bytes as a stream (a ZIP's member, decompressed as it is read)."""
    if is_zip(path):
        member = zip_member(path)
        # The member stream holds its own reference to the archive's file: closing the
        # ZipFile here leaves it readable until the stream itself is closed.
        with zipfile.ZipFile(path) as archive:
            return archive.open(member)  # type: ignore[return-value]
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise ExportError(f"{path}: cannot read the export: {exc.strerror or exc}") from exc


def read_all(path: str) -> bytes:
    with open_binary(path) as f:
        return f.read()
