"""Which connectors and report formats exist: the built-in ones by import string, others
through the entry-point groups ``tieback.connectors`` and ``tieback.formats``.

Nothing is imported until it is asked for by name, and the installed distributions'
entry points are only scanned for a name that is not built in: ``tieback --help``
loads no connector, and a configuration without a third-party table scans nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tieback.config import Config, Settings
    from tieback.connectors.github.settings import Github
    from tieback.connectors.interface import Connector
    from tieback.connectors.jira.settings import Jira
    from tieback.formats.interface import Format

    class ConfiguredSettings(Settings):
        """What ``settings_model`` makes, as the type checker sees it: the built-in
        connectors' tables typed (an installed connector's is read by its context)."""

        jira: Jira
        github: Github


CONNECTOR_GROUP = "tieback.connectors"
FORMAT_GROUP = "tieback.formats"

# In the order they are synced, posted to, asked about an export file and listed.
BUILTIN_CONNECTORS = {
    "jira": "tieback.connectors.jira:JiraConnector",
    "github": "tieback.connectors.github:GithubConnector",
}
# The pull-request check ``tieback pr`` runs: the connector of the forge that holds the
# pull requests does it.
PULL_REQUEST_CHECK = "tieback.connectors.github.pr:run_pr"
# In the order --help lists them.
BUILTIN_FORMATS = {
    "table": "tieback.formats.table:TableFormat",
    "json": "tieback.formats.json:JsonFormat",
    "markdown": "tieback.formats.markdown:MarkdownFormat",
    "csv": "tieback.formats.csv:CsvFormat",
    "html": "tieback.formats.html:HtmlFormat",
    "mermaid": "tieback.formats.mermaid:MermaidFormat",
    "badge": "tieback.formats.badge:BadgeFormat",
}


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _entry_point(group: str, name: str) -> Any | None:
    """The object the installed entry point ``name`` of ``group`` names, loaded."""
    from importlib.metadata import entry_points

    for point in entry_points(group=group, name=name):
        return point.load()
    return None


def pull_request_check() -> Any:
    """``run_pr(config, environ, mode=None) -> exit code``: the pull-request check."""
    return _load(PULL_REQUEST_CHECK)


# Every connector looked up this run, by name; None for a name that is none.
_found: dict[str, Connector[Any] | None] = {}


def find_connector(name: str) -> Connector[Any] | None:
    """The connector called ``name``: built in, else installed; None when neither."""
    if name not in _found:
        _found[name] = _find(name)
    return _found[name]


def _find(name: str) -> Connector[Any] | None:
    target = BUILTIN_CONNECTORS.get(name)
    found = _load(target) if target else _entry_point(CONNECTOR_GROUP, name)
    if found is None:
        return None
    connector: Connector[Any] = found() if isinstance(found, type) else found
    if connector.name != name:
        from tieback.errors import ConfigError

        raise ConfigError(
            f"the connector registered as {name!r} calls itself {connector.name!r}; "
            "its entry point must be named as the connector is"
        )
    return connector


def connector(name: str) -> Connector[Any]:
    """The connector called ``name``; LookupError when there is none."""
    found = find_connector(name)
    if found is None:
        raise LookupError(f"no connector called {name!r}")
    return found


def token_variables() -> list[str]:
    """Where users keep the connectors' tokens: ``TIEBACK_<NAME>__TOKEN`` and the
    variables each connector also reads, for the built-in ones and any loaded this run."""
    names: list[str] = []
    for name in dict.fromkeys([*BUILTIN_CONNECTORS, *_found]):
        found = find_connector(name)
        if found is not None:
            names += [f"TIEBACK_{name.upper()}__TOKEN", *found.token_variables]
    return names


def is_connector(name: str) -> bool:
    return name in BUILTIN_CONNECTORS or find_connector(name) is not None


@cache
def settings_model(extra: tuple[str, ...] = ()) -> type[Settings]:
    """The configuration's model: the core tables, each built-in connector's table and
    each installed connector's among ``extra``; a name in ``extra`` that is none stays
    an unknown key to the model."""
    from pydantic import create_model

    from tieback.settings import Settings

    names = [*BUILTIN_CONNECTORS, *(name for name in extra if name not in BUILTIN_CONNECTORS)]
    fields: dict[str, Any] = {}
    for name in dict.fromkeys(names):
        found = find_connector(name)
        if found is not None:
            model = found.settings_model
            fields[name] = (model, model())
    return create_model("Settings", __base__=Settings, __module__=Settings.__module__, **fields)


def connectors(config: Config) -> list[Connector[Any]]:
    """The connectors whose tables ``config`` has: every built-in one, and the installed
    ones its file or environment named."""
    from tieback.settings import Settings

    names = type(config.settings).model_fields
    return [connector(name) for name in names if name not in Settings.model_fields]


def format_class(name: str) -> type[Format] | None:
    """The report format called ``name``: built in, else installed; None when neither."""
    target = BUILTIN_FORMATS.get(name)
    found: type[Format] | None = _load(target) if target else _entry_point(FORMAT_GROUP, name)
    return found


def format_names(extra: Iterable[str] = ()) -> tuple[str, ...]:
    return (*BUILTIN_FORMATS, *extra)
