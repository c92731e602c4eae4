"""A Markdown report for pull requests, wikis and job summaries."""

from __future__ import annotations

from tieback.formats.interface import Format
from tieback.formats.templates import environment
from tieback.report import Report


class MarkdownFormat(Format):
    name = "markdown"

    def render(self, report: Report) -> str:
        template = environment().get_template("report.md.j2")
        return template.render(report=report.data, precision=report.precision)
