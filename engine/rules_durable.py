"""The rule stage: match compiled lapse conditions against derived facts with durable_rules.

In: `RuleSpec`s, `field_of` (ref -> fact field) and, per case, a few flat facts
(`{"id", "t": "c"|"e", "case", "l" (e only), "f0": v, …}`; values int, bool or str).
Out: the sorted (rule name, fact id) pairs whose condition holds, plus `MatchStats`
(blocks, facts, worker restarts, cases re-run, engine errors per case).

This is the ONE module that touches durable_rules 2.0.28, and it owns every workaround
for its defects (numbers as in shared/DURABLE_RULES.md; docs/rule-stage.md explains):

1  one live state at a time; a state holds one block of up to `block_size` cases.
2  no joins: every rule is a single alpha term (`rule_json.definition_of`).
3  a state is released only by the end-of-block marker fact whose action calls
   `c.delete_state()`; release is verified with `get_state` (must answer 309).
4  `_FencedHost._run` does nothing: no background dispatch or timer threads.
5  no `none()` at all; absences arrive as count fields (`Exists` is `count > 0`).
6  ids are block positions 1..n (their 32-bit FNV hashes are distinct up to
   `MAX_BLOCK_FACTS`), and the block's sid is chosen so the state fact's id hash
   collides with none of them.
7  facts (`assert_facts`), never events; every fact carries its id.
8  facts are pre-filtered to the (t, l) pairs and fields the ruleset reads; the
   native batch call is made directly so an unmatched fact ("not handled") does not
   turn the whole batch into an exception with deferred actions.
9  values are encoded by `rule_json.encode_value` (hex strings, int64 ints).
10 rulesets are registered once per process under version-suffixed unique names.
11 every action body is wrapped; an exception becomes a recorded block error.
12 durable runs in a separate worker process (spawn); one state per call.
13 durable is imported by module, never `from durable.lang import *`.
Not numbered there: the native alpha walk keeps matched nodes on a 64-entry stack
(error 303); a ruleset that overflows it is split in two and the block re-run.

A native crash kills only the worker: it is restarted and the block re-run; a block
that kills it twice is re-run case by case; a case that still kills it is reported in
`stats.engine_errors` (the caller evaluates it with the Python evaluator instead).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import re
import signal
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any, Final, TypeAlias

import durable.engine

from engine.ir import Ref
from engine.rule_json import (
    MARKER_RULE,
    MARKER_TYPE,
    RULE_CAP,
    JsonDict,
    RuleSpec,
    definition_of,
    encode_value,
    rule_entries,
)

__all__ = [
    "DurableMatcher",
    "FaultHooks",
    "MatchStats",
    "RuleSpec",
    "match_in_process",
]

RULESET_VERSION: Final = 1
#: Positions 1..MAX_BLOCK_FACTS+1 have distinct FNV-1 hashes (first clash: 40189/797186).
MAX_BLOCK_FACTS: Final = 60_000
#: Rules per ruleset (the native core allows 4,096 actions, the marker included).
LANE_RULES: Final = 4000
_STACK_OVERFLOW: Final = "error code: 303"
#: A native message holds at most 254 properties; id, sid, t, l and two test hooks
#: leave room for this many fields.
MAX_FIELDS: Final = 248
_SPEC_BITS: Final = 16
_SPEC_MASK: Final = (1 << _SPEC_BITS) - 1
_SID_NOT_FOUND: Final = "error code: 309"
#: A matched fact's position in the serialized action (ids are ints, strings are hex).
_ID: Final = re.compile(r'"id":\s*(\d+)')
#: The native core, reached through the module that wraps it (no stubs, no own import).
_native: Any = durable.engine.durable_rules_engine

Pair: TypeAlias = tuple[str, str]
Fact: TypeAlias = Mapping[str, Any]
#: Per (t, l): the JSON text after the id ("t" and "l") and (field, '"field":') pairs.
_Route: TypeAlias = tuple[str, tuple[tuple[str, str], ...]]
#: A case: its id, its kept facts' ids, and each kept fact's JSON after `"sid":…`.
_Case: TypeAlias = tuple[str, list[str], list[str]]
_Payload: TypeAlias = tuple[str, int, str]  # sid, marker id, JSON list of facts


@dataclass
class MatchStats:
    """Counters over the matcher's lifetime (all `match` calls)."""

    blocks: int = 0  # blocks matched successfully (including single-case re-runs)
    facts: int = 0  # facts in those blocks
    restarts: int = 0  # worker processes started after the first
    cases_rerun: int = 0  # cases sent again after a crash or an engine error
    lane_splits: int = 0  # rulesets split after the native alpha stack overflowed
    engine_errors: list[str] = field(default_factory=list)  # case ids, in order
    error_reasons: dict[str, str] = field(default_factory=dict)  # case id -> why

    def record_error(self, case: str, reason: str) -> None:
        if case not in self.error_reasons:
            self.engine_errors.append(case)
        self.error_reasons[case] = reason


@dataclass(frozen=True)
class FaultHooks:
    """Test-only faults injected through real rules, keyed by original fact id.

    A fact in `crash_ids` makes the worker's action kill the process with
    `crash_signal` (0: `os._exit(70)`); with `once_dir`, each id crashes only the first
    time (a file per id remembers it across restarts). A fact in `raise_ids` makes its
    action raise, which must surface as an engine error, not vanish (defect 11).
    """

    crash_ids: frozenset[str] = frozenset()
    raise_ids: frozenset[str] = frozenset()
    crash_signal: int = int(signal.SIGSEGV)
    once_dir: str | None = None


class BlockError(RuntimeError):
    """durable refused or failed a block without crashing the process."""


# ------------------------------------------------------------------- identities


def fnv1_32(text: str) -> int:
    """durable's `fnv1Hash32` (signed `char` bytes, as compiled on x86-64)."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        if byte >= 0x80:
            byte -= 0x100
        value = ((value ^ (byte & 0xFFFFFFFF)) * 0x01000193) & 0xFFFFFFFF
    return value


_position_hashes: set[int] = set()
_position_limit = 0


def _position_hash_set(limit: int) -> set[int]:
    """Hashes of the ids "1".."limit" (grown on demand, once per process)."""
    global _position_limit
    for position in range(_position_limit + 1, limit + 1):
        _position_hashes.add(fnv1_32(str(position)))
    _position_limit = max(_position_limit, limit)
    return _position_hashes


# -------------------------------------------------------------- native session


class _FencedHost(durable.engine.Host):  # type: ignore[misc]
    """A Host without the dispatch and timer threads (defect 4; no wall clock)."""

    def _run(self) -> None:
        return None


_host: _FencedHost | None = None
_registry: dict[str, _Lane] = {}
_serial = 0


def _fenced_host() -> _FencedHost:
    global _host
    if _host is None:
        _host = _FencedHost()
    return _host


class _Sink:
    """Where a lane's actions write: match codes, errors, and the release flag."""

    __slots__ = ("codes", "errors", "released")

    def __init__(self) -> None:
        self.codes: set[int] = set()
        self.errors: list[str] = []
        self.released = False

    def reset(self) -> None:
        self.codes = set()
        self.errors = []
        self.released = False

    def complete(self, error: object, _state: object) -> None:
        if error:
            self.errors.append(f"durable: {error!r}")


def _match_action(sink: _Sink, spec_index: int) -> Callable[[Any], None]:
    def action(c: Any) -> None:
        try:
            add = sink.codes.add
            for message in c.m:
                add(message._d["id"] << _SPEC_BITS | spec_index)
        except BaseException as exc:  # defect 11: durable would swallow it
            sink.errors.append(f"action error: {exc!r}")

    return action


def _marker_action(sink: _Sink) -> Callable[[Any], None]:
    def action(c: Any) -> None:
        try:
            sink.released = True
            c.delete_state()  # defect 3: the only safe way to free a state
        except BaseException as exc:
            sink.errors.append(f"marker error: {exc!r}")

    return action


def _crash_hook(hooks: FaultHooks) -> Callable[[list[JsonDict]], None]:
    def hook(messages: list[JsonDict]) -> None:
        for message in messages:
            if hooks.once_dir is not None:
                path = os.path.join(hooks.once_dir, str(message["xcrash"]))
                if os.path.exists(path):
                    continue
                with open(path, "w"):
                    pass
            if hooks.crash_signal:
                os.kill(os.getpid(), hooks.crash_signal)
            os._exit(70)

    return hook


def _raise_hook(messages: list[JsonDict]) -> None:
    raise RuntimeError(f"test hook raised for {len(messages)} fact(s)")


def _wrapped(sink: _Sink, hook: Callable[[list[JsonDict]], None]) -> Callable[[Any], None]:
    """A durable action (one parameter: defect 10) around `hook`, errors recorded (11)."""

    def action(c: Any) -> None:
        try:
            hook([message._d for message in c.m])
        except BaseException as exc:
            sink.errors.append(f"action error: {exc!r}")

    return action


@dataclass(frozen=True)
class _LanePlan:
    """One ruleset: its definition without actions, and rule name -> spec index."""

    definition: JsonDict
    spec_of: dict[str, int]

    def halves(self) -> tuple[_LanePlan, _LanePlan]:
        """The same rules in two rulesets (each with its own marker rule)."""
        names = [name for name in self.definition if name != MARKER_RULE]
        cut = len(names) // 2
        return (self._subset(names[:cut]), self._subset(names[cut:]))

    def _subset(self, names: Sequence[str]) -> _LanePlan:
        definition = {name: self.definition[name] for name in names}
        definition[MARKER_RULE] = self.definition[MARKER_RULE]
        return _LanePlan(definition, {name: self.spec_of[name] for name in names})


class _Lane:
    """One registered ruleset and its sink; runs a block in one state and frees it."""

    def __init__(self, plan: _LanePlan, hooks: FaultHooks | None, key: str) -> None:
        global _serial
        self.key = key
        self.sink = _Sink()
        definition = json.loads(json.dumps(plan.definition))
        for name, rule in definition.items():
            if name == MARKER_RULE:
                rule["run"] = _marker_action(self.sink)
            else:
                rule["run"] = _match_action(self.sink, plan.spec_of[name])
        self.spec_of = dict(plan.spec_of)
        self.hooks: dict[str, Callable[[list[JsonDict]], None]] = {}
        if hooks is not None:
            self.hooks = {"xcrash": _crash_hook(hooks), "xraise": _raise_hook}
            for name, hook in self.hooks.items():
                term = {"m": {"$ex": {name: 1}}}
                run = _wrapped(self.sink, hook)
                definition[name] = {"all": [term], "cap": RULE_CAP, "run": run}
        _serial += 1  # defect 10: a name is registered once per process
        self.name = f"wenze_rules_v{RULESET_VERSION}_{key[:12]}_{_serial}"
        host = _fenced_host()
        host.set_rulesets({self.name: definition})
        self.ruleset = host.get_ruleset(self.name)

    @classmethod
    def get(cls, plan: _LanePlan, hooks: FaultHooks | None) -> _Lane:
        """The process's lane for `plan` (registered on first use, then reused)."""
        text = json.dumps([plan.definition, plan.spec_of, repr(hooks)], sort_keys=True)
        key = hashlib.sha256(text.encode()).hexdigest()
        lane = _registry.get(key)
        if lane is None:
            lane = _registry[key] = cls(plan, hooks, key)
        return lane

    def run(self, text: str, sid: str, marker_id: int) -> set[int]:
        """Assert one block's facts, run the actions, release the state."""
        sink, handle = self.sink, self.ruleset._handle
        sink.reset()
        problem = ""
        try:
            code, offset = _native.assert_facts(handle, text)  # facts: defect 7
            if code in (0, 1):  # 1 = some fact matched nothing: fine (defect 8)
                self._drain(handle, offset)
            else:
                problem = f"assert_facts answered {code}"
        except Exception as exc:
            problem = f"native error: {exc}"
        codes, errors = sink.codes, sink.errors
        if not self._release(sid, marker_id):
            _registry.pop(self.key, None)  # tainted: the next block registers afresh
            problem = problem or "state not released"
        if problem or errors:
            raise BlockError("; ".join([problem, *errors]).strip("; "))
        return codes

    def _drain(self, handle: int, offset: int) -> None:
        """Take the pending matches straight from the native action queue.

        Same effect as durable's `do_actions` for actions that leave the state alone,
        without a Closure, a Content per fact and an `update_state` per action.
        """
        sink, spec_of = self.sink, self.spec_of
        started = _native.start_action_for_state(handle, offset)
        messages: str | None = started[1] if started else None
        while messages:
            name = messages[2 : messages.index('"', 2)]
            try:
                spec = spec_of.get(name)
                if spec is not None:
                    sink.codes.update(int(i) << _SPEC_BITS | spec for i in _ID.findall(messages))
                else:
                    self.hooks[name]([item["m"] for item in json.loads(messages)[name]])
            except BaseException as exc:  # defect 11: record, never swallow
                sink.errors.append(f"action {name} error: {exc!r}")
            messages = _native.complete_and_start_action(handle, offset)

    def _release(self, sid: str, marker_id: int) -> bool:
        sink, handle = self.sink, self.ruleset._handle
        marker = f'{{"id":{marker_id},"sid":"{sid}","t":"{MARKER_TYPE}"}}'
        try:
            _code, offset = _native.assert_fact(handle, marker)
            self.ruleset.do_actions(offset, sink.complete)
        except Exception:
            return False
        if not sink.released:
            return False
        try:
            _native.get_state(handle, sid)
        except Exception as exc:
            return _SID_NOT_FOUND in str(exc)
        return False


class _NativeSession:
    """The plan's rulesets in this process; a ruleset that overflows the native alpha
    stack is replaced by its two halves for good and the block re-run on them."""

    def __init__(self, lanes: Sequence[_LanePlan], hooks: FaultHooks | None) -> None:
        self.lanes = list(lanes)
        self.hooks = hooks
        self.splits = 0
        for plan in self.lanes:
            _Lane.get(plan, hooks)

    def run_block(self, payload: _Payload) -> set[int]:
        sid, marker_id, text = payload
        codes: set[int] = set()
        index = 0
        while index < len(self.lanes):
            plan = self.lanes[index]
            try:
                codes |= _Lane.get(plan, self.hooks).run(text, sid, marker_id)
            except BlockError as exc:
                if _STACK_OVERFLOW not in str(exc) or len(plan.spec_of) < 2:
                    raise
                self.lanes[index : index + 1] = plan.halves()
                self.splits += 1
                continue
            index += 1
        return codes


def _worker_main(conn: Connection, lanes: Sequence[_LanePlan], hooks: FaultHooks | None) -> None:
    """Worker process: register the rulesets, then answer one reply per block."""
    try:
        session = _NativeSession(lanes, hooks)
    except BaseException as exc:
        conn.send(("failed", repr(exc)))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        for payload in message:
            splits = session.splits
            try:
                kind, detail = "ok", array("q", session.run_block(payload)).tobytes()
            except Exception as exc:
                kind, detail = "error", (str(exc) or repr(exc)).encode()
            conn.send((kind, detail, session.splits - splits))


# --------------------------------------------------------------- parent side


@dataclass
class _Block:
    cases: list[_Case]
    split: bool = False  # one case of a block that was split
    crashes: int = 0
    ids: list[str] = field(default_factory=list)
    payload: _Payload = ("", 0, "")


def _plan(
    rules: Sequence[RuleSpec], field_of: Mapping[Ref, str]
) -> tuple[tuple[_LanePlan, ...], dict[tuple[str, int | None], _Route]]:
    """The rulesets to register and, per (t, l), the fields its facts must carry."""
    entries = rule_entries(rules, field_of)
    fields: dict[tuple[str, int | None], set[str]] = {}
    for entry in entries:
        fields.setdefault(entry.key, set()).update(entry.fields)
    routes: dict[tuple[str, int | None], _Route] = {}
    for (fact_type, lapse), names in fields.items():
        if len(names) > MAX_FIELDS:
            raise ValueError(f"{len(names)} fields on {fact_type!r} facts (limit {MAX_FIELDS})")
        head = f',"t":{json.dumps(fact_type)}' + ("" if lapse is None else f',"l":{lapse}')
        routes[(fact_type, lapse)] = (head, tuple((n, f',"{n}":') for n in sorted(names)))
    chunks = [entries[i : i + LANE_RULES] for i in range(0, len(entries), LANE_RULES)]
    plans = tuple(
        _LanePlan(definition_of(chunk), {e.name: e.spec_index for e in chunk})
        for chunk in chunks or [[]]
    )
    return plans, routes


_STRING_TEXTS: dict[str, str] = {}
_STRING_TEXTS_MAX = 4096


def _json_value(value: object) -> str:
    """JSON text of a fact value as durable must see it (defect 9, `encode_value`)."""
    if type(value) is str:  # exact types first: this runs once per field of every fact
        # Fact strings are mostly a few values (states, attribute values) on every case:
        # their texts are kept, up to a bound, rather than hex-encoded each time.
        text = _STRING_TEXTS.get(value)
        if text is None:
            text = '"' + value.encode("utf-8", "surrogatepass").hex() + '"'
            if len(_STRING_TEXTS) < _STRING_TEXTS_MAX:
                _STRING_TEXTS[value] = text
        return text
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is int and -(1 << 63) <= value < (1 << 63):
        return str(value)
    if isinstance(value, int | str):
        return json.dumps(encode_value(value))
    raise TypeError(f"fact value {value!r}: only int, bool and str reach the rule stage")


def _hook_fields(fact_id: str, hooks: FaultHooks) -> str:
    text = ""
    if fact_id in hooks.crash_ids:
        text += f',"xcrash":"{fact_id.encode().hex()}"'
    if fact_id in hooks.raise_ids:
        text += ',"xraise":1'
    return text


class DurableMatcher:
    """Matches `RuleSpec`s against per-case facts with durable_rules, fenced.

    Use as a context manager: `match` then runs durable in a worker process (or in
    this process with `in_process=True`; `match_in_process` always does). Up to
    `block_size` cases (at most `max_block_facts` facts) share one state; about
    `message_cases` cases travel to the worker per message.
    """

    def __init__(
        self,
        rules: Sequence[RuleSpec],
        field_of: Mapping[Ref, str],
        *,
        block_size: int = 128,
        max_block_facts: int = 4096,
        message_cases: int = 1024,
        block_timeout: float = 300.0,
        in_process: bool = False,
        hooks: FaultHooks | None = None,
    ) -> None:
        if not 1 <= max_block_facts <= MAX_BLOCK_FACTS or block_size < 1:
            raise ValueError(f"block_size >= 1 and 1 <= max_block_facts <= {MAX_BLOCK_FACTS}")
        self.rules = tuple(rules)
        self._names = [rule.name for rule in self.rules]
        self._lanes, self._routes = _plan(self.rules, field_of)
        self.block_size = block_size
        self.max_block_facts = max_block_facts
        self.message_blocks = max(1, message_cases // block_size)
        self.block_timeout = block_timeout
        self.in_process = in_process
        self.hooks = hooks
        self.stats = MatchStats()
        self._entered = False
        self._serial = 0
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._starting: tuple[BaseProcess, Connection] | None = None  # spawned, not ready
        self._session: _NativeSession | None = None

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> DurableMatcher:
        self._entered = True
        if not self.in_process:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._entered = False
        self.close()

    def spawn(self) -> None:
        """Start the worker process without waiting for it to be ready (idempotent): its
        start-up — a fresh interpreter importing durable_rules and registering the
        rulesets — then runs on another core while the caller goes on. `start` (or the
        first `match`) waits for it."""
        if self._proc is not None or self._starting is not None:
            return
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        proc = ctx.Process(
            target=_worker_main,
            args=(child, self._lanes, self.hooks),
            name="wenze-rules",
            daemon=True,
        )
        proc.start()
        child.close()
        self._starting = (proc, parent)

    def start(self) -> None:
        """Start the worker process and wait until it is ready (idempotent)."""
        if self._proc is not None:
            return
        self.spawn()
        assert self._starting is not None
        proc, parent = self._starting
        self._starting = None
        try:
            kind, detail = parent.recv()
        except EOFError:
            kind, detail = "failed", f"exit code {proc.exitcode}"
        if kind != "ready":
            parent.close()
            proc.join(5)
            raise RuntimeError(f"rule worker did not start: {detail}")
        self._proc, self._conn = proc, parent

    def close(self) -> None:
        """Stop the worker process, if any (`__exit__` calls this)."""
        if self._starting is not None:
            self._proc, self._conn = self._starting
            self._starting = None
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(None)
            conn.close()
        if proc is not None:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()

    def _restart(self) -> int | None:
        """Replace a dead (or hung) worker; returns the old one's exit code."""
        proc, code = self._proc, None
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join()
            code = proc.exitcode
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None
        self.stats.restarts += 1
        self.start()
        return code

    # ------------------------------------------------------------ matching

    def fact_encoder(
        self,
        fact_type: str,
        lapse: int | None,
        getters: Mapping[str, Callable[[Any], object]],
    ) -> Callable[[str, Any], str] | None:
        """For callers that hold the values behind the facts rather than fact dicts
        (`match_encoded`): given a getter per field of facts of this type (and lapse), the
        function from (fact id, the getters' argument) to the fact's JSON text, exactly as
        `match` would send the fact. None: the ruleset reads no such fact, so none is sent
        (defect 8)."""
        route = self._routes.get((fact_type, lapse))
        if route is None:
            return None
        head, fields = route
        pairs = tuple((key, getters[name]) for name, key in fields)
        hooks = self.hooks
        text_of = _json_value

        def encode(fact_id: str, source: Any) -> str:
            # One comprehension and one join: appending part by part cost a third more.
            body = "".join([key + text_of(get(source)) for key, get in pairs])
            if hooks is None:
                return head + body + "}"
            return head + body + _hook_fields(fact_id, hooks) + "}"

        return encode

    def match_encoded(self, cases: Iterable[_Case]) -> list[Pair]:
        """`match` on cases already encoded with `fact_encoder`: (case id, the ids of its
        kept facts, their texts), in the order `match` would keep them."""
        return self._match_cases(cases)

    def match(self, facts_by_case: Iterable[Sequence[Fact]]) -> list[Pair]:
        """(rule name, fact id) for every fact whose rule condition holds, sorted.

        Cases that cannot be matched are left out and their ids appended to
        `stats.engine_errors` (reasons in `stats.error_reasons`).
        """
        return self._match_cases(self._cases(facts_by_case))

    def _match_cases(self, cases: Iterable[_Case]) -> list[Pair]:
        if self.in_process:
            return self._match_in_process(cases)
        if self._proc is None:
            if not self._entered:
                raise RuntimeError("DurableMatcher.match needs the worker: use `with`")
            self.start()  # the previous call ended in an exception
        out: list[Pair] = []
        try:
            self._exchange(self._messages(cases), out)
        except BaseException:
            self.close()  # replies may still be on their way: never reuse this pipe
            raise
        out.sort()
        return out

    def _exchange(self, source: Iterator[list[_Block]], out: list[Pair]) -> None:
        """Send messages and read one reply per block, encoding the next message while
        the worker runs the current one; apply the restart policy on a crash."""
        retry: deque[_Block] = deque()
        front: deque[list[_Block]] = deque()
        ahead: list[_Block] | None = None
        while True:
            if retry:
                message = [self._encode(retry.popleft())]
            elif front:
                message = front.popleft()
            elif ahead is not None:
                message, ahead = ahead, None
            else:
                message = next(source, [])
                if not message:
                    return
            self._send(message)
            if ahead is None and not retry and not front:
                ahead = next(source, None)
            for index, block in enumerate(message):
                reply = self._receive()
                if reply is None:
                    exit_code = self._restart()
                    self._crashed(block, exit_code, retry)
                    if index + 1 < len(message):
                        front.appendleft(message[index + 1 :])
                    break
                kind, detail, splits = reply
                self.stats.lane_splits += splits
                if kind == "ok":
                    codes = array("q")
                    codes.frombytes(detail)
                    self._collect(block, codes, out)
                else:
                    self._failed(block, detail.decode(), retry)

    def match_in_process(self, facts_by_case: Iterable[Sequence[Fact]]) -> list[Pair]:
        """`match` in this process: same result, but a native crash kills the caller."""
        return self._match_in_process(self._cases(facts_by_case))

    def _match_in_process(self, cases: Iterable[_Case]) -> list[Pair]:
        if self._session is None:
            self._session = _NativeSession(self._lanes, self.hooks)
        session = self._session
        out: list[Pair] = []
        pending: deque[_Block] = deque()
        for block in self._blocks(cases):
            pending.append(block)
            while pending:
                current = self._encode(pending.popleft())
                splits = session.splits
                try:
                    codes = session.run_block(current.payload)
                except Exception as exc:
                    self._failed(current, str(exc) or repr(exc), pending)
                    continue
                finally:
                    self.stats.lane_splits += session.splits - splits
                self._collect(current, codes, out)
        out.sort()
        return out

    # ------------------------------------------------------------ blocks

    def _cases(self, facts_by_case: Iterable[Sequence[Fact]]) -> Iterator[_Case]:
        """Keep the facts the ruleset reads (defect 8) and encode each one once."""
        routes, hooks = self._routes, self.hooks
        for facts in facts_by_case:
            ids: list[str] = []
            tails: list[str] = []
            for fact in facts:
                route = routes.get((fact["t"], fact.get("l")))
                if route is None:
                    continue
                head, fields = route
                parts = [head]
                try:
                    for name, key in fields:
                        parts.append(key)
                        parts.append(_json_value(fact[name]))
                except KeyError as exc:
                    raise ValueError(f"fact {fact['id']!r} lacks field {exc}") from None
                if hooks is not None:
                    parts.append(_hook_fields(str(fact["id"]), hooks))
                parts.append("}")
                ids.append(fact["id"])
                tails.append("".join(parts))
            if ids:
                yield (str(facts[0]["case"]), ids, tails)

    def _blocks(self, source: Iterable[_Case]) -> Iterator[_Block]:
        cases: list[_Case] = []
        count = 0
        for case in source:
            size = len(case[1])
            if size > MAX_BLOCK_FACTS:
                self.stats.record_error(case[0], f"{size} facts (limit {MAX_BLOCK_FACTS})")
                continue
            if cases and (len(cases) >= self.block_size or count + size > self.max_block_facts):
                yield _Block(cases)
                cases, count = [], 0
            cases.append(case)
            count += size
        if cases:
            yield _Block(cases)

    def _messages(self, cases: Iterable[_Case]) -> Iterator[list[_Block]]:
        message: list[_Block] = []
        for block in self._blocks(cases):
            message.append(self._encode(block))
            if len(message) >= self.message_blocks:
                yield message
                message = []
        if message:
            yield message

    def _sid(self, marker_id: int) -> str:
        hashes = _position_hash_set(marker_id)
        while True:
            self._serial += 1
            sid = f"b{self._serial}"
            if fnv1_32(f"sid-{sid}") not in hashes:  # defect 6: the state fact's id
                return sid

    def _encode(self, block: _Block) -> _Block:
        """Number the block's facts 1..n (defect 6) and join them into one JSON list."""
        total = sum(len(ids) for _case, ids, _tails in block.cases)
        sid = self._sid(total + 1)
        prefix = f',"sid":"{sid}"'
        parts: list[str] = []
        ids: list[str] = []
        for _case, case_ids, tails in block.cases:
            ids.extend(case_ids)
            for tail in tails:
                parts.append(f'{{"id":{len(parts) + 1}{prefix}{tail}')
        block.ids = ids
        block.payload = (sid, total + 1, "[" + ",".join(parts) + "]")
        return block

    # ------------------------------------------------------------ outcomes

    def _collect(self, block: _Block, codes: Iterable[int], out: list[Pair]) -> None:
        names, ids = self._names, block.ids
        for code in codes:
            out.append((names[code & _SPEC_MASK], ids[(code >> _SPEC_BITS) - 1]))
        self.stats.blocks += 1
        self.stats.facts += len(ids)

    def _failed(self, block: _Block, reason: str, retry: deque[_Block]) -> None:
        """durable refused the block: re-run it case by case; report a lone case."""
        if len(block.cases) == 1:
            self.stats.record_error(block.cases[0][0], reason)
        else:
            self._split(block, retry)

    def _crashed(self, block: _Block, exit_code: int | None, retry: deque[_Block]) -> None:
        """The worker died on `block`: once -> re-run it; twice -> split; a split case
        (or a lone case, twice) -> report."""
        block.crashes += 1
        if block.split or (block.crashes >= 2 and len(block.cases) == 1):
            reason = f"rule worker died (exit code {exit_code})"
            self.stats.record_error(block.cases[0][0], reason)
        elif block.crashes >= 2:
            self._split(block, retry)
        else:
            self.stats.cases_rerun += len(block.cases)
            retry.appendleft(block)

    def _split(self, block: _Block, retry: deque[_Block]) -> None:
        self.stats.cases_rerun += len(block.cases)
        retry.extendleft(_Block([case], split=True) for case in reversed(block.cases))

    # ------------------------------------------------------------ pipe

    def _send(self, message: list[_Block]) -> None:
        assert self._conn is not None
        payloads = [block.payload for block in message]
        try:
            self._conn.send(payloads)
        except OSError:  # the worker is gone between messages: start another, once
            self._restart()
            assert self._conn is not None
            self._conn.send(payloads)

    def _receive(self) -> tuple[str, Any, int] | None:
        """The next reply, or None if the worker died or overran `block_timeout`."""
        conn, proc = self._conn, self._proc
        assert conn is not None and proc is not None
        deadline = time.monotonic() + self.block_timeout
        while not conn.poll(1.0):
            if not proc.is_alive() or time.monotonic() > deadline:
                return None
        try:
            reply: tuple[str, Any, int] = conn.recv()
        except (EOFError, OSError):
            return None
        return reply


def match_in_process(
    rules: Sequence[RuleSpec],
    field_of: Mapping[Ref, str],
    facts_by_case: Iterable[Sequence[Fact]],
    *,
    block_size: int = 128,
) -> tuple[list[Pair], MatchStats]:
    """One-shot `DurableMatcher.match_in_process`: the pairs and the stats."""
    matcher = DurableMatcher(rules, field_of, block_size=block_size)
    return matcher.match_in_process(facts_by_case), matcher.stats
