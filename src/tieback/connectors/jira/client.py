"""The Jira client: Cloud and Data Center REST calls under tieback's one retry policy."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
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
    in_background,
    redact,
    redact_url,
    remember_secrets,
    retry_after,
    whole_answer_within,
)
from tieback.jsonio import loads
from tieback.payload import text_of as _text

if TYPE_CHECKING:
    from pydantic import SecretStr

#
# The ``jira`` library is the client (auth for Cloud and Data Center, the session with
# its JSON headers, its error type), used through its session for raw JSON rather than
# its resources: an ``Issue`` object per search hit costs time and memory a large
# backlog cannot spare, and its paged search fetches pages inside the library, where
# tieback's policy cannot wrap a single page. The library's own retry loop
# (``ResilientSession``, which sleeps on 429/503 by itself) is switched off with
# ``max_retries=0``, so tieback's one policy (``tieback.http``) decides every retry and
# every wait.

# The keys-only pass asks for more a page: Cloud grants up to 5000 when only keys are
# wanted, Data Center's default ceiling (jira.search.views.default.max) is 1000.
KEYS_PAGE_SIZE = {"cloud": 5000, "server": 1000}
# Issues a bulkfetch asks for: 1,000 when the fields are named (none of them paged,
# as comments are), else 100; a site that refuses 1,000 (HTTP 400) is asked for 100.
BULK_SIZE = 1000
BULK_SIZE_REFUSED = 100
# Times an issue bulkfetch could not return (its ``issueErrors``) is asked for again.
BULK_TRIES = 3
# How a site without bulkfetch answers it (no such resource, not that method, not built;
# or a proxy in front of it that blocks the path): the listing goes on by search pages.
BULK_REFUSALS = frozenset({404, 405, 501})
_TOKEN_ENV = "JIRA_API_TOKEN or TIEBACK_JIRA__TOKEN"
# A path naming one issue, by key or id: not ``/issue/bulkfetch``, ``/issue/picker`` ...
_ISSUE_PATH = re.compile(r"/issue/([A-Za-z][A-Za-z0-9_]*-\d+|\d+)(?=[/?]|$)")


class JiraApiError(SourceError):
    """Jira refused a request or could not be reached; ``status`` is 0 for the latter."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class BulkRefused(JiraApiError):
    """The site does not serve ``issue/bulkfetch`` (see ``BULK_REFUSALS``)."""


class Answer(NamedTuple):
    """A successful answer, read but not decoded: what was asked, the response, its body."""

    where: str
    response: requests.Response
    content: bytes


class JiraClient:
    """The Jira REST API through the ``jira`` library's session, under one retry policy.

    Cloud authenticates with the account's email and an API token (HTTP Basic); Data
    Center with a personal access token alone (``Authorization: Bearer``), chosen when
    ``email`` is empty. ``requests`` counts the requests sent, retries included.
    """

    # Set once the site refused issue/bulkfetch: its listings stay searches for the rest
    # of the run, without the listing of ids that only a bulkfetch needs.
    bulk_refused = False

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

    # --- what the source and the sink ask -------------------------------------------------

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

    def search(
        self,
        deployment: str,
        jql: str,
        fields: Sequence[str],
        page_size: int,
        bulk_after: int | None = None,
    ) -> Iterator[tuple[list[Mapping[str, Any]], str, int | None]]:
        """Pages of a search as (issues, position, total); ``total`` is None on Cloud
        until the listing changes course (below).

        Cloud: ``POST /rest/api/3/search/jql``, following ``nextPageToken`` (the server
        may grant fewer issues than asked); after ``bulk_after`` pages, the rest through
        ``bulk_fetch``, unless the site refuses it: then on through search pages. Data
        Center: ``POST /rest/api/2/search``, advancing ``startAt`` by the issues actually
        returned.
        """
        if deployment == "cloud":
            yield from self._search_cloud(jql, fields, page_size, bulk_after)
        else:
            yield from self._search_server(jql, fields, page_size)

    def count(self, deployment: str, jql: str) -> int | None:
        """How many issues match, in one request that reads none; None when the answer
        holds no count. Data Center: the search's exact ``total`` (``maxResults: 0``).
        Cloud: ``POST /rest/api/3/search/approximate-count``, which wants a bounded
        query (HTTP 400 otherwise) and may lag the latest changes by moments.
        """
        if deployment == "cloud":
            answer = self.request("POST", "/rest/api/3/search/approximate-count", body={"jql": jql})
            counted = answer.get("count") if isinstance(answer, Mapping) else None
        else:
            body = {"jql": jql, "fields": ["key"], "startAt": 0, "maxResults": 0}
            answer = _search_answer(self.request("POST", "/rest/api/2/search", body=body))
            counted = answer.get("total")
        return counted if isinstance(counted, int) and not isinstance(counted, bool) else None

    def _search_cloud(
        self, jql: str, fields: Sequence[str], page_size: int, bulk_after: int | None = None
    ) -> Iterator[tuple[list[Mapping[str, Any]], str, int | None]]:
        def ask(token: str | None) -> Answer:
            body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": page_size}
            if token:
                body["nextPageToken"] = token
            return self._answer("POST", "/rest/api/3/search/jql", body=body)

        # The next page needs this page's nextPageToken. It is read from the answer's
        # bytes before they are decoded, and the next page is asked for while they are:
        # still one request at a time, with the decoding off the chain of requests. The
        # decoded answer has the last word: a token read wrong has its answer waited for
        # and dropped, and the next page asked for again with the right one.
        seen: set[str] = set()
        listed: set[str] = set()  # the ids of the issues given so far, for bulk_fetch
        fetched: set[str] = set()  # ids bulk_fetch gave before the site refused it
        number = 0
        answer = ask(None)
        while True:
            bulk = bulk_after is not None and not self.bulk_refused
            ahead: tuple[str, Callable[[], Answer]] | None = None
            guess = _next_page_token(answer.content)
            # Not past the page after which the listing may change course (see search).
            switching = bulk and bulk_after is not None and number + 1 >= bulk_after
            if guess is not None and guess not in seen and not switching:
                ahead = (guess, in_background(functools.partial(ask, guess), "tieback-jira-ahead"))
            found = _search_answer(self.decode(answer))
            number += 1
            issues = _issues(found)
            if fetched:
                issues = [raw for raw in issues if _id(raw) not in fetched]
            token = _text(found.get("nextPageToken")) or None
            if found.get("isLast") is True:
                token = None  # the last page, whatever else it says
            repeated = token is not None and token in seen
            if bulk and bulk_after is not None and token is not None and not repeated:
                listed.update(_ids(issues))
                if number >= bulk_after:
                    if ahead is not None:
                        _drop(ahead[1])
                    yield issues, f"page {number}", None
                    try:
                        for page in self.bulk_fetch(jql, fields, listed, number):
                            fetched.update(_ids(page[0]))
                            number += 1
                            yield page
                        return
                    except BulkRefused:
                        # The rest by search pages, from this page's token; what bulkfetch
                        # gave already is left out of them.
                        self.bulk_refused = True
                    seen.add(token)
                    answer = ask(token)
                    continue
            yield issues, f"page {number}", None
            if ahead is not None and token is not None and not repeated and ahead[0] == token:
                seen.add(token)
                answer = ahead[1]()
                continue
            if ahead is not None:
                _drop(ahead[1])
            if token is None:
                return
            if repeated:
                raise JiraApiError(
                    "Jira returned the same nextPageToken twice; stopping rather than looping"
                )
            seen.add(token)
            answer = ask(token)

    def bulk_fetch(
        self, jql: str, fields: Sequence[str], given: Collection[str], pages: int
    ) -> Iterator[tuple[list[Mapping[str, Any]], str, int | None]]:
        """The rest of a Cloud search after ``pages`` pages gave the issues ``given``:
        the query's other ids, listed 5,000 a request, then their issues through
        ``POST /rest/api/3/issue/bulkfetch``, 1,000 a request (100 if the site refuses
        more), the next asked for while this one is decoded: one request at a time.

        An issue deleted (or hidden from the account) since the listing is simply not
        returned, as a search would not have listed it. An issue Jira could not return
        for the moment (``issueErrors``) is asked for again, up to ``BULK_TRIES`` times in
        all; if it still cannot be had, the sync stops with an error before anything is
        removed from the store, and the next sync reads it again. A site that does not
        serve bulkfetch raises ``BulkRefused``, and its caller reads the rest another way.
        """
        wanted: dict[str, None] = {}
        for issues, _, _ in self._search_cloud(jql, ["key"], KEYS_PAGE_SIZE["cloud"]):
            wanted.update((issue_id, None) for issue_id in _ids(issues) if issue_id not in given)
        total = len(given) + len(wanted)
        size = BULK_SIZE

        def ask(ids: list[str]) -> Answer:
            body = {"issueIdsOrKeys": ids, "fields": list(fields)}
            try:
                return self._answer("POST", "/rest/api/3/issue/bulkfetch", body=body)
            except JiraApiError as exc:
                if exc.status in BULK_REFUSALS:
                    raise BulkRefused(str(exc), exc.status) from None
                raise

        left = list(wanted)
        failed: dict[str, str] = {}  # id: Jira's reason, from the last try
        for _ in range(BULK_TRIES):
            if not left:
                return
            try:
                answer = ask(left[:size])
            except JiraApiError as exc:
                if exc.status != 400 or size == BULK_SIZE_REFUSED:
                    raise
                size = BULK_SIZE_REFUSED  # this site grants fewer a request
                answer = ask(left[:size])
            chunks = [left[start : start + size] for start in range(size, len(left), size)]
            failed = {}
            while True:
                ahead = None
                if chunks:
                    asked = functools.partial(ask, chunks.pop(0))
                    ahead = in_background(asked, "tieback-jira-ahead")
                found = _search_answer(self.decode(answer))
                failed.update(_issue_errors(found))
                pages += 1
                yield _issues(found), f"page {pages}", total
                if ahead is None:
                    break
                answer = ahead()
            left = list(failed)
        if failed:
            issue_id, reason = next(iter(failed.items()))
            raise JiraApiError(
                f"Jira could not return {len(failed)} of the query's issues (id {issue_id}: "
                f"{reason or 'no reason given'}); nothing was removed from the store: "
                "run the sync again"
            )

    def _search_server(
        self, jql: str, fields: Sequence[str], page_size: int
    ) -> Iterator[tuple[list[Mapping[str, Any]], str, int | None]]:
        def ask(start: int) -> Answer:
            body = {"jql": jql, "fields": list(fields), "startAt": start, "maxResults": page_size}
            return self._answer("POST", "/rest/api/2/search", body=body)

        # Every page but the last is as long as the first (the size the site grants).
        # So while a page is decoded the next is already asked for, where it starts if
        # this page is as long: still one request at a time, and its wait overlaps the
        # decoding. A page that comes back shorter (issues left the query meanwhile)
        # sends the next request again from where it really starts.
        start, size, total = 0, 0, None
        answer = ask(start)
        while True:
            ahead: tuple[int, Callable[[], Answer]] | None = None
            if size and total is not None and start + size < total:
                guess = start + size
                ahead = (guess, in_background(functools.partial(ask, guess), "tieback-jira-ahead"))
            found = _search_answer(self.decode(answer))
            issues = _issues(found)
            total = found.get("total")
            total = total if isinstance(total, int) and not isinstance(total, bool) else None
            yield issues, f"startAt {start}", total
            start += len(issues)
            size = size or len(issues)
            last = not issues or (total is not None and start >= total)
            if ahead is not None and ahead[0] == start and not last:
                answer = ahead[1]()
                continue
            if ahead is not None:
                _drop(ahead[1])
            if last:
                return
            answer = ask(start)


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


def _drop(asked: Callable[[], Answer]) -> None:
    """Wait for an answer asked for ahead that turned out not to be wanted, so that
    requests still go one at a time; what it failed with does not matter."""
    with contextlib.suppress(JiraApiError):
        asked()


_TOKEN_KEY = b'"nextPageToken"'
_TOKEN_VALUE = re.compile(rb'\s*:\s*("(?:[^"\\]|\\.)*")')


def _next_page_token(content: bytes) -> str | None:
    """The ``nextPageToken`` of a search answer, read from its bytes without decoding
    them; None if none is found. A guess: the decoded answer says what it really is."""
    at = content.rfind(_TOKEN_KEY)
    if at < 0 or content[:at].rstrip()[-1:] not in (b"{", b","):
        return None  # absent, or not a key of an object
    value = _TOKEN_VALUE.match(content, at + len(_TOKEN_KEY))
    if value is None:
        return None
    try:
        token = json.loads(value.group(1))
    except ValueError:
        return None
    return token if isinstance(token, str) and token else None


def _search_answer(answer: object) -> Mapping[str, Any]:
    if not isinstance(answer, Mapping) or not isinstance(answer.get("issues"), list):
        raise JiraApiError("Jira's search answer has no issues list: check [jira] url")
    return answer


def _issues(answer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [raw for raw in answer["issues"] if isinstance(raw, Mapping)]


def _id(raw: Mapping[str, Any]) -> str:
    """An issue's id, as text (Jira writes it as a string); empty when it has none."""
    issue_id = raw.get("id")
    if isinstance(issue_id, int | str) and not isinstance(issue_id, bool):
        return str(issue_id)
    return ""


def _ids(issues: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """The issues' ids, as text."""
    for raw in issues:
        if issue_id := _id(raw):
            yield issue_id


def _issue_errors(answer: Mapping[str, Any]) -> dict[str, str]:
    """The ids bulkfetch could not return this time, with Jira's reason for each."""
    errors = answer.get("issueErrors")
    found: dict[str, str] = {}
    for error in errors if isinstance(errors, list) else ():
        if isinstance(error, Mapping):
            for issue_id in _ids([error]):
                found[issue_id] = " ".join(_text(error.get("errorMessage")).split())
    return found
