"""``tieback sync``: pull tracker items into the store, incrementally, losing nothing.

Each page's items are committed as they arrive; the cursor moves only once every
page is in, so a sync killed at any point restarts from the old cursor, re-reads a
little and duplicates nothing (items are keyed by source and key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tieback.sources.interface import Page, TrackerSource
from tieback.store import FILES_QUERY, Store

# Trackers and this machine disagree about time; re-read this much before the cursor.
OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class SyncResult:
    source: str
    full: bool
    fetched: int
    removed: int
    pages: int
    cursor: str
    warnings: tuple[str, ...] = ()


ProgressCallback = Callable[[str, Page, int], None]


def sync_source(
    source: TrackerSource,
    store: Store,
    full: bool = False,
    progress: ProgressCallback | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SyncResult:
    """Sync one source: changed items since the cursor, then drop keys that left."""
    started = now()
    previous = None if full else store.cursor(source.name, source.query)
    since = None
    if previous is not None:
        since = _iso(datetime.fromisoformat(previous.cursor) - OVERLAP)
    fetched = pages = 0
    seen: set[str] = set()
    for page in source.pages(since):
        store.upsert_items(source.query, page.items)
        seen.update(item.key for item in page.items)
        fetched += len(page.items)
        pages += 1
        if progress is not None:
            progress(source.name, page, fetched)

    # Full (or first) sync: what the listing did not return is gone. Items copied from
    # export files are not this query's to remove. Every key listed is stored now, so
    # when the store holds no more keys than were listed, none is stale and none is read.
    if full or previous is None:
        if store.count(source.name, besides=FILES_QUERY) == len(seen):
            stale = set()
        else:
            stale = store.keys(source.name, besides=FILES_QUERY) - seen
    else:
        stale = _left(source, store)
    removed = store.delete_items(source.name, stale) if stale else 0
    cursor = _iso(started)
    store.set_cursor(source.name, source.query, cursor, cursor)
    return SyncResult(
        source.name,
        full or previous is None,
        fetched,
        removed,
        pages,
        cursor,
        tuple(source.warnings),
    )


def _left(source: TrackerSource, store: Store) -> set[str]:
    """The stored keys that left the query, after an incremental sync.

    Every issue the query matches now was created or changed at some point, so the
    sync just finished has it in the store: a group whose tracker count equals the
    store's count has lost nothing, and its keys are not read at all. Only the other
    groups are listed.
    """
    held = store.key_counts(source.name, source.query, source.separator)
    differ = {group for group, count in source.counts().items() if count != held.get(group, 0)}
    if not differ:
        return set()
    current = source.keys(differ)
    stored = store.keys(source.name, besides=FILES_QUERY)
    return {key for key in stored if source.group(key) in differ} - current


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
