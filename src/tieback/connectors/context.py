"""What a connector is given, and the store's names for what a configuration reads.

A ``Context`` carries one connector's settings and token, the rules, the retry policy,
a ``StoreHandle`` and the ``Meter`` its work is counted on; the handle names the queries
and the history scope of the configuration, which every configured connector's query
decides (``tracker_queries``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from tieback.meter import SILENT, Meter, meter_for

if TYPE_CHECKING:
    from pydantic import SecretStr

    from tieback.config import Config, Exempt, Tagging
    from tieback.connectors.interface import Connector
    from tieback.http import RetryPolicy
    from tieback.outcomes import Declarations
    from tieback.store import Store

S = TypeVar("S", bound=BaseModel)


class StoreHandle:
    """The store as a connector sees it: where it is, and the names its items and
    snapshots are kept under for this configuration."""

    def __init__(self, config: Config, name: str) -> None:
        self._config = config
        self._name = name

    @property
    def location(self) -> Path | str:
        """The PostgreSQL URL when ``[store] url`` is set, else the SQLite file."""
        return self._config.store_location

    @property
    def exists(self) -> bool:
        """Whether there is a store to read (a server is assumed to be there)."""
        return self._config.store_exists

    def open(self) -> AbstractContextManager[Store]:
        """The store, open for the ``with`` block."""
        from tieback.store import Store

        return Store.open(self.location)

    @cached_property
    def scope(self) -> str:
        """The name this configuration's snapshots are kept under."""
        return store_scope(self._config)

    @cached_property
    def queries(self) -> list[str]:
        """The queries this configuration reads this connector's items under: its live
        query, and the one its copied exports are kept under."""
        return [query for source, query in store_scopes(self._config) if source == self._name]


@dataclass(frozen=True)
class Context(Generic[S]):
    """What a connector's source, sink, export reader and checks are given."""

    name: str
    settings: S  # the connector's own table, validated by its model
    token: SecretStr | None
    tagging: Tagging
    exempt: Exempt
    weight: str  # "count" or "points": whether story points are read at all
    precision: int  # decimals shown of a coverage figure
    policy: RetryPolicy | None  # None: the default one
    store: StoreHandle
    label: str  # how messages name the configuration ("tieback.toml")
    outcomes_file: str  # the outcomes file, as messages show it
    declarations: Callable[[], Declarations]  # the declared outcomes, read when asked
    # Counts the pages read, the writes made and the policy's waits (``tieback.meter``);
    # the silent one unless the command says its progress.
    meter: Meter = SILENT

    @classmethod
    def of(cls, config: Config, name: str, policy: RetryPolicy | None = None) -> Context[Any]:
        """The context of the connector ``name`` under ``config``."""
        from tieback.outcomes import load_declarations

        settings = config.settings
        meter = meter_for(name)
        return Context(
            name=name,
            settings=getattr(settings, name),
            token=config.token(name),
            tagging=settings.tagging,
            exempt=settings.exempt,
            weight=settings.coverage.weight,
            precision=settings.coverage.precision,
            policy=meter.watching(policy),
            store=StoreHandle(config, name),
            label=config.label,
            outcomes_file=config.display(config.outcomes_path),
            declarations=lambda: load_declarations(config),
            meter=meter,
        )


def configured(config: Config) -> list[tuple[Connector[Any], Context[Any]]]:
    """The connectors whose tables ``config`` has, each with its context."""
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
