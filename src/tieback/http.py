"""The one retry policy for every HTTP call (tenacity), timeouts, and secret redaction.

Every wait a server asks for is honoured as asked up to ``max_wait`` (``[jira]`` and
``[github] max_wait``); beyond it the call stops at once, saying when to try again. A
wait of a few seconds or more is said on stderr as it starts. Every answer is read
whole against a deadline of the timeout from the request's start, so a server that
sends its body a byte at a time cannot hold a run.
"""

from __future__ import annotations

import base64
import email.utils
import math
import os
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A wait this long or longer is said as it starts: a silent pause of seconds looks hung.
ANNOUNCE_FROM = 5.0
# The most one read of a body asks for. A read returns what has come, up to this: a
# page of a megabyte that arrived while the thread waited is taken in one read.
_READ_SIZE = 1 << 20
# Where the secrets a user sets live, besides the ones the clients are given and the
# connectors' tokens (``registry.token_variables``).
SECRET_VARIABLES = ("PGPASSWORD",)

T = TypeVar("T")


class TransientError(Exception):
    """A response or failure worth retrying; carries the server's requested wait and
    the HTTP status (0 when there was no answer)."""

    def __init__(self, message: str, retry_after: float | None = None, status: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class WaitTooLong(Exception):
    """The server asked for a longer wait than ``max_wait``: the call stopped at once
    rather than wait that long, or retry sooner than it was told to."""

    def __init__(self, status: int, wait: float, max_wait: float, now: datetime) -> None:
        super().__init__(f"HTTP {status}: asked to wait {math.ceil(wait)} s")
        self.status = status
        self.wait = wait
        self.max_wait = max_wait
        self.now = now

    @property
    def until(self) -> datetime:
        """When the wait ends, rounded up to the minute."""
        end = self.now + timedelta(seconds=self.wait)
        minute = end.replace(second=0, microsecond=0)
        return minute if minute == end else minute + timedelta(minutes=1)

    def describe(self, tracker: str, section: str) -> str:
        """One line for the user; ``section`` is the configuration table (``jira``)."""
        asked = (
            "rate-limited this run" if _rate_limit(self.status) else f"answered HTTP {self.status}"
        )
        until = self.until
        shown = f"{until:%H:%M}" if until.date() == self.now.date() else f"{until:%Y-%m-%d %H:%M}"
        return (
            f"{tracker} {asked} and asked to wait {math.ceil(self.wait)} s (more than "
            f"[{section}] max_wait = {self.max_wait:g}): try again after {shown} UTC"
        )


class DeadlineExceeded(requests.exceptions.Timeout):
    """The whole answer (connection, headers and body) took longer than the timeout.

    Not retried: a server that sends an answer this slowly is likely to send the next
    one as slowly, and each attempt would cost the whole timeout again.
    """

    def __init__(self, timeout: float, received: int) -> None:
        super().__init__(f"no whole answer within {timeout:g} s ({received} bytes came)")
        self.timeout = timeout
        self.received = received


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _unheeded(seconds: float, rate_limited: bool) -> None:
    """A wait nobody counts (a meter counts them: ``tieback.meter``)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; a wait the server asks for is honoured as
    asked up to ``max_wait`` and stops the call beyond it; bounded in attempts and time."""

    attempts: int = 6
    initial: float = 1.0
    maximum: float = 60.0  # the longest backoff of tieback's own
    budget: float = 300.0  # the longest total time spent retrying one call
    max_wait: float = 60.0  # the longest wait a server may ask for before the call stops
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[float, float], float] = field(default=random.uniform, compare=False)
    say: Callable[[str], None] = field(default=_say, compare=False)  # a line on stderr
    # Told of every wait as it starts: its seconds, and whether a rate limit asked for it.
    waited: Callable[[float, bool], None] = field(default=_unheeded, compare=False)

    def wait(self, state: RetryCallState) -> float:
        requested = getattr(_error(state), "retry_after", None)
        if requested is not None:
            return float(max(requested, 0.0))
        ceiling = min(self.maximum, self.initial * 2 ** (state.attempt_number - 1))
        return float(self.jitter(0, ceiling))

    def stop(self, state: RetryCallState) -> bool:
        requested = getattr(_error(state), "retry_after", None)
        return (
            state.attempt_number >= self.attempts
            or (state.seconds_since_start or 0.0) >= self.budget
            or (requested is not None and requested > self.max_wait)
        )

    def call(self, once: Callable[[], T], name: str = "") -> T:
        """What ``once`` returns, trying it again under the policy while it raises a
        transient error. ``name`` (``jira``, ``github``) names the tracker in the lines
        said on stderr. Raises WaitTooLong when the server asks for more than
        ``max_wait``, else the last error once the attempts or the budget run out."""

        def announce(state: RetryCallState) -> None:
            seconds = state.next_action.sleep if state.next_action is not None else 0.0
            error = _error(state)
            # Counted first: a line redrawn below the message shows the wait.
            self.waited(seconds, _rate_limit(getattr(error, "status", 0)))
            if seconds >= ANNOUNCE_FROM:
                self.say(_waiting(name, error, seconds))

        retrying = Retrying(
            retry=retry_if_exception(_worth_retrying),
            stop=self.stop,
            wait=self.wait,
            sleep=self.sleep,
            before_sleep=announce,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return once()
        except TransientError as exc:
            if exc.retry_after is not None and exc.retry_after > self.max_wait:
                raise WaitTooLong(
                    exc.status, exc.retry_after, self.max_wait, datetime.now(UTC)
                ) from exc
            raise
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover


def _error(state: RetryCallState) -> BaseException | None:
    outcome = state.outcome
    return outcome.exception() if outcome is not None else None


def _rate_limit(status: int) -> bool:
    """429, or 403 (GitHub's rate limits; a plain 403 is never retried, so never waited)."""
    return status in (403, 429)


def _waiting(name: str, error: BaseException | None, seconds: float) -> str:
    """The line said as a wait starts: ``tieback: jira: rate-limited (HTTP 429), waiting
    30 s as asked``."""
    status = getattr(error, "status", 0)
    if status:
        reason = f"rate-limited (HTTP {status})" if _rate_limit(status) else f"HTTP {status}"
    else:
        reason = type(error).__name__
    asked = getattr(error, "retry_after", None) is not None
    how = "as asked" if asked else "before trying again"
    who = f"{name}: " if name else ""
    return f"tieback: {who}{reason}, waiting {round(seconds)} s {how}"


def _worth_retrying(error: BaseException) -> bool:
    """Transient answers and network failures; never a certificate error (SSLError is a
    ConnectionError to requests, but retrying it only delays the same failure), nor an
    answer too slow to come whole within the timeout."""
    if isinstance(error, requests.exceptions.SSLError | DeadlineExceeded):
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


def read_body(response: requests.Response, deadline: float, timeout: float) -> bytes:
    """The whole body of ``response`` (not read yet), taken as it comes; raises
    DeadlineExceeded, the response closed, once ``time.monotonic()`` passes
    ``deadline``. Each read waits at most the socket's own timeout for its next bytes."""
    raw = response.raw
    chunks: list[bytes] = []
    received = 0
    try:
        while True:
            if time.monotonic() > deadline:
                response.close()
                raise DeadlineExceeded(timeout, received)
            chunk = raw.read1(_READ_SIZE, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            received += len(chunk)
    # As requests' own reading turns urllib3's errors into its own.
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except ReadTimeoutError as exc:
        raise requests.exceptions.ConnectionError(exc) from exc
    except SSLError as exc:
        raise requests.exceptions.SSLError(exc) from exc


def whole_answer_within(timeout: float) -> Callable[..., requests.Response]:
    """A ``requests`` response hook that reads each answer's body against a deadline of
    ``timeout`` from the request's start (connection, headers and body together).

    requests' own timeout bounds each wait for the next bytes, not the whole: a body
    sent a byte at a time would hold the call for as long as the server likes. The hook
    runs once the headers are in and before requests reads the body; it reads it,
    streamed or not, so what the caller gets is the whole answer or DeadlineExceeded.
    """

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        started = time.monotonic() - response.elapsed.total_seconds()
        content = read_body(response, started + timeout, timeout)
        # Where requests keeps a body it has read: it reads nothing more.
        response._content = content
        response._content_consumed = True  # type: ignore[attr-defined]
        return response

    return hook


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    idempotent: bool = True,
    timeout: float = 30,
    name: str = "",
    **kwargs: Any,
) -> requests.Response:
    """Send one request under the policy, its answer read whole within ``timeout``. A
    non-idempotent request is sent once: the caller must look before it tries again
    (e.g. for a comment's marker)."""
    hooks = {"response": [whole_answer_within(timeout)]}

    def once() -> requests.Response:
        response = session.request(method, url, timeout=timeout, hooks=hooks, **kwargs)
        if idempotent and is_transient(response.status_code, response.headers):
            raise TransientError(
                f"HTTP {response.status_code} from {method} {redact_url(url)}",
                retry_after(response.headers),
                response.status_code,
            )
        return response

    return policy.call(once, name) if idempotent else once()


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
    from tieback.connectors.registry import token_variables

    names = [*token_variables(), *SECRET_VARIABLES]
    values = [os.environ.get(name, "") for name in names]
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


# The event a thread sets once its request is on its way (``in_background(sent=True)``).
_on_sent = threading.local()


def _request_sent() -> None:
    event: threading.Event | None = getattr(_on_sent, "event", None)
    if event is not None:
        _on_sent.event = None
        event.set()


class _SaysSentMixin:
    """A urllib3 connection that says when its request is written (``_request_sent``)."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)  # type: ignore[misc]
        _request_sent()


class _SaysSent(_SaysSentMixin, HTTPConnection):
    pass


class _SaysSentTLS(_SaysSentMixin, HTTPSConnection):
    pass


class _SaysSentPool(HTTPConnectionPool):
    ConnectionCls = _SaysSent


class _SaysSentTLSPool(HTTPSConnectionPool):
    ConnectionCls = _SaysSentTLS


def say_when_sent(session: requests.Session) -> None:
    """Make ``session``'s requests tell ``in_background(..., sent=True)`` the moment
    they are written to the connection, before their answer is waited for. Its
    connections stay urllib3's own (through a proxy they are not: there the wait
    lasts until the call ends)."""
    for adapter in session.adapters.values():
        if isinstance(adapter, HTTPAdapter):
            pools = {"http": _SaysSentPool, "https": _SaysSentTLSPool}
            adapter.poolmanager.pool_classes_by_scheme = pools


def in_background(
    call: Callable[[], T], name: str = "tieback-background", *, sent: bool = False
) -> Callable[[], T]:
    """Start ``call`` in a thread now; the function returned waits for it to end, then
    gives its result or raises its error. A result never asked for is dropped.

    With ``sent``, return only once ``call`` has written its request (a session set up
    by ``say_when_sent``), or ended. A page asked for ahead is meant to wait on the
    network while this thread decodes the last one; but decoding holds the interpreter
    lock for the whole 10 to 15 ms of a page, and the new thread cannot send anything
    until it ends: the request would go out after the decoding instead of beside it.
    """
    outcome: list[tuple[Any, BaseException | None]] = []
    written = threading.Event()

    def run() -> None:
        if sent:
            _on_sent.event = written
        try:
            outcome.append((call(), None))
        except BaseException as exc:  # raised by whoever asks for the result
            outcome.append((None, exc))
        finally:
            _on_sent.event = None
            written.set()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    if sent:
        written.wait()

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
