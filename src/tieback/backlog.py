"""The backlog a configuration reads: its trackers and exports synced into the store,
and read back (``read_items``), with a line for each source the store holds only part of."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.connectors.source import Source
    from tieback.model import Item
    from tieback.sync import ProgressCallback, SyncResult


def sync_trackers(
    config: Config,
    only: str | None = None,
    full: bool = False,
    progress: ProgressCallback | None = None,
) -> list[SyncResult]:
    """Pull every configured tracker (or just ``only``) into the store."""
    from tieback.connectors import tracker_sources
    from tieback.store import Store
    from tieback.sync import sync_source

    sources = tracker_sources(config, only)
    if not sources:
        return []
    with Store.open(config.store_location) as store:
        store.mark_with(config.settings.tagging.body_marker)
        return [sync_source(source, store, full=full, progress=progress) for source in sources]


def sync_files(config: Config) -> int:
    """Copy the [files] exports into the store, so later offline audits keep them.

    They are kept under this configuration's files query (``connectors.files_query``):
    what another configuration copied stays. Copies an older tieback kept under the one
    query all configurations shared are dropped here, as this copy replaces them.
    """
    from tieback.connectors import export_sources, files_query
    from tieback.connectors.files import FilesSource
    from tieback.model import TagsOnly
    from tieback.store import FILES_QUERY, Store

    # An entry that only tags (a project's item) is no copy of an issue: kept in the
    # store, it would stand in for the synced issue of its key.
    items = [item for item in FilesSource(config).items() if type(item) is not TagsOnly]
    query = files_query(config)
    present = {(item.source, item.key) for item in items}
    with Store.open(config.store_location) as store, store.transaction():
        store.mark_with(config.settings.tagging.body_marker)
        for source in export_sources(config):
            gone = {k for k in store.keys(source, query) if (source, k) not in present}
            store.delete_items(source, query, gone)
            store.delete_items(source, FILES_QUERY, store.keys(source, FILES_QUERY))
        store.upsert_items(query, items)
    return len(items)


def read_items(
    config: Config, lean: bool = False, borrow: Collection[str] = ()
) -> tuple[list[Item], list[str]]:
    """This configuration's items in the store, then the [files] exports (a key seen
    again replaces the first).

    ``lean`` stored items carry what an audit reads and no more: a body only if it holds
    the tagging marker (alignment reads nothing else in it), no ``updated`` stamp, and
    of ``done_at`` the day alone.
    ``borrow`` names sources this configuration does not sync whose items are read
    whichever configuration stored them (the pull-request check's Jira keys, for a
    store another job syncs from Jira).
    """
    stored: list[Item] = []
    exported: list[Item] = []
    warnings: list[str] = []
    from tieback.connectors import store_scopes

    scopes = store_scopes(config)
    mine = {source for source, _ in scopes}
    borrowed = [source for source in borrow if source not in mine]
    if config.store_exists and (scopes or borrowed):
        from tieback.store import Store

        marker = config.settings.tagging.body_marker if lean else None
        with Store.open(config.store_location) as store:
            for source in borrowed:
                scopes.extend((source, query) for query in store.queries(source))
            # Each query's keys are unique; two queries may share some (an issue both
            # the tracker and an export hold): the later one's copy is kept.
            for scope in scopes:
                found = list(store.items(body_marker=marker, stamped=not lean, scopes=[scope]))
                stored = _merge(stored, found) if stored else found
    if config.settings.files.paths:
        from tieback.connectors.files import FilesSource

        files: Source = FilesSource(config)
        exported = list(files.items())
        warnings.extend(files.warnings)
    return _merge(stored, exported), warnings


def incomplete_syncs(config: Config) -> list[str]:
    """One line for each configured tracker whose items in the store are not known to
    be whole: never synced for this configuration, or its last sync failed or never
    ended (killed). An audit over such a source reports a part as if it were all."""
    from tieback.connectors import tracker_queries

    queries = tracker_queries(config)
    if not queries:
        return []
    states = {}
    if config.store_exists:
        from tieback.store import Store

        with Store.open(config.store_location) as store:
            states = {name: store.sync_state(name, query) for name, query in queries.items()}
    lines = []
    for name in queries:
        state = states.get(name)
        if state is not None and state.complete:
            continue
        if state is None:
            lines.append(f"{name}: never synced into this store; run 'tieback sync'")
            continue
        last = (
            f"last complete sync {state.completed_at}"
            if state.completed_at
            else "no sync of it ever completed"
        )
        if state.state == "failed":
            happened = f"the sync started {state.started_at} failed ({state.error})"
        else:
            happened = f"the sync started {state.started_at} never finished"
        lines.append(
            f"{name}: the store holds a partial backlog: {happened}; {last}; "
            "run 'tieback sync' again"
        )
    return lines


def _merge(stored: list[Item], exported: list[Item]) -> list[Item]:
    """``stored`` with each exported item in place of the stored one it replaces, then
    the exported items the store did not hold, in the order they were first seen. An
    exported item that only tags (``TagsOnly``) adds its refs to the stored one instead.

    Stored keys are unique (the store's primary key), so only the exports go in a dict:
    a dict of a million stored items would cost more than the rest of the merge.
    """
    if not exported:
        return stored
    from tieback.model import TagsOnly

    replacing: dict[tuple[str, str], Item] = {}
    tagging: dict[tuple[str, str], Item] = {}
    for item in exported:
        (tagging if type(item) is TagsOnly else replacing)[item.source, item.key] = item
    merged = [replacing.pop((item.source, item.key), item) for item in stored]
    if tagging:
        for index, item in enumerate(merged):
            tags = tagging.pop((item.source, item.key), None)
            if tags is not None:
                merged[index] = item._replace(field_refs=item.field_refs + tags.field_refs)
    merged.extend(replacing.values())
    merged.extend(tagging.values())
    return merged
