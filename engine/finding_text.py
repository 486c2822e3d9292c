"""A finding's JSON text, written straight from the `Finding`.

In: a `Finding`. Out: exactly `compact(finding.as_json())` — the same characters — built
without the intermediate dicts. On a large audit most of a finding's cost was its JSON:
`as_json` built ~20 small dicts per finding only for the encoder to walk and sort them
again. Here the keys are written in their sorted order by hand; the parts whose shape is
open (facts other than a day clock's, the versions record) still go through the shared
encoder. What many findings share is written once: a lapse's label-to-policy keys, a
subject, a step that engine.clock_explain.SHARED_STEPS names. A test compares this text
with `compact(as_json())` on every fixture's findings, so the two cannot drift: a new key
in `as_json` must be added here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from engine.attribution import Subject
from engine.clock_explain import SHARED_STEPS, day_text, instant_text
from engine.clock_parts import Step
from engine.findings import Finding
from engine.jsonfmt import compact, encode_str
from engine.model import Event

if TYPE_CHECKING:
    from engine.store import FindingValues

_S = encode_str


def finding_rows(findings: Iterable[Finding]) -> Iterator[FindingValues]:
    """Each finding as the store's row (`engine.store.save_run(rows=…)`), its text last."""
    for f in findings:
        yield (f.id, f.policy.id, f.lapse, f.case_id, f.person, f.grade, f.anchor, finding_text(f))


def finding_text(f: Finding) -> str:
    """`compact(f.as_json())`, written directly (keys in sorted order, ", " and ": ")."""
    evidence, sources, timeline = _evidence_texts(f.evidence)
    return (
        f'{{"anchor": {_S(f.anchor)}, "case_id": {_S(f.case_id)}, '
        f'"category": {_S(f.category)}, "conduct": "{day_text(f.conduct)}", '
        f'"evidence": [{evidence}], "explanation": [{_explanation_text(f.explanation)}], '
        f'"facts": {_facts_text(f.facts)}, "grade": {_S(f.grade)}, '
        f'"grade_rank": {f.grade_rank}, "id": {_S(f.id)}, {_lapse_text(f)}, '
        f'"sources": {{{sources}}}, '
        f'"subjects": [{_subjects_text(f.subjects)}], '
        f'"timeline": [{timeline}]}}'
    )


# The keys of a day clock's facts, as engine.findings._clock_facts writes them.
_CLOCK_FACT_KEYS = frozenset(
    {
        "clock",
        "deadline",
        "extensions_accepted",
        "extensions_refused",
        "ongoing",
        "overdue_days",
        "overdue_workdays",
        "state",
        "suspended",
    }
)


def _facts_text(facts: dict[str, Any]) -> str:
    """`compact(facts)`. Most findings' facts are a day clock's nine with nothing added:
    written directly, they cost half of what the encoder takes (a sixth of the text of a
    finding). Only values of exactly the types written here take that way."""
    if len(facts) == 9 and facts.keys() == _CLOCK_FACT_KEYS:
        clock, deadline, state = facts["clock"], facts["deadline"], facts["state"]
        accepted, refused = facts["extensions_accepted"], facts["extensions_refused"]
        days, workdays = facts["overdue_days"], facts["overdue_workdays"]
        ongoing, suspended = facts["ongoing"], facts["suspended"]
        if (
            type(clock) is str
            and type(deadline) is str
            and type(state) is str
            and type(accepted) is int  # not a bool, nor any other subclass
            and type(refused) is int
            and type(days) is int
            and type(workdays) is int
            and type(ongoing) is bool
            and type(suspended) is list
        ):
            return (
                f'{{"clock": {_S(clock)}, "deadline": {_S(deadline)}, '
                f'"extensions_accepted": {accepted}, "extensions_refused": {refused}, '
                f'"ongoing": {"true" if ongoing else "false"}, "overdue_days": {days}, '
                f'"overdue_workdays": {workdays}, "state": {_S(state)}, '
                f'"suspended": {compact(suspended) if suspended else "[]"}}}'
            )
    return compact(facts)


def _evidence_texts(events: list[Event]) -> tuple[str, str, str]:
    """The items of the three views of the evidence: the event ids, the sources object
    (by event id, as the encoder sorts keys; a repeated id keeps its last source, as the
    dict of `as_json` does) and the timeline."""
    ids: list[str] = []
    sources: dict[str, str] = {}  # event id -> its item of the sources object
    timeline: list[str] = []
    for e in events:
        eid = _S(e.event_id)
        ids.append(eid)
        file = e.file
        head = _FILE_HEADS.get(file) or _file_head(file)
        sources[e.event_id] = f'{eid}: {head}{e.line}"'
        # An instant's ISO text is ASCII digits and separators: nothing to escape.
        timeline.append(
            f'{{"activity": {_S(e.activity)}, "actor": {_S(e.actor)}, "event": {eid}, '
            f'"time": "{instant_text(e.time)}"}}'
        )
    if len(sources) < 2:  # one event, or none: nothing to sort
        items = ", ".join(sources.values())
    else:
        items = ", ".join([sources[k] for k in sorted(sources)])
    return ", ".join(ids), items, ", ".join(timeline)


# file -> the JSON text of a source line "file:line" up to the line number: `_S` escapes
# characters one by one, and ":" and digits need none. An audit reads a few files.
_FILE_HEADS: dict[str, str] = {}


def _file_head(file: str) -> str:
    if len(_FILE_HEADS) >= 1024:
        _FILE_HEADS.clear()
    head = _FILE_HEADS[file] = f"{_S(file)[:-1]}:"
    return head


def _explanation_text(steps: list[Step]) -> str:
    # Step.as_dict: step, text, then policy and event when set; sorted: event, policy, step,
    # text. A policy line and a step kind come from a small set: the text between them is
    # kept. One loop rather than a function per step: a finding has about eight.
    middles = _STEP_MIDDLES
    shared = _SHARED_TEXTS
    parts: list[str] = []
    for step in steps:
        event = step.event
        if event:
            middle = middles.get((step.policy, step.kind)) or _step_middle(step.policy, step.kind)
            parts.append(f'{{"event": {_S(event)}, {middle}{_S(step.text)}}}')
            continue
        hit = shared.get(id(step))  # a limit, deadline, grade or leader step: written once
        if hit is not None:
            parts.append(hit[1])
            continue
        middle = middles.get((step.policy, step.kind)) or _step_middle(step.policy, step.kind)
        text = f"{{{middle}{_S(step.text)}}}"
        if id(step) in SHARED_STEPS:
            if len(shared) >= 100_000:
                shared.clear()
            shared[id(step)] = (step, text)
        parts.append(text)
    return ", ".join(parts)


# id(step) -> (step, its text), for the steps engine.clock_explain.SHARED_STEPS names:
# tens of thousands of findings cite a few thousand of them. The step is held, so that
# its id stays its own while the entry lasts.
_SHARED_TEXTS: dict[int, tuple[Step, str]] = {}


# (policy line, step kind) -> the step's text between the event and the text.
_STEP_MIDDLES: dict[tuple[str, str], str] = {}


def _step_middle(policy: str, kind: str) -> str:
    if len(_STEP_MIDDLES) >= 4096:
        _STEP_MIDDLES.clear()
    middle = f'"policy": {_S(policy)}, ' if policy else ""
    middle = _STEP_MIDDLES[(policy, kind)] = f'{middle}"step": {_S(kind)}, "text": '
    return middle


def _subjects_text(subjects: list[Subject]) -> str:
    if len(subjects) != 1:
        return ", ".join(map(_subject_text, subjects))
    s = subjects[0]  # most findings name one subject, and an audit has few distinct ones
    key = (s.person, s.responsibility, s.unit, s.reason)
    text = _SUBJECT_TEXTS.get(key)
    if text is None:
        if len(_SUBJECT_TEXTS) >= 10_000:
            _SUBJECT_TEXTS.clear()
        text = _SUBJECT_TEXTS[key] = _subject_text(s)
    return text


# (person, responsibility, unit, reason) -> the subject's text: a few hundred people
# answer for tens of thousands of findings.
_SUBJECT_TEXTS: dict[tuple[str, str, str, str], str] = {}


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


# (label, ladder, lapse, policy id, version, source, lapse source) -> the text from
# "label" to the policy block without versions: what the findings of one lapse share (a
# few distinct values per audit, tens of thousands of findings).
_LAPSE_TEXTS: dict[tuple[str, str, str, str, str, str, str], str] = {}


def _lapse_text(f: Finding) -> str:
    """The keys label, ladder, lapse and policy (consecutive in sorted order)."""
    p = f.policy
    extra = f.extra
    lapse_source = extra.get("lapse_source", "")
    key = (f.label, f.ladder, f.lapse, p.id, p.version, p.source, lapse_source)
    head = _LAPSE_TEXTS.get(key)
    if head is None:
        if len(_LAPSE_TEXTS) >= 256:
            _LAPSE_TEXTS.clear()
        head = _LAPSE_TEXTS[key] = (
            f'"label": {_S(f.label)}, "ladder": {_S(f.ladder)}, "lapse": {_S(f.lapse)}, '
            f'"policy": {{"id": {compact(p.id)}, "lapse_source": {compact(lapse_source)}, '
            f'"source": {compact(p.source)}, "version": {compact(p.version)}'
        )
    if "versions" in extra:
        return f'{head}, "versions": {compact(extra["versions"])}}}'
    return head + "}"
