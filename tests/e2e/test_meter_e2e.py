"""How far a sync has got, as ``tieback sync`` says it on stderr: one summary line per
tracker in a CI log (stderr a pipe), one line redrawn in place on a terminal (stderr a
pseudo-terminal), against the fake trackers."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.fake_github import TOKEN as GITHUB_TOKEN
from e2e.fake_github import FakeGithub
from e2e.fake_github import serve as serve_github
from e2e.fake_jira import SEARCH, FakeJira, error, serve
from e2e.github_fixtures import tieback_command
from e2e.jira_fixtures import Project, Run, add_backlog, sync_line

CLEAR = "\r\x1b[K"
SUMMARY = re.compile(r"tieback: (\w+): synced .*")


@pytest.fixture
def github() -> Iterator[FakeGithub]:
    fake = FakeGithub()
    with serve_github(fake):
        fake.add_issue(1, "Cache grades", labels=["outcome:activation"])
        fake.add_issue(2, "Dark mode")
        yield fake


def test_a_ci_log_gets_one_summary_line_per_tracker_after_its_page_lines(
    tmp_path: Path, cloud: FakeJira, github: FakeGithub
) -> None:
    project = Project(tmp_path, cloud)
    with (tmp_path / "tieback.toml").open("a", encoding="utf-8") as config:
        config.write(f'\n[github]\napi_url = "{github.url}"\nrepos = ["{github.repo}"]\n')
    cloud.inject("*", SEARCH, 429, error("Rate limit exceeded."), {"Retry-After": "1"})
    cloud.inject("*", SEARCH, 503, "Service Unavailable", after=2)  # on the second page

    run = project.run("sync", env={"GITHUB_TOKEN": GITHUB_TOKEN})
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [
        sync_line("full", 13, 3),
        "github: full sync, 2 items fetched in 1 pages, 0 removed",
    ]
    lines = run.stderr.splitlines()
    summaries = [line for line in lines if SUMMARY.fullmatch(line)]
    assert len(summaries) == 2, run.stderr
    jira, hub = summaries
    assert re.fullmatch(
        r"tieback: jira: synced 13 items in 3 pages \(1 rate-limit wait, 1 retry, \d+(?:\.\d)? s\)",
        jira,
    ), jira
    assert re.fullmatch(r"tieback: github: synced 2 items in 1 page \(\d+(?:\.\d)? s\)", hub), hub
    # A plain line per page still comes first, as before; nothing is redrawn.
    pages = [line for line in lines if re.fullmatch(r"tieback: jira: \d+ items \(.*\)", line)]
    assert len(pages) == 3, run.stderr
    assert lines.index(pages[-1]) < lines.index(jira) < lines.index(hub)
    assert "\r" not in run.stderr and "\x1b" not in run.stderr


def test_a_failed_sync_says_its_error_and_no_summary(tmp_path: Path, cloud: FakeJira) -> None:
    project = Project(tmp_path, cloud)
    cloud.interrupt_after(1)
    run = project.run("sync", "--source", "jira")
    assert run.code == 1
    assert [line for line in run.stderr.splitlines() if SUMMARY.fullmatch(line)] == []
    assert run.stderr.splitlines()[-1].startswith("tieback: error: ")


# --- on a terminal ------------------------------------------------------------------------------


def on_terminal(project: Project, *args: str, columns: int = 200, limit: float = 60) -> Run:
    """``tieback`` run with its stderr on a pseudo-terminal ``columns`` wide (stdout a
    pipe); ``Run.stderr`` is what the terminal received, as it received it."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TIEBACK_", "GITHUB_", "JIRA_", "RUNNER_"))
    }
    environment.update(JIRA_API_TOKEN=project.token, TERM="xterm", NO_COLOR="1")
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    try:
        child = subprocess.Popen(
            [tieback_command(), *args],
            cwd=project.root,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
        )
    finally:
        os.close(follower)
    received = b""
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if not ready:
                if child.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: every writer of the terminal has closed it
                break
            if not chunk:
                break
            received += chunk
        else:
            pytest.fail(f"tieback ran past {limit} s on a terminal: {received!r}")
        stdout, _ = child.communicate(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(leader)
    return Run(child.returncode, stdout.decode(), received.decode())


@pytest.fixture
def slow() -> Iterator[FakeJira]:
    """A Jira Cloud two issues a page, each answer half a second away: a sync of seven
    pages that takes about four seconds."""
    fake = FakeJira("cloud", page_cap=2)
    fake.latency = 0.5
    with serve(fake):
        add_backlog(fake)
        yield fake


def test_on_a_terminal_a_long_sync_redraws_one_line_then_leaves_its_summary(
    tmp_path: Path, slow: FakeJira
) -> None:
    project = Project(tmp_path, slow)
    run = on_terminal(project, "sync", "--source", "jira")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [sync_line("full", 13, 7)]
    drawn = re.findall(r"\r\x1b\[Ktieback: jira: (\d+) items?, (\d) pages?, (\d+) s", run.stderr)
    assert drawn, repr(run.stderr)
    counts = [(int(items), int(pages)) for items, pages, _ in drawn]
    assert counts == sorted(counts) and all(int(s) >= 2 for _, _, s in drawn)
    summary = re.fullmatch(
        r"(?:\r\x1b\[K[^\r\n]*)+"
        r"\r\x1b\[K(tieback: jira: synced 13 items in 7 pages \(\d+(?:\.\d)? s\))\r\n",
        run.stderr,
    )
    assert summary, repr(run.stderr)
    # No line per page on a terminal: the redrawn line takes their place.
    assert not re.search(r"tieback: jira: \d+ items \(", run.stderr)


def test_on_a_terminal_the_line_fits_its_width(tmp_path: Path, slow: FakeJira) -> None:
    project = Project(tmp_path, slow)
    run = on_terminal(project, "sync", "--source", "jira", columns=24)
    assert run.code == 0, run.stderr
    *drawings, summary = run.stderr.split(CLEAR)[1:]
    assert drawings, repr(run.stderr)
    assert all(len(drawing) == 23 for drawing in drawings), drawings
    # The summary stays, a line of its own, whole.
    synced = r"tieback: jira: synced 13 items in 7 pages \(\d+(?:\.\d)? s\)\r\n"
    assert re.fullmatch(synced, summary), summary


def test_on_a_terminal_a_short_sync_says_nothing_on_stderr(tmp_path: Path, cloud: FakeJira) -> None:
    project = Project(tmp_path, cloud)
    run = on_terminal(project, "sync", "--source", "jira")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [sync_line("full", 13, 3)]
    assert run.stderr == ""


def test_on_a_terminal_an_error_starts_a_line_of_its_own(tmp_path: Path, slow: FakeJira) -> None:
    project = Project(tmp_path, slow)
    slow.interrupt_after(6)
    run = on_terminal(project, "sync", "--source", "jira")
    assert run.code == 1
    assert re.search(r"\r\x1b\[Ktieback: jira: \d+ items, \d pages, \d+ s", run.stderr)
    # The line is erased, then the error said on a line of its own; no summary.
    error_line = run.stderr.rsplit(CLEAR, 1)[1]
    assert error_line.startswith("tieback: error: ") and error_line.endswith("\r\n")
    assert error_line.count("\n") == 1
    assert "synced" not in run.stderr
