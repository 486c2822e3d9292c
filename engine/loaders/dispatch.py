"""One entry point for every export: pick the reader by format, apply the profile.

In: export paths; an import profile (or None: the canonical CSV, or XES standard keys);
an encoding override; the audit's `Checks`. Out: one `LoadResult` over all the files —
event ids unique across them, cases may span them, `rows_in == rows_used +
rows_quarantined`, and `sources` saying how each file was read.

A canonical UTF-8 CSV without a profile takes the tuned reader (engine.loaders.canonical);
everything else goes through the mapped path (records.RecordSink), which applies the same
checks in the same order.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from engine.loaders.canonical import REQUIRED_COLUMNS, read_canonical
from engine.loaders.checks import Checks
from engine.loaders.records import DictMapper, RecordSink
from engine.loaders.result import Batch, ExportError, LoadResult, build_cases
from engine.loaders.sources import SUFFIXES, is_zip, read_all, suffix_format, zip_member
from engine.loaders.tabular import BadRow, Record, decode, read_csv, read_jsonl, read_xlsx
from engine.loaders.timeparse import TimeParser
from engine.loaders.xes import load_xes
from engine.profile import CANONICAL_DEFAULT, Profile, ProfileError, for_format


def detect_format(path: str) -> str:
    """The format the file name tells; a ZIP is read as the one export inside it."""
    fmt = suffix_format(Path(path).name)
    if fmt is not None:
        return fmt
    if is_zip(path) and Path(path).is_file():
        member = zip_member(path)
        return suffix_format(member) or ""
    if path.lower().endswith(".xls"):
        raise ExportError(
            f"{path}: old .xls workbooks are not read; save the sheet as .xlsx or CSV"
        )
    raise ExportError(
        f"{path}: cannot tell the format from the name; use one of "
        f"{', '.join(sorted(SUFFIXES))} (or a .zip holding one) or give [source] format "
        f"in a profile"
    )


def load(
    paths: Iterable[str],
    *,
    profile: Profile | None = None,
    encoding: str | None = None,
    checks: Checks | None = None,
    progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Read every export. Raises ExportError (a file cannot be read at all) or ProfileError
    (the profile does not fit a file), both before any row of that file is used."""
    paths = list(paths)
    checks = _with_profile(checks or Checks(), profile)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ExportError(f"--encoding {encoding!r}: unknown encoding") from None
    plans = [
        (path, profile.format if profile and profile.format else detect_format(path))
        for path in paths
    ]
    for path, fmt in plans:  # a profile that cannot fit fails before anything is read
        if not Path(path).is_file():
            raise ExportError(f"{path}: no such export file")
        for_format(profile, fmt)
    batch = Batch(LoadResult(cases={}))
    digest = hashlib.sha256()
    for path, fmt in plans:
        sha, utf8 = _scan(path, check_utf8=fmt == "csv")
        digest.update(sha)
        enc = encoding or (profile.encoding if profile else None)
        if fmt == "csv" and profile is None and not is_zip(path) and _canonical(path, utf8, enc):
            parse = TimeParser(CANONICAL_DEFAULT.zone)
            read_canonical(path, batch, checks, parse, progress)
            continue
        effective = for_format(profile, fmt)
        sink_checks = replace(checks, shard=None) if fmt == "xes" else checks
        sink = RecordSink(
            batch, sink_checks, effective, path, fmt, progress=progress, shared=fmt == "xes"
        )
        if fmt == "xes":
            load_xes(path, sink, effective, checks.shard)
        else:
            _load_records(path, fmt, sink, effective, enc)
        sink.close()
    batch.result.input_sha256 = digest.hexdigest()
    if checks.shard is not None:
        batch.result.event_ids = list(batch.seen_ids)
    build_cases(batch)
    return batch.result


def _with_profile(checks: Checks, profile: Profile | None) -> Checks:
    if profile is None:
        return checks
    known = checks.known_activities
    if known is not None:
        known = known | profile.known_activities
    pattern = re.compile(profile.known_pattern) if profile.known_pattern else checks.known_pattern
    return replace(
        checks,
        known_activities=known,
        known_pattern=pattern,
        custody=checks.custody | profile.custody,
    )


def _canonical(path: str, utf8: bool, encoding: str | None) -> bool:
    """A UTF-8 file whose header has the canonical columns goes to the tuned reader."""
    if not utf8 or (
        encoding is not None and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig")
    ):
        return False
    with open(path, encoding="utf-8-sig", newline="") as f:
        header = [h.strip() for h in next(csv.reader(f), [])]
    return all(c in header for c in REQUIRED_COLUMNS)


def _load_records(
    path: str, fmt: str, sink: RecordSink, profile: Profile, encoding: str | None
) -> None:
    header: list[str] = []
    records: Iterable[tuple[int, Record]]
    if fmt == "xlsx":
        header, records = read_xlsx(path, profile.sheet, profile.header_row)
    else:
        text, used = decode(path, read_all(path), encoding)
        sink.info.encoding = used
        if fmt == "jsonl":
            records = read_jsonl(path, text)
        else:
            header, records = read_csv(path, text, profile.delimiter, profile.header_row)
    mapper = DictMapper(profile, header, Path(path).name)
    if header:
        missing = mapper.missing(header)
        if missing:
            raise ExportError(_missing_columns(path, profile, header, missing))
    for line, rec in records:
        if isinstance(rec, BadRow):
            sink.bad_row(line, rec.message, rec.raw)
        else:
            mapper.feed(sink, line, rec)


def _missing_columns(path: str, profile: Profile, header: list[str], missing: list[str]) -> str:
    by = f"the profile {profile.path}" if profile.path else "the canonical export"
    hint = (
        f"check [fields] in {profile.path}"
        if profile.path
        else f"give --profile (draft one with: wenze profile infer {path})"
    )
    return (
        f"{path}:{profile.header_row}: missing column(s) {', '.join(map(repr, missing))} that "
        f"{by} reads; the header has {', '.join(map(repr, header))}; {hint}"
    )


_SNIFF = 1 << 20


def _scan(path: str, check_utf8: bool) -> tuple[bytes, bool]:
    """The file's sha256, and whether its first MiB is UTF-8 (read once, in blocks).

    Only the start is checked: validating a 100 MB export would cost the canonical reader
    a twentieth of its time, and an export in GBK shows it on its first Chinese row. A
    later bad byte still stops the canonical reader with the line and `--encoding`."""
    h = hashlib.sha256()
    utf8 = check_utf8
    try:
        with Path(path).open("rb") as f:
            first = f.read(_SNIFF)
            h.update(first)
            if utf8:
                try:
                    codecs.getincrementaldecoder("utf-8")().decode(first, final=len(first) < _SNIFF)
                except UnicodeDecodeError:
                    utf8 = False
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as exc:
        raise ExportError(f"{path}: cannot read the export: {exc.strerror or exc}") from exc
    return h.digest(), utf8


__all__ = ["ExportError", "ProfileError", "detect_format", "load"]
