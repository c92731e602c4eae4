"""The retry policy: what is retried, how long it waits, and that it stops."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
import requests
import responses

from tieback.http import (
    RetryPolicy,
    TransientError,
    read_ahead,
    redact,
    redact_url,
    retry_after,
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


def test_waits_are_capped() -> None:
    waits: list[float] = []
    capped = RetryPolicy(attempts=2, maximum=5, sleep=waits.append)
    calls = []

    def always_throttled() -> None:
        calls.append(1)
        raise TransientError("429", retry_after=3600)

    with pytest.raises(TransientError):
        for attempt in capped.retrying():
            with attempt:
                always_throttled()
    assert waits == [5]


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
    assert retry_after({"Retry-After": "12"}) == 12
    assert retry_after({"Retry-After": "Sun, 22 Nov 2026 10:00:30 GMT"}, now=now) == 30
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None


def test_redaction() -> None:
    assert redact("token abc123secret in url", ["abc123secret", None]) == "token *** in url"
    assert redact_url("https://user:pw@h.example:8443/p?token=x") == "https://h.example:8443/p"


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
