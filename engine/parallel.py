"""Work in forked processes, so that a long audit uses more than one core.

In: a sequence of shares and the function that does one (engine.shards: load and screen
a share of the cases). Out: each share's result, in order. Forking (POSIX) hands every
process the caller's state without pickling it; only the share's index goes out and the
result comes back over a pipe. A share whose process raises, dies (a native crash in the
rule engine, say) or hangs is done again in the calling process, so nothing is lost.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# A share still running this many times as long as the first one took (and at least this
# many seconds) is taken for hung (Screens.results).
HANG_FACTOR = 4.0
HANG_GRACE_S = 120.0

# The work of the screens being forked: read by the children through fork, never pickled.
_FORKED: tuple[Sequence[Any], Callable[[Any], Any]] | None = None


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class Screens:
    """Shares being screened, one forked process each, started at construction.

    `results()` gathers them; a share whose process fails is screened in the calling
    process instead: one that raises, dies (a native crash) or hangs. Hanging means still
    running `HANG_FACTOR` times as long as the first share took, and at least
    `HANG_GRACE_S` seconds: the shares are of equal size, so such a share is stuck, and
    its process is killed. (Were every share to hang, there would be no first share to
    measure by: that is not guarded.)"""

    def __init__(self, shares: Sequence[T], screen: Callable[[T], R]) -> None:
        global _FORKED
        self.shares, self.screen = shares, screen
        self._started = time.monotonic()
        ctx = multiprocessing.get_context("fork")
        self._procs: list[Any] = []
        self._conns: list[Connection] = []
        _FORKED = (shares, screen)
        try:
            for i in range(len(shares)):
                receive, send = ctx.Pipe(duplex=False)
                # Not daemonic: a screen may start the rule worker, a process of its own.
                proc = ctx.Process(target=_screen_share, args=(i, send))
                proc.start()
                send.close()  # the child's end: EOF here once the child is gone
                self._procs.append(proc)
                self._conns.append(receive)
        finally:
            _FORKED = None

    def results(self) -> list[Any]:
        """Each share's result in order."""
        got: dict[int, Any] = {}
        failed: set[int] = set()
        pending = dict(enumerate(self._conns))
        first_done: float | None = None
        try:
            while pending:
                timeout = None
                if first_done is not None:
                    limit = max(HANG_GRACE_S, HANG_FACTOR * first_done)
                    timeout = max(0.0, self._started + limit - time.monotonic())
                ready = wait(list(pending.values()), timeout)
                if not ready:  # the rest are stuck
                    failed.update(pending)
                    break
                for i, conn in list(pending.items()):
                    if conn not in ready:
                        continue
                    del pending[i]
                    try:
                        status, value = conn.recv()
                    except (EOFError, OSError):  # died without a word: a crash
                        failed.add(i)
                        continue
                    if status == "ok":
                        got[i] = value
                    else:
                        failed.add(i)
                    if first_done is None:
                        first_done = time.monotonic() - self._started
        finally:
            for proc in self._procs:
                if proc.is_alive():
                    proc.kill()
                proc.join()
            for conn in self._conns:
                conn.close()
        # Rerun here: a real bug raises again, a crash or a hang does not.
        return [
            self.screen(share) if i in failed else got[i] for i, share in enumerate(self.shares)
        ]


def _screen_share(index: int, conn: Connection) -> None:
    """In the forked child: screen one share and send the result (or that it failed)."""
    assert _FORKED is not None, "a screen runs only in a process forked by Screens"
    shares, screen = _FORKED
    try:
        message: tuple[str, Any] = ("ok", screen(shares[index]))
    except Exception as exc:  # the parent screens the share itself and sees the error
        message = ("error", repr(exc))
    conn.send(message)
    conn.close()
