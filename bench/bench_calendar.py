"""Calendar lookup speed (calls/s): the clock stage needs >= 500,000 events/s, so the
calendar lookups must be far faster. A benchmark, not a test: run
`python bench/bench_calendar.py` and read the figures."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from engine.calendar import load_cn_calendar

CAL = load_cn_calendar()
RNG = random.Random(7)
DAYS = [date(2004, 1, 1) + timedelta(days=RNG.randrange(8400)) for _ in range(50_000)]
NS = [RNG.randrange(1, 60) for _ in DAYS]


def _rate(fn: Callable[[], object], calls: int) -> float:
    """Calls per second, best of three runs."""
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return calls / best


def test_add_workdays_rate() -> None:
    add = CAL.add_workdays
    print(
        f"add_workdays_rate: {_rate(lambda: [add(d, n) for d, n in zip(DAYS, NS, strict=True)], len(DAYS)):,.0f} calls/s"
    )


def test_workday_index_rate() -> None:
    idx = CAL.workday_index
    print(f"workday_index_rate: {_rate(lambda: [idx(d) for d in DAYS], len(DAYS)):,.0f} calls/s")


def test_workdays_between_rate() -> None:
    between = CAL.workdays_between
    pairs = list(itertools.pairwise(DAYS))
    print(
        f"workdays_between_rate: {_rate(lambda: [between(a, b) for a, b in pairs], len(pairs)):,.0f} calls/s"
    )


if __name__ == "__main__":
    test_add_workdays_rate()
    test_workday_index_rate()
    test_workdays_between_rate()
