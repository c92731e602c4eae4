"""Formats: render one report as table, JSON, Markdown, CSV, badge or Mermaid text."""

from __future__ import annotations

from tieback.formats.interface import Format


def get_format(
    name: str, color: bool = False, width: int | None = None, max_outputs: int = 8
) -> Format:
    """The renderer for a ``--format`` name; imported lazily so start-up stays fast."""
    if name == "table":
        from tieback.formats.table import TableFormat

        return TableFormat(color=color, width=width)
    if name == "json":
        from tieback.formats.json import JsonFormat

        return JsonFormat()
    if name == "markdown":
        from tieback.formats.markdown import MarkdownFormat

        return MarkdownFormat()
    if name == "csv":
        from tieback.formats.csv import CsvFormat

        return CsvFormat()
    if name == "badge":
        from tieback.formats.badge import BadgeFormat

        return BadgeFormat()
    if name == "mermaid":
        from tieback.formats.mermaid import MermaidFormat

        return MermaidFormat(max_outputs=max_outputs)
    raise ValueError(f"unknown format {name!r}")
