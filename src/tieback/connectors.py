"""Which live trackers and write-back targets a configuration turns on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # A sync loads no sink and no report, a post no source.
    from tieback.config import Config
    from tieback.sinks.interface import Sink
    from tieback.sources.interface import TrackerSource

TRACKERS = ("jira", "github")


def tracker_queries(config: Config) -> dict[str, str]:
    """What each configured live tracker syncs, by source name: the ``query`` its items,
    cursor and sync state are kept under in the store, worked out without loading the
    source (an offline audit reads the store by these)."""
    queries: dict[str, str] = {}
    if config.settings.jira.syncs:
        queries["jira"] = jira_query(config)
    if config.settings.github.enabled:
        queries["github"] = github_query(config)
    return queries


def files_query(config: Config) -> str:
    """The query the [files] exports are copied into the store under: one per
    configuration (``[store] scope``, else its export paths as written), so that two
    configurations copying different exports into one store keep each other's."""
    named = config.settings.store.scope
    if named:
        return f"files:{named}"
    return "files:" + ",".join(path.as_posix() for path in config.settings.files.paths)


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


def jira_query(config: Config) -> str:
    jira = config.settings.jira
    # The fields read are part of what is synced: changing one starts afresh, so no
    # stored item keeps values read through the old field.
    fields = f"points={jira.points_field};team={jira.team_field}"
    fields += f";outcome={config.settings.tagging.jira_field}"
    jql = " ".join(jira.jql.split())
    return f"{jira.url.rstrip('/')} {jql} [{fields.lower()}]"


def github_query(config: Config) -> str:
    github = config.settings.github
    repos = ",".join(sorted(repo.lower() for repo in github.repos))
    pulls = "with pulls" if github.include_pull_requests else "issues"
    return f"{github.api_url.rstrip('/')} {repos} {pulls}"


def tracker_sources(config: Config, only: str | None = None) -> list[TrackerSource]:
    """The configured live sources (``[jira] url``, ``[github] repos``)."""
    sources: list[TrackerSource] = []
    if config.settings.jira.syncs and only in (None, "jira"):
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
