"""The `review` verb: a reviewer confirms, dismisses or regrades a stored finding.

In: a finding id (or a unique prefix), the decision, a reason and the reviewer's name.
Out: the decision recorded in the store's review log and on the finding; it survives
re-runs, confirmed findings count as priors for repeat offences, dismissed ones never do.
`wenze review --show ID` prints a finding's review history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from engine.cli import ArgParser, UsageError
from engine.exit_codes import Exit


def run_review(args: list[str], out: TextIO, err: TextIO) -> int:
    p = ArgParser(
        prog="wenze review",
        err=err,
        out=out,
        description="Record a reviewer's decision on a finding (confirm, dismiss or regrade), with a reason.",
        epilog='example: wenze review 7c1e0a --confirm --reason "核实属实" --by 李审核',
    )
    p.add_argument("finding", help="finding id or a unique prefix of it")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--confirm", action="store_true", help="the finding is right")
    what.add_argument("--dismiss", action="store_true", help="the finding is wrong or excused")
    what.add_argument("--regrade", metavar="LEVEL", help="right, but with another measure")
    what.add_argument("--show", action="store_true", help="print the finding's review history")
    p.add_argument("--reason", default="", help="why (required for a decision)")
    p.add_argument("--by", default="", help="the reviewer (required for a decision)")
    p.add_argument("--db", default="sqlite:///wenze.db")
    try:
        ns = p.parse_args(args)
    except UsageError as e:
        return e.status
    from engine.store import StoreError, open_store, record_review, review_log

    try:
        engine = open_store(ns.db)
    except StoreError as e:
        err.write(f"wenze review: {e}\n")
        return Exit.USAGE
    if ns.show:
        log = review_log(engine, ns.finding)
        if not log:
            out.write(f"{ns.finding}: no review decisions\n")
        for r in log:
            grade = f" → {r['grade']}" if r["grade"] else ""
            out.write(f"{r['at']}  {r['reviewer']}  {r['decision']}{grade}  {r['reason']}\n")
        return Exit.OK
    if not ns.reason.strip() or not ns.by.strip():
        err.write(
            "wenze review: a decision needs --reason and --by (the review log names who decided and why)\n"
        )
        return Exit.USAGE
    decision = "confirmed" if ns.confirm else "dismissed" if ns.dismiss else "regraded"
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    fid = record_review(engine, ns.finding, decision, ns.reason, ns.by, at, ns.regrade or "")
    if fid is None:
        err.write(
            f"wenze review: no finding {ns.finding!r} in {ns.db} (give its id or a unique prefix)\n"
        )
        return Exit.USAGE
    out.write(f"{fid}: {decision}{' → ' + ns.regrade if ns.regrade else ''} by {ns.by}\n")
    return Exit.OK
