"""Which live sources and write-back targets a configuration turns on, through its connectors.

Each tracker is a connector package (``connectors/jira/``, ``connectors/github/``, or an
installed one, see ``registry``); ``connectors.files`` reads export files through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # A sync loads no sink and no report, a post no source.
    from tieback.config import Config
    from tieback.connectors.context import (
        configured,
        export_sources,
        files_query,
        store_scope,
        store_scopes,
        tracker_queries,
    )
    from tieback.connectors.sink import Sink
    from tieback.connectors.source import TrackerSource

__all__ = [
    "configured",
    "export_sources",
    "files_query",
    "sink_hints",
    "sinks",
    "source_hints",
    "store_scope",
    "store_scopes",
    "tracker_queries",
    "tracker_sources",
]


# What ``connectors.context`` gives, loaded when first asked for: importing this package,
# as ``tieback --help`` does for the registry's formats, must not load the settings'
# models (pydantic) that the contexts are built on.
_FROM_CONTEXT = frozenset(
    (
        "configured",
        "export_sources",
        "files_query",
        "store_scope",
        "store_scopes",
        "tracker_queries",
    )
)


def __getattr__(name: str) -> Any:
    if name in _FROM_CONTEXT:
        from tieback.connectors import context

        return getattr(context, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def tracker_sources(config: Config, only: str | None = None) -> list[TrackerSource]:
    """The configured live sources (``[jira] url`` and ``jql``, ``[github] repos``)."""
    from tieback.connectors.context import configured

    sources: list[TrackerSource] = []
    for connector, context in configured(config):
        if only in (None, connector.name) and connector.syncs(context.settings):
            source = connector.source(context)
            if source is not None:
                sources.append(source)
    return sources


def sinks(config: Config) -> list[Sink]:
    """Where ``tieback post`` writes: each configured tracker."""
    from tieback.connectors.context import configured

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
