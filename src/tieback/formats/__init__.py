"""Formats: render one report as table, JSON, Markdown, CSV, HTML, badge, Mermaid or an
installed format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tieback.formats.interface import Format, Options

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
    """The renderer for a ``--format`` name, built in or installed (``registry``); its
    module imported only now, so start-up stays fast."""
    from tieback.connectors.registry import format_class

    found = format_class(name)
    if found is None:
        raise ValueError(f"unknown format {name!r}")
    options = Options(color, width, max_outputs, history, lint)
    return found.from_options(options)
