"""Secrets never print: tokens are trimmed or refused whole, and every form of them is redacted."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import requests
import responses
from pydantic import SecretStr

import tieback.cli
import tieback.commands.audit
from tieback.config import Config
from tieback.connectors.context import Context
from tieback.connectors.github.client import GithubApiError, GithubClient
from tieback.connectors.jira.client import JiraApiError, JiraClient
from tieback.connectors.jira.source import JiraSource
from tieback.errors import ConfigError, SourceError
from tieback.http import RetryPolicy, redact

CLOUD = "https://acme.atlassian.net"
EMAIL = "pm@acme.example"
# A token with the characters that URL encodings and base64 change: /, +, =, :.
TOKEN = "ATATT3x/Ff+GF0=live:Token0123456789"
GITHUB_API = "https://api.github.com"
GITHUB_MOCK = "https://api.github.com:443"
GITHUB_TOKEN = "ghp_secretsTest/+=0123456789"
VARIABLES = ("TIEBACK_JIRA__TOKEN", "JIRA_API_TOKEN", "TIEBACK_GITHUB__TOKEN", "GITHUB_TOKEN")


def forms(secret: str) -> list[str]:
    """The secret as a message could show it: plain, URL-encoded, in base64."""
    return [
        secret,
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        base64.urlsafe_b64encode(secret.encode()).decode(),
    ]


def shows_none(text: str, *secrets: str) -> bool:
    return not [form for secret in secrets for form in forms(secret) if form in text]


def token_of(config: Config, variable: str) -> SecretStr | None:
    return config.token("jira") if "JIRA" in variable else config.token("github")


# --- tokens from the environment --------------------------------------------------------------


@pytest.mark.parametrize("variable", VARIABLES)
@pytest.mark.parametrize("pasted", [f"{TOKEN}\n", f"  {TOKEN}\r\n", f"\t{TOKEN} "])
def test_a_token_is_trimmed_of_surrounding_whitespace(
    write_config: Callable[..., Config],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    pasted: str,
) -> None:
    monkeypatch.setenv(variable, pasted)
    token = token_of(write_config(), variable)
    assert token is not None and token.get_secret_value() == TOKEN


@pytest.mark.parametrize("variable", VARIABLES)
@pytest.mark.parametrize("inside", ["\n", "\r", "\t", "\x1b", "\x7f", "\u2028"])
def test_a_token_with_a_control_character_inside_is_refused_without_showing_it(
    write_config: Callable[..., Config],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    inside: str,
) -> None:
    monkeypatch.setenv(variable, f"{TOKEN[:9]}{inside}{TOKEN[9:]}\n")
    config = write_config()
    with pytest.raises(ConfigError) as caught:
        token_of(config, variable)
    assert str(caught.value) == (
        f"environment variable {variable}: the token has a line break or another control "
        f"character inside it; set {variable} to the token alone"
    )
    assert shows_none(str(caught.value), TOKEN[:9], TOKEN[9:])


@pytest.mark.parametrize("variable", VARIABLES)
def test_a_token_of_whitespace_alone_is_no_token(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, " \n")
    assert token_of(write_config(), variable) is None


def test_the_tieback_variable_wins_when_both_are_set(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEBACK_JIRA__TOKEN", f"{TOKEN}\n")
    monkeypatch.setenv("JIRA_API_TOKEN", "other\nvalue")  # never read, so never refused
    token = write_config().token("jira")
    assert token is not None and token.get_secret_value() == TOKEN


# --- redaction --------------------------------------------------------------------------------


def test_redact_replaces_every_encoding_of_a_secret() -> None:
    pair = f"{EMAIL}:{TOKEN}"
    text = " | ".join([*forms(TOKEN), *forms(pair), repr(f"Bearer {TOKEN}\n")])
    shown = redact(text, [TOKEN, pair])
    assert shows_none(shown, TOKEN, pair)
    assert shown.count("***") >= 12


def test_redact_finds_a_secret_shown_with_its_control_characters_escaped() -> None:
    pasted = f"{TOKEN[:9]}\n{TOKEN[9:]}"
    text = f"Invalid header value {(b'Bearer ' + pasted.encode())!r}"
    assert redact(text, [pasted]) == "Invalid header value b'Bearer ***'"


@responses.activate
def test_jira_messages_hide_the_token_in_every_encoding(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(f'[jira]\nurl = "{CLOUD}"\nemail = "{EMAIL}"\ndeployment = "cloud"\n')
    pair = f"{EMAIL}:{TOKEN}"
    echoed = " ".join([*forms(TOKEN), *forms(pair)])
    responses.get(f"{CLOUD}/rest/api/2/myself", status=400, json={"errorMessages": [echoed]})
    source = JiraSource(Context.of(config, "jira", RetryPolicy(attempts=1)))
    with pytest.raises(SourceError) as caught:
        source.time_zone()
    assert "Jira answered HTTP 400" in str(caught.value)
    assert shows_none(str(caught.value), TOKEN, pair)


@responses.activate
def test_github_messages_hide_the_token_in_every_encoding() -> None:
    client = GithubClient(GITHUB_API, SecretStr(GITHUB_TOKEN), RetryPolicy(attempts=1))
    echoed = " ".join(forms(GITHUB_TOKEN))
    responses.get(f"{GITHUB_MOCK}/repos/acme/app/issues", status=422, json={"message": echoed})
    with pytest.raises(GithubApiError) as caught:
        client.request("GET", "/repos/acme/app/issues")
    assert "GitHub answered HTTP 422" in str(caught.value)
    assert shows_none(str(caught.value), GITHUB_TOKEN)


@pytest.mark.parametrize("token", [f"{GITHUB_TOKEN[:6]}\n{GITHUB_TOKEN[6:]}", "ghp_\rabc123456"])
def test_a_github_client_refuses_a_token_requests_could_not_send(token: str) -> None:
    with pytest.raises(GithubApiError) as caught:
        GithubClient(GITHUB_API, SecretStr(token))
    assert str(caught.value) == (
        "the GitHub token has a line break or another control character inside it: set "
        "GITHUB_TOKEN or TIEBACK_GITHUB__TOKEN to the token alone"
    )


def test_a_jira_client_refuses_a_token_requests_could_not_send() -> None:
    with pytest.raises(JiraApiError) as caught:
        JiraClient(CLOUD, "", SecretStr(f"{TOKEN[:6]}\n{TOKEN[6:]}"))
    assert str(caught.value) == (
        "the Jira token has a line break or another control character inside it: set "
        "JIRA_API_TOKEN or TIEBACK_JIRA__TOKEN to the token alone"
    )


@responses.activate
def test_a_request_github_cannot_be_sent_is_one_line_without_the_token() -> None:
    client = GithubClient(GITHUB_API, SecretStr(GITHUB_TOKEN), RetryPolicy(attempts=1))
    leak = requests.exceptions.InvalidHeader(
        "Invalid leading whitespace, reserved character(s), or return character(s) in header "
        f"value: 'token {GITHUB_TOKEN}\\n'"
    )
    responses.get(f"{GITHUB_MOCK}/repos/acme/app/issues", body=leak)
    with pytest.raises(GithubApiError) as caught:
        client.request("GET", "/repos/acme/app/issues")
    assert str(caught.value).startswith("cannot send GET /repos/acme/app/issues to GitHub at ")
    assert "InvalidHeader" in str(caught.value)
    assert "\n" not in str(caught.value) and shows_none(str(caught.value), GITHUB_TOKEN)


# --- the last resort ---------------------------------------------------------------------------


def test_an_unexpected_error_is_shown_without_any_known_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JIRA_API_TOKEN", f"{TOKEN}\n")
    monkeypatch.setenv("TIEBACK_GITHUB__TOKEN", GITHUB_TOKEN)
    pair = f"{EMAIL}:{TOKEN}"
    JiraClient(CLOUD, EMAIL, SecretStr(TOKEN))  # a client made this run knows its Basic pair
    leaked = " ".join([*forms(TOKEN), *forms(pair), *forms(GITHUB_TOKEN), repr(f"{TOKEN}\n")])

    def broken(args: object) -> int:
        raise RuntimeError(f"library failure: {leaked}")

    monkeypatch.setattr(tieback.commands.audit, "run", broken)
    assert tieback.cli.main(["audit", "--offline"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("tieback: error: unexpected RuntimeError: library failure: ***")
    assert err.count("\n") == 1
    assert shows_none(out + err, TOKEN, pair, GITHUB_TOKEN)
