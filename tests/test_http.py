"""The retry policy: what is retried, how long it waits, and that it stops."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import responses
from urllib3 import HTTPResponse

import tieback.http
from tieback.http import (
    DeadlineExceeded,
    RetryPolicy,
    TransientError,
    WaitTooLong,
    in_background,
    read_ahead,
    read_body,
    redact,
    redact_url,
    retry_after,
    say_when_sent,
    send,
    side_by_side,
)

URL = "https://jira.example/rest/api/2/serverInfo"


def policy(waits: list[float], attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, sleep=waits.append, jitter=lambda lo, hi: hi)


@responses.activate
def test_retries_429_honouring_retry_after_then_succeeds() -> None:
    responses.get(URL, status=429, headers={"Retry-After": "7"})
    responses.get(URL, status=503)
    responses.get(URL, json={"version": "9.12.0"})
    waits: list[float] = []
    response = send(requests.Session(), "GET", URL, policy=policy(waits))
    assert response.json() == {"version": "9.12.0"}
    assert waits == [7.0, 2.0]  # Retry-After, then exponential backoff (attempt 2)
    assert len(responses.calls) == 3


@responses.activate
def test_gives_up_after_the_attempts_and_reraises() -> None:
    responses.get(URL, status=502)
    waits: list[float] = []
    with pytest.raises(TransientError, match="HTTP 502"):
        send(requests.Session(), "GET", URL, policy=policy(waits, attempts=3))
    assert len(responses.calls) == 3
    assert len(waits) == 2


@responses.activate
def test_client_errors_are_not_retried() -> None:
    for status in (400, 401, 403, 404, 410):
        responses.get(URL, status=status)
        waits: list[float] = []
        assert send(requests.Session(), "GET", URL, policy=policy(waits)).status_code == status
        assert waits == []
        responses.reset()


@responses.activate
def test_github_secondary_rate_limit_is_retried() -> None:
    responses.get(URL, status=403, headers={"Retry-After": "3"})
    responses.get(URL, json={})
    waits: list[float] = []
    assert send(requests.Session(), "GET", URL, policy=policy(waits)).status_code == 200
    assert waits == [3.0]


@responses.activate
def test_non_idempotent_requests_are_sent_once() -> None:
    responses.post(URL, status=503)
    waits: list[float] = []
    response = send(requests.Session(), "POST", URL, policy=policy(waits), idempotent=False)
    assert response.status_code == 503
    assert len(responses.calls) == 1


@responses.activate
def test_connection_errors_are_retried() -> None:
    responses.get(URL, body=requests.ConnectionError("refused"))
    responses.get(URL, json={})
    waits: list[float] = []
    assert send(requests.Session(), "GET", URL, policy=policy(waits)).status_code == 200
    assert waits == [1.0]


@responses.activate
def test_certificate_errors_are_not_retried() -> None:
    responses.get(URL, body=requests.exceptions.SSLError("certificate verify failed"))
    waits: list[float] = []
    with pytest.raises(requests.exceptions.SSLError):
        send(requests.Session(), "GET", URL, policy=policy(waits))
    assert waits == []
    assert len(responses.calls) == 1


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
    assert retry_after({"Retry-After": "12"}) == 12
    assert retry_after({"Retry-After": "Sun, 22 Nov 2026 10:00:30 GMT"}, now=now) == 30
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None


def test_redaction() -> None:
    assert redact("token abc123secret in url", ["abc123secret", None]) == "token *** in url"
    assert redact_url("https://user:pw@h.example:8443/p?token=x") == "https://h.example:8443/p"


# --- waits: bounded, honoured, said -------------------------------------------------------


class Frozen(datetime):
    """Now is 2026-11-22 15:05:20 UTC."""

    @classmethod
    def now(cls, tz: Any = None) -> Frozen:
        return cls(2026, 11, 22, 15, 5, 20, tzinfo=UTC)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tieback.http, "datetime", Frozen)
    monkeypatch.setattr(tieback.http.time, "time", lambda: Frozen.now().timestamp())


def throttled(calls: list[int], seconds: float | None, status: int = 429) -> Callable[[], None]:
    def once() -> None:
        calls.append(1)
        raise TransientError(f"HTTP {status}", retry_after=seconds, status=status)

    return once


def test_a_wait_asked_within_max_wait_is_honoured_whole_and_said() -> None:
    waits: list[float] = []
    lines: list[str] = []
    calls: list[int] = []
    # The longest backoff of tieback's own is 5 s here; the server's 30 s is not cut to it.
    patient = RetryPolicy(attempts=2, maximum=5, sleep=waits.append, say=lines.append)
    with pytest.raises(TransientError):
        patient.call(throttled(calls, 30), "jira")
    assert waits == [30.0] and len(calls) == 2
    assert lines == ["tieback: jira: rate-limited (HTTP 429), waiting 30 s as asked"]


def test_a_wait_asked_beyond_max_wait_stops_at_once(frozen: None) -> None:
    waits: list[float] = []
    lines: list[str] = []
    calls: list[int] = []
    policy = RetryPolicy(sleep=waits.append, say=lines.append)
    with pytest.raises(WaitTooLong) as caught:
        policy.call(throttled(calls, 3600), "jira")
    assert len(calls) == 1 and waits == [] and lines == []
    assert (caught.value.status, caught.value.wait, caught.value.max_wait) == (429, 3600, 60)
    assert caught.value.describe("Jira", "jira") == (
        "Jira rate-limited this run and asked to wait 3600 s (more than [jira] max_wait = 60): "
        "try again after 16:06 UTC"
    )


def test_max_wait_is_the_policys_own(frozen: None) -> None:
    waits: list[float] = []
    calls: list[int] = []
    policy = RetryPolicy(attempts=3, max_wait=600, sleep=waits.append, say=lambda _: None)
    with pytest.raises(TransientError) as caught:
        policy.call(throttled(calls, 300, status=503), "github")
    assert not isinstance(caught.value, WaitTooLong)
    assert waits == [300.0, 300.0]
    strict = RetryPolicy(max_wait=10, sleep=waits.append)
    with pytest.raises(WaitTooLong) as too_long:
        strict.call(throttled(calls, 11, status=503), "github")
    assert too_long.value.describe("GitHub", "github") == (
        "GitHub answered HTTP 503 and asked to wait 11 s (more than [github] max_wait = 10): "
        "try again after 15:06 UTC"
    )


def test_a_wait_past_midnight_names_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    class Late(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Late:
            return cls(2026, 11, 22, 23, 30, 0, tzinfo=UTC)

    monkeypatch.setattr(tieback.http, "datetime", Late)
    with pytest.raises(WaitTooLong) as caught:
        RetryPolicy().call(throttled([], 7200), "jira")
    assert caught.value.describe("Jira", "jira").endswith("try again after 2026-11-23 01:30 UTC")


@responses.activate
def test_an_hour_long_retry_after_as_an_http_date_stops_at_once(frozen: None) -> None:
    responses.get(URL, status=429, headers={"Retry-After": "Sun, 22 Nov 2026 16:05:20 GMT"})
    waits: list[float] = []
    with pytest.raises(WaitTooLong) as caught:
        send(requests.Session(), "GET", URL, policy=policy(waits), name="jira")
    assert caught.value.wait == 3600 and waits == [] and len(responses.calls) == 1


@responses.activate
def test_githubs_rate_limit_reset_an_hour_away_stops_at_once(frozen: None) -> None:
    reset = int(Frozen.now().timestamp()) + 3600
    responses.get(
        URL,
        status=403,
        json={"message": "API rate limit exceeded for user ID 1."},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    waits: list[float] = []
    with pytest.raises(WaitTooLong) as caught:
        send(requests.Session(), "GET", URL, policy=policy(waits), name="github")
    assert caught.value.describe("GitHub", "github") == (
        "GitHub rate-limited this run and asked to wait 3600 s (more than [github] max_wait = "
        "60): try again after 16:06 UTC"
    )
    assert waits == [] and len(responses.calls) == 1


def test_short_waits_are_silent_and_long_backoffs_are_said() -> None:
    waits: list[float] = []
    lines: list[str] = []
    calls: list[int] = []
    policy = RetryPolicy(attempts=6, sleep=waits.append, jitter=lambda lo, hi: hi, say=lines.append)
    with pytest.raises(TransientError):
        policy.call(throttled(calls, None, status=503), "github")
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert lines == [
        "tieback: github: HTTP 503, waiting 8 s before trying again",
        "tieback: github: HTTP 503, waiting 16 s before trying again",
    ]
    lines.clear()
    with pytest.raises(TransientError):
        policy.call(throttled(calls, 2), "github")
    assert lines == []


# --- a deadline for the whole answer ----------------------------------------------------------


class Trickle(io.RawIOBase):
    """A body that comes one byte every ``every`` seconds."""

    def __init__(self, data: bytes, every: float) -> None:
        self.data = data
        self.every = every
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.sent >= len(self.data):
            return 0
        time.sleep(self.every)
        buffer[0] = self.data[self.sent]
        self.sent += 1
        return 1


def trickled(data: bytes, every: float) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.raw = HTTPResponse(
        body=io.BufferedReader(Trickle(data, every)),
        headers={"Content-Length": str(len(data))},
        status=200,
        preload_content=False,
    )
    return response


def test_a_trickled_body_is_cut_at_the_deadline() -> None:
    body = b'{"issues": []}' * 20
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded) as caught:
        read_body(trickled(body, every=0.05), started + 0.5, timeout=0.5)
    took = time.monotonic() - started
    assert 0.4 <= took < 1.0
    assert caught.value.timeout == 0.5 and 5 <= caught.value.received <= 11
    assert not isinstance(caught.value, TransientError)


def test_a_body_within_the_deadline_is_read_whole() -> None:
    body = b'{"issues": [], "total": 0}'
    assert read_body(trickled(body, every=0.001), time.monotonic() + 5, timeout=5) == body


@responses.activate
def test_send_reads_the_whole_body_within_the_timeout() -> None:
    responses.get(URL, json={"version": "9.12.0"})
    waits: list[float] = []
    response = send(requests.Session(), "GET", URL, policy=policy(waits), timeout=5)
    assert response.json() == {"version": "9.12.0"}


def test_a_deadline_missed_is_not_retried() -> None:
    calls: list[int] = []
    waits: list[float] = []

    def slow() -> None:
        calls.append(1)
        raise DeadlineExceeded(timeout=1, received=3)

    with pytest.raises(DeadlineExceeded):
        RetryPolicy(sleep=waits.append).call(slow, "jira")
    assert calls == [1] and waits == []


# --- reading one page ahead ----------------------------------------------------------------


class Listing:
    """A paged listing that records which pages were asked for, and from which thread."""

    def __init__(self, pages: int, fail_at: int | None = None) -> None:
        self.pages = pages
        self.fail_at = fail_at
        self.asked: list[int] = []
        self.threads: set[str] = set()
        self.closed = threading.Event()
        self.asked_for = {n: threading.Event() for n in range(1, pages + 2)}

    def __iter__(self) -> Iterator[list[int]]:
        try:
            for number in range(1, self.pages + 1):
                self.asked.append(number)
                self.threads.add(threading.current_thread().name)
                self.asked_for[number].set()
                if number == self.fail_at:
                    raise TransientError(f"HTTP 503 on page {number}")
                yield [number * 10 + i for i in range(3)]
        finally:
            self.closed.set()


def test_read_ahead_yields_every_page_in_order_from_another_thread() -> None:
    listing = Listing(5)
    assert list(read_ahead(listing)) == [[n * 10, n * 10 + 1, n * 10 + 2] for n in range(1, 6)]
    assert listing.asked == [1, 2, 3, 4, 5]
    assert threading.current_thread().name not in listing.threads


def test_read_ahead_fetches_the_next_page_while_the_caller_works() -> None:
    listing = Listing(3)
    pages = read_ahead(listing)
    first = next(pages)
    # The caller holds page 1; page 2 is asked for without the caller asking.
    assert listing.asked_for[2].wait(timeout=10)
    assert first == [10, 11, 12]
    assert next(pages) == [20, 21, 22]
    pages.close()


def test_read_ahead_reads_at_most_two_pages_ahead() -> None:
    listing = Listing(10)
    pages = read_ahead(listing)
    next(pages)
    listing.asked_for[3].wait(timeout=10)  # page 2 waiting, page 3 in hand
    # Nothing beyond: the listing is not asked for page 4 until page 2 is taken.
    assert not listing.asked_for[4].wait(timeout=0.3)
    next(pages)
    assert listing.asked_for[4].wait(timeout=10)
    pages.close()
    assert listing.closed.wait(timeout=10)
    assert max(listing.asked) <= 5


def test_read_ahead_raises_the_listings_error_after_the_pages_before_it() -> None:
    listing = Listing(5, fail_at=3)
    seen: list[list[int]] = []
    with pytest.raises(TransientError, match="page 3"):
        for page in read_ahead(listing):
            seen.append(page)
    assert seen == [[10, 11, 12], [20, 21, 22]]
    assert listing.asked == [1, 2, 3]


def test_read_ahead_stops_the_listing_when_the_caller_fails() -> None:
    listing = Listing(100)
    with pytest.raises(RuntimeError, match="disk full"):
        for _ in read_ahead(listing):
            raise RuntimeError("disk full")
    assert listing.closed.wait(timeout=10)
    # Page 1 was being handled; at most the two pages ahead were asked for.
    assert listing.asked[-1] <= 3


def test_side_by_side_runs_the_calls_at_once_and_keeps_their_order() -> None:
    # Each call waits for the other two: run in turn, the barrier would break.
    barrier = threading.Barrier(3, timeout=5)

    def call(value: str) -> Callable[[], str]:
        def wait_then_answer() -> str:
            barrier.wait()
            return value

        return wait_then_answer

    assert side_by_side(call("serverInfo"), call("myself"), call("field")) == [
        "serverInfo",
        "myself",
        "field",
    ]


def test_side_by_side_raises_the_first_error_in_order_after_every_call_ended() -> None:
    ended: list[str] = []
    late = threading.Event()

    def slow_failure() -> None:
        late.wait(5)
        ended.append("first")
        raise ValueError("first")

    def quick_failure() -> None:
        ended.append("second")
        late.set()
        raise KeyError("second")

    def fine() -> str:
        ended.append("third")
        return "ok"

    with pytest.raises(ValueError, match="first"):
        side_by_side(slow_failure, quick_failure, fine)
    assert sorted(ended) == ["first", "second", "third"]
    assert side_by_side() == []


class _Held(BaseHTTPRequestHandler):
    """Notes each request's arrival, answers once ``release`` is set (or 10 s passed),
    then notes that it answered."""

    arrived: threading.Event
    release: threading.Event
    answered: threading.Event

    def do_GET(self) -> None:
        self.arrived.set()
        self.release.wait(10)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        self.answered.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _held_server() -> Iterator[tuple[str, threading.Event, threading.Event, threading.Event]]:
    arrived, release, answered = threading.Event(), threading.Event(), threading.Event()
    events = {"arrived": arrived, "release": release, "answered": answered}
    handler = type("Handler", (_Held,), events)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", arrived, release, answered
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_request_in_the_background_is_on_its_way_before_the_caller_goes_on() -> None:
    # The page asked for ahead must be sent before the caller starts decoding the last
    # one (which holds the interpreter lock): in_background(sent=True) returns once the
    # request is written, while its answer is still awaited.
    session = requests.Session()
    say_when_sent(session)
    with _held_server() as (url, arrived, release, answered), session:

        def late_request() -> str:
            time.sleep(0.2)  # the thread is slow to get going
            return session.get(url, timeout=10).text

        started = time.monotonic()
        result = in_background(late_request, sent=True)
        assert time.monotonic() - started >= 0.2
        assert not answered.is_set()  # returned before the answer, not after it
        assert arrived.wait(5)
        release.set()
        assert result() == "ok"


def test_a_background_call_that_sends_nothing_lets_the_caller_go_on_when_it_ends() -> None:
    def fails_before_sending() -> str:
        raise ValueError("no request")

    result = in_background(fails_before_sending, sent=True)
    with pytest.raises(ValueError, match="no request"):
        result()
    # A session without say_when_sent: the caller goes on once the call has ended.
    with _held_server() as (url, _, release, _), requests.Session() as session:
        release.set()
        assert in_background(lambda: session.get(url, timeout=10).text, sent=True)() == "ok"
