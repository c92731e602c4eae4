"""What the fake trackers share: answering a request after the fake's latency, and
serving a fake on an ephemeral port of 127.0.0.1 for a ``with`` block.

A fake is any object with ``latency`` (seconds to wait before answering) and
``handle(method, target, headers, body) -> (status, headers, data)``; ``data`` is
JSON, a string (sent as text), or None (no body).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeHandler(BaseHTTPRequestHandler):
    fake: Any
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes; with Nagle's algorithm on, the
    # body's last segment waits for the client's delayed ACK (40 ms on Linux) on every
    # request, which no real server costs its clients.
    disable_nagle_algorithm = True
    json_type = "application/json; charset=utf-8"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.fake.latency > 0:
            time.sleep(self.fake.latency)
        status, headers, data = self.fake.handle(self.command, self.path, self.headers, body)
        headers = dict(headers)
        if status == 204 or data is None:
            payload = b""
        elif isinstance(data, str):
            payload = data.encode()
            headers.setdefault("Content-Type", "text/plain;charset=UTF-8")
        else:
            payload = self._encode(data)
            headers.setdefault("Content-Type", self.json_type)
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
