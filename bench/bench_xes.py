"""XES benchmark: wenze's reading of an XES log against a minimal iterparse pass.

    python bench/bench_xes.py [LOG.xes.gz] [--profile P] [--policy DIR --as-of D]

In the same run, each in its own child process (so peak RSS is each one's own):
1. minimal: one `xml.etree.ElementTree.iterparse` pass that only extracts each event's
   name and timestamp (the issue's yardstick);
2. wenze load: the full loader — fast scan, profile mapping, every check, case histories;
3. with --policy: `wenze audit` end to end (load, evaluate, findings into SQLite, JSON),
   with one process and with one per core (`--jobs`), in `--rounds` rounds, each round
   with a minimal pass of its own.
Prints seconds, events/s, peak RSS and the ratios to the minimal pass, and per setting
the median ratio over the rounds (the figure to quote: single runs vary ±15 % here). The default log is
the road-fines log in ../shared/data/real with fixtures/profiles/road_fines.toml.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LOG = (
    ROOT.parent / "shared/data/real/road_fines/Road_Traffic_Fine_Management_Process.xes.gz"
)
DEFAULT_PROFILE = ROOT / "fixtures/profiles/road_fines.toml"

MINIMAL = r"""
import gzip, sys, time
import xml.etree.ElementTree as ET
path = sys.argv[1]
t = time.perf_counter()
n = 0
opener = gzip.open if path.endswith(".gz") else open
with opener(path, "rb") as f:
    for _event, el in ET.iterparse(f, events=("end",)):
        if el.tag == "event":
            name = stamp = None
            for a in el:
                key = a.get("key")
                if key == "concept:name":
                    name = a.get("value")
                elif key == "time:timestamp":
                    stamp = a.get("value")
            n += 1
            el.clear()
        elif el.tag == "trace":
            el.clear()
print(n, time.perf_counter() - t)
"""

LOAD = r"""
import gc, sys, time
gc.disable()  # as `wenze audit` does
from engine.loaders import load
from engine.profile import load_profile
t = time.perf_counter()
r = load([sys.argv[1]], profile=load_profile(sys.argv[2]) if sys.argv[2] else None)
print(r.rows_in, time.perf_counter() - t, len(r.cases), r.rows_quarantined)
"""


# Runs a command and reports the peak RSS of its process tree's largest member, so each
# measured run's figure is its own (RUSAGE_CHILDREN here would be the largest so far).
_WRAP = r"""
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
sys.stderr.write(f"\nwrap-peak-kib {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\n")
raise SystemExit(code)
"""


def _child(args: list[str]) -> tuple[list[str], float]:
    """Run a child, return its printed fields and its peak RSS in MiB."""
    proc = subprocess.run(
        [sys.executable, "-c", _WRAP, *args], cwd=ROOT, capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(proc.returncode)
    peak = int(proc.stderr.rsplit("wrap-peak-kib ", 1)[1].split()[0])
    return proc.stdout.split(), peak / 1024


def _audit(ns: argparse.Namespace, jobs: int) -> tuple[float, float, int]:
    """One end-to-end audit: (seconds, peak RSS MiB, findings)."""
    with tempfile.TemporaryDirectory(prefix="wenze-bench-xes-") as tmp:
        cmd = [
            sys.executable,
            "-m",
            "engine.cli",
            "audit",
            ns.log,
            "--policy",
            ns.policy,
            "--as-of",
            ns.as_of,
            "--db",
            f"sqlite:///{tmp}/w.db",
            "--json",
            f"{tmp}/out.json",
            "--quiet",
            "--jobs",
            str(jobs),
        ]
        if ns.profile:
            cmd += ["--profile", ns.profile]
        t = time.perf_counter()
        _fields, rss_audit = _child(cmd)
        audit_s = time.perf_counter() - t
        summary = json.loads(Path(tmp, "out.json").read_text(encoding="utf-8"))["run"]["summary"]
    return audit_s, rss_audit, int(summary["findings"])


def _minimal(log: str) -> tuple[int, float, float]:
    fields, rss = _child([sys.executable, "-c", MINIMAL, log])
    return int(fields[0]), float(fields[1]), rss


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("log", nargs="?", default=str(DEFAULT_LOG))
    ap.add_argument("--profile", default=str(DEFAULT_PROFILE), help="'' for none")
    ap.add_argument("--policy", help="also time `wenze audit` with this policy")
    ap.add_argument("--as-of", default="2013-06-18")
    ap.add_argument(
        "--jobs",
        default="1,0",
        help="`wenze audit --jobs` values to time, comma-separated (0 = one per core; "
        "default: one process, then every core)",
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of (minimal pass, audits); the median ratio is the figure (default 3)",
    )
    ns = ap.parse_args()
    if not Path(ns.log).is_file():
        print(f"{ns.log}: absent (the real logs live in ../shared/data/real)")
        return 2

    events, minimal_s, rss_min = _minimal(ns.log)
    fields, rss_load = _child([sys.executable, "-c", LOAD, ns.log, ns.profile])
    loaded, load_s, cases, quarantined = int(fields[0]), float(fields[1]), fields[2], fields[3]

    print(f"log                      {ns.log}")
    print(
        f"events                   {events:,} ({int(cases):,} cases; loader read {loaded:,}, "
        f"quarantined {int(quarantined):,})"
    )
    print(
        f"minimal iterparse        {minimal_s:6.2f} s  {events / minimal_s:10,.0f} events/s  "
        f"peak RSS {rss_min:,.0f} MiB"
    )
    print(
        f"wenze load (histories)   {load_s:6.2f} s  {events / load_s:10,.0f} events/s  "
        f"peak RSS {rss_load:,.0f} MiB"
    )
    print(f"ratio load / minimal     {load_s / minimal_s:.2f}")
    if not ns.policy:
        return 0
    jobs = list(dict.fromkeys(int(j) or (os.cpu_count() or 1) for j in ns.jobs.split(",")))
    ratios: dict[int, list[float]] = {j: [] for j in jobs}
    for r in range(ns.rounds):
        if r:  # each round's ratios are against a minimal pass of that round
            _events, minimal_s, _rss = _minimal(ns.log)
        for j in jobs:
            audit_s, rss, findings = _audit(ns, j)
            ratios[j].append(audit_s / minimal_s)
            label = f"wenze audit, {j} job{'s' if j > 1 else ''}"
            print(
                f"round {r + 1}: minimal {minimal_s:5.2f} s, {label} {audit_s:6.2f} s  "
                f"{events / audit_s:8,.0f} events/s  peak RSS {rss:,.0f} MiB  "
                f"findings {findings:,}  ratio {audit_s / minimal_s:.2f}"
            )
    for j in jobs:
        runs = ", ".join(f"{x:.2f}" for x in ratios[j])
        print(
            f"ratio audit / minimal, {j} job{'s' if j > 1 else ''}: median "
            f"{statistics.median(ratios[j]):.2f} over {len(ratios[j])} round(s) ({runs}); "
            f"target <= 1.0"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
