"""``tieback sync``: pull tracker items into the store, incrementally, losing nothing.

Each page's items are committed as they arrive; the cursor moves only once every
page is in, so a sync killed at any point restarts from the old cursor, re-reads a
little and duplicates nothing (items are keyed by source, query and key). Each page is
counted on the source's meter, which says the sync's summary once it completes.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import inf

from tieback.connectors.source import Page, TrackerSource
from tieback.http import in_background
from tieback.model import Item
from tieback.store import Store

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
    """Sync one source: changed items since the cursor, then drop keys that left.

    Only the items this source's query stored are read, replaced or removed: another
    configuration sharing the store keeps its own. The store says the sync is running
    until it completes; one that fails or is killed half-way stays incomplete there, so
    no audit reports what it left as the whole backlog.

    ``progress`` is told of each page, unless the source's meter draws a line on a
    terminal: lines per page would scroll it away.
    """
    meter = source.meter
    meter.start()
    if meter.draws_line:
        progress = None
    started = now()
    query = source.query
    previous = None if full else store.cursor(source.name, query)
    since = None
    if previous is not None:
        since = _iso(datetime.fromisoformat(previous.cursor) - OVERLAP)
    store.begin_sync(source.name, query, _iso(started))
    try:
        fetched, removed, pages = _pull(
            source, store, query, since, full or previous is None, progress
        )
    except BaseException as exc:
        meter.cancel()
        # KeyboardInterrupt too: what was stored is partial either way.
        with contextlib.suppress(Exception):
            store.end_sync(source.name, query, _iso(now()), _one_line(exc))
        raise
    cursor = _iso(started)
    with store.transaction():
        store.set_cursor(source.name, query, cursor, cursor)
        store.end_sync(source.name, query, cursor)
    meter.close()
    return SyncResult(
        source.name,
        full or previous is None,
        fetched,
        removed,
        pages,
        cursor,
        tuple(source.warnings),
    )


def _pull(
    source: TrackerSource,
    store: Store,
    query: str,
    since: str | None,
    whole: bool,
    progress: ProgressCallback | None = None,
) -> tuple[int, int, int]:
    """Store the pages updated since ``since`` (all of them when ``whole``) and remove
    what left the query; how many items were fetched and removed, in how many pages."""
    fetched = pages = 0
    seen: set[str] = set()
    meter = source.meter
    no_estimate: list[str] = []
    # An incremental sync ends by comparing the tracker's counts with the store's (see
    # ``_left``). Counting a query's rows reads all of them (9 ms at 100,000 items), so
    # the store counts them now, beside the first requests, and each page adds the keys
    # it stores for the first time.
    stored: dict[str, int] | None = None
    counting = None
    if not whole:
        counting = in_background(
            functools.partial(store.key_counts, source.name, query, source.separator),
            "tieback-store-count",
        )
    try:
        for page in source.pages(since):
            items = _estimated(page.items, no_estimate)
            if counting is not None:
                stored, counting = counting(), None  # done before the store is used again
            if stored is not None:
                keys = [item.key for item in items]
                for key in set(keys) - store.known_keys(source.name, query, keys):
                    group = source.group(key)
                    stored[group] = stored.get(group, 0) + 1
            store.upsert_items(query, items)
            seen.update(item.key for item in page.items)
            fetched += len(page.items)
            pages += 1
            meter.pages(len(page.items))
            if progress is not None:
                progress(source.name, page, fetched)
    finally:
        if counting is not None:  # no page came: the count is still the store's
            with contextlib.suppress(Exception):
                stored = counting()
    if no_estimate:
        many = "1 item has" if len(no_estimate) == 1 else f"{len(no_estimate)} items have"
        source.warnings.append(
            f"{source.name}: {many} story points that are not a finite number of 0 or more "
            f"(e.g. {no_estimate[0]}); counted as unestimated"
        )
    held = source.held_refs()
    if held is not None:
        store.set_field_refs(source.name, query, held)

    # Full (or first) sync: what the listing did not return is gone from this query.
    # Every key listed is stored now, so when the query holds no more keys than were
    # listed, none is stale and none is read.
    if whole:
        if store.count(source.name, query) == len(seen):
            stale = set()
        else:
            stale = store.keys(source.name, query) - seen
    else:
        stale = _left(source, store, query, stored)
    removed = store.delete_items(source.name, query, stale) if stale else 0
    return fetched, removed, pages


def _estimated(items: Sequence[Item], no_estimate: list[str]) -> Sequence[Item]:
    """``items`` with points that are no estimate ("inf", "nan" or a negative number,
    which a tracker's number field may hold) taken as none, their keys in
    ``no_estimate``: as weights they would make every total NaN, or coverage wrong."""
    bad = [
        index
        for index, item in enumerate(items)
        if item.points is not None and not (0 <= item.points < inf)
    ]
    if not bad:
        return items
    kept = list(items)
    for index in bad:
        kept[index] = kept[index]._replace(points=None)
        no_estimate.append(kept[index].key)
    return kept


def _left(
    source: TrackerSource, store: Store, query: str, held: dict[str, int] | None = None
) -> set[str]:
    """The stored keys that left the query, after an incremental sync.

    Every issue the query matches now was created or changed at some point, so the
    sync just finished has it in the store: a group whose tracker count equals the
    store's count (``held``, by group, when the sync kept it) has lost nothing, and its
    keys are not read at all. Only the other groups are listed.
    """
    if held is None:
        held = store.key_counts(source.name, query, source.separator)
    differ = {group for group, count in source.counts().items() if count != held.get(group, 0)}
    if not differ:
        return set()
    current = source.keys(differ)
    stored = store.keys(source.name, query)
    return {key for key in stored if source.group(key) in differ} - current


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
