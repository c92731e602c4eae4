"""The source stage's contract: something that yields work items."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tieback.errors import SourceError
from tieback.model import Item

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.http import RetryPolicy

__all__ = ["Page", "Source", "SourceError", "TrackerSource"]


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


@dataclass(frozen=True)
class Page:
    """One page of a tracker listing: its items and how far it got."""

    items: list[Item]
    position: str = ""  # for progress lines: "startAt 200", "page 3"
    total: int | None = None  # items the tracker says match, when it says


class TrackerSource(Source):
    """A live tracker read page by page into the store (Jira, GitHub).

    ``query`` identifies what is synced (the JQL, the repository), so a changed query
    starts from scratch instead of mixing results. ``pages(since)`` yields items
    updated at or after ``since`` (ISO 8601, UTC) or every item when ``since`` is
    None; ``keys()`` lists every key the query matches now, cheaply, so items that
    left the query can be removed.

    ``known_keys`` stands in for the store's keys of the query (for tests).
    """

    def __init__(
        self,
        config: Config,
        policy: RetryPolicy | None = None,
        known_keys: Callable[[], set[str]] | None = None,
    ) -> None:
        super().__init__()
        self._config = config
        self._policy = policy
        self._known_keys = known_keys

    @property
    @abstractmethod
    def query(self) -> str:
        """A stable description of what this source syncs."""

    @abstractmethod
    def pages(self, since: str | None) -> Iterator[Page]:
        """Pages of items updated since ``since``; raise SourceError on failure."""

    @abstractmethod
    def keys(self) -> set[str]:
        """Every key the query matches now."""

    def items(self) -> Iterator[Item]:
        for page in self.pages(None):
            yield from page.items

    def _stored_keys(self) -> set[str]:
        """The keys the store holds for this query: what the last sync left there.

        A removal check compares the tracker's count with these, and lists keys only
        when they differ.
        """
        if self._known_keys is not None:
            return self._known_keys()
        if not self._config.store_exists:
            return set()
        from tieback.store import Store

        with Store.open(self._config.store_location) as store:
            return store.keys(self.name, self.query)
