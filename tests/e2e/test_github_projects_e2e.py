"""``tieback sync`` and ``tieback audit`` against a fake GitHub whose issues carry no
labels: a GitHub Project's Outcome field ties them to outcomes, and a field changed
later (which moves no issue's updated_at) is seen by the next incremental sync."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.fake_github import FakeGithub, serve
from e2e.github_fixtures import Checkout

PROJECT = """
[tagging]
github_project_field = "Outcome"
"""
BACKLOG = 210  # issues in the project besides a draft: three pages of 100 items


@pytest.fixture
def fake() -> Iterator[FakeGithub]:
    github = FakeGithub()
    with serve(github):
        for number in range(1, BACKLOG + 1):
            github.add_issue(number, f"Grading work {number}")
            github.project_items[number] = "activation"
        github.project_items[1] = "results-in-a-minute"
        github.project_items[2] = None  # in the project, Outcome not set
        github.add_issue(300, "Not in the project")
        yield github


def checkout(
    root: Path, fake: FakeGithub, project: str = "orgs/acme/projects/5", extra: str = ""
) -> Checkout:
    made = Checkout(root, fake, PROJECT + extra)
    config = root / "tieback.toml"
    text = config.read_text(encoding="utf-8")
    repos = f'repos = ["{fake.repo}"]\n'
    config.write_text(text.replace(repos, f'{repos}project = "{project}"\n'), encoding="utf-8")
    return made


def audit(made: Checkout, *args: str) -> dict[str, Any]:
    run = made.run("audit", "--format", "json", *args)
    assert run.code == 0, run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    return report


def unaligned(report: dict[str, Any]) -> dict[str, str]:
    return {entry["key"]: entry["reason"] for entry in report["unaligned"]}


def test_a_project_field_aligns_unlabelled_issues_and_every_sync_reads_it_again(
    tmp_path: Path, fake: FakeGithub
) -> None:
    made = checkout(tmp_path, fake)
    sync = made.run("sync", "--source", "github")
    assert sync.code == 0, sync.stderr
    assert "warning" not in sync.stderr
    report = audit(made, "--offline")
    assert report["totals"]["items"] == BACKLOG + 1
    assert report["totals"]["aligned"] == BACKLOG - 1
    assert unaligned(report) == {"acme/app#2": "untagged", "acme/app#300": "untagged"}
    counted = {entry["id"]: entry["items"] for entry in report["outcomes"]}
    assert counted == {"results-in-a-minute": 1, "activation": BACKLOG - 2}

    # The field is set on #2 and changed on #1 in the project; neither issue's
    # updated_at moves, so the incremental listing returns nothing.
    fake.project_items[2] = "results-in-a-minute"
    fake.project_items[1] = "activation"
    before = len(fake.requests)
    report = audit(made)  # syncs incrementally first
    assert unaligned(report) == {"acme/app#300": "untagged"}
    counted = {entry["id"]: entry["items"] for entry in report["outcomes"]}
    assert counted == {"results-in-a-minute": 1, "activation": BACKLOG - 1}
    projects = [
        json.loads(body)
        for (method, path), body in zip(fake.requests[before:], fake.bodies[before:], strict=True)
        if path == "/graphql" and "projectV2(" in json.loads(body)["query"]
    ]
    # The project is read whole again: 211 items (the draft among them), 100 a request.
    assert [q["variables"]["after"] for q in projects] == [None, "100", "200"]


def test_a_project_github_does_not_have_is_one_line(tmp_path: Path, fake: FakeGithub) -> None:
    made = checkout(tmp_path, fake, project="https://github.com/orgs/acme/projects/6")
    run = made.run("sync", "--source", "github")
    assert run.code == 1
    assert run.stderr.splitlines() == [
        "tieback: error: [github] project: GitHub has no project orgs/acme/projects/6, or the "
        "token cannot see it: check the key, and that the token's account can open the "
        "project (Could not resolve to a ProjectV2 with the number 6.)"
    ]


def test_post_sets_the_empty_field_of_an_issue_its_label_alone_tags(
    tmp_path: Path, fake: FakeGithub
) -> None:
    fake.add_issue(301, "Quiz wizard", labels=["outcome:activation"])
    fake.project_items[301] = None
    fake.add_issue(302, "Quiz templates", labels=["outcome:activation"])  # not in the project
    post_back = '[github.post_back]\nmissing_label = ""\nset_project_field = true\n'
    made = checkout(tmp_path, fake, extra=post_back)
    assert made.run("sync", "--source", "github").code == 0
    first = made.run("post")
    assert first.code == 0, first.stderr
    assert first.stdout.splitlines() == [
        'github: set field     acme/app#301: Outcome = "activation" in orgs/acme/projects/5',
        "tieback post: 1 change written",
    ]
    assert fake.project_items[301] == "activation"
    assert fake.writes() == []  # no label, no comment: the field alone
    again = made.run("post")
    assert again.code == 0 and "set field" not in again.stdout
