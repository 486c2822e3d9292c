"""End-to-end audit benchmark: CSV → findings in SQLite, events/s and peak RSS.

Generates N licensing cases with the shipped deterministic generator, then times
`wenze audit` on them in a child process (so its peak RSS is measured on its own) and,
in the same run, a baseline: a plain `csv.reader` pass over the same file that does
nothing but count rows. Prints both and their ratio, since absolute times on shared
machines are noisy.

    python bench/bench_audit.py --cases 100000      # ~1M events
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--engine", choices=("durable", "python"), default="durable")
    ap.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="`wenze audit --jobs` (default 1: the issue's one-process figure; 0 = every core)",
    )
    ap.add_argument("--keep", help="keep the generated CSV and database in this folder")
    ap.add_argument(
        "--on-time-weight",
        type=int,
        help="weight of the on-time scenario (default: the sample's mix, 11 of 100, where six "
        "cases in ten end in a finding; 1000 models an office where most cases are on time)",
    )
    ns = ap.parse_args()
    work = Path(ns.keep) if ns.keep else Path(tempfile.mkdtemp(prefix="wenze-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    export = work / "bench.csv"
    db = work / "bench.db"
    if db.exists():
        db.unlink()
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "fixtures.generate",
            "--cases",
            str(ns.cases),
            "--seed",
            str(ns.seed),
            "--out",
            str(export),
            "--export-only",
            *(["--on-time-weight", str(ns.on_time_weight)] if ns.on_time_weight else []),
        ],
        check=True,
        cwd=ROOT,
    )
    gen_s = time.perf_counter() - t0

    # wenze's modules compiled as an installed package has them: with
    # PYTHONDONTWRITEBYTECODE set, an editable checkout would compile them on every run.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "engine", "dsl"], check=True, cwd=ROOT
    )

    t0 = time.perf_counter()
    with export.open(encoding="utf-8-sig", newline="") as f:
        rows = sum(1 for _ in csv.reader(f)) - 1
    base_s = time.perf_counter() - t0

    cmd = [
        sys.executable,
        "-m",
        "engine.cli",
        "audit",
        str(export),
        "--policy",
        "policies/licensing",
        "--as-of",
        "2026-11-20",
        "--db",
        f"sqlite:///{db}",
        "--engine",
        ns.engine,
        "--jobs",
        str(ns.jobs),
        "--quiet",
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    audit_s = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        return proc.returncode
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    mix = f"on-time weight {ns.on_time_weight}" if ns.on_time_weight else "the sample's mix"
    print(f"cases                 {ns.cases:,} ({mix})")
    print(f"events                {rows:,}")
    print(f"generate              {gen_s:.1f} s")
    print(f"baseline csv.reader   {base_s:.2f} s  ({rows / base_s:,.0f} rows/s)")
    print(
        f"wenze audit ({ns.engine}, --jobs {ns.jobs})  {audit_s:.2f} s  ({rows / audit_s:,.0f} events/s end to end)"
    )
    print(f"ratio audit/baseline  {audit_s / base_s:.1f}x")
    print(f"peak RSS (largest child process) {peak_kib / 1024:,.0f} MiB")
    print(
        f"target: >= 100,000 events/s, peak RSS <= 1024 MiB -> "
        f"{'MET' if rows / audit_s >= 100_000 and peak_kib <= 1024 * 1024 else 'NOT MET'}"
    )
    if not ns.keep:
        for p in (export, db):
            if p.exists():
                os.remove(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
