"""Policy test coverage: which parts of a policy no test exercised.

In: a compiled `Policy` and what its tests exercised (`engine.policy_tests.Exercised`:
the findings they expected and got, and the derived facts of the cases they assert on).
Out: a `Coverage` — every branch a drafter should have an example for (each lapse, each
grade band, each start trigger, limit, extension rule, refused extension, suspension, stop
and outcome of each clock, each way a holder is found, each modifier) with whether a test
covers it, and the text that says what is missing and where (file:line).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.clocks import ClockResult
from engine.ir import Clock, Lapse, Policy, PolicyRef, SubjectKind
from engine.model import Event
from engine.policy_tests import Exercised

Key = tuple[str, ...]

# Item kind -> the group it is counted in. A new kind only needs a line here.
GROUPS: dict[str, str] = {
    "lapse": "lapses",
    "band": "grade bands",
    "start": "clock branches",
    "limit": "clock branches",
    "extend": "clock branches",
    "refused": "clock branches",
    "suspend": "clock branches",
    "stop": "clock branches",
    "outcome": "clock branches",
    "restart": "clock branches",
    "deem": "clock branches",
    "promised": "clock branches",
    "custody": "responsibility",
    "fallback": "responsibility",
    "cited": "modifiers",
}
OUTCOMES = {"met": "on time (met)", "late": "late", "overdue": "overdue, still open"}


@dataclass(frozen=True)
class Item:
    key: Key
    ref: PolicyRef
    what: str  # the construct, in the policy's words
    hint: str  # the example that would cover it


@dataclass
class Coverage:
    policy: Policy
    items: list[Item]
    hits: set[Key] = field(default_factory=set)
    tests: int = 0

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if i.key not in self.hits]

    @property
    def covered(self) -> int:
        return sum(1 for i in self.items if i.key in self.hits)

    @property
    def percent(self) -> int:
        # Floor, so 99.6 % never shows as 100 %.
        return 100 if not self.items else self.covered * 100 // len(self.items)


def coverage(policy: Policy, exercised: Iterable[Exercised], tests: int) -> Coverage:
    cov = Coverage(policy, list(items(policy)), tests=tests)
    for ex in exercised:
        cov.hits |= _clock_hits(ex)
        cov.hits |= _finding_hits(policy, ex)
    return cov


# ------------------------------------------------------------------ items


def items(policy: Policy) -> Iterator[Item]:
    for lapse in policy.lapses:
        yield from _lapse_items(lapse)
    for clock in policy.clocks:
        yield from _clock_items(clock)
    holder_rules = [
        r for lap in policy.lapses for r in lap.subjects if r.kind is SubjectKind.HOLDER_AT_DEADLINE
    ]
    if holder_rules:
        ref = holder_rules[0].ref
        for act in policy.custody:
            yield Item(
                ("custody", act),
                ref,
                f"custody {act}: the holder at a deadline named by a {act} event",
                f"no tested finding names its holder through a {act} event",
            )
        yield Item(
            ("fallback",),
            ref,
            "holder at a deadline with no custody event before it",
            "no tested finding names the actor of the starting event as holder",
        )


def _lapse_items(lapse: Lapse) -> Iterator[Item]:
    yield Item(
        ("lapse", lapse.id),
        lapse.ref,
        f"lapse {lapse.id} 「{lapse.label}」",
        "no test expects a finding of this lapse",
    )
    g = lapse.grading
    for j, b in enumerate(g.bands):
        rng = f"{b.low}..{b.high}" if b.high is not None else f"{b.low}.."
        yield Item(
            ("band", lapse.id, str(j)),
            b.ref,
            f"band {rng} {b.level} of lapse {lapse.id}",
            f"no test expects a {lapse.id} finding graded {b.level} (measure {rng})",
        )
    # Modifiers (and whatever graded construct comes next) are found through the lines
    # a finding's explanation cites, so they need no code here to be counted.
    for m in getattr(g, "modifiers", ()):
        ref = getattr(m, "ref", None)
        if isinstance(ref, PolicyRef):
            kind = getattr(getattr(m, "kind", None), "value", "modifier")
            yield Item(
                ("cited", str(ref)),
                ref,
                f"{kind} of lapse {lapse.id}",
                f"no tested {lapse.id} finding was graded with this {kind}",
            )


def _clock_items(c: Clock) -> Iterator[Item]:
    name = c.name
    for i, t in enumerate(c.starts):
        note = f" ({t.note})" if t.note else (" (with a condition)" if t.when is not None else "")
        yield Item(
            ("start", name, str(i)),
            t.ref,
            f"clock {name}: start at {t.activity}{note}",
            "no tested case starts the clock this way",
        )
    for i, lim in enumerate(c.limits):
        yield Item(
            ("limit", name, str(i)),
            lim.ref,
            f"clock {name}: limit {lim.amount} {lim.unit.value}"
            + (" (with a condition)" if lim.when is not None else ""),
            "no tested case has this limit apply",
        )
        for k, x in enumerate(lim.extensions):
            yield Item(
                ("extend", name, str(i), str(k)),
                x.ref,
                f"clock {name}: extend {x.amount} {x.unit.value} by role {x.role}",
                "no tested case has an extension accepted under this rule",
            )
    if any(lim.extensions for lim in c.limits):
        yield Item(
            ("refused", name),
            c.ref,
            f"clock {name}: an extension refused",
            "no tested case has an extension that extends nothing",
        )
    for i, s in enumerate(c.suspensions):
        yield Item(
            ("suspend", name, str(i)),
            s.ref,
            f"clock {name}: suspend between {s.start_activity} and {s.end_activity}"
            + (" (with conditions)" if _conditional(s) else ""),
            "no tested case is suspended this way",
        )
    for act in c.stops:
        yield Item(
            ("stop", name, act),
            c.ref,
            f"clock {name}: stop at {act}",
            f"no tested case stops the clock with {act}",
        )
    for state, words in OUTCOMES.items():
        yield Item(
            ("outcome", name, state),
            c.ref,
            f"clock {name}: {words}",
            f"no tested case ends with the clock {words}",
        )
    yield from _later_clock_items(c)


def _conditional(s: object) -> bool:
    return getattr(s, "start_when", None) is not None or getattr(s, "end_when", None) is not None


def _later_clock_items(c: Clock) -> Iterator[Item]:
    """Branches of constructs clocks gained later (restart, deem, promised limits), read
    by attribute so that a clock without them, or an IR without them, has none."""
    name = c.name
    for i, r in enumerate(getattr(c, "restarts", ())):
        yield Item(
            ("restart", name, str(i)),
            r.ref,
            f"clock {name}: restart at {r.activity}",
            "no tested case starts the period afresh this way",
        )
    for i, d in enumerate(getattr(c, "deems", ())):
        yield Item(
            ("deem", name, str(i)),
            d.ref,
            f"clock {name}: on breach deem {d.activity}",
            "no tested case is breached so that the event is deemed",
        )
    for i, lim in enumerate(c.limits):
        promised = getattr(lim, "promised", None)
        if promised is not None:
            yield Item(
                ("promised", name, str(i)),
                getattr(promised, "ref", lim.ref),
                f"clock {name}: the promised limit of limit {lim.amount} {lim.unit.value} broken",
                "no tested case misses the promised limit",
            )


# ------------------------------------------------------------------ hits


def _clock_hits(ex: Exercised) -> set[Key]:
    out: set[Key] = set()
    for cf in ex.facts:
        for r in cf.clocks.values():
            out |= set(_branches(r))
    return out


def _branches(r: ClockResult) -> Iterator[Key]:
    c, name = r.clock, r.clock.name
    if r.trigger is not None:
        yield ("start", name, str(c.starts.index(r.trigger)))
    if r.limit is not None:
        i = c.limits.index(r.limit)
        yield ("limit", name, str(i))
        for x in r.extensions:
            if not x.accepted:
                yield ("refused", name)
                continue
            k = next(
                (
                    k
                    for k, rule in enumerate(r.limit.extensions)
                    if rule.activity == x.event.activity and rule.role == x.event.role
                ),
                -1,
            )
            yield ("extend", name, str(i), str(k))
    for s in r.suspension_rules:
        yield ("suspend", name, str(c.suspensions.index(s)))
    if r.stop_event is not None:
        yield ("stop", name, r.stop_event.activity)
    if r.state in OUTCOMES:
        yield ("outcome", name, r.state)
    done = {e.activity for e in getattr(r, "restarts", ())}
    for i, rule in enumerate(getattr(c, "restarts", ())):
        if rule.activity in done:
            yield ("restart", name, str(i))
    if getattr(r, "deemed_at", None) is not None:
        yield from (("deem", name, str(i)) for i in range(len(getattr(c, "deems", ()))))
    if r.limit is not None and getattr(r, "promised_breached", False):
        yield ("promised", name, str(c.limits.index(r.limit)))


def _finding_hits(policy: Policy, ex: Exercised) -> set[Key]:
    out: set[Key] = set()
    lapses = {lap.id: lap for lap in policy.lapses}
    holder_refs = {
        str(r.ref)
        for lap in policy.lapses
        for r in lap.subjects
        if r.kind is SubjectKind.HOLDER_AT_DEADLINE
    }
    events: dict[tuple[str, str], Event] = {
        (cf.history.case_id, e.event_id): e for cf in ex.facts for e in cf.history.events
    }
    for f in ex.findings:
        lapse = lapses.get(f.lapse)
        if lapse is None:
            continue
        out.add(("lapse", lapse.id))
        cited = {s.policy for s in f.explanation if s.policy}
        out |= {
            ("band", lapse.id, str(j))
            for j, b in enumerate(lapse.grading.bands)
            if str(b.ref) in cited
        }
        out |= {("cited", ref) for ref in cited}
        for s in f.explanation:
            if s.kind == "holder" and s.policy in holder_refs and s.event:
                ev = events.get((f.case_id, s.event))
                if ev is not None and ev.activity in policy.custody and ev.assignee:
                    out.add(("custody", ev.activity))
                elif ev is not None:
                    out.add(("fallback",))
    return out


# ------------------------------------------------------------------ text


def render(cov: Coverage) -> list[str]:
    p = cov.policy
    head = (
        f"coverage  {p.id} {p.version} ({p.file}): {cov.covered} of {len(cov.items)} "
        f"branches tested ({cov.percent}%)"
    )
    if cov.tests == 0:
        head += f" — no tests: write them in {_tests_dir(p)}"
    groups: dict[str, list[int]] = {}
    for i in cov.items:
        g = groups.setdefault(GROUPS.get(i.key[0], "other"), [0, 0])
        g[0] += i.key in cov.hits
        g[1] += 1
    out = [head, "  " + " · ".join(f"{name} {a}/{b}" for name, (a, b) in groups.items())]
    missing = cov.missing
    if missing:
        out.append("  not tested:")
        # In the order of the policy text, so the drafter can walk down the file.
        missing.sort(key=lambda i: (i.ref.line, i.ref.col))
        out += [f"    {i.ref}: {i.what} — {i.hint}" for i in missing]
    return out


def _tests_dir(p: Policy) -> str:
    return str(Path(p.file).parent / "tests") + "/"
