"""One JSON spelling for a finding, shared by the store and the findings document.

In: a JSON-able dict. Out: its compact, key-sorted text. Serialising each finding once and
reusing the text in both places halves the serialisation work of a large audit.
"""

from __future__ import annotations

import json
from typing import Any


def compact(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
