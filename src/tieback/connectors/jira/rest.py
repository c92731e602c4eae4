"""Jira's REST API under tieback's one retry policy: authentication, requests, one-line errors."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import requests

from tieback.config import clean_token
from tieback.errors import SourceError
from tieback.http import (
    RETRY_STATUSES,
    DeadlineExceeded,
    RetryPolicy,
    TransientError,
    WaitTooLong,
    redact,
    redact_url,
    remember_secrets,
    retry_after,
    say_when_sent,
    whole_answer_within,
)
from tieback.jsonio import loads

if TYPE_CHECKING:
    from pydantic import SecretStr

# The ``jira`` library is the client (auth for Cloud and Data Center, the session with
# its JSON headers, its error type), used through its session for raw JSON rather than
# its resources: an ``Issue`` object per search hit costs time and memory a large
# backlog cannot spare, and its paged search fetches pages inside the library, where
# tieback's policy cannot wrap a single page. The library's own retry loop
# (``ResilientSession``, which sleeps on 429/503 by itself) is switched off with
# ``max_retries=0``, so tieback's one policy (``tieback.http``) decides every retry and
# every wait.

_TOKEN_ENV = "JIRA_API_TOKEN or TIEBACK_JIRA__TOKEN"
# A path naming one issue, by key or id: not ``/issue/bulkfetch``, ``/issue/picker`` ...
_ISSUE_PATH = re.compile(r"/issue/([A-Za-z][A-Za-z0-9_]*-\d+|\d+)(?=[/?]|$)")


class JiraApiError(SourceError):
    """Jira refused a request or could not be reached; ``status`` is 0 for the latter."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class Answer(NamedTuple):
    """A successful answer, read but not decoded: what was asked, the response, its body."""

    where: str
    response: requests.Response
    content: bytes


class JiraRest:
    """The Jira REST API through the ``jira`` library's session, under one retry policy.

    Cloud authenticates with the account's email and an API token (HTTP Basic); Data
    Center with a personal access token alone (``Authorization: Bearer``), chosen when
    ``email`` is empty. ``requests`` counts the requests sent, retries included.
    """

    def __init__(
        self,
        url: str,
        email: str,
        token: SecretStr | None,
        policy: RetryPolicy | None = None,
        timeout: float = 30,
        max_wait: float | None = None,
    ) -> None:
        from jira import JIRA

        from tieback import __version__

        if token is None or not token.get_secret_value().strip():
            raise JiraApiError(
                f"no Jira token: set {_TOKEN_ENV} (Cloud: an API token with [jira] email; "
                "Data Center: a personal access token)"
            )
        try:
            secret = clean_token(token.get_secret_value())
        except ValueError:
            raise JiraApiError(
                "the Jira token has a line break or another control character inside it: "
                f"set {_TOKEN_ENV} to the token alone"
            ) from None
        self.url = url.rstrip("/")
        self.email = email.strip()
        self.policy = policy or RetryPolicy()
        if max_wait is not None:  # [jira] max_wait, over the policy's own
            self.policy = dataclasses.replace(self.policy, max_wait=max_wait)
        self.timeout = timeout
        self.requests = 0
        self._counting = threading.Lock()  # requests may be sent from several threads
        # What a message could ever echo: the token, and the Basic pair made of it (whose
        # base64 is the Authorization header); redact() covers their encodings.
        self._secrets = [secret]
        if self.email:
            self._secrets.append(f"{self.email}:{secret}")
        remember_secrets(*self._secrets)
        self._jira = JIRA(
            server=self.url,
            options={"check_update": False, "headers": {"User-Agent": f"tieback/{__version__}"}},
            basic_auth=(self.email, secret) if self.email else None,
            token_auth=None if self.email else secret,
            get_server_info=False,  # asked only when [jira] deployment = "auto", below
            max_retries=0,  # one attempt a call: tieback's policy retries, nothing else
            timeout=timeout,
            logging=False,
        )
        self._session = self._jira._session
        # Every answer read whole within the timeout, before the library looks at it.
        self._session.hooks["response"].append(whole_answer_within(timeout))
        # A page asked for ahead says when it is on its way (``in_background``).
        say_when_sent(self._session)
        self._deployment: str | None = None

    # --- requests ----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> Any:
        """One REST call (``path`` relative to the site URL); its JSON, or None when
        Jira answers without a body (204).

        429/502/503/504 and connection failures are retried under the policy, waiting
        as long as ``Retry-After`` asks; a request that is not idempotent is sent once
        (its caller looks before it tries again). Raises JiraApiError with one line.
        """
        return self.decode(self._answer(method, path, params, body, idempotent))

    def _answer(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool = True,
    ) -> Answer:
        """``request``'s answer, read but not decoded yet: ``decode`` gives its JSON."""
        where = f"{method} {path.split('?', 1)[0]}"
        statuses: list[int] = []

        def once() -> Answer:
            with self._counting:
                self.requests += 1
            answer = Answer(where, *self._send(method, path, params, body))
            status = answer.response.status_code
            if idempotent and status in RETRY_STATUSES:
                statuses.append(status)
                raise TransientError(
                    f"HTTP {status} from {where}", retry_after(answer.response.headers), status
                )
            return answer

        unsure = "" if idempotent else " (it may have been written; the next run looks first)"
        try:
            answer = self.policy.call(once, "jira") if idempotent else once()
        except WaitTooLong as exc:
            raise JiraApiError(exc.describe("Jira", "jira"), exc.status) from None
        except TransientError:
            status = statuses[-1]
            raise JiraApiError(
                f"Jira kept answering HTTP {status} to {where} after {len(statuses)} "
                "attempts: the site is overloaded or down; try again later",
                status,
            ) from None
        except DeadlineExceeded as exc:
            raise JiraApiError(
                f"Jira did not send its whole answer to {where} within [jira] timeout = "
                f"{exc.timeout:g} s ({exc.received} bytes came): the site or the network is "
                "too slow; try again later, or raise [jira] timeout" + unsure
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            # requests' messages run over several lines and repeat the whole URL.
            reason = " ".join(str(exc).split())
            reason = reason if len(reason) <= 300 else reason[:297] + "..."
            raise JiraApiError(
                self._redact(f"cannot reach Jira at {redact_url(self.url)} ({where}): {reason}")
                + unsure
            ) from None
        except requests.RequestException as exc:
            # Not a network failure: a URL requests cannot send to (no scheme, bad host).
            raise JiraApiError(
                self._redact(f"cannot send {where} to {self.url!r}: {type(exc).__name__}")
                + ": check [jira] url (e.g. https://acme.atlassian.net)"
            ) from None
        response = answer.response
        if not response.ok:
            message = self._describe(where, path, response)
            if not idempotent and response.status_code in RETRY_STATUSES:
                message += "; not retried, as sending it twice could write twice"
            raise JiraApiError(self._redact(message), response.status_code)
        return answer

    def _send(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any
    ) -> tuple[requests.Response, bytes]:
        """The response and its body, read whole within the timeout by the session's hook
        (``tieback.http.whole_answer_within``): in reads of whatever has come, so a page
        of a megabyte is a few reads, not the hundred of requests' 10 KB chunks, after
        each of which this thread must take the interpreter lock back from the one
        turning the last page into items."""
        from jira.exceptions import JIRAError

        try:
            response: requests.Response = self._session.request(
                method,
                f"{self.url}{path}",
                params=dict(params) if params else None,
                json=body,
            )
        except JIRAError as exc:
            # The session raises on any error status; the response is what we judge.
            # (Never str(exc): it prints the request headers, credentials included.)
            if exc.response is None:
                raise JiraApiError(f"Jira gave no answer to {method} {path}") from None
            return exc.response, exc.response.content
        return response, response.content

    def decode(self, answer: Answer) -> Any:
        """The JSON of an answer ``_answer`` gave; None when it has no body."""
        where, response, content = answer
        if response.status_code == 204 or not content:
            return None
        try:
            # The bytes as they came, so no text copy of a page of a megabyte is made
            # first (see tieback.jsonio for what is read how).
            return loads(content)
        except ValueError:
            kind = response.headers.get("Content-Type", "").split(";", 1)[0] or "no content type"
            raise JiraApiError(
                f"{redact_url(self.url)} did not answer {where} like Jira ({kind}, not JSON): "
                "check [jira] url (the site's base URL, with its context path if any)",
                response.status_code,
            ) from None

    def _describe(self, where: str, path: str, response: requests.Response) -> str:
        status = response.status_code
        message = jira_message(response)
        detail = f" {message}" if message else ""
        if status == 401:
            if self.email:
                check = f"check [jira] email ({self.email}) and the API token in {_TOKEN_ENV}"
            else:
                check = (
                    f"check the personal access token in {_TOKEN_ENV} (no [jira] email, so it "
                    "is sent as a Bearer token; Jira Cloud needs [jira] email too)"
                )
            return f"Jira rejected the credentials (HTTP 401) on {where}: {check}"
        if status == 403:
            denied = response.headers.get("X-Authentication-Denied-Reason", "")
            if denied:
                return (
                    f"Jira refused the login (HTTP 403, {denied}) on {where}: sign in to "
                    f"{redact_url(self.url)} in a browser once, then retry"
                )
            return (
                f"Jira refused {where} (HTTP 403{detail}): the account lacks a permission "
                "(Browse projects to sync; Edit issues and Add comments to post back)"
            )
        if status == 404:
            issue = _ISSUE_PATH.search(path)
            if issue:
                return (
                    f"Jira has no issue {issue[1]} or the account cannot see it (HTTP 404 on "
                    f"{where}): check the issue key ([jira.post_back] summary_issue, or run "
                    "'tieback sync' again)"
                )
            return (
                f"Jira answered HTTP 404{detail} to {where}: check [jira] url "
                f"({redact_url(self.url)}: the site's base URL, with its context path if any)"
            )
        if status == 410:
            return (
                f"Jira answered HTTP 410 Gone to {where}: this Jira Cloud site has retired that "
                'API; set [jira] deployment = "cloud" (or "auto")'
            )
        if status == 400 and "/search" in path:
            return f"Jira rejected the query (HTTP 400{detail}): check [jira] jql"
        return f"Jira answered HTTP {status}{detail} to {where}"

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    # --- what the site says of itself and of the account -------------------------------

    def deployment(self, configured: str) -> str:
        """``cloud`` or ``server``: as configured, else from ``/rest/api/2/serverInfo``."""
        if configured in ("cloud", "server"):
            return configured
        if self._deployment is None:
            info = self.request("GET", "/rest/api/2/serverInfo")
            if not isinstance(info, Mapping):
                raise JiraApiError(
                    f"{redact_url(self.url)}/rest/api/2/serverInfo is not Jira's server "
                    "information: check [jira] url"
                )
            self._deployment = "cloud" if info.get("deploymentType") == "Cloud" else "server"
        return self._deployment

    def myself(self) -> Mapping[str, Any]:
        """The account tieback acts as (its ``timeZone`` reads JQL dates)."""
        answer = self.request("GET", "/rest/api/2/myself")
        return answer if isinstance(answer, Mapping) else {}

    def fields(self) -> list[Mapping[str, Any]]:
        """Every issue field of the site: ``{"id", "name", "schema": {...}}``."""
        answer = self.request("GET", "/rest/api/2/field")
        if not isinstance(answer, list):
            raise JiraApiError("GET /rest/api/2/field: expected a JSON list from Jira")
        return [field for field in answer if isinstance(field, Mapping)]


def jira_message(response: requests.Response) -> str:
    """Jira's own words from an error response, on one line (``errorMessages``,
    ``errors``, or a short text body); empty for an HTML page or nothing."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        if not text or text.startswith("<") or len(text) > 300:
            return ""
        return " ".join(text.split())
    messages: list[str] = []
    if isinstance(data, Mapping):
        listed = data.get("errorMessages")
        if isinstance(listed, list):
            messages.extend(str(m) for m in listed if m)
        errors = data.get("errors")
        if isinstance(errors, Mapping):
            messages.extend(f"{name}: {text}" for name, text in errors.items())
        for key in ("message", "errorMessage"):
            if not messages and isinstance(data.get(key), str):
                messages.append(data[key])
    line = " ".join("; ".join(messages).split())
    return line if len(line) <= 500 else line[:497] + "..."
