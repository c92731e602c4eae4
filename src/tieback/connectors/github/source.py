"""The live GitHub source: the configured repositories' issues read page by page, with
the outcome refs of a GitHub Projects field when one is configured.

The issue objects it reads become items in ``connectors.github.payload``, which the
export readers share without importing any HTTP client; projects are read in
``connectors.github.projects``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tieback.connectors.github.client import GithubClient
from tieback.connectors.github.payload import is_pull_request, item_from_issue
from tieback.connectors.github.settings import Github, projects_read
from tieback.connectors.source import Page, TrackerSource
from tieback.errors import SourceError
from tieback.http import in_background, read_ahead
from tieback.model import Item
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text

if TYPE_CHECKING:
    from tieback.connectors.interface import Context


_COUNTS = """
query($withPulls: Boolean!) {
%s
}
"""
_COUNT_ONE = (
    '  r%d: repository(owner: "%s", name: "%s") { issues { totalCount } '
    "pullRequests @include(if: $withPulls) { totalCount } }"
)
_NUMBERS = """
query($owner: String!, $name: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    nameWithOwner
    %s(first: 100, after: $after) { nodes { number } pageInfo { hasNextPage endCursor } }
  }
}
"""
# Each repository's issue (and pull request) numbers, by connection.
NUMBERS_QUERIES = {connection: _NUMBERS % connection for connection in ("issues", "pullRequests")}
_REPO_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def counts_query(repos: Sequence[str]) -> str:
    """One query for the issue (and pull request) count of each of ``repos``, aliased
    ``r0``, ``r1``... in their order; SourceError for a name GraphQL cannot take."""
    fields = []
    for index, repo in enumerate(repos):
        owner, name = repo.split("/", 1)
        if not (_REPO_NAME.match(owner) and _REPO_NAME.match(name)):
            raise SourceError(f"[github] repos: {repo!r} is not a repository name")
        fields.append(_COUNT_ONE % (index, owner, name))
    return _COUNTS % "\n".join(fields)


class GithubSource(TrackerSource):
    """Every issue (and, when configured, pull request) of the configured repositories.

    Listing: ``GET /repos/{owner}/{repo}/issues?state=all&since=...&per_page=100`` in
    GitHub's default order (newest created first), so an issue updated while the
    listing runs keeps its place and is never skipped; one that moves between pages
    is read twice, which the store absorbs.

    Removals: GitHub has no keys-only listing, so ``counts()`` asks GraphQL for each
    repository's issue count (one request for up to 50 repositories), grouped by
    repository (``separator`` "#"). Only a repository whose count differs from the
    store's (an issue deleted, transferred or turned into a discussion) is listed by
    number by ``keys()``, 100 numbers a GraphQL request.

    Projects: with ``[github] project`` and ``[tagging] github_project_field`` set,
    every ``pages`` reads each project's items whole (GraphQL, 100 a request) beside
    the listing, gives the listed issues their field's refs (``Item.field_refs``) and
    keeps them all for ``held_refs``: a field changed moves no issue's ``updated_at``,
    so the sync gives the refs to the stored issues the listing did not return.
    """

    name = "github"
    separator = "#"

    def __init__(
        self,
        context: Context[Github],
        client: GithubClient | None = None,
    ) -> None:
        super().__init__(context)
        self._settings: Github = self.context.settings
        self._client = client
        self._counting: Callable[[], dict[str, int]] | None = None
        # The project field's refs of every item, by lower-cased key, once read.
        self._held: dict[str, tuple[str, ...]] | None = None
        self.project_requests = 0  # GraphQL requests that read the projects

    @property
    def client(self) -> GithubClient:
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def _new_client(self) -> GithubClient:
        return GithubClient(
            self._settings.api_url,
            self.context.token,
            self.context.policy,
            self._settings.timeout,
            self._settings.max_wait,
        )

    @property
    def query(self) -> str:
        from tieback.connectors.github.settings import query_of

        return query_of(self._settings, self.context.tagging.github_project_field)

    def pages(self, since: str | None) -> Iterator[Page]:
        params: dict[str, Any] = {"state": "all"}
        if since:
            params["since"] = since
        # Made here, not lazily in the thread that reads ahead. That thread alone uses
        # it until the listing ends: PyGithub's requester keeps one connection object
        # per host and is not safe for requests from two threads at once.
        client = self.client
        if since:
            # The sync asks next how many issues each repository has: asked now, the
            # count waits on the network beside the listing instead of after it, through
            # a client (and requester) of its own.
            counter = self._new_client()
            self._counting = in_background(lambda: self._counts(counter), "tieback-github-count")

        def listings() -> Iterator[tuple[str, int, list[dict[str, Any]]]]:
            for repo in self._settings.repos:
                listing = client.pages(f"/repos/{repo}/issues", params)
                for number, raw_page in enumerate(listing, start=1):
                    yield repo, number, raw_page

        # The projects' items are read beside the listing, through a client of their own;
        # every page's items take their refs, so the first page waits for them.
        reading = None
        self._held = None
        if projects_read(self._settings, self.context.tagging.github_project_field):
            reader = self._new_client()
            reading = in_background(lambda: self._project_refs(reader), "tieback-github-project")
        held: Mapping[str, tuple[str, ...]] = {}
        # The next page (the next repository's first) is fetched while this one is
        # turned into items and stored.
        for repo, number, raw_page in read_ahead(listings()):
            if reading is not None:
                held, reading = reading(), None
            items = self._items(raw_page, repo)
            if held:
                items = [
                    item._replace(field_refs=held[item.key.lower()])
                    if item.key.lower() in held
                    else item
                    for item in items
                ]
            yield Page(items, position=f"{repo} page {number}")
        if reading is not None:
            reading()

    def _items(self, raw_page: list[dict[str, Any]], repo: str) -> list[Item]:
        items: list[Item] = []
        for raw in raw_page:
            if is_pull_request(raw) and not self._settings.include_pull_requests:
                continue
            try:
                items.append(item_from_issue(raw, repo))
            except SourceError as exc:
                self.warnings.append(f"github: {repo}: skipped an issue: {exc}")
        return items

    def held_refs(self) -> Mapping[str, tuple[str, ...]] | None:
        """The configured project field's refs of every issue in the projects, by
        lower-cased key, as read by the last ``pages``; None when no project is read."""
        return self._held

    def _project_refs(self, client: GithubClient) -> dict[str, tuple[str, ...]]:
        """The field's refs of the configured repositories' issues (and pull requests)
        in every configured project; an item in several projects has the refs of each."""
        from tieback.connectors.github.projects import read_project, unread_type

        field = self.context.tagging.github_project_field
        repos = {repo.lower() for repo in self._settings.repos}
        held: dict[str, tuple[str, ...]] = {}
        host = self._settings.api_url
        for path in projects_read(self._settings, field):
            try:
                project = read_project(client, path, field, host)
            finally:
                self.project_requests = client.requests
            if project.hidden:
                many = "1 item" if len(project.hidden) == 1 else f"{len(project.hidden)} items"
                self.warnings.append(
                    f"github: [github] project {path}: skipped {many} the token cannot see "
                    f"(GitHub: {project.hidden[0]})"
                )
            kind = unread_type(project)
            if kind is not None:
                self.warnings.append(
                    f'github: [tagging] github_project_field "{field}" is a {kind} field in '
                    f"{path}: tieback reads single-select or text fields; its values are not "
                    "read as outcomes"
                )
                continue
            for entry in project.entries:
                key = entry.key.lower()
                if entry.refs and key.rpartition("#")[0] in repos:
                    held[key] = held.get(key, ()) + entry.refs
        self._held = held
        return held

    def counts(self) -> dict[str, int | None]:
        """Each repository's issue count; an incremental listing has asked already,
        beside its pages, and that answer is used."""
        pending, self._counting = self._counting, None
        counted = pending() if pending is not None else self._counts(self.client)
        return {repo.lower(): counted.get(repo.lower()) for repo in self._settings.repos}

    def keys(self, groups: Collection[str] | None = None) -> set[str]:
        current: set[str] = set()
        for repo in self._settings.repos:
            if groups is None or repo.lower() in groups:
                current |= self._numbers(repo)
        return current

    def _counts(self, client: GithubClient) -> dict[str, int]:
        """Issues (plus pull requests when synced) per repository, lower-cased name."""
        counts: dict[str, int] = {}
        repos = list(self._settings.repos)
        with_pulls = self._settings.include_pull_requests
        for start in range(0, len(repos), 50):
            chunk = repos[start : start + 50]
            data = client.graphql(counts_query(chunk), {"withPulls": with_pulls})
            for index, repo in enumerate(chunk):
                node = _mapping(data.get(f"r{index}"))
                total = _mapping(node.get("issues")).get("totalCount")
                if not isinstance(total, int):
                    continue
                if with_pulls:
                    pulls = _mapping(node.get("pullRequests")).get("totalCount")
                    total += pulls if isinstance(pulls, int) else 0
                counts[repo.lower()] = total
        return counts

    def _numbers(self, repo: str) -> set[str]:
        """Every issue (and pull request) key of one repository, by GraphQL, under the
        repository's own spelling of its name, as the listing's keys have it."""
        owner, name = repo.split("/", 1)
        connections = ["issues"]
        if self._settings.include_pull_requests:
            connections.append("pullRequests")
        keys: set[str] = set()
        for connection in connections:
            after: str | None = None
            while True:
                data = self.client.graphql(
                    NUMBERS_QUERIES[connection], {"owner": owner, "name": name, "after": after}
                )
                repository = _mapping(data.get("repository"))
                spelled = _text(repository.get("nameWithOwner")) or repo
                listing = _mapping(repository.get(connection))
                for node in listing.get("nodes") or []:
                    number = _mapping(node).get("number")
                    if isinstance(number, int):
                        keys.add(f"{spelled}#{number}")
                info = _mapping(listing.get("pageInfo"))
                if not info.get("hasNextPage"):
                    break
                after = _text(info.get("endCursor"))
        return keys
