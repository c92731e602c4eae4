"""One row per item in scope, for spreadsheets: how each output ties to the outcomes.

Every text cell passes through ``cell``: keys, titles, teams, refs and URLs come from
the trackers and the configuration, and a spreadsheet would run one that starts like a
formula (OWASP, "CSV injection"). Weights are tieback's own numbers and stay numbers.
"""

from __future__ import annotations

import csv
import io

from tieback.coverage import display_weight
from tieback.formats.interface import Format
from tieback.report import Report, sort_key

COLUMNS = (
    "key",
    "source",
    "title",
    "type",
    "status",
    "team",
    "classification",
    "reason",
    "outcomes",
    "origin",
    "inherited_from",
    "refs",
    "suggestion",
    "weight",
    "url",
)
# What a spreadsheet reads as the start of a formula (or, for tab and CR, of a cell
# that can still become one).
_FORMULA_START = frozenset("=+-@\t\r")


class CsvFormat(Format):
    name = "csv"

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        rows = sorted(
            zip(report.alignments, report.weights, strict=True), key=lambda r: sort_key(r[0])
        )
        for alignment, weight in rows:
            item = alignment.item
            writer.writerow(
                (
                    *map(
                        cell,
                        (
                            item.key,
                            item.source,
                            item.title,
                            item.type,
                            item.status,
                            item.team,
                            alignment.classification.value,
                            alignment.reason.value if alignment.reason else "",
                            " ".join(alignment.outcomes),
                            alignment.origin.value,
                            alignment.inherited_from or "",
                            " ".join(alignment.refs),
                            alignment.suggestion or "",
                        ),
                    ),
                    display_weight(weight),
                    cell(item.url),
                )
            )
        return buffer.getvalue()


def cell(text: str) -> str:
    """Text as a spreadsheet shows it, never runs: a formula's first character is
    prefixed with ``'``, and a carriage return becomes a newline, which the writer
    quotes (it quotes only its own line terminator, so a bare CR would end the row
    in a spreadsheet and start the next with whatever follows)."""
    if text[:1] in _FORMULA_START:
        text = "'" + text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
