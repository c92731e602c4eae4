"""The format stage's contract: turn one report into text; only the CLI writes files."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tieback.report import Report

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tieback.trend import Point


@dataclass(frozen=True)
class Options:
    """What ``tieback audit`` tells every format; each uses the options it has a use for."""

    color: bool = False  # a terminal that shows colour
    width: int | None = None  # the terminal's columns; None when not a terminal
    max_outputs: int = 8  # --max-outputs
    history: Sequence[Point] = ()  # the coverage history, this audit last
    lint: Sequence[str] = ()  # lint's findings


class Format(ABC):
    """Renders a report as a string. A format is registered by name (``registry``)."""

    name: str

    @classmethod
    def from_options(cls, options: Options) -> Format:
        """The format as ``tieback audit`` makes it."""
        return cls()

    @abstractmethod
    def render(self, report: Report) -> str:
        """Return the whole document, ending with a newline."""
