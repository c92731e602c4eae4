"""Tokens as users paste them, run through ``tieback sync`` against the fake trackers.

A token with a trailing newline (``echo "$TOKEN" > file``, a secret store's editor) is
used as the token; one with a line break inside is refused in one line that names the
variable. Neither the output nor the store ever holds the token in any form.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e.fake_github import TOKEN as GITHUB_TOKEN
from e2e.fake_github import FakeGithub
from e2e.fake_github import serve as serve_github
from e2e.fake_jira import CLOUD_TOKEN, DC_TOKEN, EMAIL, FakeJira
from e2e.github_sync import sync_github
from e2e.jira_fixtures import Project, sync_line
from e2e.leaks import assert_never_shown


def test_a_data_center_token_with_a_trailing_newline_syncs(
    tmp_path: Path, server: FakeJira
) -> None:
    project = Project(tmp_path, server)
    project.token = f"{DC_TOKEN}\n"
    run = project.sync()
    assert run.stdout.splitlines() == [sync_line("full", 13, 4)]
    assert "error" not in run.stderr
    assert_never_shown(tmp_path, run.stdout + run.stderr, DC_TOKEN)


def test_a_cloud_token_with_surrounding_blanks_in_the_tieback_variable_syncs(
    tmp_path: Path, cloud: FakeJira
) -> None:
    project = Project(tmp_path, cloud)
    run = project.run(
        "sync",
        "--source",
        "jira",
        env={"JIRA_API_TOKEN": "", "TIEBACK_JIRA__TOKEN": f" {CLOUD_TOKEN}\r\n"},
    )
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [sync_line("full", 13, 3)]
    assert_never_shown(tmp_path, run.stdout + run.stderr, CLOUD_TOKEN, f"{EMAIL}:{CLOUD_TOKEN}")


@pytest.mark.parametrize("inside", ["\n", "\r\n", "\t"])
def test_a_token_with_a_line_break_inside_is_one_line_without_the_token(
    tmp_path: Path, server: FakeJira, inside: str
) -> None:
    project = Project(tmp_path, server)
    head, tail = DC_TOKEN[:12], DC_TOKEN[12:]
    project.token = f"{head}{inside}{tail}\n"
    run = project.run("sync", "--source", "jira")
    assert run.code == 1
    assert run.stdout == ""
    assert run.stderr == (
        "tieback: error: environment variable JIRA_API_TOKEN: the token has a line break or "
        "another control character inside it; set JIRA_API_TOKEN to the token alone\n"
    )
    assert_never_shown(
        tmp_path, run.stdout + run.stderr, head, tail, project.token, project.token.strip()
    )
    assert server.requests == []  # refused before anything was sent


def test_a_github_token_with_a_trailing_newline_syncs(tmp_path: Path) -> None:
    fake = FakeGithub()
    with serve_github(fake):
        fake.add_issue(1, "Cache grades", labels=["outcome:activation"])
        fake.add_issue(2, "Dark mode")
        run = sync_github(tmp_path, fake, {"GITHUB_TOKEN": f"{GITHUB_TOKEN}\n"})
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == ["github: full sync, 2 items fetched in 1 pages, 0 removed"]
    assert_never_shown(tmp_path, run.stdout + run.stderr, GITHUB_TOKEN)


def test_a_github_token_with_a_return_inside_is_one_line_without_the_token(
    tmp_path: Path,
) -> None:
    fake = FakeGithub()
    head, tail = GITHUB_TOKEN[:8], GITHUB_TOKEN[8:]
    with serve_github(fake):
        run = sync_github(tmp_path, fake, {"TIEBACK_GITHUB__TOKEN": f"{head}\r{tail}"})
    assert run.code == 1
    assert run.stderr == (
        "tieback: error: environment variable TIEBACK_GITHUB__TOKEN: the token has a line "
        "break or another control character inside it; set TIEBACK_GITHUB__TOKEN to the "
        "token alone\n"
    )
    assert_never_shown(tmp_path, run.stdout + run.stderr, head, tail, f"{head}\r{tail}")
    assert fake.requests == []
