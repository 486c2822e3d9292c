"""What the loaders check each row against, and where it comes from.

In: the compiled policies (engine.ir) and the import profile's declarations.
Out: `Checks` — the activity vocabulary, the end of the as-of day, and the activities whose
actor or assignee a responsibility clause reads (an empty one there is a `missing_actor` /
`missing_assignee` defect: the lapse would otherwise name nobody without saying why).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from engine.ir import ForEachKind, Policy, SubjectKind


@dataclass(frozen=True)
class Checks:
    # None: every activity is accepted (no policy given, e.g. `wenze profile` previews).
    known_activities: frozenset[str] | None = None
    # Activities a profile accepts by pattern (e.g. BPIC 2015's 398 step codes).
    known_pattern: re.Pattern[str] | None = None
    as_of_end: datetime | None = None
    custody: frozenset[str] = frozenset()  # these events must name an assignee
    actor_required: frozenset[str] = frozenset()  # these events must name an actor
    # (k, n): read only the cases of share k of n (a sharded audit, engine.shards).
    shard: tuple[int, int] | None = None

    def is_known(self, activity: str) -> bool:
        if self.known_activities is None or activity in self.known_activities:
            return True
        return self.known_pattern is not None and self.known_pattern.fullmatch(activity) is not None


def case_owner(shard: tuple[int, int] | None) -> Callable[[str], bool] | None:
    """Whether this process's share reads a case; None when the load is not sharded.
    (Tabular exports; an XES file is shared by blocks of traces, engine.loaders.xes.)

    Shares are by `hash(case_id)`: the processes of one sharded audit are forked from one
    parent, so they share its string-hash seed and agree. A row without a case id belongs
    to share 0, which reports it; so does a row that is not a record at all."""
    if shard is None:
        return None
    k, n = shard

    def owns(case_id: str) -> bool:
        return hash(case_id) % n == k if case_id else k == 0

    return owns


def responsibility_activities(policies: Iterable[Policy]) -> tuple[frozenset[str], frozenset[str]]:
    """(custody activities, activities whose actor a responsibility clause names).

    `holder at CLOCK.deadline` reads the custody events' assignees and, before any custody
    event, the actor of the event that started the clock (DESIGN.md §6.6); `actor of
    first/last A` reads A's actor; `actor of it` reads the `for each` event's actor, or the
    extension request's for a refused extension.
    """
    custody: set[str] = set()
    actors: set[str] = set()
    for pol in policies:
        custody.update(pol.custody)
        clocks = {c.name: c for c in pol.clocks}
        for lapse in pol.lapses:
            for subject in lapse.subjects:
                if subject.kind in (SubjectKind.ACTOR_OF_FIRST, SubjectKind.ACTOR_OF_LAST):
                    actors.add(subject.target)
                elif subject.kind is SubjectKind.HOLDER_AT_DEADLINE:
                    clock = clocks.get(subject.target)
                    if clock is not None:
                        actors.update(t.activity for t in clock.starts)
                elif subject.kind is SubjectKind.ACTOR_OF_IT and lapse.for_each is not None:
                    if lapse.for_each.kind is ForEachKind.EVENT:
                        actors.add(lapse.for_each.target)
                    else:
                        clock = clocks.get(lapse.for_each.target)
                        if clock is not None:
                            actors.update(clock.extension_activities)
    return frozenset(custody), frozenset(actors)
