"""The machine-readable report, schema ``tieback.report/1``."""

from __future__ import annotations

from tieback.formats.interface import Format
from tieback.jsonio import dumps
from tieback.report import Report


def _text(value: object) -> str:
    return dumps(value).decode("utf-8")


class JsonFormat(Format):
    """Top-level keys one per line and each list entry on its own line, compact within
    it: readable in a diff, and fast, because each piece goes through one native
    encoder call (``indent`` would force ``json``'s pure-Python encoder, which
    dominates large reports)."""

    name = "json"

    def render(self, report: Report) -> str:
        # Pieces joined once: the unaligned list of a large backlog runs to many MB, and
        # each concatenation of it would copy it again. Each piece is text at once, so
        # the document is never held as bytes and as text together.
        pieces = ["{\n"]
        for number, (key, value) in enumerate(report.data.items()):
            pieces += (",\n  " if number else "  ", _text(key), ": ")
            if isinstance(value, list) and value:
                pieces.append("[\n    ")
                for entry in value:
                    pieces += (_text(entry), ",\n    ")
                pieces[-1] = "\n  ]"
            else:
                pieces.append(_text(value))
        pieces.append("\n}\n")
        return "".join(pieces)
