"""One row per item in scope, for spreadsheets: how each output ties to the outcomes."""

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
                    item.key,
                    item.source,
                    _cell(item.title),
                    _cell(item.type),
                    _cell(item.status),
                    _cell(item.team),
                    alignment.classification.value,
                    alignment.reason.value if alignment.reason else "",
                    " ".join(alignment.outcomes),
                    alignment.origin.value,
                    alignment.inherited_from or "",
                    " ".join(alignment.refs),
                    alignment.suggestion or "",
                    display_weight(weight),
                    item.url,
                )
            )
        return buffer.getvalue()


def _cell(text: str) -> str:
    """Keep a spreadsheet from running untrusted text as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
