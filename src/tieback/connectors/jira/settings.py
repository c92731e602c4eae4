"""The [jira] table: the Jira site, its query, the fields read and the post-back."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from tieback.settings import Section, check_url


class JiraPostBack(Section):
    missing_label: str = "needs-outcome"
    comment: bool = True
    summary_issue: str = ""


class Jira(Section):
    url: str = ""
    email: str = ""
    token: SecretStr | None = None
    jql: str = ""
    deployment: Literal["auto", "cloud", "server"] = "auto"
    points_field: str = "Story Points"
    team_field: str = ""
    timeout: float = Field(30, gt=0)  # seconds for a whole answer: connection, headers, body
    max_wait: float = Field(60, ge=0)  # seconds: a longer wait asked for stops the run
    post_back: JiraPostBack = JiraPostBack()

    @property
    def enabled(self) -> bool:
        """Whether tieback talks to this Jira (post-back, links, the PR check's keys)."""
        return bool(self.url)

    @property
    def syncs(self) -> bool:
        """Whether this Jira is a live source: a site and a query. A site alone only
        names where exported issues link to and where post-back writes."""
        return bool(self.url and self.jql.strip())

    @field_validator("url")
    @classmethod
    def _site(cls, url: str) -> str:
        if not url:
            return url
        return check_url(
            url, "https://acme.atlassian.net", "TIEBACK_JIRA__TOKEN (or JIRA_API_TOKEN)"
        )


def query_of(jira: Jira, outcome_field: str) -> str:
    """What a Jira sync reads, as the store keeps its items under: the site, the JQL and
    the fields read (changing one starts afresh, so no stored item keeps values read
    through the old field). ``outcome_field`` is ``[tagging] jira_field``."""
    fields = f"points={jira.points_field};team={jira.team_field}"
    fields += f";outcome={outcome_field}"
    jql = " ".join(jira.jql.split())
    return f"{jira.url.rstrip('/')} {jql} [{fields.lower()}]"
