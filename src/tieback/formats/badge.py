"""A shields.io endpoint document, so a README can show the coverage badge."""

from __future__ import annotations

import json

from tieback.coverage import display_coverage
from tieback.formats.interface import Format
from tieback.report import Report

# (lowest coverage, colour), best first; under fail_under the badge is red whatever.
THRESHOLDS = ((90.0, "brightgreen"), (75.0, "green"), (60.0, "yellowgreen"), (40.0, "yellow"))


class BadgeFormat(Format):
    name = "badge"

    def render(self, report: Report) -> str:
        coverage = report.data["totals"]["coverage"]
        document = {
            "schemaVersion": 1,
            "label": "outcome coverage",
            "message": _message(coverage, report.precision),
            "color": badge_color(coverage, report.data.get("fail_under", 0)),
        }
        return json.dumps(document) + "\n"


def _message(coverage: float | None, precision: int) -> str:
    shown = display_coverage(coverage, precision)
    return shown if coverage is None else shown + "%"


def badge_color(coverage: float | None, fail_under: float) -> str:
    if coverage is None:
        return "lightgrey"
    if coverage < fail_under:
        return "red"
    for lowest, colour in THRESHOLDS:
        if coverage >= lowest:
            return colour
    return "orange" if coverage >= 20 else "red"
