"""The GitHub client: PyGithub's requester under tieback's one retry policy."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from requests.structures import CaseInsensitiveDict

from tieback.config import clean_token
from tieback.errors import SourceError
from tieback.http import (
    ANNOUNCE_FROM,
    DeadlineExceeded,
    RetryPolicy,
    TransientError,
    WaitTooLong,
    is_transient,
    redact,
    redact_url,
    remember_secrets,
    retry_after,
    whole_answer_within,
)
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text

if TYPE_CHECKING:
    from pydantic import SecretStr

#
# PyGithub is the client (token auth, the Enterprise base URL, the GraphQL endpoint next
# to it, its exception types), used through its requester rather than its object model:
# an ``Issue`` from a list is an incomplete object whose ``raw_data`` fetches the issue
# again, one request per item, and a ``PaginatedList`` fetches its pages inside iteration
# where no retry can wrap a single page. ``requestJsonAndCheck`` returns one page's JSON
# and headers, so paging follows ``Link`` and every request runs under tieback's one
# retry policy. PyGithub's own retries and throttling are switched off.


_TOKEN_ENV = "GITHUB_TOKEN or TIEBACK_GITHUB__TOKEN"


class GithubApiError(SourceError):
    """GitHub refused a request or could not be reached; ``status`` is 0 for the latter.
    ``kind`` is a GraphQL error's type (``NOT_FOUND``, ``FORBIDDEN``...) or code."""

    def __init__(self, message: str, status: int = 0, kind: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind


T = TypeVar("T")

# The account Actions' GITHUB_TOKEN writes as.
ACTIONS_BOT = "github-actions[bot]"
# The account the token writes as (see own_login).
VIEWER_QUERY = "query { viewer { __typename login } }"


class GithubClient:
    """The GitHub REST and GraphQL APIs through PyGithub, under ``tieback.http``'s policy.

    ``requests`` counts the requests sent (retries included), for progress lines and
    the benchmark.
    """

    # The login the token writes as, once asked (see own_login).
    _own_login: str | None = None

    def __init__(
        self,
        api_url: str,
        token: SecretStr | None,
        policy: RetryPolicy | None = None,
        timeout: float = 30,
        max_wait: float | None = None,
    ) -> None:
        from github import Auth, Github

        from tieback import __version__

        if token is None or not token.get_secret_value().strip():
            raise GithubApiError(
                f"no GitHub token: set {_TOKEN_ENV} "
                "(in a workflow, pass the token input or secrets.GITHUB_TOKEN)"
            )
        try:
            self._secret = clean_token(token.get_secret_value())
        except ValueError:
            raise GithubApiError(
                "the GitHub token has a line break or another control character inside it: "
                f"set {_TOKEN_ENV} to the token alone"
            ) from None
        remember_secrets(self._secret)
        self.api_url = api_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        if max_wait is not None:  # [github] max_wait, over the policy's own
            self.policy = dataclasses.replace(self.policy, max_wait=max_wait)
        self.timeout = timeout
        self.requests = 0
        self._github = Github(
            base_url=self.api_url,
            auth=Auth.Token(self._secret),
            per_page=100,
            # Each wait on the socket, in the whole seconds PyGithub takes; the hook below
            # holds the whole answer to the timeout itself.
            timeout=math.ceil(timeout),
            user_agent=f"tieback/{__version__}",
            # One retry policy (tieback.http) and no sleeping of PyGithub's own.
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self._requester = self._github.requester
        _read_within(self._requester, timeout)

    def request(
        self,
        verb: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> tuple[Mapping[str, str], Any]:
        """One REST call (``path`` relative to ``api_url``, or a URL GitHub gave us).

        Rate limits, 429 and 5xx are retried under the policy, waiting as long as GitHub
        asks up to ``max_wait``; a request that is not idempotent is sent once (its
        caller looks before it tries again). A write that GitHub turns away for a rate
        limit was not made: it waits as GitHub asks, up to ``max_wait``, and is sent once
        more, never again. Raises GithubApiError with a one-line message otherwise.
        """
        from github import GithubException

        # A GraphQL query is a read sent as POST.
        write = verb != "GET" and path != self._requester.graphql_url

        def once() -> tuple[Mapping[str, str], Any]:
            self.requests += 1
            try:
                headers, data = self._requester.requestJsonAndCheck(
                    verb, path, parameters=dict(params) if params else None, input=body
                )
            except GithubException as exc:
                wait = CaseInsensitiveDict(exc.headers or {})
                if write and _write_wait(exc, self.policy) is not None:
                    raise  # waited out once by _after_rate_limit, not under the policy
                if idempotent and is_transient(exc.status, wait):
                    raise TransientError(
                        f"HTTP {exc.status} from {verb} {_shown(path)}",
                        retry_after(wait),
                        exc.status,
                    ) from exc
                raise
            return CaseInsensitiveDict(headers or {}), data

        def sent() -> tuple[Mapping[str, str], Any]:
            return self.policy.call(once, "github") if idempotent else once()

        where = f"{verb} {_shown(path)}"
        unsure = "" if idempotent else " (it may have been written; the next run looks first)"
        try:
            if write:
                return _after_rate_limit(sent, self.policy, where)
            return sent()
        except WaitTooLong as exc:
            raise GithubApiError(exc.describe("GitHub", "github"), exc.status) from None
        except TransientError as exc:
            cause = exc.__cause__
            status = cause.status if isinstance(cause, GithubException) else 0
            message = self._describe(verb, path, cause, retried=True)
            raise GithubApiError(self._redact(message), status) from None
        except GithubException as exc:
            message = self._redact(self._describe(verb, path, exc))
            raise GithubApiError(message, exc.status) from None
        except DeadlineExceeded as exc:
            raise GithubApiError(
                f"GitHub did not send its whole answer to {where} within [github] timeout = "
                f"{exc.timeout:g} s ({exc.received} bytes came): the site or the network is "
                "too slow; try again later, or raise [github] timeout" + unsure
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise GithubApiError(
                self._redact(f"cannot reach GitHub at {redact_url(self.api_url)}: {_line(exc)}")
                + unsure
            ) from None
        except requests.RequestException as exc:
            # Not a network failure: a request requests cannot send (a bad URL or header).
            raise GithubApiError(
                self._redact(
                    f"cannot send {where} to GitHub at {redact_url(self.api_url)}: "
                    f"{type(exc).__name__}: {_line(exc)}"
                )
            ) from None

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a REST listing, following ``Link: <...>; rel="next"``."""
        url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": 100, **(params or {})}
        while url is not None:
            headers, data = self.request("GET", url, params=query)
            if not isinstance(data, list):
                raise GithubApiError(f"GET {_shown(path)}: expected a JSON list from GitHub")
            yield data
            url = next_link(headers.get("Link", ""))
            query = None  # the next link carries the query string

    def graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The ``data`` of a GraphQL query; raises GithubApiError on any error."""
        return self._graphql(query, variables, None)[0]

    def graphql_partial(
        self, query: str, variables: Mapping[str, Any], within: str
    ) -> tuple[dict[str, Any], list[str]]:
        """The ``data`` of a GraphQL query, and the messages of the errors GitHub gave
        for values inside a list field named ``within`` (an item the token may not
        see, left null beside the others); GithubApiError on any other error."""
        return self._graphql(query, variables, within)

    def _graphql(
        self, query: str, variables: Mapping[str, Any], within: str | None
    ) -> tuple[dict[str, Any], list[str]]:
        _, answer = self.request(
            "POST", self._requester.graphql_url, body={"query": query, "variables": variables}
        )
        if not isinstance(answer, dict):
            raise GithubApiError("GitHub GraphQL: the answer is not a JSON object")
        data = answer.get("data")
        data = data if isinstance(data, dict) else {}
        errors = answer.get("errors")
        if not errors:
            return data, []
        listed = errors if isinstance(errors, list) else [errors]
        partial = [
            error
            for error in listed
            if within is not None
            and data
            and isinstance(error, dict)
            and isinstance(error.get("path"), list)
            and within in error["path"][:-1]
        ]
        if len(partial) == len(listed):
            return data, [self._redact(_text(error.get("message")) or "error") for error in partial]
        first: object = next((error for error in listed if error not in partial), {})
        message = first.get("message", "error") if isinstance(first, dict) else str(first)
        kind = ""
        if isinstance(first, dict):
            extensions = _mapping(first.get("extensions"))
            kind = _text(first.get("type")) or _text(extensions.get("code"))
        status = 404 if kind == "NOT_FOUND" else 400
        raise GithubApiError(self._redact(f"GitHub GraphQL: {message}"), status, kind)

    def own_login(self, in_actions: bool = False) -> str:
        """The login of the account the token writes as, spelled as a comment's
        ``user.login`` spells it, or "" when GitHub will not say. Asked once a client.

        GraphQL's ``viewer`` answers for every kind of token: a personal or OAuth
        token's user, and a GitHub App installation token's bot (Actions'
        ``GITHUB_TOKEN`` is one), whose GraphQL login lacks the "[bot]" of REST.
        ``GET /user``, asked when GraphQL fails, answers user tokens only (an
        installation token gets 403 "Resource not accessible by integration"), and
        ``GET /app`` would need the App's own JWT. Failing both, in GitHub Actions
        (``in_actions``) the token is taken for ``GITHUB_TOKEN``, which writes as
        ``github-actions[bot]``. A rejected token (401) or an unreachable GitHub
        raises GithubApiError: every request after it would fail the same way.
        """
        if self._own_login is not None:
            return self._own_login
        login = ""
        try:
            viewer = _mapping(self.graphql(VIEWER_QUERY, {}).get("viewer"))
            login = _text(viewer.get("login"))
            if login and viewer.get("__typename") == "Bot" and not login.endswith("[bot]"):
                login += "[bot]"
        except GithubApiError as exc:
            if exc.status in (0, 401):
                raise
        if not login:
            try:
                _, user = self.request("GET", "/user")
                login = _text(_mapping(user).get("login"))
            except GithubApiError as exc:
                if exc.status in (0, 401):
                    raise
        if not login and in_actions:
            login = ACTIONS_BOT
        self._own_login = login
        return login

    def _describe(
        self, verb: str, path: str, exc: BaseException | None, retried: bool = False
    ) -> str:
        from github import GithubException

        where = f"{verb} {_shown(path)}"
        if not isinstance(exc, GithubException):
            return f"GitHub did not answer {where}"
        data = exc.data if isinstance(exc.data, dict) else {}
        message = str(data.get("message") or exc.message or "").strip()
        status = exc.status
        if status == 401:
            return (
                f"GitHub rejected the token (HTTP 401 {message or 'Bad credentials'}) on "
                f"{where}: check {_TOKEN_ENV}"
            )
        if status in (403, 429) and is_transient(status, CaseInsensitiveDict(exc.headers or {})):
            if retried:
                return f"GitHub's rate limit held after every retry (HTTP {status}) on {where}"
            return f"GitHub rate-limited {where} (HTTP {status}); sent once, not retried"
        if status == 403:
            return (
                f"GitHub refused {where} (HTTP 403 {message}): the token lacks a permission "
                "(issues and pull-requests read, write for post-back and comments)"
            )
        if status == 404:
            return (
                f"GitHub has no {_shown(path)} or the token cannot see it (HTTP 404): check "
                "[github] repos and the token's repository access"
            )
        detail = f" {message}" if message else ""
        return f"GitHub answered HTTP {status}{detail} to {where}"

    def _redact(self, text: str) -> str:
        return redact(text, [self._secret])


def _write_wait(exc: Any, policy: RetryPolicy) -> float | None:
    """Seconds GitHub asks a rate-limited write to wait (403 or 429 with ``retry-after``,
    or a spent quota's reset); None when the answer is no rate limit. Without a stated
    wait, GitHub asks for at least a minute: the policy's longest backoff."""
    headers = CaseInsensitiveDict(exc.headers or {})
    if exc.status not in (403, 429) or not is_transient(exc.status, headers):
        return None
    wait = retry_after(headers)
    return policy.maximum if wait is None else wait


def _after_rate_limit(send: Callable[[], T], policy: RetryPolicy, where: str) -> T:
    """``send()``; when GitHub turns the write away for a rate limit, it was not made:
    wait as asked and send it once more. GitHub asks integrators to wait out a rate
    limit (retrying early prolongs it), so a wait longer than ``max_wait`` is not
    waited: the write fails, saying when it may be tried again."""
    from github import GithubException

    try:
        return send()
    except GithubException as exc:
        wait = _write_wait(exc, policy)
        if wait is None:
            raise
        if wait > policy.max_wait:
            raise GithubApiError(
                f"GitHub rate-limited {where} (HTTP {exc.status}) for {_seconds(wait)}, "
                f"more than [github] max_wait = {policy.max_wait:g}: not written; "
                f"retry after {_clock(wait)}",
                exc.status,
            ) from None
        policy.waited(wait, True)
        if wait >= ANNOUNCE_FROM:
            policy.say(
                f"tieback: github: rate-limited (HTTP {exc.status}), waiting "
                f"{_seconds(wait)} as asked"
            )
        policy.sleep(wait)
    try:
        return send()
    except GithubException as exc:
        again = _write_wait(exc, policy)
        if again is None:
            raise
        raise GithubApiError(
            f"GitHub rate-limited {where} (HTTP {exc.status}) again after waiting "
            f"{_seconds(wait)}: not written; retry after {_clock(again)}",
            exc.status,
        ) from None


def _seconds(wait: float) -> str:
    return f"{math.ceil(wait)} s"


def _clock(wait: float) -> str:
    """When a wait from now ends, for a message: ``15:04:05 UTC``."""
    return f"{datetime.now(UTC) + timedelta(seconds=math.ceil(wait)):%H:%M:%S} UTC"


def _read_within(requester: Any, timeout: float) -> None:
    """Have ``requester`` read each answer whole within ``timeout``.

    PyGithub reads an answer inside requests, where only a timeout for each wait on the
    socket reaches. Its requester makes its connection (and the requests session in it)
    from a class it keeps per requester; a subclass whose session has the hook of
    ``tieback.http.whole_answer_within`` makes every answer come whole within the
    timeout, or not at all.
    """
    name = "_Requester__connectionClass"
    plain = getattr(requester, name)
    hook = whole_answer_within(timeout)

    class Bounded(plain):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.session.hooks["response"].append(hook)

    setattr(requester, name, Bounded)


def next_link(header: str) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, if any."""
    for part in header.split(","):
        url, _, rest = part.partition(";")
        if re.search(r'rel="?next"?', rest):
            return url.strip().strip("<>")
    return None


def _line(exc: BaseException) -> str:
    """An error's message on one line, cut short: requests' can run over several and
    repeat the whole URL."""
    reason = " ".join(str(exc).split())
    return reason if len(reason) <= 300 else reason[:297] + "..."


def _shown(path: str) -> str:
    """A request path for messages: no host, no query string."""
    return redact_url(path) if "://" in path else path.split("?", 1)[0]
