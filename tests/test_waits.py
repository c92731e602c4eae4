"""Waits are bounded and said: the max_wait and timeout keys, as the live clients use them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses

import tieback.connectors.github.pr
import tieback.http
from tieback.config import Config
from tieback.connectors.context import Context
from tieback.connectors.github.client import GithubClient
from tieback.connectors.github.pr import run_pr
from tieback.connectors.github.sink import GithubSink
from tieback.connectors.github.source import GithubSource
from tieback.connectors.jira.sink import JiraSink
from tieback.connectors.jira.source import JiraSource
from tieback.errors import ConfigError, SourceError
from tieback.http import RetryPolicy

CLOUD = "https://acme.atlassian.net"
GITHUB_MOCK = "https://api.github.com:443"
SERVER_INFO = {
    "baseUrl": CLOUD,
    "version": "1001.0.0-SNAPSHOT",
    "versionNumbers": [1001, 0, 0],
    "deploymentType": "Cloud",
    "buildNumber": 100285,
    "serverTitle": "Jira",
}
RATE_LIMITED = "Rate limit exceeded."
PRIMARY_LIMIT = {
    "message": "API rate limit exceeded for installation ID 1.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}
SECONDARY_LIMIT = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before "
    "you try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}


class Frozen(datetime):
    """Now is 2026-11-22 15:05:20 UTC."""

    @classmethod
    def now(cls, tz: Any = None) -> Frozen:
        return cls(2026, 11, 22, 15, 5, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tieback.http, "datetime", Frozen)
    monkeypatch.setattr(tieback.http.time, "time", lambda: Frozen.now().timestamp())


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def jira(
    write_config: Callable[..., Config], waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., JiraSource]:
    monkeypatch.setenv("JIRA_API_TOKEN", "ATATT3xFfGF0waitsToken0123456789")

    def make(extra: str = "") -> JiraSource:
        config = write_config(
            f'[jira]\nurl = "{CLOUD}"\nemail = "pm@acme.example"\njql = "project = EDU"\n{extra}'
        )
        policy = RetryPolicy(sleep=waits.append, jitter=lambda lo, hi: hi)
        return JiraSource(Context.of(config, "jira", policy))

    return make


@pytest.fixture
def github(
    write_config: Callable[..., Config], waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., GithubSource]:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_waitsToken0123456789")

    def make(extra: str = "") -> GithubSource:
        config = write_config(f'[github]\nrepos = ["acme/app"]\n{extra}')
        policy = RetryPolicy(sleep=waits.append, jitter=lambda lo, hi: hi)
        return GithubSource(Context.of(config, "github", policy))

    return make


def test_the_new_keys_and_their_defaults(write_config: Callable[..., Config]) -> None:
    settings = write_config().settings
    assert (settings.jira.timeout, settings.jira.max_wait) == (30, 60)
    assert (settings.github.timeout, settings.github.max_wait) == (30, 60)
    settings = write_config(
        "[jira]\nmax_wait = 0\n[github]\ntimeout = 2.5\nmax_wait = 600\n"
    ).settings
    assert (settings.jira.max_wait, settings.github.timeout, settings.github.max_wait) == (
        0,
        2.5,
        600,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[jira]\nmax_wait = -1\n", "[jira] max_wait: Input should be greater than or equal to 0"),
        ("[github]\nmax_wait = -5\n", "[github] max_wait: Input should be greater than or equal"),
        ("[github]\ntimeout = 0\n", "[github] timeout: Input should be greater than 0"),
    ],
)
def test_the_new_keys_are_checked(
    write_config: Callable[..., Config], text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        write_config(text)


# --- Jira ---------------------------------------------------------------------------------------


@responses.activate
def test_jira_stops_at_once_when_asked_to_wait_beyond_max_wait(
    jira: Callable[..., JiraSource], waits: list[float]
) -> None:
    responses.get(
        f"{CLOUD}/rest/api/2/serverInfo",
        status=429,
        headers={"Retry-After": "3600"},
        body=RATE_LIMITED,
    )
    with pytest.raises(SourceError) as caught:
        _ = jira().deployment
    assert str(caught.value) == (
        "Jira rate-limited this run and asked to wait 3600 s (more than [jira] max_wait = 60): "
        "try again after 16:06 UTC"
    )
    assert waits == [] and len(responses.calls) == 1


@responses.activate
def test_jira_honours_a_wait_within_max_wait_whole_and_says_so(
    jira: Callable[..., JiraSource], waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    responses.get(
        f"{CLOUD}/rest/api/2/serverInfo",
        status=429,
        headers={"Retry-After": "90"},
        body=RATE_LIMITED,
    )
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO)
    assert jira("max_wait = 120\n").deployment == "cloud"
    assert waits == [90.0]  # not cut to the 60 s of tieback's own longest backoff
    assert capsys.readouterr().err == (
        "tieback: jira: rate-limited (HTTP 429), waiting 90 s as asked\n"
    )


@responses.activate
def test_jira_max_wait_reads_an_http_date(
    jira: Callable[..., JiraSource], waits: list[float]
) -> None:
    responses.get(
        f"{CLOUD}/rest/api/2/serverInfo",
        status=503,
        headers={"Retry-After": "Sun, 22 Nov 2026 15:07:20 GMT"},
        body="<html><body>Service Unavailable</body></html>",
    )
    with pytest.raises(SourceError) as caught:
        _ = jira("max_wait = 90\n").deployment
    assert str(caught.value) == (
        "Jira answered HTTP 503 and asked to wait 120 s (more than [jira] max_wait = 90): "
        "try again after 15:08 UTC"
    )
    assert waits == []


# --- GitHub -------------------------------------------------------------------------------------


@responses.activate
def test_github_stops_at_once_when_its_rate_limit_resets_beyond_max_wait(
    github: Callable[..., GithubSource], waits: list[float]
) -> None:
    reset = int(Frozen.now().timestamp()) + 3600
    responses.get(
        f"{GITHUB_MOCK}/repos/acme/app/issues",
        status=403,
        json=PRIMARY_LIMIT,
        headers={
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        },
    )
    with pytest.raises(SourceError) as caught:
        list(github().pages(None))
    assert str(caught.value) == (
        "GitHub rate-limited this run and asked to wait 3600 s (more than [github] max_wait = "
        "60): try again after 16:06 UTC"
    )
    assert waits == [] and len(responses.calls) == 1


@responses.activate
def test_github_honours_a_secondary_limit_within_max_wait_whole(
    github: Callable[..., GithubSource], waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    responses.get(
        f"{GITHUB_MOCK}/repos/acme/app/issues",
        status=403,
        json=SECONDARY_LIMIT,
        headers={"Retry-After": "75"},
    )
    responses.get(f"{GITHUB_MOCK}/repos/acme/app/issues", json=[])
    assert [page.items for page in github("max_wait = 80\n").pages(None)] == [[]]
    assert waits == [75.0]
    assert capsys.readouterr().err == (
        "tieback: github: rate-limited (HTTP 403), waiting 75 s as asked\n"
    )


def test_github_uses_its_timeout_and_max_wait(github: Callable[..., GithubSource]) -> None:
    client = github("timeout = 7\nmax_wait = 5\n").client
    assert client.timeout == 7
    assert client.policy.max_wait == 5


# --- the sinks and the pull-request check use the same keys --------------------------------------


@responses.activate
def test_the_jira_sink_honours_waits_up_to_jira_max_wait(
    write_config: Callable[..., Config], waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", "ATATT3xFfGF0waitsToken0123456789")
    config = write_config(f'[jira]\nurl = "{CLOUD}"\nemail = "pm@acme.example"\nmax_wait = 120\n')
    responses.get(
        f"{CLOUD}/rest/api/2/myself", status=429, headers={"Retry-After": "90"}, body=RATE_LIMITED
    )
    responses.get(f"{CLOUD}/rest/api/2/myself", json={"accountId": "5b10a2844c20165700ede21g"})
    sink = JiraSink(Context.of(config, "jira", RetryPolicy(sleep=waits.append)))
    assert sink.client.request("GET", "/rest/api/2/myself") == {
        "accountId": "5b10a2844c20165700ede21g"
    }
    assert waits == [90.0]


@responses.activate
def test_the_github_sink_uses_the_github_timeout_and_max_wait(
    write_config: Callable[..., Config], waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_waitsToken0123456789")
    config = write_config('[github]\nrepos = ["acme/app"]\ntimeout = 7\nmax_wait = 120\n')
    responses.get(
        f"{GITHUB_MOCK}/repos/acme/app/labels",
        status=403,
        json=SECONDARY_LIMIT,
        headers={"Retry-After": "90"},
    )
    responses.get(f"{GITHUB_MOCK}/repos/acme/app/labels", json=[])
    sink = GithubSink(Context.of(config, "github", RetryPolicy(sleep=waits.append)))
    assert sink.client.request("GET", "/repos/acme/app/labels")[1] == []
    assert waits == [90.0]
    assert sink.client.timeout == 7


def test_the_pull_request_check_uses_the_github_timeout_and_max_wait(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_waitsToken0123456789")
    config = write_config('[github]\nrepos = ["acme/app"]\ntimeout = 7\nmax_wait = 120\n')
    event = tmp_path / "event.json"
    pull = {"number": 7, "base": {"sha": "b" * 40}, "head": {"sha": "c" * 40}}
    event.write_text(json.dumps({"pull_request": pull, "repository": {"full_name": "acme/app"}}))
    made: list[GithubClient] = []

    class Made(Exception):
        pass

    class Recorded(GithubClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)
            raise Made

    monkeypatch.setattr(tieback.connectors.github.pr, "GithubClient", Recorded)
    environ = {"GITHUB_EVENT_PATH": str(event), "GITHUB_EVENT_NAME": "pull_request"}
    with pytest.raises(Made):
        run_pr(config, environ)
    assert made[0].timeout == 7 and made[0].policy.max_wait == 120
