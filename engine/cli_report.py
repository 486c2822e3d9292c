"""The `report` verb: render a stored audit run for people and programs.

In: a run id (or a unique prefix, or `latest`), the store URL, a format and an output file.
Out: the rendered report (text, Markdown, JSON, self-contained HTML, CSV with BOM, XLSX)
and an exit code (engine.exit_codes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from engine.cli import ArgParser, UsageError
from engine.exit_codes import Exit
from engine.report import ReportModel, render_json, render_text


def _render(model: ReportModel, fmt: str) -> str:
    from engine.report_formats import render_csv, render_html

    if fmt == "json":
        return render_json(model)
    if fmt == "html":
        return render_html(model)
    if fmt == "csv":
        return render_csv(model)
    return render_text(model, markdown=fmt == "md")


def run_report(args: list[str], out: TextIO, err: TextIO) -> int:
    p = ArgParser(
        prog="wenze report",
        err=err,
        out=out,
        description="Render a stored audit run (id, unique id prefix, or 'latest').",
        epilog="example: wenze report latest --format md --out report.md",
    )
    p.add_argument("run", help="run id, unique prefix, or latest")
    p.add_argument("--db", default="sqlite:///wenze.db")
    p.add_argument(
        "--format",
        choices=("text", "md", "json", "html", "csv", "xlsx"),
        default="text",
        help="html: one self-contained page with charts and timelines; csv: UTF-8 with BOM "
        "for Excel; xlsx needs --out",
    )
    p.add_argument("--out", help="write to this file instead of standard output")
    try:
        ns = p.parse_args(args)
    except UsageError as e:
        return e.status
    from engine.store import (
        StoreError,
        load_run_defects,
        load_run_findings,
        open_store,
        resolve_run,
    )

    try:
        engine = open_store(ns.db)
    except StoreError as e:
        err.write(f"wenze report: {e}\n")
        return Exit.USAGE
    row = resolve_run(engine, ns.run)
    if row is None:
        err.write(
            f"wenze report: no run {ns.run!r} in {ns.db} (give a run id, a unique prefix, or latest)\n"
        )
        return Exit.USAGE
    run = {
        "id": row.id,
        "policies": json.loads(row.policy_ids),
        "policy_hash": row.policy_hash,
        "input_hash": row.input_hash,
        "as_of": row.as_of,
        "wenze_version": row.wenze_version,
        "inputs": json.loads(row.inputs),
        "summary": json.loads(row.summary),
    }
    model = ReportModel(run, load_run_findings(engine, row.id), load_run_defects(engine, row.id))
    if ns.format == "xlsx":
        if not ns.out:
            err.write("wenze report: --format xlsx writes a binary file: give --out FILE.xlsx\n")
            return Exit.USAGE
        from engine.report_formats import render_xlsx

        Path(ns.out).parent.mkdir(parents=True, exist_ok=True)
        Path(ns.out).write_bytes(render_xlsx(model))
        return Exit.OK
    text = _render(model, ns.format)
    if ns.out:
        Path(ns.out).parent.mkdir(parents=True, exist_ok=True)
        Path(ns.out).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return Exit.OK
