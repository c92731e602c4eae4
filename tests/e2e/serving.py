"""What the fake trackers share: answering a request after the fake's latency, counting
the requests in flight, and serving a fake on an ephemeral port of 127.0.0.1 for a
``with`` block.

A fake is any object with ``latency`` (seconds from a request to its answer, the
fake's own work included) and ``handle(method, target, headers, body) -> (status,
headers, data)``; ``data`` is JSON, a string (sent as text), or None (no body). A fake
with a ``concurrency`` (``Concurrency``) has its requests in flight counted, and
refused past its limit.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = tuple[int, dict[str, str], Any]


@dataclass
class Visit:
    """One request while a fake answers it."""

    write: bool
    admitted: bool
    arrived: float  # time.perf_counter()


class Concurrency:
    """The requests a fake is answering at once, and a limit past which it refuses them.

    Trackers limit the requests of one user in flight (Jira Cloud about ten, as
    integrators observe it; GitHub 100, its documented secondary limit) and answer 429
    with ``Retry-After`` past it; GitHub also asks for writes one at a time. This
    records the most requests in flight at once (refused ones included), the most
    writes among them, how many were refused, and, when ``spans`` is a list, each
    request's (arrival, answer) times. ``limit`` None, the default, refuses nothing.
    A request counts from its arrival to the moment its answer is ready to send, the
    latency's wait included, so that a request sent only once the previous answer came
    back never overlaps it.
    """

    def __init__(
        self, refusal: Callable[[int], Answer], writes: Callable[[str, str], bool]
    ) -> None:
        self.limit: int | None = None
        self.retry_after = 1  # seconds, in the refusal's Retry-After header
        self.in_flight = 0
        self.peak = 0
        self.writes_in_flight = 0
        self.peak_writes = 0
        self.refused = 0
        self.spans: list[tuple[float, float]] | None = None
        self._refusal = refusal
        self._writes = writes
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget the peaks and refusals (not the requests still in flight)."""
        with self._lock:
            self.peak, self.peak_writes, self.refused = self.in_flight, self.writes_in_flight, 0
            if self.spans is not None:
                self.spans = []

    def arrive(self, method: str, target: str) -> Visit:
        write = self._writes(method, target)
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            if write:
                self.writes_in_flight += 1
                self.peak_writes = max(self.peak_writes, self.writes_in_flight)
            admitted = self.limit is None or self.in_flight <= self.limit
            if not admitted:
                self.refused += 1
        return Visit(write, admitted, time.perf_counter())

    def leave(self, visit: Visit) -> None:
        answered = time.perf_counter()
        with self._lock:
            self.in_flight -= 1
            if visit.write:
                self.writes_in_flight -= 1
            if self.spans is not None:
                self.spans.append((visit.arrived, answered))

    def chain(self) -> int:
        """The most requests of ``spans`` each sent after the one before it was answered.

        Requests sent side by side count once: this many latencies is what the
        requests cost, whatever the client and the server did between them.
        """
        count, free = 0, float("-inf")
        for arrived, answered in sorted(self.spans or (), key=lambda span: span[1]):
            if arrived >= free:
                count, free = count + 1, answered
        return count

    def refusal(self) -> Answer:
        """The answer past the limit: 429 with ``Retry-After``, in the tracker's shape."""
        return self._refusal(self.retry_after)


class FakeHandler(BaseHTTPRequestHandler):
    fake: Any
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes; with Nagle's algorithm on, the
    # body's last segment waits for the client's delayed ACK (40 ms on Linux) on every
    # request, which no real server costs its clients.
    disable_nagle_algorithm = True
    json_type = "application/json; charset=utf-8"
    worked = 0.0  # seconds the last answer took the fake, its wait for the latency left out

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        gate: Concurrency | None = getattr(self.fake, "concurrency", None)
        visit = gate.arrive(self.command, self.path) if gate is not None else None
        arrived = time.perf_counter()
        try:
            if gate is not None and visit is not None and not visit.admitted:
                status, headers, data = gate.refusal()
            else:
                status, headers, data = self.fake.handle(
                    self.command, self.path, self.headers, body
                )
            headers = dict(headers)
            if status == 204 or data is None:
                payload = b""
            elif isinstance(data, str):
                payload = data.encode()
                headers.setdefault("Content-Type", "text/plain;charset=UTF-8")
            else:
                payload = self._encode(data)
                headers.setdefault("Content-Type", self.json_type)
            # The latency is the whole time to an answer, as "Jira Cloud answers a page
            # in 250 ms" means it: the fake's own work is part of it, not added to it.
            self.worked = time.perf_counter() - arrived
            left = self.fake.latency - self.worked
            if left > 0:
                time.sleep(left)
        finally:
            if gate is not None and visit is not None:
                gate.leave(visit)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _encode(self, data: Any) -> bytes:
        """The answer's body (the benchmark's server serialises repeated issues once)."""
        return json.dumps(data).encode()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:  # the test output stays quiet
        pass


@contextmanager
def serving(fake: Any, handler: type[FakeHandler]) -> Iterator[str]:
    """Serve ``fake`` through ``handler`` on an ephemeral port of 127.0.0.1 for the
    ``with`` block; yields the server's address, ``http://127.0.0.1:PORT``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (handler,), {"fake": fake}))
    server.daemon_threads = True
    server.timeout = 5
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
