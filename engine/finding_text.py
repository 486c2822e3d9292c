"""A finding's JSON text, written straight from the `Finding`.

In: a `Finding`. Out: exactly `compact(finding.as_json())` — the same characters — built
without the intermediate dicts. On a large audit most of a finding's cost was its JSON:
`as_json` built ~20 small dicts per finding only for the encoder to walk and sort them
again. Here the keys are written in their sorted order by hand; the parts whose shape is
open (facts, the versions record) still go through the shared encoder. A test compares
this text with `compact(as_json())` on every fixture's findings, so the two cannot drift:
a new key in `as_json` must be added here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from engine.attribution import Subject
from engine.clock_parts import Step
from engine.findings import Finding
from engine.jsonfmt import compact, encode_str

if TYPE_CHECKING:
    from engine.store import FindingValues

_S = encode_str


def finding_rows(findings: Iterable[Finding]) -> Iterator[FindingValues]:
    """Each finding as the store's row (`engine.store.save_run(rows=…)`), its text last."""
    for f in findings:
        yield (f.id, f.policy.id, f.lapse, f.case_id, f.person, f.grade, f.anchor, finding_text(f))


def finding_text(f: Finding) -> str:
    """`compact(f.as_json())`, written directly (keys in sorted order, ", " and ": ")."""
    evidence: list[str] = []
    sources: dict[str, str] = {}
    timeline: list[str] = []
    for e in f.evidence:
        eid = _S(e.event_id)
        evidence.append(eid)
        sources[e.event_id] = f"{e.file}:{e.line}"
        # isoformat() is ASCII digits and separators: nothing to escape.
        timeline.append(
            f'{{"activity": {_S(e.activity)}, "actor": {_S(e.actor)}, "event": {eid}, '
            f'"time": "{e.time.isoformat()}"}}'
        )
    source_items = ", ".join(f"{_S(k)}: {_S(sources[k])}" for k in sorted(sources))
    return (
        f'{{"anchor": {_S(f.anchor)}, "case_id": {_S(f.case_id)}, '
        f'"category": {_S(f.category)}, "conduct": "{f.conduct.isoformat()}", '
        f'"evidence": [{", ".join(evidence)}], '
        f'"explanation": [{", ".join(map(_step_text, f.explanation))}], '
        f'"facts": {compact(f.facts)}, "grade": {_S(f.grade)}, '
        f'"grade_rank": {f.grade_rank}, "id": {_S(f.id)}, "label": {_S(f.label)}, '
        f'"ladder": {_S(f.ladder)}, "lapse": {_S(f.lapse)}, "policy": {_policy_text(f)}, '
        f'"sources": {{{source_items}}}, '
        f'"subjects": [{", ".join(map(_subject_text, f.subjects))}], '
        f'"timeline": [{", ".join(timeline)}]}}'
    )


def _step_text(step: Step) -> str:
    # Step.as_dict: step, text, then policy and event when set; sorted: event, policy, step,
    # text. A policy line and a step kind come from a small set: their text is kept.
    key = (step.policy, step.kind)
    middle = _STEP_MIDDLES.get(key)
    if middle is None:
        if len(_STEP_MIDDLES) >= 4096:
            _STEP_MIDDLES.clear()
        policy, kind = key
        middle = f'"policy": {_S(policy)}, ' if policy else ""
        middle = _STEP_MIDDLES[key] = f'{middle}"step": {_S(kind)}, "text": '
    event = step.event
    if event:
        return f'{{"event": {_S(event)}, {middle}{_S(step.text)}}}'
    return f"{{{middle}{_S(step.text)}}}"


# (policy line, step kind) -> the step's text between the event and the text.
_STEP_MIDDLES: dict[tuple[str, str], str] = {}


def _subject_text(s: Subject) -> str:
    # Subject.as_dict: person, responsibility, then unit and reason when set; sorted:
    # person, reason, responsibility, unit.
    person, responsibility, unit, reason = s.person, s.responsibility, s.unit, s.reason
    text = f'{{"person": {_S(person)}, '
    if reason:
        text += f'"reason": {_S(reason)}, '
    text += f'"responsibility": {_S(responsibility)}'
    if unit:
        text += f', "unit": {_S(unit)}'
    return text + "}"


# (policy id, version, source, lapse source) -> the policy block without versions. A few
# distinct values per audit, tens of thousands of findings.
_POLICY_TEXTS: dict[tuple[str, str, str, str], str] = {}


def _policy_text(f: Finding) -> str:
    p = f.policy
    lapse_source = f.extra.get("lapse_source", "")
    key = (p.id, p.version, p.source, lapse_source)
    head = _POLICY_TEXTS.get(key)
    if head is None:
        if len(_POLICY_TEXTS) >= 256:
            _POLICY_TEXTS.clear()
        head = _POLICY_TEXTS[key] = (
            f'{{"id": {compact(p.id)}, "lapse_source": {compact(lapse_source)}, '
            f'"source": {compact(p.source)}, "version": {compact(p.version)}'
        )
    if "versions" in f.extra:
        return f'{head}, "versions": {compact(f.extra["versions"])}}}'
    return head + "}"
