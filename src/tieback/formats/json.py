"""The machine-readable report, schema ``tieback.report/1``."""

from __future__ import annotations

import json
from typing import Any

from tieback.formats.interface import Format
from tieback.report import Report


class JsonFormat(Format):
    """Top-level keys one per line and each list entry on its own line: readable in a
    diff, and fast, because each piece goes through json's C encoder (``indent`` would
    force the pure-Python one, which dominates large reports)."""

    name = "json"

    def render(self, report: Report) -> str:
        lines = [f"  {_dump(key)}: {_value(value)}" for key, value in report.data.items()]
        return "{\n" + ",\n".join(lines) + "\n}\n"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, list) and value:
        return "[\n    " + ",\n    ".join(_dump(entry) for entry in value) + "\n  ]"
    return _dump(value)
