"""Which live trackers and write-back targets a configuration turns on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # A sync loads no sink and no report, a post no source.
    from tieback.config import Config
    from tieback.sinks.interface import Sink
    from tieback.sources.interface import TrackerSource

TRACKERS = ("jira", "github")


def tracker_sources(config: Config, only: str | None = None) -> list[TrackerSource]:
    """The configured live sources (``[jira] url``, ``[github] repos``)."""
    sources: list[TrackerSource] = []
    if config.settings.jira.enabled and only in (None, "jira"):
        from tieback.sources.jira import JiraSource

        sources.append(JiraSource(config))
    if config.settings.github.enabled and only in (None, "github"):
        from tieback.sources.github import GithubSource

        sources.append(GithubSource(config))
    return sources


def sinks(config: Config) -> list[Sink]:
    """Where ``tieback post`` writes: each configured tracker."""
    targets: list[Sink] = []
    if config.settings.jira.enabled:
        from tieback.sinks.jira import JiraSink

        targets.append(JiraSink(config))
    if config.settings.github.enabled:
        from tieback.sinks.github import GithubSink

        targets.append(GithubSink(config))
    return targets
