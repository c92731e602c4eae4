"""GithubClient's write path and the token's own account: a write GitHub rate-limited
waits as asked and is sent once more; the login the token comments as, asked once."""

from __future__ import annotations

import pytest
import responses
from pydantic import SecretStr

from tieback.connectors.github.client import GithubApiError, GithubClient
from tieback.http import RetryPolicy

API = "https://api.github.com"
MOCK = "https://api.github.com:443"  # PyGithub names the port; responses matches as sent
COMMENTS = f"{MOCK}/repos/acme/app/issues/1/comments"
LABELS = f"{MOCK}/repos/acme/app/issues/1/labels"
SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
    "before you try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits",
}
NOT_ACCESSIBLE = {
    "message": "Resource not accessible by integration",
    "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
}


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> GithubClient:
    policy = RetryPolicy(sleep=sleeps.append, jitter=lambda low, high: high)
    return GithubClient(API, SecretStr("ghp_clientTest0123456789"), policy)


def created(comment_id: int) -> dict[str, object]:
    return {
        "id": comment_id,
        "body": "hello",
        "user": {"login": "acme-ops", "id": 51, "type": "User"},
    }


# --- writes under a rate limit ---------------------------------------------------------


@responses.activate
def test_a_rate_limited_comment_waits_as_asked_and_is_sent_once_more(
    client: GithubClient, sleeps: list[float]
) -> None:
    responses.post(COMMENTS, status=403, json=SECONDARY, headers={"retry-after": "3"})
    responses.post(COMMENTS, status=201, json=created(7))
    _, answer = client.request(
        "POST", "/repos/acme/app/issues/1/comments", body={}, idempotent=False
    )
    assert answer["id"] == 7
    assert sleeps == [3.0]
    assert len(responses.calls) == 2


@responses.activate
def test_a_label_rate_limited_twice_is_sent_twice_and_says_so(
    client: GithubClient, sleeps: list[float]
) -> None:
    responses.post(LABELS, status=429, json=SECONDARY, headers={"Retry-After": "2"})
    with pytest.raises(GithubApiError) as caught:
        client.request("POST", "/repos/acme/app/issues/1/labels", body={"labels": ["x"]})
    message = str(caught.value)
    assert sleeps == [2.0] and len(responses.calls) == 2  # waited once, sent once more
    assert message.startswith("GitHub rate-limited POST /repos/acme/app/issues/1/labels")
    assert "again after waiting 2 s" in message and "retry after" in message
    assert "every retry" not in message and "attempts" not in message
    assert caught.value.status == 429


@responses.activate
def test_a_wait_longer_than_the_policy_allows_is_not_waited(
    client: GithubClient, sleeps: list[float]
) -> None:
    responses.post(COMMENTS, status=403, json=SECONDARY, headers={"retry-after": "600"})
    with pytest.raises(GithubApiError) as caught:
        client.request("POST", "/repos/acme/app/issues/1/comments", body={}, idempotent=False)
    message = str(caught.value)
    assert sleeps == [] and len(responses.calls) == 1
    assert "GitHub rate-limited POST /repos/acme/app/issues/1/comments (HTTP 403)" in message
    assert "600 s" in message and "not written" in message and "retry after" in message
    assert "every retry" not in message and "attempts" not in message


@responses.activate
def test_a_read_under_a_rate_limit_is_still_retried_under_the_policy(
    client: GithubClient, sleeps: list[float]
) -> None:
    issues = f"{MOCK}/repos/acme/app/issues"
    responses.get(issues, status=403, json=SECONDARY, headers={"retry-after": "5"})
    responses.get(issues, status=403, json=SECONDARY, headers={"retry-after": "5"})
    responses.get(issues, json=[])
    assert client.request("GET", "/repos/acme/app/issues")[1] == []
    assert sleeps == [5.0, 5.0]


@responses.activate
def test_every_wait_is_told_to_the_policy_a_write_s_as_a_read_s(sleeps: list[float]) -> None:
    told: list[tuple[float, bool]] = []
    policy = RetryPolicy(
        sleep=sleeps.append,
        jitter=lambda low, high: high,
        waited=lambda seconds, rate_limited: told.append((seconds, rate_limited)),
    )
    client = GithubClient(API, SecretStr("ghp_clientTest0123456789"), policy)
    responses.post(COMMENTS, status=403, json=SECONDARY, headers={"retry-after": "3"})
    responses.post(COMMENTS, status=201, json=created(7))
    issues = f"{MOCK}/repos/acme/app/issues"
    responses.get(issues, status=502, json={"message": "Server Error"})
    responses.get(issues, json=[])
    client.request("POST", "/repos/acme/app/issues/1/comments", body={}, idempotent=False)
    client.request("GET", "/repos/acme/app/issues")
    # The write's wait is a rate limit's; the read's a backoff after a failure.
    assert told == [(3.0, True), (1.0, False)]
    assert sleeps == [3.0, 1.0]


# --- the token's own account -------------------------------------------------------------


def viewer(login: str, typename: str = "User") -> dict[str, object]:
    return {"data": {"viewer": {"__typename": typename, "login": login}}}


@responses.activate
def test_own_login_from_graphql_viewer_asked_once(client: GithubClient) -> None:
    responses.post(f"{MOCK}/graphql", json=viewer("acme-ops"))
    assert client.own_login() == "acme-ops"
    assert client.own_login() == "acme-ops"
    assert len(responses.calls) == 1


@responses.activate
def test_an_app_token_is_its_bot_as_rest_spells_it(client: GithubClient) -> None:
    # An installation token (an App's, or Actions' GITHUB_TOKEN) is a Bot to GraphQL,
    # whose logins lack the "[bot]" that comments' user.login carries.
    responses.post(f"{MOCK}/graphql", json=viewer("tieback-app", "Bot"))
    assert client.own_login() == "tieback-app[bot]"


@responses.activate
def test_own_login_from_rest_when_graphql_fails(client: GithubClient) -> None:
    error = {"errors": [{"message": "Something went wrong while executing your query."}]}
    responses.post(f"{MOCK}/graphql", json=error)
    user = {"login": "acme-ops", "id": 51, "node_id": "MDQ6VXNlcjUx", "type": "User"}
    responses.get(f"{MOCK}/user", json=user)
    assert client.own_login() == "acme-ops"
    assert [c.request.method for c in responses.calls] == ["POST", "GET"]


@responses.activate
def test_own_login_unknown_outside_actions_and_the_actions_bot_inside(
    client: GithubClient,
) -> None:
    responses.post(f"{MOCK}/graphql", status=403, json=NOT_ACCESSIBLE)
    responses.get(f"{MOCK}/user", status=403, json=NOT_ACCESSIBLE)
    assert client.own_login() == ""
    other = GithubClient(API, SecretStr("ghs_actionsToken0123456789"), client.policy)
    assert other.own_login(in_actions=True) == "github-actions[bot]"


@responses.activate
def test_a_rejected_token_is_an_error_not_an_unknown_login(client: GithubClient) -> None:
    bad = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
    responses.post(f"{MOCK}/graphql", status=401, json=bad)
    with pytest.raises(GithubApiError, match="HTTP 401") as caught:
        client.own_login()
    assert caught.value.status == 401
