"""The pull request as GitHub holds it now: one GraphQL query, else REST and closing keywords."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tieback.connectors.github.client import GithubApiError, GithubClient
from tieback.connectors.github.payload import item_from_issue
from tieback.connectors.github.pr.event import Event
from tieback.model import Item
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text

# "Fixes #12", "closes acme/app#12", "Resolved: https://github.com/acme/app/issues/12"
_CLOSING = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+"
    r"(?:(?P<repo>[\w.-]+/[\w.-]+)#(?P<n1>\d+)|#(?P<n2>\d+)"
    r"|https?://[^/\s]+/(?P<url_repo>[\w.-]+/[\w.-]+)/issues/(?P<n3>\d+))",
    re.IGNORECASE,
)

_ISSUE_FIELDS = """
fragment issue on Issue {
  number title body url state
  issueType { name }
  author { __typename login }
  repository { nameWithOwner }
  labels(first: 50) { nodes { name } }
}
"""
_PULL_QUERY = (
    """
query($owner: String!, $name: String!, $number: Int!, $base: String!, $head: String!,
      $withBase: Boolean!, $withHead: Boolean!) {
  viewer { __typename login }
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      number title body url state headRefName headRefOid baseRefOid
      author { __typename login }
      labels(first: 100) { nodes { name } }
      closingIssuesReferences(first: 25) {
        nodes { ...issue parent { ...issue parent { ...issue parent { ...issue } } } }
      }
    }
    base: object(expression: $base) @include(if: $withBase) { ... on Blob { text } }
    head: object(expression: $head) @include(if: $withHead) { ... on Blob { text } }
  }
}
"""
    + _ISSUE_FIELDS
)


@dataclass(frozen=True)
class LivePull:
    """The pull request as GitHub holds it now, and the issues it closes."""

    item: Item
    branch: str
    base_sha: str
    head_sha: str
    closing: list[str]  # keys of the issues it closes
    issues: list[Item]  # those issues and their ancestors, as read live
    closing_source: str  # how the closing issues were found
    base_outcomes: str | None = None  # the outcomes file at the base, when fetched
    head_outcomes: str | None = None  # ... and at the head (trusted checkouts only)
    viewer: str = ""  # the account the token writes as, when GraphQL said


def fetch_pull(
    client: GithubClient, event: Event, number: int, outcomes_path: str | None
) -> LivePull:
    """One GraphQL query for everything: the pull request's live title, body, labels,
    author and branch (the event's copy may be stale), the issues it closes with their
    parents three levels up, the outcomes file at the base (and at the head on a trusted
    checkout) and the token's account. Without GraphQL (an older GitHub Enterprise) the
    pull request is read over REST, and the closed issues from closing keywords."""
    owner, name = event.repo.split("/", 1)
    with_base = bool(outcomes_path and event.base_sha)
    with_head = bool(outcomes_path and event.head_sha and event.trusted_checkout)
    variables = {
        "owner": owner,
        "name": name,
        "number": number,
        "base": f"{event.base_sha}:{outcomes_path}",
        "head": f"{event.head_sha}:{outcomes_path}",
        "withBase": with_base,
        "withHead": with_head,
    }
    try:
        data = client.graphql(_PULL_QUERY, variables)
    except GithubApiError as exc:
        if exc.status in (401, 403) or exc.status >= 500:
            raise
        if exc.status == 404:
            raise GithubApiError(
                f"GitHub has no pull request {event.repo}#{number}, or the token cannot "
                "see it (check the token's repository access)",
                404,
            ) from None
        return _fetch_pull_rest(client, event, number, outcomes_path)
    repository = _mapping(data.get("repository"))
    node = _mapping(repository.get("pullRequest"))
    if not node:
        raise GithubApiError(f"GitHub has no pull request {event.repo}#{number}", 404)
    pull = item_from_issue(
        {
            "number": node.get("number", number),
            "title": node.get("title"),
            "body": node.get("body"),
            "html_url": node.get("url"),
            "state": _text(node.get("state")).lower(),
            "labels": _label_names(node),
            "user": {"login": _login(node.get("author"))},
            "pull_request": {},
        },
        event.repo,
    )
    closing: list[str] = []
    issues: dict[str, Item] = {}
    references = _mapping(node.get("closingIssuesReferences")).get("nodes") or []
    for reference in references:
        chain = _issue_chain(_mapping(reference))
        if chain:
            closing.append(chain[0].key)
            for issue in chain:
                issues.setdefault(issue.key, issue)
    return LivePull(
        item=pull,
        branch=_text(node.get("headRefName")),
        base_sha=_text(node.get("baseRefOid")) or event.base_sha,
        head_sha=_text(node.get("headRefOid")) or event.head_sha,
        closing=closing,
        issues=list(issues.values()),
        closing_source="closing references",
        base_outcomes=_blob(repository.get("base")) if with_base else None,
        head_outcomes=_blob(repository.get("head")) if with_head else None,
        viewer=_login(data.get("viewer")),
    )


def _issue_chain(node: Mapping[str, Any]) -> list[Item]:
    """A closed issue and its parents (as far as the query reached), as items."""
    chain: list[Item] = []
    current: Mapping[str, Any] = node
    while current:
        repo = _text(_mapping(current.get("repository")).get("nameWithOwner"))
        number = current.get("number")
        if not repo or not isinstance(number, int):
            break
        parent = _mapping(current.get("parent"))
        parent_repo = _text(_mapping(parent.get("repository")).get("nameWithOwner"))
        parent_number = parent.get("number")
        raw = {
            "number": number,
            "title": _text(current.get("title")),
            "body": current.get("body"),
            "html_url": current.get("url"),
            "state": _text(current.get("state")).lower(),
            "labels": _label_names(current),
            "type": {"name": _text(_mapping(current.get("issueType")).get("name"))},
            "user": {"login": _login(current.get("author"))},
            "parent_issue_url": (
                f"/repos/{parent_repo}/issues/{parent_number}"
                if parent_repo and isinstance(parent_number, int)
                else None
            ),
        }
        chain.append(item_from_issue(raw, repo))
        current = parent
    return chain


def _fetch_pull_rest(
    client: GithubClient, event: Event, number: int, outcomes_path: str | None
) -> LivePull:
    _, raw = client.request("GET", f"/repos/{event.repo}/pulls/{number}")
    if not isinstance(raw, dict):
        raise GithubApiError(f"GitHub: pull request {event.repo}#{number} is not an object")
    pull = item_from_issue(raw, event.repo)
    head, base = _mapping(raw.get("head")), _mapping(raw.get("base"))
    base_sha = _text(base.get("sha")) or event.base_sha
    head_sha = _text(head.get("sha")) or event.head_sha
    closing = closing_keys(pull.body, event.repo)
    return LivePull(
        item=pull,
        branch=_text(head.get("ref")),
        base_sha=base_sha,
        head_sha=head_sha,
        closing=closing,
        issues=[],
        closing_source="closing keywords",
        base_outcomes=_contents(client, event.repo, outcomes_path, base_sha),
        head_outcomes=(
            _contents(client, event.repo, outcomes_path, head_sha)
            if event.trusted_checkout
            else None
        ),
    )


def _contents(client: GithubClient, repo: str, path: str | None, ref: str) -> str | None:
    if not path or not ref:
        return None
    import base64

    try:
        _, raw = client.request("GET", f"/repos/{repo}/contents/{path}", params={"ref": ref})
    except GithubApiError as exc:
        if exc.status == 404:
            return None
        raise
    content = _mapping(raw).get("content")
    if not isinstance(content, str):
        return None
    try:
        return base64.b64decode(content).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def closing_keys(body: str, repo: str) -> list[str]:
    """Issues a body closes by GitHub's closing keywords, in any repository."""
    keys: dict[str, None] = {}
    for match in _CLOSING.finditer(body or ""):
        target = match["repo"] or match["url_repo"] or repo
        number = match["n1"] or match["n2"] or match["n3"]
        keys.setdefault(f"{target}#{number}", None)
    return list(keys)


def find_pulls(client: GithubClient, event: Event) -> list[int]:
    """A workflow_run that names no pull request of this repository (a fork's never
    is named): the open ones whose head is the run's branch, at the run's commit."""
    _, pulls = client.request(
        "GET", f"/repos/{event.repo}/pulls", params={"state": "open", "head": event.head_label}
    )
    numbers: list[int] = []
    for pull in pulls if isinstance(pulls, list) else []:
        head = _mapping(_mapping(pull).get("head"))
        # The run decides, not the listing's filter alone.
        if _text(head.get("label")).lower() != event.head_label.lower():
            continue
        if event.head_sha and head.get("sha") != event.head_sha:
            continue
        number = _mapping(pull).get("number")
        if isinstance(number, int):
            numbers.append(number)
    return numbers


def _label_names(node: Mapping[str, Any]) -> list[str]:
    nodes = _mapping(node.get("labels")).get("nodes") or []
    return [_text(_mapping(label).get("name")) for label in nodes if _mapping(label).get("name")]


def _login(author: object) -> str:
    """GraphQL gives a bot's login without the "[bot]" that REST and configs use."""
    actor = _mapping(author)
    login = _text(actor.get("login"))
    if login and actor.get("__typename") == "Bot" and not login.endswith("[bot]"):
        return f"{login}[bot]"
    return login


def _blob(node: object) -> str | None:
    text = _mapping(node).get("text")
    return text if isinstance(text, str) else None
