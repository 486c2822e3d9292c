"""Exit codes of every `wenze` verb — the one documented place (README "Exit codes").

0  OK: the verb did its job (an audit that found lapses still exits 0 unless
   `--fail-on-findings` is given: findings are its normal output).
1  The verb ran, and what it checked did not pass: `audit --fail-on-findings` found
   lapses; `check --strict` found warnings; `calendar add` reached past the table
   (provisional answer).
2  Usage, input or policy error: bad arguments, a policy that does not check, an export
   that cannot be read, `audit --strict` with data defects.
3  Internal error (a bug in wenze): please report it with the command line.
"""

from __future__ import annotations

import enum


class Exit(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    INTERNAL = 3
