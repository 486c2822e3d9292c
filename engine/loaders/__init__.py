"""Loaders: every export format into events, every defect located, nothing dropped.

`load(paths, profile=…, encoding=…, checks=…)` reads canonical CSV (the tuned reader),
mapped CSV in UTF-8/GBK/GB18030, XLSX, JSON Lines and XES (.xes, .xes.gz) into one
`LoadResult`. See docs/import-profiles.md.
"""

from __future__ import annotations

from engine.loaders.checks import Checks, responsibility_activities
from engine.loaders.dispatch import detect_format, load
from engine.loaders.result import DEFECT_KINDS, Defect, ExportError, LoadResult

__all__ = [
    "DEFECT_KINDS",
    "Checks",
    "Defect",
    "ExportError",
    "LoadResult",
    "detect_format",
    "load",
    "responsibility_activities",
]
