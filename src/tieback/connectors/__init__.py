"""Which live sources and write-back targets a configuration turns on, through its connectors.

Each tracker is a connector package (``connectors/jira/``, ``connectors/github/``, or an
installed one, see ``registry``); ``connectors.files`` reads export files through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # A sync loads no sink and no report, a post no source.
    from tieback.config import Config
    from tieback.connectors.interface import Connector, Context
    from tieback.sinks.interface import Sink
    from tieback.sources.interface import TrackerSource


def configured(config: Config) -> list[tuple[Connector[Any], Context[Any]]]:
    """The connectors whose tables ``config`` has, each with its context."""
    from tieback.connectors.interface import Context
    from tieback.connectors.registry import connectors

    return [(connector, Context.of(config, connector.name)) for connector in connectors(config)]


def tracker_queries(config: Config) -> dict[str, str]:
    """What each configured live tracker syncs, by source name: the ``query`` its items,
    cursor and sync state are kept under in the store, worked out without loading the
    source (an offline audit reads the store by these)."""
    return {
        connector.name: connector.query(context)
        for connector, context in configured(config)
        if connector.syncs(context.settings)
    }


def export_sources(config: Config) -> list[str]:
    """The sources whose items the [files] exports may hold, by name."""
    from tieback.connectors.registry import connectors

    return [connector.name for connector in connectors(config) if connector.reads_exports]


def files_query(config: Config) -> str:
    """The query the [files] exports are copied into the store under: one per
    configuration (``[store] scope``, else its export paths as written), so that two
    configurations copying different exports into one store keep each other's."""
    named = config.settings.store.scope
    if named:
        return f"files:{named}"
    return "files:" + ",".join(path.as_posix() for path in config.settings.files.paths)


def store_scopes(config: Config) -> list[tuple[str, str]]:
    """The (source, query) pairs of the store this configuration reads: its trackers'
    queries, then its copied exports."""
    scopes = list(tracker_queries(config).items())
    if config.settings.files.paths:
        query = files_query(config)
        scopes.extend((source, query) for source in export_sources(config))
    return scopes


def store_scope(config: Config) -> str:
    """The name under which a configuration's snapshots are kept in the store: ``[store]
    scope``, else a short digest of what it reads."""
    named = config.settings.store.scope
    if named:
        return named
    import hashlib

    reads = [*sorted(tracker_queries(config).items())]
    if config.settings.files.paths:
        reads.append(("files", files_query(config)))
    return hashlib.sha256(repr(reads).encode()).hexdigest()[:16]


def tracker_sources(config: Config, only: str | None = None) -> list[TrackerSource]:
    """The configured live sources (``[jira] url`` and ``jql``, ``[github] repos``)."""
    sources: list[TrackerSource] = []
    for connector, context in configured(config):
        if only in (None, connector.name) and connector.syncs(context.settings):
            source = connector.source(context)
            if source is not None:
                sources.append(source)
    return sources


def sinks(config: Config) -> list[Sink]:
    """Where ``tieback post`` writes: each configured tracker."""
    targets: list[Sink] = []
    for connector, context in configured(config):
        if connector.enabled(context.settings):
            sink = connector.sink(context)
            if sink is not None:
                targets.append(sink)
    return targets


def source_hints(config: Config) -> list[str]:
    """What turns each live source on, as "nothing to sync" says it ("[jira] url and jql")."""
    from tieback.connectors.registry import connectors

    return [connector.source_hint for connector in connectors(config) if connector.source_hint]


def sink_hints(config: Config) -> list[str]:
    """What turns each write-back target on ("[jira] url")."""
    from tieback.connectors.registry import connectors

    return [connector.sink_hint for connector in connectors(config) if connector.sink_hint]
