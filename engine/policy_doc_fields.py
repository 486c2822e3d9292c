"""Words for IR fields that constructs gained after their first wording (`wenze doc`).

In: a construct (Clock, Limit, Extension, Policy …), one of its field values, and the
document's `Words` and `Names`. Out: text. The table is keyed by `Class.field` and every
value is read by attribute, never by importing its type, so a field renamed or not yet
present simply falls back to the generic listing of engine.policy_doc_phrases.
`INLINE` phrases continue their owner's sentence (a limit, an extension); `BLOCK` phrases
are paragraphs of their own under the owner (a clock, the policy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from engine.policy_doc_phrases import Names, Words

FieldPhrase = Callable[[Words, Any, Names, Any], str]  # (words, value, names, owner) -> text


def _many(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _restarts(w: Words, value: Any, n: Names, owner: Any) -> str:
    texts = []
    for r in _many(value):
        when = getattr(r, "when", None)
        activity = getattr(r, "activity", "")
        cond = w("restart.cond", cond=n.cond_at(activity, when)) if when is not None else ""
        note = getattr(r, "note", "")
        texts.append(
            w(
                "restart.text",
                cond=cond,
                activity=n.act(activity, quoted=False),
                note=w("clock.note", note=note) if note else "",
            )
        )
    return w("sep.sentence").join(texts)


def _deems(w: Words, value: Any, n: Names, owner: Any) -> str:
    stop = n.stops_of(getattr(owner, "name", ""))
    return w("sep.sentence").join(
        w("deem.text", stop=stop, activity=n.act(getattr(d, "activity", ""))) for d in _many(value)
    )


def _step_of(w: Words, value: Any, n: Names, owner: Any) -> str:
    return w("step_of.text", clock=n.clock(str(value)))


def _promised(w: Words, value: Any, n: Names, owner: Any) -> str:
    unit = w.unit(getattr(value, "unit", ""))
    attr = getattr(value, "attr", "")
    amount = (
        w("promised.attr", attr=attr, unit=w.unit_noun(getattr(value, "unit", "")))
        if attr
        else w("promised.amount", n=getattr(value, "amount", ""), unit=unit)
    )
    return w("promised.text", amount=amount)


def _amount_attr(w: Words, value: Any, n: Names, owner: Any) -> str:
    return w(
        "ext_attr.text",
        attr=value,
        n=getattr(owner, "amount", ""),
        unit=w.unit(getattr(owner, "unit", "")),
    )


def _notice(w: Words, value: Any, n: Names, owner: Any) -> str:
    return w(
        "notice.text",
        n=getattr(value, "amount", ""),
        unit=w.unit(getattr(value, "unit", "")),
        activity=n.act(getattr(value, "activity", ""), quoted=False),
    )


def _minutes(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def _calendar(w: Words, value: Any, n: Names, owner: Any) -> str:
    base = str(getattr(value, "base", ""))
    key = f"calendar.{base}"
    label = getattr(value, "label", "") or base
    parts = [
        w(
            key,
            label=label,
            first=getattr(value, "first_year", ""),
            last=getattr(value, "last_year", ""),
        )
        if w.has(key)
        else f"{label} ({base})"
    ]
    for field, words in (("rest", "calendar.rest"), ("work", "calendar.work")):
        days = getattr(value, field, ())
        if days:
            listed = w("list.sep").join(f"{d.isoformat()} {name}".strip() for d, name in days)
            parts.append(w(words, days=listed))
    hours = getattr(value, "office_hours", ())
    if hours:
        spans = w("list.sep").join(f"{_minutes(a)}–{_minutes(b)}" for a, b in hours)
        parts.append(w("calendar.hours", hours=spans))
    zone = getattr(value, "zone", "")
    if zone:
        parts.append(w("calendar.zone", zone=zone))
    return w("calendar.sep").join(parts) + w("summary.end")


INLINE: dict[str, FieldPhrase] = {
    "Limit.promised": _promised,
    "Extension.amount_attr": _amount_attr,
    "Extension.notice": _notice,
}
BLOCK: dict[str, tuple[str, FieldPhrase]] = {
    "Clock.restarts": ("restart.label", _restarts),
    "Clock.deems": ("deem.label", _deems),
    "Clock.step_of": ("step_of.label", _step_of),
    "Policy.calendar": ("calendar.label", _calendar),
}
WORDED = frozenset(INLINE) | frozenset(BLOCK)


def _fields(obj: Any, table: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(`Class.field`, value) of the fields of `obj` the table words and that hold a value."""
    names = [c.__name__ for c in type(obj).__mro__]
    for key in table:
        cls, _, name = key.partition(".")
        value = getattr(obj, name, None)
        if cls in names and value not in (None, "", (), False):
            yield key, value


def inline(w: Words, obj: Any, n: Names) -> str:
    return "".join(INLINE[key](w, value, n, obj) for key, value in _fields(obj, INLINE))


def blocks(w: Words, obj: Any, n: Names) -> Iterator[tuple[str, str]]:
    """(label, text) paragraphs for the block-worded fields of `obj`."""
    for key, value in _fields(obj, BLOCK):
        label, phrase = BLOCK[key]
        yield w(label), phrase(w, value, n, obj)
