"""One JSON spelling for a finding, shared by the store and the findings document.

In: a JSON-able value (a finding's dict, or a part of one). Out: its compact, key-sorted
text; `encode_str` gives a string's spelling for writers that assemble a known shape
themselves (engine.finding_text). Serialising each finding once and reusing the text in
both places halves the serialisation work of a large audit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from json import encoder as _json_encoder
from typing import Any


def _c_encoder() -> Callable[[Any, int], Sequence[str]] | None:
    """The C encoder `json.dumps(ensure_ascii=False, sort_keys=True, separators=(", ", ": "))`
    would build, built once.

    `json.dumps` with non-default settings constructs a JSONEncoder and a C encoder on
    every call: about a fifth of the time of serialising a finding. The text is the same
    (these are the arguments `JSONEncoder.iterencode` passes). No circular-reference
    markers: a finding is a tree (a cycle would raise RecursionError, not ValueError), and
    a marker table shared between calls could keep stale entries after a failed call."""
    make = getattr(_json_encoder, "c_make_encoder", None)
    encode_str = getattr(_json_encoder, "c_encode_basestring", None)
    if make is None or encode_str is None:  # an interpreter without the C accelerator
        return None
    enc: Callable[[Any, int], Sequence[str]] = make(
        None,  # markers
        json.JSONEncoder().default,  # the usual TypeError for values JSON cannot hold
        encode_str,  # ensure_ascii=False
        None,  # indent
        ": ",  # key separator
        ", ",  # item separator
        True,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )
    return enc


_ENCODE = _c_encoder()
_join = "".join


def compact(item: Any) -> str:
    """The text of a finding (or of any JSON-able value inside one): compact, keys sorted."""
    if _ENCODE is not None:
        return _join(_ENCODE(item, 0))
    return json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _py_str(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# A string's JSON spelling as `compact` writes it (ensure_ascii=False).
encode_str: Callable[[str], str] = getattr(_json_encoder, "c_encode_basestring", None) or _py_str
