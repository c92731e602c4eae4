"""The meter of a sync or a post: a throttled line on a terminal, one summary line elsewhere."""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tieback.config import Config
from tieback.connectors.context import Context
from tieback.http import RetryPolicy, TransientError
from tieback.meter import (
    CLEAR,
    DELAY,
    SILENT,
    LineMeter,
    Meter,
    is_terminal,
    meter_for,
    metering,
)


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Stream(io.StringIO):
    """A stderr that records each write whole, and notices two writes at once."""

    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal
        self.writes: list[str] = []
        self.overlaps = 0
        self._writing = False

    def isatty(self) -> bool:
        return self.terminal

    def write(self, text: str) -> int:
        if self._writing:
            self.overlaps += 1
        self._writing = True
        time.sleep(0)  # another thread may run here, and would be caught writing
        self.writes.append(text)
        self._writing = False
        return len(text)

    @property
    def text(self) -> str:
        return "".join(self.writes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def meter(stream: Stream, clock: Clock, name: str = "jira", width: int = 200) -> LineMeter:
    """A meter whose work has started."""
    made = LineMeter(name, stream, terminal=stream.terminal, clock=clock, width=lambda: width)
    made.start()
    return made


# --- on a terminal ------------------------------------------------------------------------------


def test_a_short_run_on_a_terminal_draws_nothing_and_says_no_summary(clock: Clock) -> None:
    stream = Stream(terminal=True)
    jira = meter(stream, clock)
    for _ in range(30):
        clock.now += 0.05
        jira.pages(100)
    assert clock.now - 1000 < DELAY
    assert jira.close() == ""
    assert stream.writes == []


def test_the_line_is_drawn_after_the_delay_at_most_ten_times_a_second(clock: Clock) -> None:
    stream = Stream(terminal=True)
    jira = meter(stream, clock)
    clock.now += DELAY
    jira.pages(100)
    assert stream.writes == [CLEAR + "tieback: jira: 100 items, 1 page, 2 s"]
    step = 1 / 64  # exact in binary: the sums below are the times they say
    for _ in range(6):  # 94 ms of pages: none drawn
        clock.now += step
        jira.pages(100)
    assert len(stream.writes) == 1
    clock.now += step  # 109 ms
    jira.pages(100)
    assert stream.writes[-1] == CLEAR + "tieback: jira: 800 items, 8 pages, 2 s"
    for _ in range(640):  # ten seconds of a page every 16 ms: a hundred drawings at most
        clock.now += step
        jira.pages(1)
    assert 90 <= len(stream.writes) <= 101
    assert all(write.startswith(CLEAR) and "\n" not in write for write in stream.writes)


def test_nothing_is_drawn_before_the_work_starts(clock: Clock) -> None:
    stream = Stream(terminal=True)
    github = LineMeter("github", stream, terminal=True, clock=clock, width=lambda: 80)
    clock.now += 5  # a post planning: its waits are counted, the plan printed meanwhile
    github.waited(1, rate_limited=False)
    assert stream.writes == []
    github.start()
    github.planned(3)
    clock.now += DELAY
    github.wrote()
    assert stream.writes == [CLEAR + "tieback: github: 1 of 3 changes written, 1 retry, 2 s"]


def test_a_note_clears_the_line_first_then_redraws_it(clock: Clock) -> None:
    stream = Stream(terminal=True)
    jira = meter(stream, clock)
    clock.now += 3
    jira.pages(50)
    jira.waited(30)
    jira.note("tieback: jira: rate-limited (HTTP 429), waiting 30 s as asked")
    assert stream.writes[-2:] == [
        CLEAR + "tieback: jira: rate-limited (HTTP 429), waiting 30 s as asked\n",
        CLEAR + "tieback: jira: 50 items, 1 page, 1 rate-limit wait, 3 s",
    ]


def test_a_wait_of_the_policy_is_said_above_the_line_which_counts_it(clock: Clock) -> None:
    stream = Stream(terminal=True)
    jira = meter(stream, clock)
    clock.now += 3
    jira.pages(100)
    slept: list[float] = []
    policy = jira.watching(RetryPolicy(sleep=slept.append))
    answers = iter([429, 0])

    def once() -> str:
        if status := next(answers):
            raise TransientError(f"HTTP {status}", 30.0, status)
        return "read"

    assert policy.call(once, "jira") == "read"
    assert slept == [30.0]
    assert stream.writes == [
        CLEAR + "tieback: jira: 100 items, 1 page, 3 s",
        CLEAR + "tieback: jira: rate-limited (HTTP 429), waiting 30 s as asked\n",
        CLEAR + "tieback: jira: 100 items, 1 page, 1 rate-limit wait, 3 s",
    ]


def test_a_note_before_the_line_is_shown_is_a_plain_line(clock: Clock) -> None:
    stream = Stream(terminal=True)
    meter(stream, clock).note("tieback: jira: HTTP 503, waiting 8 s before trying again")
    assert stream.writes == ["tieback: jira: HTTP 503, waiting 8 s before trying again\n"]


def test_the_summary_replaces_the_line(clock: Clock) -> None:
    stream = Stream(terminal=True)
    jira = meter(stream, clock)
    clock.now += 2.5
    jira.pages(100)
    clock.now += 40
    jira.pages(20)
    summary = "tieback: jira: synced 120 items in 2 pages (43 s)"
    assert jira.close() == summary
    assert stream.writes[-1] == CLEAR + summary + "\n"
    jira.pages(10)  # a late page changes nothing said
    jira.cancel()
    assert stream.writes[-1] == CLEAR + summary + "\n"


def test_the_line_is_cut_to_the_terminal_width(clock: Clock) -> None:
    stream = Stream(terminal=True)
    jira = meter(stream, clock, width=30)
    clock.now += 65
    jira.pages(12345)
    assert stream.writes == [CLEAR + "tieback: jira: 12,345 items, "[:29]]
    assert len(stream.writes[0]) - len(CLEAR) == 29  # one short: a full line would wrap


def test_a_failed_run_erases_the_line_and_says_no_summary(clock: Clock) -> None:
    stream = Stream(terminal=True)
    jira = meter(stream, clock)
    clock.now += 5
    jira.pages(100)
    jira.cancel()
    assert stream.writes[-1] == CLEAR
    assert jira.close() == ""
    assert stream.writes[-1] == CLEAR


def test_a_post_shows_the_writes_made_of_those_planned(clock: Clock) -> None:
    stream = Stream(terminal=True)
    github = meter(stream, clock, name="github")
    github.planned(40)
    clock.now += 125
    github.waited(1.5, rate_limited=False)
    github.wrote(0)  # a comment that was there already
    clock.now += 0.5  # the next drawing is due
    github.wrote()
    assert stream.writes[-1] == (
        CLEAR + "tieback: github: 1 of 40 changes written, 1 retry, 2 min 05 s"
    )


# --- elsewhere (a CI log) -----------------------------------------------------------------------


def test_elsewhere_the_summary_alone_is_said_and_only_once(clock: Clock) -> None:
    stream = Stream(terminal=False)
    jira = meter(stream, clock)
    for number in range(48):
        clock.now += 0.5
        jira.pages(257 if number < 47 else 266)
    jira.waited(30)
    jira.waited(2.5)
    clock.now += 7
    assert stream.writes == []
    summary = jira.close()
    assert summary == "tieback: jira: synced 12,345 items in 48 pages (2 rate-limit waits, 31 s)"
    assert stream.writes == [summary + "\n"]
    assert jira.close() == ""
    assert stream.writes == [summary + "\n"]


def test_elsewhere_a_short_run_still_says_its_summary(clock: Clock) -> None:
    stream = Stream(terminal=False)
    jira = meter(stream, clock)
    clock.now += 0.34
    jira.pages(1)
    assert jira.close() == "tieback: jira: synced 1 item in 1 page (0.3 s)"
    assert stream.text == "tieback: jira: synced 1 item in 1 page (0.3 s)\n"


def test_elsewhere_a_note_is_a_plain_line_and_a_failed_run_says_nothing(clock: Clock) -> None:
    stream = Stream(terminal=False)
    github = meter(stream, clock, name="github")
    github.planned(6)
    clock.now += 9
    github.wrote(5)
    github.note("tieback: github: rate-limited (HTTP 403), waiting 60 s as asked")
    github.cancel()
    assert stream.writes == ["tieback: github: rate-limited (HTTP 403), waiting 60 s as asked\n"]


def test_a_post_summary(clock: Clock) -> None:
    stream = Stream(terminal=False)
    github = meter(stream, clock, name="github")
    github.planned(6)
    github.wrote(5)
    github.waited(2, rate_limited=False)
    clock.now += 2.5
    assert github.close() == "tieback: github: wrote 5 of 6 changes (1 retry, 2.5 s)"


# --- threads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("terminal", [True, False])
def test_pages_counted_from_several_threads_are_all_counted(terminal: bool) -> None:
    # Threads switched as often as the interpreter allows, so a count or a drawing left
    # unguarded would lose pages or write over another thread's line.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    stream = Stream(terminal=terminal)
    started = time.monotonic()
    late = [0.0]
    jira = LineMeter(
        "jira",
        stream,
        terminal=terminal,
        clock=lambda: time.monotonic() + late[0],
        width=lambda: 80,
    )
    jira.start()
    late[0] = DELAY  # the line is due from the first page

    def read(thread: int) -> None:
        for number in range(400):
            jira.pages(2)
            if number % 100 == 0:
                jira.waited(1)
                jira.note(f"tieback: jira: note {thread}/{number}")

    try:
        threads = [
            threading.Thread(target=read, args=(n,), name=f"tieback-test-{n}") for n in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        sys.setswitchinterval(previous)
    assert not any(thread.is_alive() for thread in threads)
    summary = jira.close()
    assert summary.startswith("tieback: jira: synced 6,400 items in 3,200 pages (32 rate-limit")
    assert stream.overlaps == 0
    notes = [w for w in stream.writes if "note" in w]
    assert len(notes) == 32
    if terminal:
        drawn = [w for w in stream.writes if "note" not in w]
        assert drawn[-1] == CLEAR + summary + "\n"
        assert all(w.startswith(CLEAR + "tieback: jira: ") for w in drawn)
    assert time.monotonic() - started < 30


# --- where the meters come from ----------------------------------------------------------------


def test_a_terminal_that_cannot_redraw_is_not_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    assert not is_terminal(Stream(terminal=True))
    monkeypatch.setenv("TERM", "xterm-256color")
    assert is_terminal(Stream(terminal=True))
    assert not is_terminal(Stream(terminal=False))


JIRA = '[jira]\nurl = "https://acme.atlassian.net"\njql = "project = EDU"\n'


def test_outside_metering_every_context_is_silent(write_config: Callable[..., Config]) -> None:
    assert meter_for("jira") is SILENT
    assert type(SILENT) is Meter and not SILENT.draws_line
    context = Context.of(write_config(JIRA), "jira")
    assert context.meter is SILENT and context.policy is None


def test_within_metering_a_context_counts_its_policys_waits(
    write_config: Callable[..., Config],
) -> None:
    stream = Stream(terminal=False)
    config = write_config(JIRA)
    slept: list[float] = []
    with metering(stream):
        context = Context.of(config, "jira", RetryPolicy(sleep=slept.append))
        assert context.policy is not None
        answers: Iterator[int] = iter([429, 503, 0])

        def once() -> str:
            status = next(answers)
            if status:
                raise TransientError(f"HTTP {status}", 6.0 if status == 429 else None, status)
            return "read"

        assert context.policy.call(once, "jira") == "read"
        summary = context.meter.close()
    assert slept[0] == 6.0
    assert stream.writes[0] == "tieback: jira: rate-limited (HTTP 429), waiting 6 s as asked\n"
    assert summary.startswith("tieback: jira: synced 0 items in 0 pages (1 rate-limit wait, ")
    assert "1 retry" in summary
    assert stream.writes[-1] == summary + "\n"
    assert meter_for("jira") is SILENT  # the block ended


def test_metering_erases_a_line_left_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    stream = Stream(terminal=True)
    moments = iter([0.0, 0.0, 3.0])
    with pytest.raises(KeyboardInterrupt), metering(stream, clock=lambda: next(moments)):
        jira = meter_for("jira")
        jira.start()
        jira.pages(100)
        raise KeyboardInterrupt
    assert stream.writes == [CLEAR + "tieback: jira: 100 items, 1 page, 3 s", CLEAR]
