"""The machine-readable report, schema ``tieback.report/1``."""

from __future__ import annotations

import json

from tieback.formats.interface import Format
from tieback.report import Report

# One encoder for every piece: json.dumps with options builds a new one per call, which
# costs more than encoding a report row.
_dump = json.JSONEncoder(ensure_ascii=False).encode


class JsonFormat(Format):
    """Top-level keys one per line and each list entry on its own line: readable in a
    diff, and fast, because each piece goes through json's C encoder (``indent`` would
    force the pure-Python one, which dominates large reports)."""

    name = "json"

    def render(self, report: Report) -> str:
        # Pieces joined once: the unaligned list of a large backlog runs to many MB, and
        # each concatenation of it would copy it again.
        pieces = ["{\n"]
        for number, (key, value) in enumerate(report.data.items()):
            pieces += (",\n  " if number else "  ", _dump(key), ": ")
            if isinstance(value, list) and value:
                pieces.append("[\n    ")
                for entry in value:
                    pieces += (_dump(entry), ",\n    ")
                pieces[-1] = "\n  ]"
            else:
                pieces.append(_dump(value))
        pieces.append("\n}\n")
        return "".join(pieces)
