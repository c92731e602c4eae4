"""Reading tracker JSON defensively: a value of the wrong type reads as empty, not as a crash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def mapping_of(value: object) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    if type(value) is dict:  # what json.loads makes: skip the slower ABC check
        return value
    if value is None:  # JSON's null, or a field the answer left out: no ABC check either
        return {}
    return value if isinstance(value, Mapping) else {}


def text_of(value: object) -> str:
    """``value`` when it is a string, else an empty one."""
    return value if isinstance(value, str) else ""
