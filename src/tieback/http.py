"""The one retry policy for every HTTP call (tenacity), timeouts, and secret redaction."""

from __future__ import annotations

import base64
import email.utils
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Where the secrets a user sets live, besides the ones the clients are given.
SECRET_VARIABLES = (
    "TIEBACK_JIRA__TOKEN",
    "JIRA_API_TOKEN",
    "TIEBACK_GITHUB__TOKEN",
    "GITHUB_TOKEN",
    "PGPASSWORD",
)

T = TypeVar("T")


class TransientError(Exception):
    """A response or failure worth retrying; carries the server's requested wait."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring Retry-After; bounded both ways."""

    attempts: int = 6
    initial: float = 1.0
    maximum: float = 60.0  # the longest single wait
    budget: float = 300.0  # the longest total time spent retrying one call
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[float, float], float] = field(default=random.uniform, compare=False)

    def wait(self, state: RetryCallState) -> float:
        backoff = self.jitter(0, min(self.maximum, self.initial * 2 ** (state.attempt_number - 1)))
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        requested = getattr(error, "retry_after", None)
        if requested is not None:
            return float(min(max(requested, 0.0), self.maximum))
        return float(backoff)

    def retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception(_worth_retrying),
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.budget),
            wait=self.wait,
            sleep=self.sleep,
            reraise=True,
        )


def _worth_retrying(error: BaseException) -> bool:
    """Transient answers and network failures; never a certificate error (SSLError is a
    ConnectionError to requests, but retrying it only delays the same failure)."""
    if isinstance(error, requests.exceptions.SSLError):
        return False
    return isinstance(error, TransientError | requests.ConnectionError | requests.Timeout)


def retry_after(headers: Any, now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait: Retry-After (seconds or HTTP-date), else
    GitHub's ``x-ratelimit-reset`` when the remaining quota is zero."""
    value = headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        now = now or datetime.now(UTC)
        return max(0.0, (when - now).total_seconds())
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
        try:
            reset = float(headers["x-ratelimit-reset"])
        except ValueError:
            return None
        return max(0.0, reset - time.time())
    return None


def is_transient(status: int, headers: Mapping[str, str]) -> bool:
    """429/502/503/504, and GitHub's primary and secondary rate limits, which come as
    403 with a wait (``headers`` looked up case-insensitively)."""
    if status in RETRY_STATUSES:
        return True
    return status == 403 and (
        bool(headers.get("Retry-After")) or headers.get("x-ratelimit-remaining") == "0"
    )


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    idempotent: bool = True,
    timeout: float = 30,
    **kwargs: Any,
) -> requests.Response:
    """Send one request under the policy. A non-idempotent request is sent once: the
    caller must look before it tries again (e.g. for a comment's marker)."""
    if not idempotent:
        return session.request(method, url, timeout=timeout, **kwargs)
    for attempt in policy.retrying():
        with attempt:
            response = session.request(method, url, timeout=timeout, **kwargs)
            if is_transient(response.status_code, response.headers):
                raise TransientError(
                    f"HTTP {response.status_code} from {method} {redact_url(url)}",
                    retry_after(response.headers),
                )
            return response
    raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover


def secret_forms(secret: str) -> list[str]:
    """The ways a message may show a secret, longest first: as it is, URL-encoded (in a
    path or a query), in base64 (an Authorization header), and with its control
    characters escaped (a ``repr``)."""
    raw = secret.encode()
    encoded = base64.b64encode(raw).decode("ascii")
    url_safe = base64.urlsafe_b64encode(raw).decode("ascii")
    forms = {
        secret,
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        encoded,
        encoded.rstrip("="),
        url_safe,
        url_safe.rstrip("="),
        repr(secret)[1:-1],
        repr(raw)[2:-1],
    }
    return sorted(forms, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret (and its common encodings) in text before showing it."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            for form in secret_forms(secret):
                text = text.replace(form, "***")
    return text


_given: set[str] = set()


def remember_secrets(*secrets: str) -> None:
    """Secrets a client was given (a token, the Basic pair made of it), for
    ``redact_known``: an error no client caught may still carry them."""
    _given.update(secret for secret in secrets if secret)


def redact_known(text: str) -> str:
    """``text`` without any secret this run knows of: the clients', and the values of
    the variables users keep secrets in, as set (a pasted newline included) and trimmed."""
    values = [os.environ.get(name, "") for name in SECRET_VARIABLES]
    known = {*_given, *values, *(value.strip() for value in values)}
    password = urlsplit(os.environ.get("TIEBACK_STORE__URL", "")).password
    if password:
        known.add(password)
    return redact(text, known)


def redact_url(url: str) -> str:
    """A URL without user info or query string, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


_END = object()


def read_ahead(pages: Iterable[T], name: str = "tieback-read-ahead") -> Iterator[T]:
    """What ``pages`` yields, in order, with the next page fetched while the caller
    works on this one.

    A sync's time is requests waited on plus the work done on each answer (turning
    issues into items, writing them to the store). Fetching one page ahead overlaps
    the two, so a sync costs little more than its requests: still one request at a
    time, in the same order, never more of them than without it. A thread drives
    ``pages`` at most two pages ahead of the caller (one waiting to be taken, one
    being fetched); what it raises is raised here, after the pages before it.
    When the caller stops early (an error, a ``break``), the thread stops before its
    next request and the iterator is closed in the thread that ran it.
    """
    handoff: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=1)
    stopped = threading.Event()

    def offer(entry: tuple[object, BaseException | None]) -> bool:
        while not stopped.is_set():
            try:
                handoff.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def drive() -> None:
        source = iter(pages)
        try:
            for page in source:
                if not offer((page, None)):
                    return
        except BaseException as exc:  # handed to the caller, who raises it
            offer((_END, exc))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        offer((_END, None))

    thread = threading.Thread(target=drive, name=name, daemon=True)
    thread.start()
    try:
        while True:
            page, error = handoff.get()
            if page is _END:
                if error is not None:
                    raise error
                return
            yield cast(T, page)
    finally:
        stopped.set()
        # A request in flight finishes on its own; its answer is dropped.
        thread.join(timeout=1.0)


def in_background(call: Callable[[], T], name: str = "tieback-background") -> Callable[[], T]:
    """Start ``call`` in a thread now; the function returned waits for it to end, then
    gives its result or raises its error. A result never asked for is dropped."""
    outcome: list[tuple[Any, BaseException | None]] = []

    def run() -> None:
        try:
            outcome.append((call(), None))
        except BaseException as exc:  # raised by whoever asks for the result
            outcome.append((None, exc))

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        value, error = outcome[0]
        if error is not None:
            raise error
        return cast(T, value)

    return result


def side_by_side(*calls: Callable[[], Any]) -> list[Any]:
    """The results of ``calls``, run at once: the first in this thread, each other in
    its own, so that requests which depend on nothing but the configuration wait on
    the network together instead of in turn.

    Every call runs to its end; then the first error, in the order given, is raised,
    so a run that fails fails with the same message whichever call finished first.
    """
    if not calls:
        return []
    waiting = [calls[0], *(in_background(call) for call in calls[1:])]
    results: list[Any] = []
    first_error: BaseException | None = None
    for wait in waiting:
        try:
            results.append(wait())
        except BaseException as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return results
