"""The fast XES scan (layouts learnt once, values checked once) reads what expat reads:
values XML would not give back as written go to expat, the mapping of a layout onto the
profile's fields maps every event as the mapping of each event would, and a share's blocks
are the whole file's traces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.loaders import Checks, load
from engine.loaders import xes as xes_module
from engine.loaders.result import ExportError, LoadResult, ShardingUnsupported
from engine.loaders.xes import read_xes
from engine.loaders.xes_expat import XesTrace
from engine.model import Event
from engine.profile import Profile, for_format, parse_profile


def _traces(path: str, **kw: Any) -> list[tuple[Any, ...]]:
    """The traces read (dict order too: attributes become quarantine columns in that
    order), and the error that ended the reading, if any."""
    out: list[tuple[Any, ...]] = []
    try:
        for t in read_xes(path, **kw):
            events = [(ln, list(d.items())) for ln, d in t.events]
            out.append((t.index, t.line, list(t.attrs.items()), events))
    except ExportError as exc:
        out.append(("error", str(exc)))
    return out


def _event(e: Event) -> tuple[Any, ...]:
    fields = (e.event_id, e.time, e.activity, e.actor, e.assignee, e.role, e.unit)
    return (*fields, list(e.attrs.items()), e.line, e.day_precision, e.seq)


def _shape(r: LoadResult) -> tuple[Any, ...]:
    cases = [
        (cid, list(c.attrs.items()), [_event(e) for e in c.events]) for cid, c in r.cases.items()
    ]
    quarantined = [(d, list(row.items())) for d, row in r.quarantined]
    return cases, r.defects, quarantined, r.rows_in


def _simple(case: str, when: str = "2020-01-01T00:00:00Z", **more: str) -> str:
    pairs = "".join(f'\t\t\t<string key="{k}" value="{v}"/>\n' for k, v in more.items())
    return (
        f'\t<trace>\n\t\t<string key="concept:name" value="{case}"/>\n\t\t<event>\n'
        f'\t\t\t<string key="concept:name" value="a"/>\n'
        f'\t\t\t<date key="time:timestamp" value="{when}"/>\n{pairs}\t\t</event>\n\t</trace>\n'
    )


# Each is read by the fast scan up to it and by expat from it, or by the fast scan alone
# when it is of the simple shape after all: the result must be expat's either way.
ODD_TRACES = [
    # XML reads a tab, LF or CR in an attribute value as a space
    _simple("T1", note="a\tb"),
    _simple("T2", note="a\nb"),
    _simple("T3", note="a\r\nb"),
    # characters XML does not allow at all: expat's error, at expat's line
    _simple("T4", note="a\x01b"),
    _simple("T5", note="a\uffffb"),
    # a character reference, markup-like text that XML allows
    _simple("T6", note="&#65;&lt;"),
    _simple("T7", note="x > y, it's"),
    # a trace attribute between events, a short one after them, a key given twice
    '\t<trace>\n\t\t<string key="concept:name" value="T8"/>\n\t\t<event>\n'
    '\t\t\t<string key="concept:name" value="a"/>\n'
    '\t\t\t<date key="time:timestamp" value="2020-01-01T00:00:00Z"/>\n'
    '\t\t\t<string key="k" value="1"/>\n\t\t\t<string key="k" value="2"/>\n\t\t</event>\n'
    '\t\t<int key="m" value="1"/>\n\t\t<event></event>\n\t\t<int key="z" value="9"/>\n\t</trace>\n',
    # an attribute on <trace>, an empty <event/>
    '\t<trace id="9">\n\t\t<string key="concept:name" value="T9"/>\n\t</trace>\n',
    "\t<trace>\n\t\t<event/>\n\t</trace>\n",
    # non-ASCII keys and values, empty values, all on one line
    '<trace><string key="concept:name" value="日本"/><event><string key="名" value=""/>'
    '<string key="concept:name" value="Café"/></event></trace>\n',
]


@pytest.mark.parametrize("where", range(len(ODD_TRACES)))
def test_fast_scan_agrees_with_expat_on_odd_text(write: Any, xes: Any, where: int) -> None:
    traces = [_simple("S1"), _simple("S2"), ODD_TRACES[where], _simple("S3")]
    path = write("odd.xes", xes.doc(*traces))
    fast, ref = _traces(path), _traces(path, reference=True)
    if ref[-1][0] == "error":  # the same error (expat, fed more at once, yields nothing first)
        assert fast[-1] == ref[-1]
    else:
        assert fast == ref


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_fast_scan_counts_lines_as_expat_does(write: Any, xes: Any, newline: str) -> None:
    text = xes.doc(_simple("A"), _simple("B", note="x")).decode("utf-8")
    path = write("nl.xes", text.replace("\n", newline).encode("utf-8"))
    assert _traces(path) == _traces(path, reference=True)
    second = text.index("<trace>", text.index("<trace>") + 1)
    assert _traces(path)[1][1] == text.count("\n", 0, second) + 1


def test_values_that_xml_rewrites_are_not_shared_by_blocks(
    write: Any, xes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a share cannot read them: expat, which cannot skip, must)
    monkeypatch.setattr(xes_module, "_CHUNK", 256)
    path = write(
        "tab.xes", xes.doc(*[_simple(f"C{i}") for i in range(600)], _simple("T", n="a\tb"))
    )
    with pytest.raises(ShardingUnsupported):
        for k in range(2):
            list(read_xes(path, blocks=(k, 2)))


def test_shares_read_the_whole_files_traces(
    write: Any, xes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the first 64 KiB are read at once; then a block is a trace or two)
    monkeypatch.setattr(xes_module, "_CHUNK", 300)
    traces = [_simple(f"C{i}", f"2020-01-{1 + i % 28:02d}T00:00:00Z", n=str(i)) for i in range(600)]
    traces[7] = traces[7].replace("\t</trace>", '\t\t<string key="late" value="1"/>\n\t</trace>')
    path = write("many.xes", xes.doc(*traces))
    whole = _traces(path)
    assert whole == _traces(path, reference=True)
    shares = [_traces(path, blocks=(k, 3)) for k in range(3)]
    assert all(shares)
    assert sorted(t for s in shares for t in s) == whole


def _profile(text: str) -> Profile:
    import tomllib

    return parse_profile(tomllib.loads(text), "p.toml", text)


PROFILES = [
    None,
    # several keys joined, a trace key as a field, renames that chain, others dropped
    _profile(
        '[fields]\ncase_id = "case:concept:name"\nactivity = "concept:name"\n'
        'time = "time:timestamp"\nactor = ["org:resource", "x"]\nrole = "case:kind"\n'
        'event_id = "identity:id"\n[event]\nothers = "drop"\n'
        'attributes = { amt = "amount", x = "y", lifecycle = "lifecycle:transition" }\n'
    ),
    # the case id from two trace keys, an event id from the trace, one key for two fields
    _profile(
        '[fields]\ncase_id = ["case:concept:name", "case:kind"]\nactivity = "concept:name"\n'
        'time = ["time:timestamp", "hour"]\nevent_id = "case:ref"\nrole = "org:role"\n'
        'unit = "org:role"\n[case]\nattributes = { k = "case:kind" }\n'
        '[event]\nattributes = { y = "x", x = "y" }\n'
    ),
    # an event id key the profile names (so it must be there)
    _profile(
        '[fields]\ncase_id = "case:concept:name"\nactivity = "concept:name"\n'
        'time = "time:timestamp"\nevent_id = "amount"\nassignee = "x"\n'
    ),
]


def _mixed_log(xes: Any) -> bytes:
    def ev(name: str, when: str, **more: str) -> str:
        return str(xes.ev(name, when, **more))

    # a key given twice; `lifecycle` given and renamed to as well (the renamed value wins,
    # in the given one's place)
    twice = xes.event(
        ("string", "concept:name", "b"),
        ("string", "lifecycle", "start"),
        ("string", "x", "1"),
        ("date", "time:timestamp", "2020-01-04T00:00:00Z"),
        ("string", "x", "2"),
        ("string", "lifecycle:transition", "complete"),
    )
    return bytes(
        xes.doc(
            xes.trace(
                "A",
                ev("a", "2020-01-01T00:00:00Z", amount="3", x="p", y="q", hour=""),
                ev("b", "2020-01-02T00:00:00Z", x="", y="r", amount="4"),
                ev("a", "2020-01-03T00:00:00Z", **{"identity:id": "i1", "org:role": "R"}),
                twice,
                extra='\t\t<string key="kind" value="K"/>\n\t\t<string key="ref" value="E"/>\n',
            ),
            xes.trace("B", ev("c", "bad", amount="3"), ev("a", "", x="p")),
            xes.trace("A", ev("a", "2020-01-05T00:00:00Z", **{"identity:id": "i1"})),
            xes.trace(None, ev("a", "2020-01-06T00:00:00Z", amount="", y="s")),
        )
    )


@pytest.mark.parametrize("which", range(len(PROFILES)))
def test_fast_and_expat_reads_load_alike(
    write: Any, xes: Any, monkeypatch: pytest.MonkeyPatch, which: int
) -> None:
    path = write("m.xes", _mixed_log(xes))
    checks = Checks(known_activities=frozenset({"a", "b"}))
    fast = load([path], profile=PROFILES[which], checks=checks)
    real_traces = xes_module._traces

    def by_expat(path: str, reference: bool, blocks: Any) -> Iterator[Any]:
        return real_traces(path, True, blocks)

    monkeypatch.setattr(xes_module, "_traces", by_expat)
    ref = load([path], profile=PROFILES[which], checks=checks)
    assert _shape(fast) == _shape(ref)
    assert fast.defects  # the log is meant to hold some


def _map_one(plan: Any, t: XesTrace, ei: int, d: dict[str, str]) -> tuple[Any, ...]:
    """What mapping one event does, key by key (which `_EventPlan` does once per layout)."""
    d = dict(d)
    tv = {
        c: " ".join(v for n in names if (v := t.attrs.get(n, "")))
        for c, names in plan.trace_keys.items()
    }
    case_id = tv.get("case_id", "")
    jv = {c: " ".join(v for n in names if (v := d.pop(n, ""))) for c, names in plan.joined.items()}
    fields = []
    for c in ("time", "activity", "actor", "assignee", "role", "unit"):
        key = plan.single.get(c)
        fields.append(d.pop(key, "") if key else jv.get(c, tv.get(c, "")))
    if plan.id_key is None:
        event_id = tv.get("event_id") or f"{case_id}/{ei}"
    else:
        given = d.pop(plan.id_key, None)
        event_id = given if given is not None else f"{case_id}/{ei}" if plan.id_optional else ""
    for src, name in plan.rename:
        x = d.pop(src, None)
        if x is not None:
            d[name] = x
    if not plan.keep:
        d = {k: v for k, v in d.items() if k in plan.renamed}
    return event_id, fields[1], *fields[2:], list({k: v for k, v in d.items() if v}.items())


@pytest.mark.parametrize("which", range(len(PROFILES)))
def test_layout_mapping_maps_as_each_event_would(write: Any, xes: Any, which: int) -> None:
    path = write("m.xes", _mixed_log(xes))
    profile = for_format(PROFILES[which], "xes")
    plan = xes_module._Plan(profile)
    want = {
        line: _map_one(plan, t, ei, d)
        for t in read_xes(path, reference=True)
        for ei, (line, d) in enumerate(t.events, 1)
    }
    r = load([path], profile=PROFILES[which], checks=Checks())
    got = {
        e.line: (e.event_id, e.activity, e.actor, e.assignee, e.role, e.unit, list(e.attrs.items()))
        for c in r.cases.values()
        for e in c.events
    }
    assert got and got == {line: want[line] for line in got}
    assert len(got) + len(r.quarantined) == len(want)


def test_a_real_log_has_few_layouts(real: Path) -> None:
    """The premise of the fast scan: a log has a handful of layouts, not one per event."""
    path = real / "road_fines" / "Road_Traffic_Fine_Management_Process.xes.gz"
    layouts = {id(lay) for t in xes_module._traces(str(path), False, (0, 4)) for _, lay, _ in t[3]}
    assert len(layouts) < 30
