"""The machine-readable report, schema ``tieback.report/1``."""

from __future__ import annotations

import json

from tieback.formats.interface import Format
from tieback.report import Report


class JsonFormat(Format):
    name = "json"

    def render(self, report: Report) -> str:
        return json.dumps(report.data, indent=2, ensure_ascii=False) + "\n"
