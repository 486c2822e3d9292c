"""The canonical CSV loader's public names (README "The canonical export").

The code lives in engine.loaders (canonical.py for this format, the other formats and
import profiles beside it); this module keeps the names callers and tests import.
"""

from __future__ import annotations

from engine.loaders.canonical import REQUIRED_COLUMNS, load_exports
from engine.loaders.result import CASE_PREFIX, Defect, ExportError, LoadResult
from engine.loaders.timeparse import DEFAULT_ZONE, TimeParser, parse_time

__all__ = [
    "CASE_PREFIX",
    "DEFAULT_ZONE",
    "REQUIRED_COLUMNS",
    "Defect",
    "ExportError",
    "LoadResult",
    "TimeParser",
    "load_exports",
    "parse_time",
]
