"""Compile a checked policy to the engine's IR.

In: a `CheckedPolicy` (only `dsl.checker.check` makes one, so every name resolves and
every type fits). Out: an `engine.ir.Policy`, plain frozen data. Every construct gets a
`PolicyRef` (file, line, column) so that findings can cite the rule text. Comparisons
are normalised to `ref OP value`; `absent A` becomes `Not(Exists(A))`.
"""

from __future__ import annotations

import dataclasses

from dsl import ast
from dsl.checker import (
    CLOCK_PROPERTIES,
    RESPONSIBILITIES,
    UNITS,
    CheckedPolicy,
)
from dsl.checker_accountability import months_of
from engine import ir

_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_SUBJECT_KIND = {"first": ir.SubjectKind.ACTOR_OF_FIRST, "last": ir.SubjectKind.ACTOR_OF_LAST}


class _Compiler:
    def __init__(self, file: str) -> None:
        self.file = file

    def at(self, span: ast.Span) -> ir.PolicyRef:
        return ir.PolicyRef(self.file, span.line, span.col)

    # --------------------------------------------------------------- conditions
    def ref(self, r: ast.RefNode) -> ir.Ref:
        match r:
            case ast.PropRef(owner=owner, prop=prop):
                return ir.ClockRef(owner.text, CLOCK_PROPERTIES[prop.text])
            case ast.CaseRef(name=name, numeric=numeric):
                return ir.CaseAttrRef(name.text, numeric)
            case ast.CountRef(activity=act):
                return ir.CountRef(act.text)
            case ast.IndexRef():
                return ir.EventIndexRef()
            case ast.NameRef(name=name, numeric=numeric):
                return ir.EventAttrRef(name.text, numeric)

    def cond(self, c: ast.CondNode) -> ir.Expr:
        match c:
            case ast.OrNode(operands=ops):
                return ir.Or(tuple(self.cond(o) for o in ops))
            case ast.AndNode(operands=ops):
                return ir.And(tuple(self.cond(o) for o in ops))
            case ast.NotNode(operand=o):
                return ir.Not(self.cond(o))
            case ast.ExistsNode(activity=act, negated=negated):
                exists = ir.Exists(act.text)
                return ir.Not(exists) if negated else exists
            case ast.TruthNode(ref=r):
                return ir.Truth(self.ref(r))
            case ast.CompareNode(op=op, left=left, right=right):
                if isinstance(left, ast.Literal) and not isinstance(right, ast.Literal):
                    op, left, right = _FLIPPED[op], right, left
                assert isinstance(right, ast.Literal) and not isinstance(left, ast.Literal)
                return ir.Compare(ir.CompareOp(op), self.ref(left), ir.Const(right.value))

    def opt_cond(self, c: ast.CondNode | None) -> ir.Expr | None:
        return None if c is None else self.cond(c)

    # ------------------------------------------------------------------- clocks
    def clock(self, d: ast.ClockDecl) -> ir.Clock:
        starts: list[ir.StartTrigger] = []
        restarts: list[ir.Restart] = []
        stops: list[str] = []
        suspensions: list[ir.Suspension] = []
        limits: list[ir.Limit] = []
        deems: list[ir.Deem] = []
        for s in d.body:
            match s:
                case ast.StartStmt():
                    note = s.note.value if s.note is not None else ""
                    when = self.opt_cond(s.when)
                    starts.append(ir.StartTrigger(s.activity.text, when, self.at(s.span), note))
                case ast.RestartStmt():
                    note = s.note.value if s.note is not None else ""
                    when = self.opt_cond(s.when)
                    restarts.append(ir.Restart(s.activity.text, when, self.at(s.span), note))
                case ast.StopStmt():
                    stops += [a.text for a in s.activities if a.text not in stops]
                case ast.SuspendStmt():
                    sus = ir.Suspension(
                        s.start.text,
                        s.end.text,
                        self.at(s.span),
                        self.opt_cond(s.start_when),
                        self.opt_cond(s.end_when),
                        tuple(x.text for x in s.more_ends),
                    )
                    suspensions.append(sus)
                case ast.LimitStmt():
                    limits.append(self.limit(s))
                case ast.DeemStmt():
                    deems.append(ir.Deem(s.activity.text, self.at(s.span)))
        source = d.source.value if d.source is not None else ""
        return ir.Clock(
            d.name.text,
            d.label.value,
            tuple(starts),
            tuple(stops),
            tuple(suspensions),
            tuple(limits),
            self.at(d.span),
            source,
            restarts=tuple(restarts),
            deems=tuple(deems),
            step_of=d.step_of.text if d.step_of is not None else "",
        )

    def extension(self, e: ast.ExtendStmt) -> ir.Extension:
        notice = None
        if e.notice is not None:
            n = e.notice
            notice = ir.NoticeRule(n.activity.text, n.amount, UNITS[n.unit.text], self.at(n.span))
        return ir.Extension(
            e.amount,
            UNITS[e.unit.text],
            e.max_times,
            e.activity.text,
            e.role.text,
            self.at(e.span),
            before_deadline=True,  # the grammar requires `before deadline`
            amount_attr=e.amount_attr.text if e.amount_attr is not None else "",
            notice=notice,
        )

    def limit(self, s: ast.LimitStmt) -> ir.Limit:
        exts = tuple(self.extension(e) for e in s.extensions)
        promised = None
        if s.promised is not None:
            p = s.promised
            attr = p.attr.text if p.attr is not None else ""
            promised = ir.Promised(p.amount, attr, UNITS[p.unit.text], self.at(p.span))
        return ir.Limit(
            s.amount,
            UNITS[s.unit.text],
            self.opt_cond(s.when),
            exts,
            self.at(s.span),
            s.rollover,
            promised,
        )

    def calendar(self, d: ast.CalendarDecl) -> ir.CalendarSpec:
        days = [s for s in d.body if isinstance(s, ast.CalendarDay)]
        office = tuple(
            (t.start[0] * 60 + t.start[1], t.end[0] * 60 + t.end[1])
            for s in d.body
            if isinstance(s, ast.OfficeHoursStmt)
            for t in s.spans
        )
        first, last = d.covers if d.covers is not None else (0, 0)
        return ir.CalendarSpec(
            base=d.kind.text,
            label=d.label.value if d.label is not None else "",
            zone=d.zone.value if d.zone is not None else "",
            first_year=first,
            last_year=last,
            rest=tuple((x.day, x.label.value) for x in days if x.rest),
            work=tuple((x.day, x.label.value) for x in days if not x.rest),
            office_hours=office or ir.DEFAULT_OFFICE_HOURS,
            ref=self.at(d.span),
        )

    # ------------------------------------------------------------------- lapses
    def subject(self, r: ast.ResponsibleStmt) -> ir.SubjectRule:
        resp = RESPONSIBILITIES[r.responsibility.text]
        match r.subject:
            case ast.HolderAt(clock=clock):
                kind, target = ir.SubjectKind.HOLDER_AT_DEADLINE, clock.text
            case ast.ActorOf(which=which, activity=act):
                kind, target = _SUBJECT_KIND[which], act.text
            case ast.ActorOfIt():
                kind, target = ir.SubjectKind.ACTOR_OF_IT, ""
            case ast.LeaderOf(role=role, unit=unit):
                kind = (
                    ir.SubjectKind.PRINCIPAL_OF_UNIT
                    if role == "principal"
                    else ir.SubjectKind.DEPUTY_OF_UNIT
                )
                target = unit.value if unit is not None else ""
            case ast.VotersOf(activity=act):
                kind, target = ir.SubjectKind.VOTERS_OF, act.text
        return ir.SubjectRule(resp, kind, target, self.at(r.span))

    def modifier(self, m: ast.ModifierStmt) -> ir.Modifier:
        repeat = None
        if m.repeat_unit is not None:
            category = m.repeat_category.text if m.repeat_category is not None else ""
            repeat = ir.RepeatRule(months_of(m.repeat_within, m.repeat_unit.text), category)
        return ir.Modifier(
            ir.ModifierKind(m.kind),
            m.levels,
            self.opt_cond(m.cond),
            repeat,
            m.during_sanction,
            m.source.value if m.source is not None else "",
            self.at(m.span),
        )

    def grading(self, g: ast.GradeStmt) -> ir.Grading:
        measure = self.ref(g.measure) if g.measure is not None else None
        bands = tuple(ir.Band(b.low, b.high, b.level.text, self.at(b.span)) for b in g.bands)
        fixed = g.fixed.text if g.fixed is not None else None
        return ir.Grading(g.ladder.text, measure, bands, fixed, self.at(g.span))

    def lapse(self, d: ast.LapseDecl) -> ir.Lapse:
        for_each: ir.ForEach | None = None
        cond: ast.CondNode | None = None
        subjects: list[ir.SubjectRule] = []
        grading: ir.Grading | None = None
        holder_clock = ""
        for s in d.body:
            match s:
                case ast.ForEachStmt(activity=act, when=when):
                    for_each, cond = ir.ForEach(ir.ForEachKind.EVENT, act.text), when
                case ast.ForEachRefusedStmt(clock=clock, when=when):
                    kind = ir.ForEachKind.REFUSED_EXTENSION
                    for_each, cond = ir.ForEach(kind, clock.text), when
                case ast.WhenStmt(cond=when):
                    cond = when
                case ast.ResponsibleStmt():
                    subjects.append(self.subject(s))
                    if isinstance(s.subject, ast.HolderAt) and not holder_clock:
                        holder_clock = s.subject.clock.text
                case ast.GradeStmt():
                    grading = self.grading(s)
        assert grading is not None, "the checker guarantees one grade"
        modifiers = tuple(self.modifier(s) for s in d.body if isinstance(s, ast.ModifierStmt))
        if modifiers:
            grading = dataclasses.replace(grading, modifiers=modifiers)
        anchor = ""
        if for_each is None:
            anchor = _anchor(grading, holder_clock, cond)
        source = d.source.value if d.source is not None else ""
        return ir.Lapse(
            d.id.text,
            d.label.value,
            d.category.text,
            for_each,
            self.opt_cond(cond),
            tuple(subjects),
            grading,
            source,
            self.at(d.span),
            anchor,
        )


def _anchor(grading: ir.Grading, holder_clock: str, cond: ast.CondNode | None) -> str:
    """The clock a case-level lapse hangs on: the one its measure or its `holder at`
    reads, else the first one its condition reads."""
    if isinstance(grading.measure, ir.ClockRef):
        return grading.measure.clock
    if holder_clock:
        return holder_clock
    first = next(ast.clocks_read(cond), None) if cond is not None else None
    return first.text if first is not None else ""


def compile_policy(checked: CheckedPolicy) -> ir.Policy:
    """The IR of a checked policy."""
    tree, sym = checked.tree, checked.symbols
    c = _Compiler(tree.file)
    head = next(i for i in tree.items if isinstance(i, ast.PolicyDecl))
    version = next(i for i in tree.items if isinstance(i, ast.VersionDecl))
    source = next((i.text.value for i in tree.items if isinstance(i, ast.SourceDecl)), "")
    custody: list[str] = []
    for item in tree.items:
        if isinstance(item, ast.CustodyDecl):
            custody += [a.text for a in item.activities if a.text not in custody]
    ladders = tuple(
        ir.Ladder(
            d.name.text,
            d.label.value,
            tuple(lv.text for lv in d.levels),
            d.source.value if d.source is not None else "",
            c.at(d.span),
        )
        for d in sym.ladders.values()
    )
    return ir.Policy(
        id=head.id.text,
        title=head.title.value,
        version=version.version.value,
        effective=version.effective,
        source=source,
        activities={name: d.label.value for name, d in sym.activities.items()},
        custody=tuple(custody),
        ladders=ladders,
        clocks=tuple(c.clock(d) for d in sym.clocks.values()),
        lapses=tuple(c.lapse(d) for d in sym.lapses.values()),
        file=tree.file,
        text_sha256=tree.text_sha256,
        calendar=next((c.calendar(i) for i in tree.items if isinstance(i, ast.CalendarDecl)), None),
        effective_until=version.until,
        pursuable_months=next(
            (
                months_of(i.amount, i.unit.text)
                for i in tree.items
                if isinstance(i, ast.PursuableDecl)
            ),
            None,
        ),
        version_by=next(
            (i.activity.text for i in tree.items if isinstance(i, ast.VersionedByDecl)), ""
        ),
    )
