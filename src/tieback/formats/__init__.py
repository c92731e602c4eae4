"""Formats: render one report as table, JSON, Markdown, CSV, HTML, badge or Mermaid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tieback.formats.interface import Format

if TYPE_CHECKING:
    from tieback.trend import Point


def get_format(
    name: str,
    color: bool = False,
    width: int | None = None,
    max_outputs: int = 8,
    history: Sequence[Point] = (),
    lint: Sequence[str] = (),
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
    if name == "html":
        from tieback.formats.html import HtmlFormat

        return HtmlFormat(history=history, lint=lint)
    raise ValueError(f"unknown format {name!r}")
