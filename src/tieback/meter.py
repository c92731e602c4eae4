"""How far a sync or a post has got, said on stderr: a line on a terminal, a summary elsewhere."""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from tieback.http import RetryPolicy

# A run shorter than this draws nothing on a terminal: a line that flickers and vanishes
# says nothing, and the command's own output follows at once.
DELAY = 2.0
# The least time between two drawings of the line: ten a second at most.
INTERVAL = 0.1
# Back to the line's start, and erase to its end.
CLEAR = "\r\x1b[K"
# The width assumed when the terminal will not say (a pseudo-terminal never sized).
_FALLBACK_WIDTH = 80


class Meter:
    """What a tracker's sync or post says of its work as it goes; this one says nothing
    of it, so that library calls and tests behave as without a meter.

    A sync counts ``pages``; a post counts what it ``planned`` and ``wrote``; both count
    the waits of the retry policy ``watching`` gives. ``note`` says a message, ``close``
    ends the work with a summary, ``cancel`` ends it without one (a failed run). Every
    method may be called from any thread.
    """

    @property
    def draws_line(self) -> bool:
        """Whether the meter redraws one line on a terminal, in place of lines per page."""
        return False

    def start(self) -> None:
        """The work begins now: the time shown counts from here, and nothing is drawn
        before (a post's meter counts the waits of its planning, while the plan is
        printed on stdout)."""

    def pages(self, items: int) -> None:
        """One more page read, of ``items`` items."""

    def waited(self, seconds: float, rate_limited: bool = True) -> None:
        """A wait before a request is tried again: one the tracker asked for to stay
        under its rate limit, or a backoff after a failure."""

    def planned(self, count: int) -> None:
        """``count`` writes are to be made."""

    def wrote(self, count: int = 1) -> None:
        """``count`` more writes made."""

    def note(self, message: str) -> None:
        """Say ``message``, one line on stderr."""
        print(message, file=sys.stderr, flush=True)

    def watching(self, policy: RetryPolicy | None) -> RetryPolicy | None:
        """``policy`` (None: the default one) with its waits counted and said here."""
        return policy

    def close(self) -> str:
        """End the work; the summary line said, or "" when none is."""
        return ""

    def cancel(self) -> None:
        """End the work without a summary (it failed); a line drawn is erased."""


SILENT = Meter()


class LineMeter(Meter):
    """A tracker's work said on ``stream``: on a terminal, once the work has run
    ``DELAY`` seconds, one line redrawn in place at most every ``INTERVAL`` seconds and
    cut to the terminal's width, then replaced by the summary; elsewhere (a CI log, a
    file), the summary alone, one line. A note is said above the line.

    The line holds counts, the tracker's name and times, nothing read from the tracker.
    """

    def __init__(
        self,
        name: str,
        stream: TextIO,
        *,
        terminal: bool,
        clock: Callable[[], float] = time.monotonic,
        width: Callable[[], int] | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        self.name = name
        self._stream = stream
        self._terminal = terminal
        self._clock = clock
        self._width = width or (lambda: terminal_width(stream))
        # Meters of one run share a lock: they share the one line.
        self._lock = lock or threading.Lock()
        self._started = clock()
        self._running = False  # drawn only once started
        self._drawn_at: float | None = None  # None while the line is not shown
        self._items = self._pages = self._rate_waits = self._retries = self._written = 0
        self._planned: int | None = None
        self._closed = False

    @property
    def draws_line(self) -> bool:
        return self._terminal

    def start(self) -> None:
        with self._lock:
            self._started = self._clock()
            self._running = True

    def pages(self, items: int) -> None:
        with self._lock:
            self._items += items
            self._pages += 1
            self._tick()

    def waited(self, seconds: float, rate_limited: bool = True) -> None:
        with self._lock:
            if rate_limited:
                self._rate_waits += 1
            else:
                self._retries += 1
            self._tick()

    def planned(self, count: int) -> None:
        with self._lock:
            self._planned = (self._planned or 0) + count
            self._tick()

    def wrote(self, count: int = 1) -> None:
        with self._lock:
            self._written += count
            self._tick()

    def note(self, message: str) -> None:
        with self._lock:
            if self._drawn_at is None:
                self._write(message + "\n")
                self._tick()
            else:
                self._write(CLEAR + message + "\n")
                self._draw(self._clock())

    def watching(self, policy: RetryPolicy | None) -> RetryPolicy:
        from tieback.http import RetryPolicy

        return dataclasses.replace(policy or RetryPolicy(), say=self.note, waited=self.waited)

    def close(self) -> str:
        with self._lock:
            if self._closed:
                return ""
            self._closed = True
            summary = self._summary(self._clock())
            if not self._terminal:
                self._write(summary + "\n")
            elif self._drawn_at is not None:
                self._write(CLEAR + summary + "\n")
            else:
                return ""  # a short run on a terminal: nothing more than before
            self._drawn_at = None
            return summary

    def cancel(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._drawn_at is not None:
                self._write(CLEAR)
                self._drawn_at = None

    # --- under the lock ----------------------------------------------------------------

    def _tick(self) -> None:
        """Redraw the line if it is due."""
        if not (self._terminal and self._running) or self._closed:
            return
        now = self._clock()
        if now - self._started < DELAY:
            return
        if self._drawn_at is not None and now - self._drawn_at < INTERVAL:
            return
        self._draw(now)

    def _draw(self, now: float) -> None:
        line = self._line(now)
        # One column short of the width: a line that fills it wraps on some terminals,
        # and "\r" then returns to the wrapped part, leaving the rest behind.
        self._write(CLEAR + line[: max(self._width() - 1, 1)])
        self._drawn_at = now

    def _line(self, now: float) -> str:
        elapsed = _clock_time(now - self._started)
        if self._planned is not None:
            done = f"{self._written:,} of {_count(self._planned, 'change')} written"
        else:
            done = f"{_count(self._items, 'item')}, {_count(self._pages, 'page')}"
        return ", ".join([f"tieback: {self.name}: {done}", *self._waits(), elapsed])

    def _summary(self, now: float) -> str:
        took = _duration(now - self._started)
        if self._planned is not None:
            done = f"wrote {self._written:,} of {_count(self._planned, 'change')}"
        else:
            done = f"synced {_count(self._items, 'item')} in {_count(self._pages, 'page')}"
        return f"tieback: {self.name}: {done} ({', '.join([*self._waits(), took])})"

    def _waits(self) -> list[str]:
        said = []
        if self._rate_waits:
            said.append(_count(self._rate_waits, "rate-limit wait"))
        if self._retries:
            said.append(_count(self._retries, "retry", "retries"))
        return said

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            # stderr gone (closed, a reader that left): the work goes on unsaid.
            self._terminal = False
            self._closed = True


def _count(number: int, noun: str, plural: str = "") -> str:
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def _clock_time(seconds: float) -> str:
    """Whole seconds, as the line shows them: ``7 s``, ``2 min 05 s``."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    return f"{whole // 60} min {whole % 60:02d} s"


def _duration(seconds: float) -> str:
    """A summary's time: a tenth of a second under ten seconds, whole ones above."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    return _clock_time(int(seconds + 0.5))


def terminal_width(stream: TextIO) -> int:
    """The columns of the terminal ``stream`` writes to; 80 when it will not say."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return _FALLBACK_WIDTH
    return columns if columns > 0 else _FALLBACK_WIDTH


def is_terminal(stream: TextIO) -> bool:
    """Whether a line may be redrawn on ``stream``: a terminal that understands it."""
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return interactive and os.environ.get("TERM") != "dumb"


_making: ContextVar[Callable[[str], Meter] | None] = ContextVar("tieback.meter", default=None)


def meter_for(name: str) -> Meter:
    """The meter of the tracker ``name``: a ``LineMeter`` within ``metering``, else
    the silent one."""
    make = _making.get()
    return SILENT if make is None else make(name)


@contextmanager
def metering(stream: TextIO, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Within the block, each tracker's context is made with a ``LineMeter`` on
    ``stream``; on the way out, a line left drawn (the run failed) is erased, so the
    error that follows starts a line of its own."""
    terminal = is_terminal(stream)
    lock = threading.Lock()
    made: list[Meter] = []

    def make(name: str) -> Meter:
        meter = LineMeter(name, stream, terminal=terminal, clock=clock, lock=lock)
        made.append(meter)
        return meter

    token = _making.set(make)
    try:
        yield
    finally:
        _making.reset(token)
        for meter in made:
            meter.cancel()
