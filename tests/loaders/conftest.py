"""Shared pieces for the loader tests: paths, a profile writer, an XES builder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"

XES_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    "<!-- written by a test -->\n"
    '<log xes.version="1.0" xes.features="nested-attributes">\n'
    '\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
    '\t<global scope="event">\n\t\t<string key="concept:name" value="UNKNOWN"/>\n\t</global>\n'
)


def xes_event(*pairs: tuple[str, str, str]) -> str:
    """<event> with (type, key, value) attributes, one per line as OpenXES writes them."""
    body = "".join(f'\t\t\t<{t} key="{k}" value="{v}"/>\n' for t, k, v in pairs)
    return f"\t\t<event>\n{body}\t\t</event>\n"


def xes_trace(case: str | None, *events: str, extra: str = "") -> str:
    name = f'\t\t<string key="concept:name" value="{case}"/>\n' if case is not None else ""
    return f"\t<trace>\n{name}{extra}{''.join(events)}\t</trace>\n"


def ev(name: str, when: str, resource: str | None = None, **more: str) -> str:
    pairs = [("string", "concept:name", name), ("date", "time:timestamp", when)]
    if resource is not None:
        pairs.append(("string", "org:resource", resource))
    pairs += [("string", k, v) for k, v in more.items()]
    return xes_event(*pairs)


def xes_doc(*traces: str, bom: bool = False, tail: str = "") -> bytes:
    text = XES_HEAD + "".join(traces) + tail + "</log>\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], str]:
    def _write(name: str, content: str | bytes) -> str:
        p = tmp_path / name
        p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return str(p)

    return _write


class Xes:
    """The builders above, for tests (conftest modules cannot be imported in importlib mode)."""

    event = staticmethod(xes_event)
    trace = staticmethod(xes_trace)
    ev = staticmethod(ev)
    doc = staticmethod(xes_doc)


@pytest.fixture
def xes() -> type[Xes]:
    return Xes


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def real() -> Path:
    """../shared/data/real; tests that need it skip cleanly when it is absent."""
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is absent")
    return REAL


@pytest.fixture
def audit_json(root: Path, tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """Audit one export with a shipped profile and policy (Python stage) and return the
    findings document: `audit_json(export, "road_fines", "road_fines", "2013-06-18")`."""

    def run(export: Path, profile: str, policy: str, as_of: str) -> dict[str, Any]:
        import io
        import json

        from engine.cli_audit import run_audit

        out_json = tmp_path / "out.json"
        err = io.StringIO()
        code = run_audit(
            [
                str(export),
                "--profile",
                str(root / f"fixtures/profiles/{profile}.toml"),
                "--policy",
                str(root / f"policies/{policy}"),
                "--as-of",
                as_of,
                "--db",
                f"sqlite:///{tmp_path / 'w.db'}",
                "--json",
                str(out_json),
                "--engine",
                "python",
                "--quiet",
            ],
            io.StringIO(),
            err,
        )
        assert code == 0, err.getvalue()
        doc: dict[str, Any] = json.loads(out_json.read_text(encoding="utf-8"))
        return doc

    return run
