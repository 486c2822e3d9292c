"""The match stage: which lapse holds on which candidate, and in which grade band.

In: `CaseFacts` from the derive stage and the compiled `Policy`.
Out: `Match` records (case, lapse index, candidate key, band index).

Two implementations of the same IR semantics:
- `PythonMatcher` evaluates conditions directly on the derived facts (the oracle);
- `DurableStage` encodes the facts into flat JSON facts and lets durable_rules production
  rules fire on them (the production stage; DESIGN.md §7), through `engine.rules_durable`.
The differential test demands identical matches from both on every fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal

from engine.derive import CaseFacts
from engine.expr_eval import Scope, Value, holds, resolve, value_getter
from engine.ir import (
    And,
    CaseAttrRef,
    ClockRef,
    Compare,
    CompareOp,
    Const,
    CountRef,
    Exists,
    Expr,
    Not,
    Or,
    Policy,
    Ref,
    Truth,
)
from engine.rule_json import RuleSpec

NO_BAND = -1  # banded lapse whose measure falls outside every band
FIXED = -2  # lapse graded with a fixed level


@dataclass(frozen=True, order=True, slots=True)
class Match:
    case_id: str
    lapse: int
    key: str  # "c" for a case-level lapse, else the candidate key
    band: int


_MATCH_ORDER = attrgetter("case_id", "lapse", "key", "band")


def refs_of(expr: Expr | None) -> Iterator[Ref]:
    if expr is None:
        return
    if isinstance(expr, Compare):
        yield expr.left
    elif isinstance(expr, Truth):
        yield expr.ref
    elif isinstance(expr, Exists):
        yield CountRef(expr.activity)
    elif isinstance(expr, Not):
        yield from refs_of(expr.operand)
    else:
        for e in expr.operands:
            yield from refs_of(e)


def _case_level(ref: Ref) -> bool:
    return isinstance(ref, ClockRef | CountRef | CaseAttrRef)


@dataclass
class RuleTable:
    """Everything the rule stage needs, compiled once per policy."""

    field_of: dict[Ref, str]
    specs: list[RuleSpec]
    decode: dict[str, tuple[int, int]]  # rule name -> (lapse index, band)
    case_fields: list[tuple[str, Ref]]  # fields of the one "c" fact per case
    event_fields: dict[int, list[tuple[str, Ref]]] = field(default_factory=dict)


def compile_rules(policy: Policy) -> RuleTable:
    field_of: dict[Ref, str] = {}

    def fname(ref: Ref) -> str:
        if ref not in field_of:
            field_of[ref] = f"f{len(field_of)}"
        return field_of[ref]

    specs: list[RuleSpec] = []
    decode: dict[str, tuple[int, int]] = {}
    case_fields: dict[str, Ref] = {}
    event_fields: dict[int, list[tuple[str, Ref]]] = {}
    for i, lapse in enumerate(policy.lapses):
        g = lapse.grading
        refs = list(refs_of(lapse.condition))
        if g.measure is not None:
            refs.append(g.measure)
        names = [(fname(r), r) for r in refs]
        fact_type: Literal["c", "e"] = "c" if lapse.for_each is None else "e"
        if fact_type == "c":
            for n, r in names:
                case_fields[n] = r
        else:
            event_fields[i] = sorted(set(names), key=lambda nr: int(nr[0][1:]))
        for band_index, cond in _band_conditions(lapse.condition, g.measure, g.bands):
            name = (
                f"L{i}"
                if band_index == FIXED
                else f"L{i}.{'nb' if band_index == NO_BAND else band_index}"
            )
            specs.append(RuleSpec(name, fact_type, None if fact_type == "c" else i, cond))
            decode[name] = (i, band_index)
    ordered_case = sorted(case_fields.items(), key=lambda nr: int(nr[0][1:]))
    return RuleTable(field_of, specs, decode, ordered_case, event_fields)


def _band_conditions(
    cond: Expr | None, measure: Ref | None, bands: Sequence[Any]
) -> list[tuple[int, Expr | None]]:
    if measure is None or not bands:
        return [(FIXED, cond)]
    out: list[tuple[int, Expr | None]] = []
    ranges: list[Expr] = []
    for j, b in enumerate(bands):
        parts: list[Expr] = [Compare(CompareOp.GE, measure, Const(b.low))]
        if b.high is not None:
            parts.append(Compare(CompareOp.LE, measure, Const(b.high)))
        rng: Expr = And(tuple(parts))
        ranges.append(rng)
        out.append((j, And((cond, rng)) if cond is not None else rng))
    outside: Expr = Not(Or(tuple(ranges)))
    out.append((NO_BAND, And((cond, outside)) if cond is not None else outside))
    return out


# ------------------------------------------------------------------ oracle


def match_python(facts: CaseFacts, policy: Policy) -> list[Match]:
    case_id = facts.history.case_id
    out: list[Match] = []
    for cand in facts.candidates:
        lapse = policy.lapses[cand.lapse]
        if not holds(lapse.condition, cand.scope):
            continue
        g = lapse.grading
        if g.measure is None or not g.bands:
            band = FIXED
        else:
            value = resolve(g.measure, cand.scope)
            band = next(
                (j for j, b in enumerate(g.bands) if isinstance(value, int) and b.contains(value)),
                NO_BAND,
            )
        out.append(Match(case_id, cand.lapse, cand.key, band))
    return sorted(out)


# ------------------------------------------------------------ durable stage


def encode_case(facts: CaseFacts, table: RuleTable) -> list[dict[str, Any]]:
    """Flat JSON facts for one case: one "c" fact, one "e" fact per event candidate."""
    case_id = facts.history.case_id
    c: dict[str, Any] = {"id": f"{case_id}#c", "t": "c", "case": case_id}
    for name, ref in table.case_fields:
        c[name] = resolve(ref, facts.case_scope)
    out = [c]
    for cand in facts.candidates:
        if cand.key == "c":
            continue
        e: dict[str, Any] = {
            "id": f"{case_id}#{cand.key}",
            "t": "e",
            "case": case_id,
            "l": cand.lapse,
        }
        for name, ref in table.event_fields.get(cand.lapse, []):
            e[name] = resolve(ref, cand.scope)
        out.append(e)
    return out


# Stages whose rule workers `early_workers` started ahead of need, for `DurableStage.take`.
_EARLY: list[DurableStage] = []


@contextmanager
def early_workers(policies: Sequence[Policy]) -> Iterator[None]:
    """Start each policy's rule worker now, without waiting for it: its start-up (a fresh
    interpreter importing durable_rules, ~0.2 s) runs on another core while this process
    reads the exports. `DurableStage.take` hands a started worker over to the audit (which
    stops it when done); on exit every worker started here is stopped, taken or not."""
    stages = [DurableStage(p) for p in policies if p.lapses]
    try:
        for stage in stages:
            stage._matcher.spawn()
        _EARLY[:] = stages
        yield
    finally:
        _EARLY.clear()
        for stage in stages:
            stage._matcher.close()


def _getters(fields: list[tuple[str, Ref]]) -> dict[str, Callable[[Scope], Value]]:
    return {name: value_getter(ref) for name, ref in fields}


class DurableStage:
    """Runs the durable_rules matcher over many cases and decodes its firings into matches."""

    def __init__(self, policy: Policy, *, in_process: bool = False) -> None:
        from engine.rules_durable import DurableMatcher

        self.policy = policy
        table = self.table = compile_rules(policy)
        self._matcher = DurableMatcher(table.specs, table.field_of, in_process=in_process)
        # The fact texts are written from the scopes directly, each ref's kind decided
        # once: building `encode_case`'s dicts and then encoding them cost twice as much
        # as durable's own matching on the road-fines log.
        self._encode_case = self._matcher.fact_encoder("c", None, _getters(table.case_fields))
        self._encode_event = {
            lapse: self._matcher.fact_encoder("e", lapse, _getters(fields))
            for lapse, fields in table.event_fields.items()
        }

    def _encoded(self, cases: Iterable[CaseFacts]) -> Iterator[tuple[str, list[str], list[str]]]:
        """Each case's facts as the matcher sends them: the texts `DurableMatcher.match`
        makes of `encode_case`'s dicts (a test holds the two equal)."""
        encode_case, encode_event = self._encode_case, self._encode_event
        for f in cases:
            case_id = f.history.case_id
            ids: list[str] = []
            texts: list[str] = []
            if encode_case is not None:
                fact_id = f"{case_id}#c"
                ids.append(fact_id)
                texts.append(encode_case(fact_id, f.case_scope))
            for cand in f.candidates:
                if cand.key == "c":
                    continue
                encode = encode_event.get(cand.lapse)
                if encode is None:
                    continue
                fact_id = f"{case_id}#{cand.key}"
                ids.append(fact_id)
                texts.append(encode(fact_id, cand.scope))
            if ids:
                yield case_id, ids, texts

    @classmethod
    def take(cls, policy: Policy, *, in_process: bool = False) -> DurableStage:
        """A stage for `policy`: the one `early_workers` started, if any, else a new one."""
        if not in_process:
            for i, stage in enumerate(_EARLY):
                if stage.policy is policy:
                    return _EARLY.pop(i)
        return cls(policy, in_process=in_process)

    def __enter__(self) -> DurableStage:
        self._matcher.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._matcher.close()

    @property
    def stats(self) -> Any:
        return self._matcher.stats

    def match(self, cases: Iterable[CaseFacts]) -> list[Match]:
        out: list[Match] = []
        for rule_name, fact_id in self._matcher.match_encoded(self._encoded(cases)):
            lapse, band = self.table.decode[rule_name]
            case_id, _, key = fact_id.rpartition("#")
            out.append(Match(case_id, lapse, key, band))
        # Match's own order, by a key: the generated __lt__ is a Python call per comparison.
        out.sort(key=_MATCH_ORDER)
        return out
