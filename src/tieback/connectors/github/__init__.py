"""The GitHub connector: issues (and pull requests) of repositories, exports, post-back.

Its modules load when used: ``settings`` with the configuration, ``client`` and
``source`` for a sync, ``payload`` and ``exports`` for export files, ``sink`` to post.
The pull-request check (``tieback pr``) is ``tieback.connectors.github.pr``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tieback.connectors.github.settings import Github, query_of
from tieback.connectors.interface import Connector, Context

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.connectors.interface import ExportReader
    from tieback.connectors.sink import Sink
    from tieback.connectors.source import TrackerSource
    from tieback.outcomes import Finding


class GithubConnector(Connector[Github]):
    name = "github"
    settings_model = Github
    token_variables = ("GITHUB_TOKEN",)
    source_hint = "[github] repos"
    sink_hint = "[github] repos"
    reads_exports = True
    export_shapes = (
        "a GitHub issues array",
        "a GitHub search response",
        "a GitHub Project's items (gh project item-list)",
    )
    export_keys = ('"items"',)
    export_answers = "GitHub's issues or search/issues"

    def enabled(self, settings: Github) -> bool:
        return settings.enabled

    def query(self, context: Context[Github]) -> str:
        return query_of(context.settings, context.tagging.github_project_field)

    def source(self, context: Context[Github]) -> TrackerSource:
        from tieback.connectors.github.source import GithubSource

        return GithubSource(context)

    def sink(self, context: Context[Github]) -> Sink:
        from tieback.connectors.github.sink import GithubSink

        return GithubSink(context)

    def export_reader(self, context: Context[Github]) -> ExportReader:
        from tieback.connectors.github.exports import GithubExports

        return GithubExports(context)

    def lint(self, context: Context[Github]) -> list[Finding]:
        from tieback.outcomes import Finding

        settings = context.settings
        findings = []
        if settings.enabled and context.token is None:
            findings.append(
                Finding(
                    "no-token",
                    "[github] repos are set but no token: set TIEBACK_GITHUB__TOKEN or "
                    "GITHUB_TOKEN",
                    "github",
                )
            )
        field = context.tagging.github_project_field
        if settings.project and not field:
            findings.append(
                Finding(
                    "project-field",
                    "[github] project is set but [tagging] github_project_field is empty: no "
                    "project field is read; name the field that holds the outcome",
                    "github",
                )
            )
        if settings.post_back.set_project_field and not (settings.project and field):
            findings.append(
                Finding(
                    "project-field",
                    "[github.post_back] set_project_field needs [github] project and "
                    "[tagging] github_project_field: no field is set without them",
                    "github",
                )
            )
        return findings


connector = GithubConnector()


def github_query(config: Config) -> str:
    """What the configured repositories sync: the query their items are kept under."""
    return connector.query(Context.of(config, connector.name))
