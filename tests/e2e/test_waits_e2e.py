"""Waits are bounded and said, run through ``tieback sync`` against the fake trackers.

An hour-long rate limit ends the run in seconds with the time to try again; a body
trickled a byte at a time is cut at the configured timeout, not read for minutes.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from e2e.fake_github import TOKEN as GITHUB_TOKEN
from e2e.fake_github import FakeGithub
from e2e.fake_github import serve as serve_github
from e2e.fake_jira import FakeJira
from e2e.github_sync import sync_github
from e2e.jira_fixtures import Project, Run, add_backlog
from e2e.leaks import assert_never_shown
from e2e.trickle import trickling


def one_error(run: Run) -> str:
    """The run's one line of error, after checking it is the only one and no traceback."""
    assert run.code == 1, (run.stdout, run.stderr)
    errors = [line for line in run.stderr.splitlines() if line.startswith("tieback: error:")]
    assert len(errors) == 1, run.stderr
    assert "Traceback" not in run.stderr
    return errors[0]


def retry_times(before: datetime, after: datetime, wait: int) -> set[str]:
    """How "try again after ..." may read for a run between ``before`` and ``after``."""
    shown = set()
    moment = before + timedelta(seconds=wait)
    while moment <= after + timedelta(seconds=wait + 60):
        ceiling = moment.replace(second=0, microsecond=0)
        if ceiling < moment:
            ceiling += timedelta(minutes=1)
        shown.add(ceiling.strftime("%H:%M"))
        moment += timedelta(seconds=30)
    return shown


def test_an_hour_long_jira_retry_after_ends_the_run_in_seconds(
    tmp_path: Path, cloud: FakeJira
) -> None:
    project = Project(tmp_path, cloud)
    cloud.inject(
        "GET",
        "/rest/api/2/serverInfo",
        429,
        "Rate limit exceeded.",
        headers={"Retry-After": "3600", "X-RateLimit-Reason": "jira-quota-tenant-based"},
    )
    before = datetime.now(UTC)
    started = time.monotonic()
    run = project.run("sync", "--source", "jira")
    took = time.monotonic() - started
    line = one_error(run)
    found = re.fullmatch(
        r"tieback: error: Jira rate-limited this run and asked to wait 3600 s \(more than "
        r"\[jira\] max_wait = 60\): try again after (\d\d:\d\d) UTC",
        line,
    )
    assert found, line
    assert found[1] in retry_times(before, datetime.now(UTC), 3600)
    assert took < 10
    assert [r.path for r in cloud.requests].count("/rest/api/2/serverInfo") == 1
    assert_never_shown(tmp_path, run.stdout + run.stderr, cloud.token)


class LimitedGithub(FakeGithub):
    """A fake GitHub whose next ``limited`` answers are a spent primary rate limit."""

    def __init__(self, reset_in: int) -> None:
        super().__init__()
        self.reset_in = reset_in
        self.limited = 1

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Any:
        if self.limited > 0:
            self.limited -= 1
            self.requests.append((method, target.split("?", 1)[0]))
            reset = int(time.time()) + self.reset_in
            limit = {
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-used": "5000",
                "x-ratelimit-reset": str(reset),
                "x-ratelimit-resource": "core",
            }
            message = {
                "message": "API rate limit exceeded for user ID 1.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
            }
            return 403, limit, message
        return super().handle(method, target, headers, body)


def test_an_hour_long_github_rate_limit_ends_the_run_in_seconds(tmp_path: Path) -> None:
    fake = LimitedGithub(reset_in=3600)
    with serve_github(fake):
        fake.add_issue(1, "Cache grades")
        before = datetime.now(UTC)
        started = time.monotonic()
        run = sync_github(tmp_path, fake, {"GITHUB_TOKEN": GITHUB_TOKEN})
        took = time.monotonic() - started
    line = one_error(run)
    found = re.fullmatch(
        r"tieback: error: GitHub rate-limited this run and asked to wait (\d+) s \(more than "
        r"\[github\] max_wait = 60\): try again after (\d\d:\d\d) UTC",
        line,
    )
    assert found, line
    assert 3598 <= int(found[1]) <= 3600
    assert found[2] in retry_times(before, datetime.now(UTC), 3600)
    assert took < 10
    assert len(fake.requests) == 1
    assert_never_shown(tmp_path, run.stdout + run.stderr, GITHUB_TOKEN)


def test_a_jira_body_trickled_a_byte_at_a_time_fails_at_the_timeout(tmp_path: Path) -> None:
    fake = FakeJira("server", page_cap=4)

    def slow(method: str, path: str) -> bool:
        return path == "/rest/api/2/serverInfo"

    with trickling(fake, slow, every=0.2, json_type="application/json;charset=UTF-8") as address:
        fake.root = address
        add_backlog(fake)
        project = Project(tmp_path, fake, timeout=1)
        started = time.monotonic()
        run = project.run("sync", "--source", "jira")
        took = time.monotonic() - started
    line = one_error(run)
    assert re.fullmatch(
        r"tieback: error: Jira did not send its whole answer to GET /rest/api/2/serverInfo "
        r"within \[jira\] timeout = 1 s \(\d+ bytes came\): the site or the network is too "
        r"slow; try again later, or raise \[jira\] timeout",
        line,
    ), line
    assert took < 4  # the timeout, the command's start-up, and nothing retried
    assert [r.path for r in fake.requests].count("/rest/api/2/serverInfo") == 1
    assert_never_shown(tmp_path, run.stdout + run.stderr, fake.token)


def test_a_github_body_trickled_a_byte_at_a_time_fails_at_the_timeout(tmp_path: Path) -> None:
    fake = FakeGithub()
    fake.add_issue(1, "Cache grades", labels=["outcome:activation"])

    def slow(method: str, path: str) -> bool:
        return path == "/repos/acme/app/issues"

    with trickling(fake, slow, every=0.2) as address:
        fake.url = address
        started = time.monotonic()
        run = sync_github(tmp_path, fake, {"GITHUB_TOKEN": GITHUB_TOKEN}, "timeout = 1\n")
        took = time.monotonic() - started
    line = one_error(run)
    assert re.fullmatch(
        r"tieback: error: GitHub did not send its whole answer to GET /repos/acme/app/issues "
        r"within \[github\] timeout = 1 s \(\d+ bytes came\): the site or the network is too "
        r"slow; try again later, or raise \[github\] timeout",
        line,
    ), line
    assert took < 4
    assert len(fake.requests) == 1
    assert_never_shown(tmp_path, run.stdout + run.stderr, GITHUB_TOKEN)
