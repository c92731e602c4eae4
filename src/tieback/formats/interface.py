"""The format stage's contract: turn one report into text; only the CLI writes files."""

from __future__ import annotations

from abc import ABC, abstractmethod

from tieback.report import Report


class Format(ABC):
    """Renders a report as a string."""

    name: str

    @abstractmethod
    def render(self, report: Report) -> str:
        """Return the whole document, ending with a newline."""
