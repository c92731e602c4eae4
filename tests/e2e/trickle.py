"""A fake tracker served with a slow body: the headers at once, then the body of the
requests a test picks one byte at a time, as an overloaded proxy or a broken link sends it.

``trickling(fake, picks)`` serves any fake of ``serving`` (FakeJira, FakeGithub) so; a
request whose ``(method, path)`` ``picks`` accepts has its body sent a byte every
``every`` seconds, until the body ends or the client hangs up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from e2e.serving import FakeHandler, serving


class _Trickle:
    """The handler's output: its first write (the status line and the headers, which
    http.server sends in one) goes at once, every later one a byte at a time."""

    def __init__(self, stream: BinaryIO, every: float) -> None:
        self.stream = stream
        self.every = every
        self.headers_sent = False

    def write(self, data: bytes) -> int:
        if not self.headers_sent:
            self.headers_sent = True
            return self.stream.write(data)
        for index in range(len(data)):
            try:
                self.stream.write(data[index : index + 1])
                self.stream.flush()
            except OSError:  # the client hung up: nothing more to send
                return index
            time.sleep(self.every)
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class _Handler(FakeHandler):
    picks: Callable[[str, str], bool]
    every: float

    def _answer(self) -> None:
        if self.picks(self.command, self.path.split("?", 1)[0]):
            self.wfile = _Trickle(self.wfile, self.every)  # type: ignore[assignment]
        super()._answer()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer


@contextmanager
def trickling(
    fake: Any,
    picks: Callable[[str, str], bool],
    every: float = 0.2,
    json_type: str = FakeHandler.json_type,
) -> Iterator[str]:
    """Serve ``fake`` on 127.0.0.1, trickling the bodies ``picks`` chooses; yields the address."""
    handler = type(
        "TricklingHandler",
        (_Handler,),
        {"picks": staticmethod(picks), "every": every, "json_type": json_type},
    )
    with serving(fake, handler) as address:
        yield address
