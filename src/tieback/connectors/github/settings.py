"""The [github] table: the repositories, the API, the post-back and the pull-request check."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from tieback.settings import Section, check_url


class GithubPostBack(Section):
    missing_label: str = "needs-outcome"
    comment: bool = False
    summary_issue: str = ""

    @field_validator("summary_issue")
    @classmethod
    def _issue_key(cls, key: str) -> str:
        if key and not re.fullmatch(r"[\w.-]+/[\w.-]+#[1-9]\d*", key, re.ASCII):
            raise ValueError("expected owner/repo#number, e.g. acme/app#1, or empty")
        return key


class GithubPullRequest(Section):
    mode: Literal["enforce", "warn", "off"] = "enforce"
    skip_label: str = "no-outcome"
    jira_keys: list[str] = Field(default_factory=list)
    comment: bool = True


class Github(Section):
    api_url: str = "https://api.github.com"
    token: SecretStr | None = None
    repos: list[str] = Field(default_factory=list)
    include_pull_requests: bool = False
    timeout: float = Field(30, gt=0)  # seconds for a whole answer: connection, headers, body
    max_wait: float = Field(60, ge=0)  # seconds: a longer wait asked for stops the run
    post_back: GithubPostBack = GithubPostBack()
    pull_request: GithubPullRequest = GithubPullRequest()

    @property
    def enabled(self) -> bool:
        return bool(self.repos)

    @field_validator("api_url")
    @classmethod
    def _api(cls, url: str) -> str:
        return check_url(url, "https://api.github.com", "TIEBACK_GITHUB__TOKEN (or GITHUB_TOKEN)")

    @field_validator("repos")
    @classmethod
    def _owner_slash_name(cls, repos: list[str]) -> list[str]:
        for repo in repos:
            owner, _, name = repo.partition("/")
            if not owner or not name or "/" in name:
                raise ValueError(f"{repo!r} is not of the form owner/name")
        return repos


def query_of(github: Github) -> str:
    """What a GitHub sync reads, as the store keeps its items under: the API, the
    repositories and whether pull requests count."""
    repos = ",".join(sorted(repo.lower() for repo in github.repos))
    pulls = "with pulls" if github.include_pull_requests else "issues"
    return f"{github.api_url.rstrip('/')} {repos} {pulls}"
