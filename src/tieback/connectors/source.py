"""The source stage's contract: something that yields work items."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tieback.errors import SourceError
from tieback.model import Item

if TYPE_CHECKING:
    from tieback.connectors.interface import Context
    from tieback.meter import Meter

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
    """A live tracker read page by page into the store: a connector's source.

    ``query`` identifies what is synced (the JQL, the repository), so a changed query
    starts from scratch instead of mixing results. ``pages(since)`` yields items
    updated at or after ``since`` (ISO 8601, UTC) or every item when ``since`` is
    None.

    Finding the items that left the query after an incremental sync is two steps, so
    that the common case (nothing left) costs one request and no listing. Keys fall
    into groups: the part before ``separator``, lower-cased (GitHub: the repository of
    ``owner/repo#12``), or one group ``""`` when ``separator`` is None (Jira).
    ``counts()`` asks the tracker how many keys each group holds now; a group whose
    count equals the store's needs nothing more. ``keys(groups)`` lists the keys of
    the other groups.
    """

    separator: str | None = None

    def __init__(self, context: Context[Any]) -> None:
        super().__init__()
        self.context = context

    @property
    def meter(self) -> Meter:
        """What the pages are counted on: the meter of this source's context."""
        return self.context.meter

    @property
    @abstractmethod
    def query(self) -> str:
        """A stable description of what this source syncs."""

    @abstractmethod
    def pages(self, since: str | None) -> Iterator[Page]:
        """Pages of items updated since ``since``; raise SourceError on failure."""

    @abstractmethod
    def counts(self) -> dict[str, int | None]:
        """How many keys the query matches now, by group; None for a group the
        tracker cannot count cheaply and exactly enough to trust."""

    @abstractmethod
    def keys(self, groups: Collection[str] | None = None) -> set[str]:
        """Every key the query matches now, in ``groups`` (every group when None)."""

    def held_refs(self) -> Mapping[str, tuple[str, ...]] | None:
        """Refs the tracker keeps apart from its items, for every item the query matches
        (by lower-cased key; a key not there has none), as the last ``pages`` read them;
        None when it keeps none. Changing them moves no item's update time, so an
        incremental listing misses them: the sync gives them to every stored item after
        the listing (GitHub Projects' fields)."""
        return None

    def group(self, key: str) -> str:
        """The group of ``key``; ``Store.key_counts`` groups the same way."""
        return group_of(key, self.separator)

    def items(self) -> Iterator[Item]:
        for page in self.pages(None):
            yield from page.items


def group_of(key: str, separator: str | None) -> str:
    """The lower-cased part of ``key`` before ``separator``; "" when there is none."""
    if separator is None:
        return ""
    head, found, _ = key.partition(separator)
    return head.lower() if found else ""
