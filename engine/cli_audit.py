"""The `check`, `audit` and `report` verbs.

In: the verb's arguments and the output streams. Out: an exit code (engine.exit_codes).
`run_audit` is the main job: load and check the policies, load the exports (defects
reported with file:line and quarantined, or fatal with --strict), evaluate, store the run,
write the JSON findings and print a summary table.
"""

from __future__ import annotations

import argparse
import csv
import gc
import hashlib
import io
import os
import resource
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from engine import __version__
from engine.cli import ArgParser, UsageError, ends_hard, keep_until_exit
from engine.data_quality import data_quality_findings
from engine.exit_codes import Exit
from engine.ir import Policy
from engine.loaders.result import ExportError, LoadResult, ShardingUnsupported
from engine.loaders.timeparse import DEFAULT_ZONE
from engine.registers import (
    RegisterError,
    Registers,
    Roster,
    Sanctions,
    Votes,
    load_roster,
    load_sanctions,
    load_votes,
)
from engine.report import JsonDocument, count_rows

if TYPE_CHECKING:
    from engine.findings import Finding
    from engine.shards import Merged

# Below this much input a sharded audit costs more in forking than it saves.
SHARD_MIN_BYTES = 1 << 20

# --------------------------------------------------------------------- check


def run_check(args: list[str], out: TextIO, err: TextIO) -> int:
    p = ArgParser(
        prog="wenze check",
        err=err,
        out=out,
        description="Check policy files: syntax, names, types, grading, and rules that cannot "
        "mean what was meant (docs/diagnostics.md). Prints nothing when clean.",
        epilog="example: wenze check --strict policies/   "
        "(silence a deliberate warning in the policy: # wenze: allow CODE reason)",
    )
    p.add_argument("paths", nargs="+", help="policy files or folders (searched for *.policy)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--strict", action="store_true", help="warnings fail the check (exit 1)")
    p.add_argument(
        "--profile",
        help="import profile (TOML): also warn where its activity map and the policies disagree",
    )
    try:
        ns = p.parse_args(args)
    except UsageError as e:
        return e.status
    diags, checked = [], []
    for path in ns.paths:
        try:
            policies, d = _load_policies(path)
        except _PathError as e:
            err.write(f"wenze check: {e}\n")
            return Exit.USAGE
        diags.extend(d)
        checked.extend(policies)
    from engine.cli_check import folder_diagnostics  # versions across files; --profile
    from engine.profile import ProfileError

    try:
        diags.extend(folder_diagnostics(checked, ns.profile))
    except ProfileError as e:
        err.write(f"wenze check: {e}\n")
        return Exit.USAGE
    _print_diagnostics(diags, ns.format, out if ns.format == "json" else err)
    if any(d.severity == "error" for d in diags):
        return Exit.USAGE
    if ns.strict and diags:
        return Exit.FAILED
    return Exit.OK


def _load_policies(path: str) -> tuple[list[Policy], list[Any]]:
    from dsl.api import load_policies

    if not Path(path).exists():
        raise _PathError(f"{path}: no such policy file or folder")
    return load_policies(path)


class _PathError(Exception):
    pass


def _print_diagnostics(diags: list[Any], fmt: str, stream: TextIO) -> None:
    from dsl.diagnostics import render
    from dsl.diagnostics import render_json as render_diag_json

    if fmt == "json":
        stream.write(render_diag_json(diags) + "\n")
        return
    texts: dict[str, str] = {}
    for d in diags:
        if d.file not in texts:
            try:
                texts[d.file] = Path(d.file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                texts[d.file] = ""
        stream.write(render(d, texts[d.file]).rstrip("\n") + "\n")
    if diags:
        n_err = sum(1 for d in diags if d.severity == "error")
        stream.write(f"{n_err} error(s), {len(diags) - n_err} warning(s)\n")


# --------------------------------------------------------------------- audit


def _audit_parser(out: TextIO, err: TextIO) -> ArgParser:
    p = ArgParser(
        prog="wenze audit",
        err=err,
        out=out,
        description="Audit case exports against policies as of a date; store the run and its findings.",
        epilog="example: wenze audit fixtures/sample/licensing_sample.csv --policy policies/licensing "
        "--as-of 2026-11-20 --json out.json",
    )
    p.add_argument(
        "exports",
        nargs="+",
        help="exports: canonical CSV, or with --profile any of .csv .xlsx .jsonl .xes .xes.gz "
        "(the format is told by the extension)",
    )
    p.add_argument("--policy", required=True, help="policy file or folder")
    p.add_argument(
        "--profile",
        help="import profile (TOML) mapping a foreign export onto wenze's fields; "
        "see docs/import-profiles.md; draft one with: wenze profile infer FILE",
    )
    p.add_argument(
        "--encoding",
        help="text encoding of CSV/JSONL exports (default: detected — UTF-8, UTF-8 with BOM, "
        "GBK, GB18030); overrides the profile's",
    )
    p.add_argument(
        "--as-of", required=True, type=_parse_date, help="audit date YYYY-MM-DD (end of that day)"
    )
    p.add_argument(
        "--db",
        default="sqlite:///wenze.db",
        help="SQLAlchemy URL of the store (default %(default)s)",
    )
    p.add_argument("--json", dest="json_out", help="write the findings document (JSON) here")
    p.add_argument("--strict", action="store_true", help="any data defect stops the audit (exit 2)")
    p.add_argument(
        "--roster", help="roster CSV: person,name,unit,post,leader_role,area,valid_from,valid_to"
    )
    p.add_argument("--votes", help="collective-decision votes CSV: event_id,person,vote,chair")
    p.add_argument("--sanctions", help="sanctions register CSV: person,sanction,effective,months")
    p.add_argument(
        "--quarantine",
        help="CSV for defective rows (default: quarantine.csv beside --json, "
        "else in the current folder; written only when there are any)",
    )
    p.add_argument(
        "--engine",
        choices=("durable", "python"),
        default="durable",
        help="rule stage: durable_rules (default) or the plain-Python oracle",
    )
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="processes (default 1; 0 = one per CPU core). On inputs over 1 MiB each process "
        "loads and evaluates a share of the cases (POSIX fork); smaller inputs, and checks "
        "that span shares, are audited in one process. The output is the same for any N. "
        "Pays where few cases have findings: the findings are built by one process",
    )
    p.add_argument("--fail-on-findings", action="store_true", help="exit 1 when there are findings")
    p.add_argument("--quiet", action="store_true", help="no progress, no summary table")
    p.add_argument("--timings", action="store_true", help="print each stage's seconds to stderr")
    return p


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise __import__("argparse").ArgumentTypeError(
            f"{text!r} is not a date YYYY-MM-DD"
        ) from None


# Cases whose derived facts the `wenze` program keeps rather than frees chunk by chunk
# (engine.audit.keep_facts_until_exit): ~250 MB at most, 0.4 s saved per 100k cases.
KEEP_FACTS_CASES = 120_000


def run_audit(args: list[str], out: TextIO, err: TextIO) -> int:
    try:
        ns = _audit_parser(out, err).parse_args(args)
    except UsageError as e:
        return e.status
    # The loaded histories and derived facts form millions of small acyclic objects; the
    # cyclic collector would rescan them over and over (it tripled the audit's time).
    if ends_hard():
        from engine.audit import keep_facts_until_exit

        keep_facts_until_exit(KEEP_FACTS_CASES, keep_until_exit)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _audit(ns, out, err)
    finally:
        # Not as the `wenze` program, which ends now: every object made since the
        # collector was turned off is still in its youngest generation, and the first
        # allocation after enabling it would scan them all (0.7 s after a million events).
        if was_enabled and not ends_hard():
            gc.enable()


def _audit(ns: Any, out: TextIO, err: TextIO) -> int:
    try:
        policies, diags = _load_policies(ns.policy)
    except _PathError as e:
        err.write(f"wenze audit: {e}\n")
        return Exit.USAGE
    if any(d.severity == "error" for d in diags) or not policies:
        _print_diagnostics(diags, "text", err)
        if not diags:
            err.write(f"wenze audit: no policy found in {ns.policy}\n")
        return Exit.USAGE
    as_of: date = ns.as_of
    try:
        ns.registers = _load_registers(ns)
    except RegisterError as e:
        err.write(f"wenze audit: {e}\n")
        return Exit.USAGE
    if ns.engine == "durable" and ns.jobs == 1:
        from engine.match import early_workers

        # The rule workers start up on the other core while this process reads.
        with early_workers(policies):
            return _load_and_evaluate(ns, policies, as_of, out, err)
    return _load_and_evaluate(ns, policies, as_of, out, err)


def _load_and_evaluate(
    ns: Any, policies: list[Policy], as_of: date, out: TextIO, err: TextIO
) -> int:
    progress = None if ns.quiet else _Progress(err)
    ns.clock = _Stopwatch(err if ns.timings else None)
    merged = _load_sharded(ns, policies, as_of, err) if ns.jobs > 1 else None
    loaded = merged.loaded if merged else _load(ns, policies, as_of, err, progress)
    if loaded is None:
        return Exit.USAGE
    if merged:
        _announce(ns, loaded, err)
    if loaded.defects:
        for d in loaded.defects[:20]:
            err.write(f"{d}\n")
        if len(loaded.defects) > 20:
            err.write(f"… and {len(loaded.defects) - 20} more data defect(s)\n")
        if ns.strict:
            for d in loaded.defects[20:]:
                err.write(f"{d}\n")
            err.write(f"wenze audit: {len(loaded.defects)} data defect(s); --strict stops here\n")
            return Exit.USAGE
        qpath = _write_quarantine(ns, loaded)
        if qpath:
            err.write(f"wenze audit: {loaded.rows_quarantined} row(s) quarantined to {qpath}\n")
    ns.clock.lap("load")
    return _evaluate_and_store(ns, policies, loaded, as_of, out, err, progress, merged or None)


def _load_sharded(ns: Any, policies: list[Policy], as_of: date, err: TextIO) -> Merged | None:
    """Load and screen the cases in `ns.jobs` forked shares at once (engine.shards). None:
    audit in one process — the inputs are too small to share, a check spans shares, or an
    export cannot be read (the one-process load then reports it)."""
    from engine.calendar import load_cn_calendar
    from engine.parallel import Screens, can_fork
    from engine.shards import Share, merge_shares, screen_share

    if not can_fork() or _total_bytes(ns.exports) < SHARD_MIN_BYTES:
        return None
    n, cal, parent = ns.jobs, load_cn_calendar(), os.getpid()

    def share(k: int) -> Share | None:
        # A share reports nothing itself: every share reads the same files, so errors
        # would repeat; on any error the parent loads in one process and reports it.
        t0 = time.perf_counter()
        try:
            loaded = _load(ns, policies, as_of, io.StringIO(), None, shard=(k, n), announce=False)
        except ShardingUnsupported:
            return None
        if loaded is None:
            return None
        t1 = time.perf_counter()
        forked = os.getpid() != parent  # else the parent screens a share that failed
        done = screen_share(loaded, policies, cal, as_of, ns.engine, ns.registers, None, forked)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        done.timings = (t1 - t0, time.perf_counter() - t1, peak)
        return done

    screens = Screens(list(range(n)), share)
    if not ns.quiet:
        err.write(f"wenze audit: loading and evaluating in {n} shares (--jobs)\n")
    import engine.store  # noqa: F401 - imported while the shares work, off the critical path

    shares = screens.results()
    if any(s is None for s in shares):
        if not ns.quiet:
            err.write("wenze audit: the exports cannot be read in shares; reading them whole\n")
        return None
    if ns.timings:
        for k, sh in enumerate(shares):
            load_s, eval_s, peak = sh.timings
            err.write(
                f"timing share {k + 1}/{n}: load {load_s:.2f} s, evaluate {eval_s:.2f} s "
                f"(peak RSS {peak:,.0f} MiB)\n"
            )
    merged = merge_shares(shares)
    if merged is None and not ns.quiet:
        err.write(
            "wenze audit: an event id, a case or a naive/aware time mix spans shares; "
            "auditing in one process\n"
        )
    return merged


def _total_bytes(paths: list[str]) -> int:
    return sum(Path(p).stat().st_size for p in paths if Path(p).is_file())


def _announce(ns: Any, loaded: LoadResult, err: TextIO) -> None:
    if ns.quiet:
        return
    for src in loaded.sources:
        if src.format != "csv" or src.encoding not in ("utf-8", ""):
            how = f"{src.format}, {src.encoding}" if src.encoding else src.format
            err.write(f"wenze audit: read {src.path} ({how}): {src.rows_in:,} rows\n")


def _load(
    ns: Any,
    policies: list[Policy],
    as_of: date,
    err: TextIO,
    progress: _Progress | None,
    shard: tuple[int, int] | None = None,
    announce: bool = True,
) -> LoadResult | None:
    """Read the exports as the profile says, checking rows against the policies."""
    from engine.loaders import Checks, load, responsibility_activities
    from engine.profile import ProfileError, load_profile

    try:
        profile = load_profile(ns.profile) if ns.profile else None
    except ProfileError as e:
        err.write(f"wenze audit: {e}\n")
        return None
    # "As of a date" is the end of that day where the export's times were recorded.
    zone = ZoneInfo(profile.zone if profile else DEFAULT_ZONE)
    as_of_end = datetime.combine(as_of + timedelta(days=1), dtime(0, 0), zone) - timedelta(
        microseconds=1
    )
    custody, actors = responsibility_activities(policies)
    checks = Checks(
        known_activities=frozenset(a for pol in policies for a in pol.activities),
        as_of_end=as_of_end,
        custody=custody,
        actor_required=actors,
        shard=shard,
    )
    try:
        loaded = load(
            ns.exports,
            profile=profile,
            encoding=ns.encoding,
            checks=checks,
            progress=progress.rows if progress else None,
        )
    except (ExportError, ProfileError) as e:
        err.write(f"wenze audit: {e}\n")
        return None
    if announce:
        _announce(ns, loaded, err)
    return loaded


def _evaluate_and_store(
    ns: Any,
    policies: list[Policy],
    loaded: LoadResult,
    as_of: date,
    out: TextIO,
    err: TextIO,
    progress: _Progress | None,
    merged: Merged | None = None,
) -> int:
    from engine.audit import audit_policies
    from engine.calendar import load_cn_calendar
    from engine.finding_text import finding_rows
    from engine.store import RunRecord, StoreError, confirmed_priors, open_store, save_run

    cal = load_cn_calendar()
    try:
        engine = open_store(ns.db)
    except StoreError as e:
        err.write(f"wenze audit: {e}\n")
        return Exit.USAGE
    outcome = audit_policies(
        loaded.cases,
        policies,
        cal,
        as_of,
        stage=ns.engine,
        registers=ns.registers,
        priors=confirmed_priors(engine),
        progress=progress.cases if progress else None,
        given=merged.matches if merged is not None else None,
    )
    if merged is not None:
        # The shares evaluated every case (the final pass only the cases with findings).
        states = dict(merged.clock_states)
        undetermined = [list(x) for x in merged.undetermined]
        engine_errors = sorted(set(merged.engine_errors) | set(outcome.engine_errors))
        n_cases, rows_used = merged.cases, merged.rows_used
    else:
        states = dict(outcome.clock_states)
        undetermined = [list(x) for x in sorted(outcome.undetermined)]
        engine_errors = sorted(outcome.engine_errors)
        n_cases, rows_used = len(loaded.cases), loaded.rows_used
    # Freeing a million events and their findings one by one would take longer than
    # some stages: the process drops them at its end (engine.cli.keep_until_exit).
    keep_until_exit(loaded, outcome)
    findings = outcome.findings  # in Finding.sort_key order (audit_policies)
    summary = {
        "cases": n_cases,
        "rows_in": loaded.rows_in,
        "rows_used": rows_used,
        "rows_quarantined": loaded.rows_quarantined,
        "defects": len(loaded.defects),
        "findings": len(findings),
        "clock_states": dict(sorted(states.items())),
        "undetermined_clocks": undetermined,
        "engine": ns.engine,
        "engine_errors": engine_errors,
        "sources": [
            {"path": x.path, "format": x.format, "encoding": x.encoding, "rows_in": x.rows_in}
            for x in loaded.sources
        ],
        "data_quality": data_quality_findings(loaded.defects),
    }
    record = RunRecord(
        policy_ids=[f"{p.id}@{p.version}" for p in policies],
        policy_hash=hashlib.sha256(
            "".join(sorted(p.text_sha256 for p in policies)).encode()
        ).hexdigest(),
        input_hash=loaded.input_sha256,
        as_of=as_of.isoformat(),
        wenze_version=__version__,
        inputs=list(ns.exports),
        summary=summary,
    )
    defects = [(d.code, d.file, d.line, d.field, d.message) for d in loaded.defects]
    ns.clock.lap("evaluate")
    defect_dicts = [_defect_dict(d) for d in defects]
    if ns.json_out:
        # Each finding's text (engine.finding_text) goes into the findings document as it
        # is stored: written once, and the texts of a large audit never sit in memory all
        # at once. Into a temporary file, so a failed store leaves no half file.
        target = Path(ns.json_out)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with open(partial, "w", encoding="utf-8") as f:
            doc = JsonDocument(f, defect_dicts)
            run_id = save_run(
                engine, record, defects=defects, rows=finding_rows(findings), on_payload=doc.finding
            )
            doc.close(_run_dict(run_id, record))
        os.replace(partial, target)
        ns.clock.lap("store and json")
    else:
        run_id = save_run(engine, record, defects=defects, rows=finding_rows(findings))
        ns.clock.lap("store")
    run = _run_dict(run_id, record)
    if not ns.quiet:
        _print_summary(out, run, findings, ns)
    if loaded.rows_in != rows_used + loaded.rows_quarantined:  # the identity must hold
        err.write("wenze audit: internal error: rows in ≠ used + quarantined\n")
        return Exit.INTERNAL
    return Exit.FAILED if ns.fail_on_findings and findings else Exit.OK


def _load_registers(ns: Any) -> Registers:
    return Registers(
        roster=load_roster(ns.roster) if ns.roster else Roster(),
        votes=load_votes(ns.votes) if ns.votes else Votes(),
        sanctions=load_sanctions(ns.sanctions) if ns.sanctions else Sanctions(),
    )


def _run_dict(run_id: str, record: Any) -> dict[str, Any]:
    return {
        "id": run_id,
        "policies": record.policy_ids,
        "policy_hash": record.policy_hash,
        "input_hash": record.input_hash,
        "as_of": record.as_of,
        "wenze_version": record.wenze_version,
        "inputs": record.inputs,
        "summary": record.summary,
    }


def _defect_dict(d: tuple[str, str, int, str, str]) -> dict[str, Any]:
    return {"code": d[0], "file": d[1], "line": d[2], "field": d[3], "message": d[4]}


def _write_quarantine(ns: Any, loaded: LoadResult) -> str | None:
    if not loaded.quarantined:
        return None
    path = ns.quarantine or str(
        Path(ns.json_out).parent / "quarantine.csv" if ns.json_out else "quarantine.csv"
    )
    columns: list[str] = []
    for _d, row in loaded.quarantined:
        for k in row:
            if k not in columns:
                columns.append(k)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:  # BOM: opens cleanly in Excel
        w = csv.writer(f)
        w.writerow(["defect", "file", "line", "field", "message", *columns])
        for d, row in loaded.quarantined:
            w.writerow(
                [d.code, d.file, d.line, d.field, d.message, *(row.get(c, "") for c in columns)]
            )
    return path


def _print_summary(out: TextIO, run: dict[str, Any], findings: list[Finding], ns: Any) -> None:
    s = run["summary"]
    out.write(f"run {run['id']}  as of {run['as_of']}  policies {', '.join(run['policies'])}\n")
    out.write(
        f"cases {s['cases']}  events in {s['rows_in']}  used {s['rows_used']}  "
        f"quarantined {s['rows_quarantined']}  findings {s['findings']}\n"
    )
    rows = count_rows((f.lapse, f.label, f.grade_rank, f.grade) for f in findings)
    if rows:
        from engine.report import _table

        out.write(
            "\n".join(
                _table(
                    False,
                    ("lapse", "问题", "处理", "件数"),
                    [(a, b, c or "—", str(n)) for a, b, c, n in rows],
                )
            )
            + "\n"
        )
    where = f"; JSON in {ns.json_out}" if ns.json_out else ""
    out.write(f"stored in {ns.db}{where}; render with: wenze report {run['id']} --db {ns.db}\n")


class _Stopwatch:
    """`--timings`: seconds per stage on stderr (never in the findings: no wall clock there)."""

    def __init__(self, err: TextIO | None) -> None:
        self.err = err
        self.t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        if self.err is not None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.err.write(
                f"timing {stage}: {now - self.t:.2f} s (peak RSS so far {peak:,.0f} MiB)\n"
            )
        self.t = now


def _jobs(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes") from None
    if n < 0:
        raise argparse.ArgumentTypeError("the number of processes cannot be negative")
    return n if n > 0 else os.cpu_count() or 1


class _Progress:
    """Progress on stderr for long inputs (every 100,000 rows / 4,096 cases)."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.t0 = time.perf_counter()
        self.last = 0.0

    def rows(self, n: int) -> None:
        self._say(f"read {n:,} rows")

    def cases(self, n: int) -> None:
        if n >= 20_000:
            self._say(f"evaluated {n:,} cases")

    def _say(self, text: str) -> None:
        now = time.perf_counter()
        if now - self.last >= 1.0:
            self.last = now
            self.err.write(f"… {text} ({now - self.t0:.0f}s)\n")
