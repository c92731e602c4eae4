"""The live GitHub source: Link pagination, since, pull requests, rate limits, keys()."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses
from pydantic import SecretStr

from factories import full_sync_garbage
from tieback.config import Config
from tieback.connectors.context import Context
from tieback.connectors.github.client import GithubApiError, GithubClient, next_link
from tieback.connectors.github.source import GithubSource
from tieback.http import RetryPolicy
from tieback.store import Store
from tieback.sync import sync_source

API = "https://api.github.com"
# PyGithub's connection names the port, and responses matches URLs as sent.
MOCK = "https://api.github.com:443"
TOKEN = "ghp_liveTestToken0123456789"
CONFIG = """
[github]
repos = ["acme/app"]
"""


def issue(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "url": f"{API}/repos/acme/app/issues/{number}",
        "repository_url": f"{API}/repos/acme/app",
        "html_url": f"https://github.com/acme/app/issues/{number}",
        "number": number,
        "title": f"Issue {number}",
        "state": "open",
        "labels": [{"id": 1, "name": "outcome:activation", "color": "ededed"}],
        "user": {"login": "ann-smith", "type": "User"},
        "body": None,
        "type": None,
        "updated_at": "2026-11-20T10:00:00Z",
        **extra,
    }


def pull(number: int) -> dict[str, Any]:
    return issue(number, pull_request={"url": f"{API}/repos/acme/app/pulls/{number}"})


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def source(
    write_config: Callable[..., Config], waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., GithubSource]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)

    def make(config: str = CONFIG) -> GithubSource:
        policy = RetryPolicy(sleep=waits.append, jitter=lambda low, high: high)
        return GithubSource(Context.of(write_config(config), "github", policy))

    return make


def link(page: int, last: int) -> dict[str, str]:
    base = f"{API}/repositories/1/issues?state=all&per_page=100"
    return {"Link": f'<{base}&page={page}>; rel="next", <{base}&page={last}>; rel="last"'}


@responses.activate
def test_pages_follow_link_headers_and_skip_pull_requests(
    source: Callable[..., GithubSource],
) -> None:
    responses.get(
        f"{MOCK}/repos/acme/app/issues",
        json=[issue(3, type={"id": 7, "name": "Bug"}), pull(2)],
        headers=link(2, 2),
        match=[
            responses.matchers.query_param_matcher(
                {"state": "all", "per_page": "100", "since": "2026-11-01T00:00:00+00:00"}
            )
        ],
    )
    responses.get(
        f"{MOCK}/repositories/1/issues",
        json=[issue(1, parent_issue_url=f"{API}/repos/acme/app/issues/3")],
        match=[
            responses.matchers.query_param_matcher({"state": "all", "per_page": "100", "page": "2"})
        ],
    )
    pages = list(source().pages("2026-11-01T00:00:00+00:00"))
    assert [page.position for page in pages] == ["acme/app page 1", "acme/app page 2"]
    items = [item for page in pages for item in page.items]
    assert [item.key for item in items] == ["acme/app#3", "acme/app#1"]
    assert items[0].type == "Bug" and items[1].parent == "acme/app#3"
    assert items[0].team == "acme/app"
    assert responses.calls[0].request.headers["Authorization"] == f"token {TOKEN}"


@responses.activate
def test_pull_requests_are_kept_when_configured(source: Callable[..., GithubSource]) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(3), pull(2)])
    config = CONFIG + "include_pull_requests = true\n"
    [page] = source(config).pages(None)
    assert [item.type for item in page.items] == ["Issue", "Pull Request"]


@responses.activate
def test_a_secondary_rate_limit_is_waited_out_as_asked(
    source: Callable[..., GithubSource], waits: list[float]
) -> None:
    limited = {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
        "before you try again.",
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
    }
    responses.get(
        f"{MOCK}/repos/acme/app/issues", status=403, json=limited, headers={"Retry-After": "7"}
    )
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1)])
    [page] = source().pages(None)
    assert [item.key for item in page.items] == ["acme/app#1"]
    assert waits == [7.0]


@responses.activate
def test_a_primary_rate_limit_waits_until_the_reset(
    source: Callable[..., GithubSource], waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tieback.http.time.time", lambda: 1_000.0)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1012"}
    responses.get(
        f"{MOCK}/repos/acme/app/issues",
        status=403,
        json={"message": "API rate limit exceeded for installation ID 1."},
        headers=headers,
    )
    responses.get(f"{MOCK}/repos/acme/app/issues", status=502, json={"message": "Server Error"})
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[])
    assert [page.items for page in source().pages(None)] == [[]]
    assert waits == [12.0, 2.0]  # the reset, then backoff for attempt 2 (jitter at maximum)


@responses.activate
def test_bad_credentials_are_one_line_without_the_token(
    source: Callable[..., GithubSource],
) -> None:
    responses.get(
        f"{MOCK}/repos/acme/app/issues",
        status=401,
        json={"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
    )
    with pytest.raises(GithubApiError) as caught:
        list(source().pages(None))
    assert caught.value.status == 401
    assert "HTTP 401 Bad credentials" in str(caught.value)
    assert TOKEN not in str(caught.value) and "\n" not in str(caught.value)


@responses.activate
def test_a_missing_repository_names_it(source: Callable[..., GithubSource]) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", status=404, json={"message": "Not Found"})
    with pytest.raises(GithubApiError, match=r"no /repos/acme/app/issues .*HTTP 404"):
        list(source().pages(None))


def counts(total: int) -> dict[str, Any]:
    return {"data": {"r0": {"issues": {"totalCount": total}}}}


@responses.activate
def test_counts_cost_one_request_for_every_repository(
    source: Callable[..., GithubSource],
) -> None:
    repos = 'repos = ["acme/app", "Acme/Web"]\n'
    responses.post(
        f"{MOCK}/graphql",
        json={"data": {"r0": {"issues": {"totalCount": 2}}, "r1": {"issues": {"totalCount": 7}}}},
    )
    assert source(CONFIG.replace('repos = ["acme/app"]\n', repos)).counts() == {
        "acme/app": 2,
        "acme/web": 7,
    }
    assert len(responses.calls) == 1
    sent = json.loads(responses.calls[0].request.body or b"")
    assert 'r0: repository(owner: "acme", name: "app")' in sent["query"]
    assert 'r1: repository(owner: "Acme", name: "Web")' in sent["query"]


@responses.activate
def test_a_repository_without_a_count_is_unknown(source: Callable[..., GithubSource]) -> None:
    responses.post(f"{MOCK}/graphql", json={"data": {"r0": None}})
    assert source().counts() == {"acme/app": None}


@responses.activate
def test_keys_list_numbers_page_by_page(source: Callable[..., GithubSource]) -> None:
    page = {"nodes": [{"number": 3}], "pageInfo": {"hasNextPage": True, "endCursor": "Y3Vy"}}
    responses.post(f"{MOCK}/graphql", json={"data": {"repository": {"issues": page}}})
    last = {"nodes": [{"number": 1}], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    responses.post(f"{MOCK}/graphql", json={"data": {"repository": {"issues": last}}})
    assert source().keys({"acme/app"}) == {"acme/app#1", "acme/app#3"}
    assert json.loads(responses.calls[1].request.body or b"")["variables"]["after"] == "Y3Vy"


@responses.activate
def test_keys_use_the_repository_spelling_github_gives(
    source: Callable[..., GithubSource],
) -> None:
    # Configured as acme/app, named Acme/App by GitHub: the listing's keys say Acme/App.
    nodes = {"nodes": [{"number": 4}], "pageInfo": {"hasNextPage": False, "endCursor": None}}
    responses.post(
        f"{MOCK}/graphql",
        json={"data": {"repository": {"nameWithOwner": "Acme/App", "issues": nodes}}},
    )
    assert source().keys() == {"Acme/App#4"}


@responses.activate
def test_keys_skip_repositories_not_asked_for(source: Callable[..., GithubSource]) -> None:
    assert source().keys({"other/repo"}) == set()
    assert len(responses.calls) == 0


@responses.activate
def test_graphql_errors_are_one_line(source: Callable[..., GithubSource]) -> None:
    responses.post(
        f"{MOCK}/graphql",
        json={"data": None, "errors": [{"type": "NOT_FOUND", "message": "Could not resolve"}]},
    )
    with pytest.raises(GithubApiError, match="GitHub GraphQL: Could not resolve"):
        source().counts()


@responses.activate
def test_an_incremental_listing_asks_for_the_counts_beside_it(
    source: Callable[..., GithubSource],
) -> None:
    counted = threading.Event()

    def listing(request: Any) -> tuple[int, dict[str, str], str]:
        # Answered only once the count has arrived: a count asked after the listing
        # would find this still waiting.
        counted.wait(timeout=5)
        return 200, {}, json.dumps([issue(1)])

    def count(request: Any) -> tuple[int, dict[str, str], str]:
        counted.set()
        return 200, {}, json.dumps(counts(4))

    responses.add_callback(responses.GET, f"{MOCK}/repos/acme/app/issues", callback=listing)
    responses.add_callback(responses.POST, f"{MOCK}/graphql", callback=count)
    github = source()
    [page] = github.pages("2026-11-20T09:55:00Z")
    assert counted.is_set()
    assert [item.key for item in page.items] == ["acme/app#1"]
    assert github.counts() == {"acme/app": 4}
    assert len(responses.calls) == 2  # the count is not asked again


@responses.activate
def test_a_count_asked_beside_the_listing_raises_its_error_when_read(
    source: Callable[..., GithubSource],
) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1)])
    responses.post(f"{MOCK}/graphql", status=403, json={"message": "Resource not accessible"})
    github = source()
    list(github.pages("2026-11-20T09:55:00Z"))
    with pytest.raises(GithubApiError, match="HTTP 403"):
        github.counts()


@responses.activate
def test_a_sync_makes_no_cyclic_garbage_however_many_pages(
    source: Callable[..., GithubSource], tmp_path: Path
) -> None:
    """``tieback sync`` runs with the cycle collector paused: what a page leaves behind
    must be freed by reference counting alone, or a long sync would pile it up."""

    def garbage_after(pages: int) -> int:
        responses.reset()

        def page(request: Any) -> tuple[int, dict[str, str], str]:
            number = int(request.params.get("page", 1))
            issues = [issue(3 * number + n) for n in range(3)]
            return 200, link(number + 1, pages) if number < pages else {}, json.dumps(issues)

        for url in (f"{MOCK}/repos/acme/app/issues", f"{MOCK}/repositories/1/issues"):
            responses.add_callback(responses.GET, url, callback=page)
        fetched, garbage = full_sync_garbage(source, tmp_path / f"{pages}.db")
        assert fetched == 3 * pages
        return garbage

    garbage_after(2)  # the first sync of a process leaves its own (caches, the client)
    assert garbage_after(40) <= garbage_after(2)


@responses.activate
def test_an_incremental_sync_removes_an_issue_that_left(
    source: Callable[..., GithubSource], tmp_path: Path
) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1), issue(2)])
    responses.post(f"{MOCK}/graphql", json=counts(2))
    with Store.open(tmp_path / "store.db") as store:
        sync_source(source(), store)
        responses.replace(responses.GET, f"{MOCK}/repos/acme/app/issues", json=[])
        responses.replace(responses.POST, f"{MOCK}/graphql", json=counts(1))
        nodes = {"nodes": [{"number": 2}], "pageInfo": {"hasNextPage": False, "endCursor": None}}
        responses.add(
            responses.POST, f"{MOCK}/graphql", json={"data": {"repository": {"issues": nodes}}}
        )
        result = sync_source(source(), store)
        assert result.removed == 1
        assert store.keys("github") == {"acme/app#2"}


@responses.activate
def test_an_incremental_sync_lists_only_the_repository_whose_count_fell(
    source: Callable[..., GithubSource], tmp_path: Path
) -> None:
    config = CONFIG.replace('repos = ["acme/app"]', 'repos = ["acme/app", "acme/web"]')
    web = [
        issue(n, url=f"{API}/repos/acme/web/issues/{n}", repository_url=f"{API}/repos/acme/web")
        for n in (1, 2)
    ]
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1), issue(2)])
    responses.get(f"{MOCK}/repos/acme/web/issues", json=web)
    with Store.open(tmp_path / "store.db") as store:
        sync_source(source(config), store)
        responses.replace(responses.GET, f"{MOCK}/repos/acme/app/issues", json=[])
        responses.replace(responses.GET, f"{MOCK}/repos/acme/web/issues", json=[])
        both = {"r0": {"issues": {"totalCount": 2}}, "r1": {"issues": {"totalCount": 1}}}
        responses.post(f"{MOCK}/graphql", json={"data": both})
        nodes = {"nodes": [{"number": 2}], "pageInfo": {"hasNextPage": False, "endCursor": None}}
        responses.post(f"{MOCK}/graphql", json={"data": {"repository": {"issues": nodes}}})
        result = sync_source(source(config), store)
        assert result.removed == 1
        assert store.keys("github") == {"acme/app#1", "acme/app#2", "acme/web#2"}
        graphql = [c for c in responses.calls if c.request.url == f"{MOCK}/graphql"]
        assert len(graphql) == 2  # the counts, then acme/web's numbers alone
        assert json.loads(graphql[1].request.body or b"")["variables"]["name"] == "web"


def test_next_link_reads_only_rel_next() -> None:
    header = '<https://x/a?page=3>; rel="next", <https://x/a?page=9>; rel="last"'
    assert next_link(header) == "https://x/a?page=3"
    assert next_link('<https://x/a?page=1>; rel="prev"') is None
    assert next_link("") is None


def test_the_client_needs_a_token() -> None:
    with pytest.raises(GithubApiError, match="no GitHub token"):
        GithubClient(API, None)
    assert GithubClient(API, SecretStr(TOKEN)).api_url == API


@responses.activate
def test_an_incremental_sync_keeps_the_done_date_of_an_issue_closed_or_reopened(
    source: Callable[..., GithubSource], tmp_path: Path
) -> None:
    closed = "2026-11-19T16:20:00Z"
    responses.get(
        f"{MOCK}/repos/acme/app/issues",
        json=[
            issue(2, state="open", closed_at=None),
            issue(1, state="closed", state_reason="completed", closed_at=closed),
        ],
    )
    responses.post(f"{MOCK}/graphql", json=counts(2))
    with Store.open(tmp_path / "store.db") as store:
        sync_source(source(), store)
        assert {i.key: i.done_at for i in store.items()} == {
            "acme/app#1": closed,
            "acme/app#2": "",
        }
        # Since the first sync, #1 was reopened and #2 closed.
        responses.replace(
            responses.GET,
            f"{MOCK}/repos/acme/app/issues",
            json=[
                issue(
                    2,
                    state="closed",
                    state_reason="completed",
                    closed_at="2026-11-21T08:00:00Z",
                    updated_at="2026-11-21T08:00:00Z",
                ),
                issue(
                    1,
                    state="open",
                    state_reason="reopened",
                    closed_at=None,
                    updated_at="2026-11-21T07:00:00Z",
                ),
            ],
        )
        result = sync_source(source(), store)
        assert (result.full, result.fetched) == (False, 2)
        assert {i.key: (i.done, i.done_at) for i in store.items()} == {
            "acme/app#1": (False, ""),
            "acme/app#2": (True, "2026-11-21T08:00:00Z"),
        }
