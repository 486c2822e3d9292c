"""Data-quality findings: the defects of a load, grouped so an inspector can act on them.

In: the defects a loader reported (each with file, line, field and message).
Out: one data-quality finding per (defect kind, file): a stable id, the kind's code and
summary, whether its rows were quarantined or kept, how many rows, and the first locations.
They sit beside the lapse findings in the findings document and every report; the full list
of defects stays in the store and the quarantine file, so nothing is lost.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from engine.loaders.result import DEFECT_KINDS, Defect

EXAMPLES = 10


def data_quality_findings(defects: Iterable[Defect]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[Defect]] = {}
    for d in defects:
        groups.setdefault((d.code, d.file), []).append(d)
    out = []
    for (code, file), items in sorted(groups.items()):
        kind = DEFECT_KINDS.get(code)
        out.append(
            {
                "id": hashlib.sha256(f"{code}\x1f{file}".encode()).hexdigest()[:20],
                "code": code,
                "file": file,
                "summary": kind.summary if kind is not None else code,
                "rows": "quarantined" if kind is None or kind.quarantines else "kept",
                "count": len(items),
                "fields": sorted({d.field for d in items}),
                "examples": [f"{d.file}:{d.line}: [{d.field}] {d.message}" for d in _first(items)],
            }
        )
    return out


def _first(items: Sequence[Defect]) -> list[Defect]:
    return sorted(items, key=lambda d: d.line)[:EXAMPLES]
