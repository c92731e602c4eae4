"""The Jira connector: Cloud and Data Center searches, exports, post-back and checks.

Its modules load when used: ``settings`` with the configuration, ``client`` (on
``rest``) and ``source`` for a sync, ``payload`` and ``exports`` for export files,
``sink`` (with ``comments`` and ``explanation``) to post.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tieback.connectors.interface import Connector, Context
from tieback.connectors.jira.settings import Jira, query_of

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.connectors.interface import ExportReader
    from tieback.connectors.sink import Sink
    from tieback.connectors.source import TrackerSource
    from tieback.outcomes import Finding


class JiraConnector(Connector[Jira]):
    name = "jira"
    settings_model = Jira
    token_variables = ("JIRA_API_TOKEN",)
    source_hint = "[jira] url and jql"
    sink_hint = "[jira] url"
    reads_exports = True
    export_shapes = ("a Jira search response", "a Jira CSV export")
    export_keys = ('"issues"',)
    export_csv = 'a CSV with an "Issue key" column'
    export_answers = "a Jira search"

    def enabled(self, settings: Jira) -> bool:
        return settings.enabled

    def syncs(self, settings: Jira) -> bool:
        return settings.syncs

    def query(self, context: Context[Jira]) -> str:
        return query_of(context.settings, context.tagging.jira_field)

    def source(self, context: Context[Jira]) -> TrackerSource:
        from tieback.connectors.jira.source import JiraSource

        return JiraSource(context)

    def sink(self, context: Context[Jira]) -> Sink:
        from tieback.connectors.jira.sink import JiraSink

        return JiraSink(context)

    def export_reader(self, context: Context[Jira]) -> ExportReader:
        from tieback.connectors.jira.exports import JiraExports

        return JiraExports(context)

    def lint(self, context: Context[Jira]) -> list[Finding]:
        from tieback.outcomes import Finding

        findings: list[Finding] = []
        jira = context.settings
        if not jira.enabled:
            return findings
        if context.token is None:
            findings.append(
                Finding(
                    "no-token",
                    "[jira] url is set but no token: set TIEBACK_JIRA__TOKEN or JIRA_API_TOKEN",
                    "jira",
                )
            )
        if not jira.jql.strip():
            findings.append(
                Finding(
                    "no-jql",
                    "[jira] jql is empty: Jira is read only through [files] exports (the url "
                    "makes their links); set jql to say which issues to sync",
                    "jira",
                )
            )
        return findings


connector = JiraConnector()


def jira_query(config: Config) -> str:
    """What the configured Jira syncs: the query its items are kept under in the store."""
    return connector.query(Context.of(config, connector.name))
