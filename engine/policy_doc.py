"""`wenze doc`: a compiled policy as a document for publication before it applies (规则在先).

In: one or more compiled `Policy` values (several versions of one policy id give a
version history), the language ("zh" or "en") and optionally the day whose version to
state. Out: a `Document` — headings, paragraphs, lists and tables in plain words, rendered
to Markdown or HTML by `engine.policy_doc_render`. Everything is worded from the IR through
the tables in `engine.policy_doc_words`; a construct those tables do not know yet is listed
generically (`engine.policy_doc_phrases`), never dropped and never a crash, so a reader of the
document can predict every finding the engine makes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from engine.ir import (
    Clock,
    Extension,
    ForEachKind,
    Grading,
    Lapse,
    Limit,
    Policy,
    SubjectKind,
    SubjectRule,
    Suspension,
)
from engine.policy_doc_fields import WORDED, blocks, inline
from engine.policy_doc_phrases import (
    Words,
    calculation_rules,
    condition,
    extras,
    phrase,
    reference,
)

# --------------------------------------------------------------------- document model


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str
    label: str = ""  # shown in bold before the text


@dataclass(frozen=True)
class Items:
    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Para | Items | Table


@dataclass(frozen=True)
class Document:
    title: str
    lang: str
    blocks: tuple[Block, ...]


# --------------------------------------------------------------------- entry point


def document(policies: Sequence[Policy], lang: str = "zh", at: date | None = None) -> Document:
    """The document of every policy id among `policies`, in order of first appearance."""
    if lang not in ("zh", "en"):
        raise ValueError(f"unknown language {lang!r}")
    ids = list(dict.fromkeys(p.id for p in policies))
    blocks: list[Block] = []
    for pid in ids:
        versions = sorted((p for p in policies if p.id == pid), key=lambda p: p.effective)
        blocks += _Writer(Words(lang), _chosen(versions, at), versions).blocks()
    title = next((b.text for b in blocks if isinstance(b, Heading)), "")
    return Document(title, lang, tuple(blocks))


def _chosen(versions: list[Policy], at: date | None) -> Policy:
    """The version in force on `at` (the latest one when no day is given)."""
    if at is None:
        return versions[-1]
    in_force = [p for p in versions if p.effective <= at]
    return in_force[-1] if in_force else versions[0]


class _Writer:
    def __init__(self, w: Words, policy: Policy, versions: list[Policy]) -> None:
        self.w, self.p, self.versions = w, policy, versions
        self._event = ""  # the activity whose event bare attributes read, while wording it

    def blocks(self) -> list[Block]:
        out: list[Block] = [Heading(1, self.p.title)]
        out += self._head()
        sections = (
            ("doc.clocks", self._clocks),
            ("doc.lapses", self._lapses),
            ("doc.ladders", self._ladders),
            ("doc.rules", self._rules),
            ("doc.activities", self._activities),
        )
        for key, part in sections:
            body = list(part())
            if body:
                out += [Heading(2, self.w(key)), *body]
        return out

    # ------------------------------------------------------------------ header
    def _head(self) -> Iterator[Block]:
        w, p = self.w, self.p
        when = w("doc.effective_line", date=_day(p.effective, w.lang))
        if p.effective_until is not None:
            when += w("doc.until_line", date=_day(p.effective_until, w.lang))
        yield Para(f"{w('doc.policy_id')} {p.id} · {w('doc.version')} {p.version} · {when}")
        if p.source:
            yield Para(p.source, w("doc.source"))
        yield Para(w("doc.intro"))
        if len(self.versions) > 1:
            yield Heading(2, w("doc.history"))
            yield Table(
                (w("doc.version"), w("doc.effective"), w("doc.until"), w("doc.source")),
                tuple(
                    (
                        v.version,
                        v.effective.isoformat(),
                        v.effective_until.isoformat() if v.effective_until else w("doc.open"),
                        v.source,
                    )
                    for v in self.versions
                ),
            )
            yield Para(w("doc.history_note") + w("doc.rendered_version", version=p.version))
        if p.pursuable_months:
            yield Para(w("doc.time_bar", n=p.pursuable_months))
        if p.version_by:
            yield Para(w("doc.version_by", activity=self.act(p.version_by)))
        yield from self._generic(p)

    # ------------------------------------------------------------------ clocks
    def _clocks(self) -> Iterator[Block]:
        for c in self.p.clocks:
            yield Heading(3, self.w("clock.heading", label=c.label))
            if c.source:
                yield Para(c.source, self.w("doc.source"))
            yield Para(self._summary(c), self.w("clock.summary"))
            yield from self._clock_detail(c)

    def _summary(self, c: Clock) -> str:
        """The limit in one or two sentences, as a statute would put it."""
        w = self.w
        single = len(c.starts) == 1
        start = self.act(c.starts[0].activity, quoted=False) if single else w("summary.start_multi")
        stop = w("or").join(self.act(s, quoted=False) for s in c.stops)
        parts = []
        for lim in c.limits:
            conds = (
                [self.cond_at(c.starts[0].activity, c.starts[0].when)]
                if (single and c.starts[0].when is not None)
                else []
            )
            conds += [self.cond(lim.when)] if lim.when is not None else []
            cond = w("summary.cond", cond=w("cond.and").join(conds)) if conds else ""
            text = w(
                "summary.limit_hours" if _in_hours(lim.unit) else "summary.limit",
                cond=cond,
                start=start,
                n=lim.amount,
                unit=w.unit(lim.unit),
                stop=stop,
            )
            for x in lim.extensions:
                text += w(
                    "summary.extend",
                    role=x.role,
                    n=x.amount,
                    unit=w.unit(x.unit),
                    times=self._times(x),
                )
            parts.append(text)
        sentence = w("summary.join").join(parts) + w("summary.end")
        if c.suspensions:
            names = w("list.sep").join(self._span(s, True) for s in c.suspensions)
            sentence += w("summary.suspend", names=names)
        return sentence

    def _clock_detail(self, c: Clock) -> Iterator[Block]:
        w = self.w
        hours = bool(c.limits) and all(_in_hours(lim.unit) for lim in c.limits)
        starts = [self._start(t.activity, t.when, t.note, hours) for t in c.starts]
        if len(starts) == 1:
            yield Para(starts[0], w("clock.starts"))
        else:
            yield Para("", w("clock.starts_alt"))
            yield Items(tuple(starts), ordered=True)
        limits = [self._limit(lim) for lim in c.limits]
        if len(limits) == 1 and c.limits[0].when is None:
            yield Para(limits[0], w("clock.limits"))
        else:
            yield Para("", w("clock.limits_alt"))
            yield Items(tuple(limits), ordered=True)
            if all(lim.when is not None for lim in c.limits):
                yield Para(w("clock.no_limit"))
        if c.suspensions:
            spans = w("list.sep").join(self._span(s, False) for s in c.suspensions)
            yield Para(w("clock.suspend_text", spans=spans), w("clock.suspend"))
        stops = w("or").join(self.act(s, quoted=False) for s in c.stops)
        yield Para(
            w("clock.stop_text", stops=stops) if len(c.stops) > 1 else stops, w("clock.stop")
        )
        for obj in (
            c,
            *c.starts,
            *c.suspensions,
            *c.limits,
            *(x for lim in c.limits for x in lim.extensions),
        ):
            yield from self._generic(obj)

    def _start(self, activity: str, when: object, note: str, hours: bool) -> str:
        w = self.w
        act = self.act(activity, quoted=False)
        # Hour limits run from the moment of the event, day limits from its day.
        suffix = "_hours" if hours else ""
        text = (
            w("clock.start_one" + suffix, activity=act)
            if when is None
            else w("clock.start_cond" + suffix, cond=self.cond_at(activity, when), activity=act)
        )
        return text + (w("clock.note", note=note) if note else "")

    def _limit(self, lim: Limit) -> str:
        w = self.w
        key = "limit.plain" if lim.when is None else "limit.cond"
        cond = self.cond(lim.when) if lim.when is not None else ""
        text = w(key, cond=cond, n=lim.amount, unit=w.unit(lim.unit))
        if lim.rollover:
            text += w("limit.rollover")
        for x in lim.extensions:
            text += w(
                "limit.extend",
                role=x.role,
                activity=self.act(x.activity, quoted=False),
                n=x.amount,
                unit=w.unit(x.unit),
                times=self._times(x),
            )
            text += inline(w, x, self)
        return text + inline(w, lim, self)

    def _times(self, x: Extension) -> str:
        return self.w("times.once") if x.max_times == 1 else self.w("times.many", n=x.max_times)

    def _span(self, s: Suspension, short: bool) -> str:
        """`听证开始`…`听证结束` reads as 听证; anything else as 自A至B, with the conditions
        on either event when the suspension has them."""
        start, end = s.start_activity, s.end_activity
        a, b = self.p.activities.get(start, start), self.p.activities.get(end, end)
        start_when, end_when = getattr(s, "start_when", None), getattr(s, "end_when", None)
        also = tuple(getattr(s, "also_ends", ()))  # further activities that end it
        plain = start_when is None and end_when is None and not also
        if plain and a.endswith("开始") and b.endswith("结束") and a[:-2] == b[:-2] and a[:-2]:
            return a[:-2]
        if plain and short:
            return self.w("clock.span", start=a, end=b)
        ends = [self._end_of_span(end, end_when), *(self.act(x, quoted=False) for x in also)]
        return self.w(
            "clock.span", start=self._end_of_span(start, start_when), end=self.w("or").join(ends)
        )

    def _end_of_span(self, activity: str, when: object) -> str:
        label = self.act(activity, quoted=False)
        if when is None:
            return label
        # The event is named right before its condition: "状态为“挂起”", not its name again.
        return self.w("span.when", activity=label, cond=self.cond_at(_BARE, when))

    # ------------------------------------------------------------------ lapses
    def _lapses(self) -> Iterator[Block]:
        w = self.w
        for lap in self.p.lapses:
            yield Heading(3, w("lapse.heading", label=lap.label))
            yield Para(w("lapse.meta", id=lap.id, category=lap.category))
            if lap.source:
                yield Para(lap.source, w("doc.source"))
            yield Para(self._when(lap), w("lapse.when"))
            who = [self._who(r, lap) for r in lap.subjects]
            yield Para(w("sep.sentence").join([*who, w("lapse.nobody")]), w("lapse.who"))
            yield from self._grading(lap.grading)
            for obj in (lap, lap.grading, *lap.subjects):
                yield from self._generic(obj)

    def _when(self, lap: Lapse) -> str:
        w, fe = self.w, lap.for_each
        if fe is None:
            return (
                w("lapse.always")
                if lap.condition is None
                else w("lapse.case", cond=self.cond(lap.condition))
            )
        cond = ""
        if lap.condition is not None:
            at = fe.target if fe.kind is ForEachKind.EVENT else ""
            cond = w("lapse.each_cond", cond=self.cond_at(at, lap.condition))
        if fe.kind is ForEachKind.EVENT:
            return w("lapse.each_event", activity=self.act(fe.target), cond=cond)
        if fe.kind is ForEachKind.REFUSED_EXTENSION:
            return w("lapse.each_refused", clock=self.clock(fe.target), cond=cond)
        return phrase(w, fe) + cond  # a new kind of `for each`: stated as the IR has it

    def _who(self, r: SubjectRule, lap: Lapse) -> str:
        w = self.w
        resp = w.resp(r.responsibility.value)
        kind = r.kind.value
        if r.kind is SubjectKind.HOLDER_AT_DEADLINE:
            custody = w("or").join(self.act(a, quoted=False) for a in self.p.custody)
            key = "who.holder_at_deadline" if custody else "who.holder_no_custody"
            return w(key, clock=self.clock(r.target), resp=resp, custody=custody)
        if (
            r.kind is SubjectKind.ACTOR_OF_IT
            and lap.for_each is not None
            and (lap.for_each.kind is ForEachKind.REFUSED_EXTENSION)
        ):
            return w("who.actor_of_refused", resp=resp)
        target = (
            lap.for_each.target if r.kind is SubjectKind.ACTOR_OF_IT and lap.for_each else r.target
        )
        unit = r.target or w("who.unit_of_direct")
        if w.has(f"who.{kind}"):
            return w(
                f"who.{kind}", activity=self.act(target) if target else "", unit=unit, resp=resp
            )
        return w("who.generic", kind=kind, target=r.target, resp=resp)

    def _grading(self, g: Grading) -> Iterator[Block]:
        w = self.w
        ladder = self._ladder_label(g.ladder)
        if g.measure is None or not g.bands:
            yield Para(w("lapse.fixed", level=g.fixed or "", ladder=ladder), w("lapse.grade"))
        else:
            measure = self.ref(g.measure)
            yield Para(w("lapse.by", measure=measure, ladder=ladder), w("lapse.grade"))
            # Values no band covers are rows too: such a finding is recorded without a
            # measure, and the reader should see that, not guess it.
            spans = [(b.low, b.high, b.level) for b in g.bands]
            spans += [(lo, hi, w("lapse.outside_level")) for lo, hi in _uncovered(g)]
            rows = [(self._band(lo, hi), level) for lo, hi, level in sorted(spans, key=_low)]
            yield Table((w("lapse.band_col", measure=measure), w("lapse.level_col")), tuple(rows))
        mods = [self._modifier(m) for m in getattr(g, "modifiers", ())]
        if mods:
            yield Para(w("mod.intro"))
            yield Items(tuple(mods), ordered=True)

    def _band(self, low: int, high: int | None) -> str:
        if high is None:
            return self.w("band.open", low=low)
        return (
            self.w("band.one", low=low) if low == high else self.w("band.range", low=low, high=high)
        )

    def _modifier(self, m: object) -> str:
        w = self.w
        conds: list[str] = []
        when = getattr(m, "when", None)
        if when is not None:
            conds.append(self.cond(when))
        repeat = getattr(m, "repeat", None)
        if repeat is not None:
            category = getattr(repeat, "category", "") or w("mod.repeat_same")
            conds.append(w("mod.repeat", n=getattr(repeat, "months", "?"), category=category))
        if getattr(m, "during_sanction", False):
            conds.append(w("mod.sanction"))
        kind = getattr(getattr(m, "kind", None), "value", "")
        cond = w("cond.or").join(conds) or w("mod.always")
        key = f"mod.{kind}" if w.has(f"mod.{kind}") else "mod.generic"
        text = w(key, cond=cond, n=getattr(m, "levels", ""), kind=kind)
        source = getattr(m, "source", "")
        return text + (w("mod.source", source=source) if source else "") + w("summary.end")

    # ------------------------------------------------------------------ ladders, rules
    def _ladders(self) -> Iterator[Block]:
        w = self.w
        for lad in self.p.ladders:
            yield Heading(3, lad.label)
            yield Para(w("ladder.levels", levels=" < ".join(lad.levels)))
            if lad.source:
                yield Para(w("ladder.source", source=lad.source))

    def _rules(self) -> Iterator[Block]:
        rules = calculation_rules(self.p)
        custody = self.w("list.sep").join(self.act(a, quoted=False) for a in self.p.custody)
        if rules:
            yield Items(tuple(self.w(k, custody=custody) for k in rules), ordered=True)

    def _activities(self) -> Iterator[Block]:
        w = self.w
        rows = tuple(
            (name, label, w("act.custody") if name in self.p.custody else "")
            for name, label in self.p.activities.items()
        )
        if rows:
            yield Table((w("act.name"), w("act.label"), w("act.note")), rows)

    # ------------------------------------------------------------------ words
    def act(self, name: str, quoted: bool = True) -> str:
        label = self.p.activities.get(name, name)
        return (
            f"「{label}」"
            if quoted and self.w.lang == "zh"
            else (f"“{label}”" if quoted else label)
        )

    def clock(self, name: str) -> str:
        label = next((c.label for c in self.p.clocks if c.name == name), name)
        return f"「{label}」" if self.w.lang == "zh" else f"“{label}”"

    def _ladder_label(self, name: str) -> str:
        return next((lad.label for lad in self.p.ladders if lad.name == name), name)

    def cond(self, expr: object) -> str:
        return condition(self.w, expr, self)

    def cond_at(self, activity: str, expr: object) -> str:
        """A condition that may read the attributes of an event of `activity`."""
        self._event = activity
        try:
            return self.cond(expr)
        finally:
            self._event = ""

    def event(self) -> str:
        if self._event == _BARE:
            return ""
        if not self._event:
            return self.w("ref.this_event")
        return self.act(self._event, quoted=False)

    def ref(self, ref: object) -> str:
        return reference(self.w, ref, self)

    def stops_of(self, clock: str) -> str:
        c = next((c for c in self.p.clocks if c.name == clock), None)
        stops = c.stops if c is not None else ()
        return self.w("or").join(self.act(s, quoted=False) for s in stops) or "?"

    def _generic(self, obj: object) -> Iterator[Block]:
        """Paragraphs for fields worded by engine.policy_doc_fields, then a marked listing
        of any field nothing words yet."""
        for label, text in blocks(self.w, obj, self):
            yield Para(text, label)
        for text in extras(self.w, obj, self, WORDED):
            yield Para(self.w("generic.note", text=text))


def _uncovered(g: Grading) -> list[tuple[int, int | None]]:
    """The measure values (≥ 0: days, counts) no band covers, as (low, high) spans."""
    out: list[tuple[int, int | None]] = []
    value = 0
    for b in sorted(g.bands, key=lambda b: b.low):
        if b.low > value:
            out.append((value, b.low - 1))
        if b.high is None:
            return out
        value = max(value, b.high + 1)
    return [*out, (value, None)]


def _low(span: tuple[int, int | None, str]) -> int:
    return span[0]


_BARE = "\x00"  # cond_at(_BARE, …): attributes of the event just named, without its name


def _in_hours(unit: object) -> bool:
    return bool(getattr(unit, "is_hours", False))


def _day(d: date, lang: str) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()
