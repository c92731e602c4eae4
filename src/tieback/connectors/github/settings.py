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
    # Set [tagging] github_project_field on a project item whose issue is tagged by a
    # label alone, so the project shows what the label says.
    set_project_field: bool = False

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
    # GitHub Projects whose [tagging] github_project_field tags their issues, each
    # orgs/OWNER/projects/N or users/OWNER/projects/N (a project's URL is taken too).
    project: list[str] = Field(default_factory=list)
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

    @field_validator("project", mode="before")
    @classmethod
    def _projects(cls, given: object) -> object:
        if isinstance(given, str):
            given = [given]
        if not isinstance(given, list):
            return given  # pydantic says what a list of strings is
        return [project_path(entry) if isinstance(entry, str) else entry for entry in given]

    @field_validator("repos")
    @classmethod
    def _owner_slash_name(cls, repos: list[str]) -> list[str]:
        for repo in repos:
            owner, _, name = repo.partition("/")
            if not owner or not name or "/" in name:
                raise ValueError(f"{repo!r} is not of the form owner/name")
        return repos


# orgs/acme/projects/5, alone or at the end of a project's URL (/views/2, a query after).
_PROJECT = re.compile(
    r"(?:https?://[^/\s]+/)?(orgs|users)/([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)"
    r"/projects/([1-9][0-9]*)(?:/views/[0-9]+)?/?(?:[?#]\S*)?",
    re.ASCII,
)


def project_path(text: str) -> str:
    """``orgs/OWNER/projects/N`` (or ``users/...``) from itself or the project's URL;
    ValueError saying the shape expected for anything else."""
    match = _PROJECT.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not a project: expected orgs/OWNER/projects/N or "
            "users/OWNER/projects/N, or the project's URL "
            "(https://github.com/orgs/OWNER/projects/N)"
        )
    return f"{match[1]}/{match[2]}/projects/{match[3]}"


def project_parts(path: str) -> tuple[str, str, int]:
    """``orgs/acme/projects/5`` → (``organization``, ``acme``, 5): the GraphQL field
    that owns the project, its login and the project's number."""
    kind, login, _, number = path.split("/")
    return ("organization" if kind == "orgs" else "user"), login, int(number)


def projects_read(github: Github, field: str) -> list[str]:
    """The projects a sync reads the field of: none unless both keys are set."""
    return list(github.project) if field and github.project else []


def query_of(github: Github, project_field: str = "") -> str:
    """What a GitHub sync reads, as the store keeps its items under: the API, the
    repositories, whether pull requests count and, when read, the projects and their
    field (the items' refs change with either: a changed one syncs afresh)."""
    repos = ",".join(sorted(repo.lower() for repo in github.repos))
    pulls = "with pulls" if github.include_pull_requests else "issues"
    query = f"{github.api_url.rstrip('/')} {repos} {pulls}"
    projects = projects_read(github, project_field)
    if projects:
        query += f" projects {','.join(sorted(p.lower() for p in projects))} field {project_field}"
    return query
