"""Screening cases in forked processes, so that a long audit uses more than one core.

In: the cases of one policy version split into shares, and the function that screens a
share (derive + match, engine.audit). Out: each share's outcome — clock tallies and the
matches of the cases that matched, not findings; the parent builds those itself, so the
findings, their grades and their order are exactly those of a one-process audit.

Forking (POSIX) hands each process its share of the already-loaded histories without
copying or pickling them; only the share's index goes out and a small result comes back.
Where fork is unavailable, or a share is too small to be worth a process, everything runs
in the calling process. A screen that dies (a native crash in the rule engine, say) is
screened again in the parent, so the audit never loses a share.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many cases per process, forking costs more than it saves.
MIN_CASES_PER_JOB = 5_000

# The work of the screens being forked: read by the children through fork, never pickled.
_FORKED: tuple[Sequence[Any], Callable[[Any], Any]] | None = None


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def split_cases(cases: list[T], jobs: int) -> list[list[T]]:
    """`cases` in up to `jobs` contiguous shares of at least MIN_CASES_PER_JOB (one share
    when parallel screening is off, impossible or not worth it)."""
    n = min(jobs, len(cases) // MIN_CASES_PER_JOB) if jobs > 1 and can_fork() else 1
    if n <= 1:
        return [cases]
    size = -(-len(cases) // n)
    return [cases[i : i + size] for i in range(0, len(cases), size)]


class Screens:
    """Shares being screened by forked processes, started at construction."""

    def __init__(self, shares: Sequence[T], screen: Callable[[T], R]) -> None:
        global _FORKED
        self.shares, self.screen = shares, screen
        _FORKED = (shares, screen)
        try:
            self._pool = ProcessPoolExecutor(
                max_workers=len(shares), mp_context=multiprocessing.get_context("fork")
            )
            # With fork, every child is forked by the first submit, state and all.
            self._futures: list[Future[Any]] = [
                self._pool.submit(_screen_share, i) for i in range(len(shares))
            ]
        finally:
            _FORKED = None

    def results(self) -> list[Any]:
        """Each share's result in order; a share whose process failed is screened here."""
        out = []
        try:
            for share, future in zip(self.shares, self._futures, strict=True):
                try:
                    out.append(future.result())
                except Exception:  # rerun here: a real bug raises again, a crash does not
                    out.append(self.screen(share))
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
        return out


def _screen_share(index: int) -> Any:
    assert _FORKED is not None, "a screen runs only in a process forked by Screens"
    shares, screen = _FORKED
    return screen(shares[index])
