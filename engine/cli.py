"""The `wenze` command line: the adapter that wires loaders, compiler, core, store and reports.

In: argv. Out: an exit code (engine.exit_codes) and text on stdout/stderr.
Each verb is a plain function `run_<verb>(args, out, err) -> int` so tests call it directly;
`main` only dispatches. This is the only engine module that imports `dsl` (DESIGN.md §2).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TextIO

from engine.exit_codes import Exit

EPILOG = """\
verbs:
  check     check policies:       wenze check policies/licensing
  audit     audit exports:        wenze audit fixtures/sample/licensing_sample.csv \\
                                     --policy policies/licensing --as-of 2026-11-20 --json out.json
  report    render a stored run:  wenze report latest --format md
  calendar  working-day calendar: wenze calendar add 2026-02-10 20
  fmt       format policies:      wenze fmt --check policies
  test      run policy tests:     wenze test policies --coverage
  doc       publish a policy:     wenze doc policies/licensing --format html --out licensing.html
  review    reviewer's decision:  wenze review 7c1e0a --confirm --reason "核实属实" --by 李审核

exit codes: 0 ok · 1 checked and failed (see --help of each verb) · 2 usage/input/policy error
            · 3 internal error
"""


# What a verb leaves for the end of the process (`keep_until_exit`), and whether the
# process ends with a hard exit (`console`) rather than by freeing it.
_KEPT: list[object] = []
_HARD_EXIT = False


def keep_until_exit(*objects: object) -> None:
    """Keep large structures (a million-event audit's histories and findings) until the
    process ends instead of freeing them object by object now. Run as the `wenze` program
    (`console`), the process then ends without freeing them and the OS takes the memory
    back at once; when `main` is called in-process (the tests), they are freed as it
    returns."""
    _KEPT.extend(objects)


def ends_hard() -> bool:
    """True when the process ends as soon as the verb returns (`console`): whatever the
    verb would tidy up for a caller that goes on is not worth doing then."""
    return _HARD_EXIT


def console() -> None:
    """The `wenze` program: `main`, then flush the output and end the process without
    freeing its objects, which took half a second after a million-event audit (mypy ends
    the same way). Nothing is left unwritten: every verb closes its files and commits its
    database before it returns, and rule workers are stopped by then."""
    global _HARD_EXIT
    _HARD_EXIT = True
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        if not _HARD_EXIT:
            _KEPT.clear()


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out, err = sys.stdout, sys.stderr
    _utf8(out)
    _utf8(err)
    if not args or args[0] in ("-h", "--help"):
        out.write(_usage())
        return Exit.OK if args else Exit.USAGE
    if args[0] in ("-V", "--version"):
        from engine import __version__

        out.write(f"wenze {__version__}\n")
        return Exit.OK
    verb, rest = args[0], args[1:]
    runners = _verbs()
    if verb not in runners:
        err.write(f"wenze: unknown verb {verb!r}\n\n{_usage()}")
        return Exit.USAGE
    try:
        return runners[verb](rest, out, err)
    except KeyboardInterrupt:
        err.write("wenze: interrupted\n")
        return Exit.USAGE
    except BrokenPipeError:
        # `wenze report … | head`: the reader left; that is not an error worth a trace.
        with contextlib.suppress(Exception):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stdout for the rest of the process
        return Exit.OK
    except Exception:  # a bug, not a user mistake: say so plainly and keep the trace
        err.write("wenze: internal error — please report it with the command line:\n")
        err.write(traceback.format_exc())
        return Exit.INTERNAL


# verb -> "module:function"; imported only when the verb runs, so `wenze calendar` does
# not pay for SQLAlchemy and `wenze check` not for durable_rules.
VERBS: dict[str, str] = {
    "check": "engine.cli_audit:run_check",
    "audit": "engine.cli_audit:run_audit",
    "report": "engine.cli_report:run_report",
    "calendar": "engine.calendar_cmd:run_calendar",
    "test": "engine.cli_policy:run_test",
    "doc": "engine.cli_policy:run_doc",
    "review": "engine.cli_review:run_review",
    "profile": "engine.cli_profile:run_profile",
    "fmt": "engine.cli_fmt:run_fmt",
}


def _verbs() -> dict[str, Callable[[list[str], TextIO, TextIO], int]]:
    return {verb: _lazy(target) for verb, target in VERBS.items()}


def _lazy(target: str) -> Callable[[list[str], TextIO, TextIO], int]:
    def run(args: list[str], out: TextIO, err: TextIO) -> int:
        module, _, name = target.partition(":")
        fn: Callable[[list[str], TextIO, TextIO], int] = getattr(
            importlib.import_module(module), name
        )
        return fn(args, out, err)

    return run


def _usage() -> str:
    return "usage: wenze VERB [options]   (wenze VERB --help for each verb)\n\n" + EPILOG


def _utf8(stream: TextIO) -> None:
    # Chinese labels must render on any terminal; Windows consoles default to a legacy code page.
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):
            reconfigure(encoding="utf-8")


class ArgParser(argparse.ArgumentParser):
    """argparse that reports usage errors as exit 2 without raising SystemExit into tests."""

    def __init__(self, *a: object, err: TextIO, out: TextIO, **kw: object) -> None:
        super().__init__(*a, **kw)  # type: ignore[arg-type]
        self._err = err
        self._out = out

    def error(self, message: str) -> None:  # type: ignore[override]
        self._err.write(f"{self.prog}: error: {message}\n{self.format_usage()}")
        raise UsageError()

    def print_help(self, file: object = None) -> None:
        self._out.write(self.format_help())

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            self._err.write(message)
        raise UsageError(status)


class UsageError(Exception):
    def __init__(self, status: int = 2) -> None:
        super().__init__(status)
        self.status = status


if __name__ == "__main__":
    # `python -m engine.cli` runs this file as __main__, a second copy of the module: the
    # verbs read the hard-exit flag of engine.cli, so the program must run from that one.
    from engine.cli import console as _console

    _console()
