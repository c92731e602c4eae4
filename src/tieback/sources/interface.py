"""The source stage's contract: something that yields work items."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from tieback.errors import SourceError
from tieback.model import Item

__all__ = ["Source", "SourceError"]


class Source(ABC):
    """A producer of work items.

    ``warnings`` collects problems that are not fatal (an item skipped for a stated
    reason, a configured field absent from an export): they are data for the report,
    not exceptions.
    """

    name: str = "source"

    def __init__(self) -> None:
        self.warnings: list[str] = []

    @abstractmethod
    def items(self) -> Iterator[Item]:
        """Yield every item of this source; raise SourceError when it cannot be read."""
