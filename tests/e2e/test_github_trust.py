"""``tieback post`` and ``tieback pr`` against a fake GitHub that fails, rate-limits and
holds other people's comments: one failed write does not stop the rest, only tieback's
own comments are edited, and a workflow_run checks only its own repository's pull
request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.fake_github import SECONDARY_LIMIT, FakeGithub, serve
from e2e.github_fixtures import Checkout

EXPLAIN = "<!-- tieback:explain -->"
SUMMARY = "<!-- tieback:summary -->"
STICKY = "<!-- tieback:pull-request -->"
POST_BACK = """
[github.post_back]
missing_label = "needs-outcome"
comment = true
summary_issue = "acme/app#100"
"""


@pytest.fixture
def fake() -> Iterator[FakeGithub]:
    github = FakeGithub()
    with serve(github):
        github.add_issue(1, "Grade exports")
        github.add_issue(2, "Bulk regrade")
        github.add_issue(3, "Faster rubric editor")
        github.add_issue(10, "Epic: results in a minute", labels=["outcome:results-in-a-minute"])
        github.add_issue(100, "Outcome coverage", labels=["chore"])
        github.add_pull(7, "Speed up grading", body="Makes grading faster.")
        yield github


@pytest.fixture
def checkout(tmp_path: Path, fake: FakeGithub) -> Checkout:
    checkout = Checkout(tmp_path, fake, POST_BACK)
    assert checkout.run("sync", "--source", "github").code == 0
    return checkout


def bodies(fake: FakeGithub, number: int) -> list[tuple[str, str]]:
    return [(c["user"]["login"], c["body"]) for c in fake.comments.get(number, [])]


def test_a_comment_answering_500_fails_alone_and_the_summary_is_still_written(
    checkout: Checkout, fake: FakeGithub
) -> None:
    server_error = {"message": "Server Error", "documentation_url": "https://docs.github.com/rest"}
    fake.faults[("POST", "/repos/acme/app/issues/2/comments")] = [(500, {}, server_error)]
    run = checkout.run("post")
    assert run.code == 1
    summary, *errors = run.stderr.splitlines()
    took = r"\(\d+(?:\.\d)? s\)"
    assert re.fullmatch(rf"tieback: github: wrote 6 of 7 changes {took}", summary), summary
    assert errors == [
        "tieback: error: github: acme/app#2: explanatory comment failed: GitHub answered "
        "HTTP 500 Server Error to POST /repos/acme/app/issues/2/comments",
        "tieback: error: post: 1 change failed (each named above); the rest were written",
    ]
    assert "tieback post: 6 changes written" in run.stdout  # 3 labels, 2 comments, summary
    for number in (1, 2, 3):
        assert {"name": "needs-outcome"} in fake.issues[number]["labels"]
    assert [body.startswith(EXPLAIN) for _, body in bodies(fake, 1)] == [True]
    assert bodies(fake, 2) == []
    assert [body.startswith(EXPLAIN) for _, body in bodies(fake, 3)] == [True]
    [(author, summary)] = bodies(fake, 100)
    assert author == "github-actions[bot]" and summary.startswith(SUMMARY)

    # The next run writes only what failed.
    fake.requests.clear()
    again = checkout.run("post")
    assert again.code == 0, again.stderr
    assert [w for w in fake.writes() if "comments" in w[1]] == [
        ("POST", "/repos/acme/app/issues/2/comments")
    ]


def test_a_secondary_rate_limit_on_a_write_is_waited_out_and_sent_once_more(
    checkout: Checkout, fake: FakeGithub
) -> None:
    labels, comments = "/repos/acme/app/issues/1/labels", "/repos/acme/app/issues/3/comments"
    fake.faults[("POST", labels)] = [(403, {"Retry-After": "1"}, SECONDARY_LIMIT)]
    fake.faults[("POST", comments)] = [(429, {"Retry-After": "1"}, SECONDARY_LIMIT)]
    run = checkout.run("post")
    assert run.code == 0, run.stderr
    assert {"name": "needs-outcome"} in fake.issues[1]["labels"]
    assert [body.startswith(EXPLAIN) for _, body in bodies(fake, 3)] == [True]
    assert fake.requests.count(("POST", labels)) == 2
    assert fake.requests.count(("POST", comments)) == 2


def test_another_users_marked_comments_are_never_edited_by_post(
    checkout: Checkout, fake: FakeGithub
) -> None:
    fake.add_comment(1, f"The bot's text was:\n{EXPLAIN}\nwhy?", "octocat")
    fake.add_comment(100, f"Pinned copy:\n{SUMMARY}\n42%", "octocat")
    run = checkout.run("post")
    assert run.code == 0, run.stderr
    assert not [w for w in fake.writes() if w[0] == "PATCH"]
    for number, marker in ((1, EXPLAIN), (100, SUMMARY)):
        [theirs, ours] = bodies(fake, number)
        assert theirs[0] == "octocat" and theirs[1].endswith("?" if number == 1 else "42%")
        assert ours[0] == "github-actions[bot]" and ours[1].startswith(marker)


def test_another_users_marked_comment_is_never_edited_by_pr(
    checkout: Checkout, fake: FakeGithub
) -> None:
    quoted = fake.add_comment(7, f"> {STICKY}\n> unaligned\nI added the label.", "octocat")
    run = checkout.run("pr", event=checkout.event(7))
    assert run.code == 2, run.stderr
    assert not [w for w in fake.writes() if w[0] == "PATCH"]
    [theirs, ours] = fake.comments[7]
    assert theirs == quoted and theirs["body"].endswith("I added the label.")
    assert ours["user"]["login"] == "github-actions[bot]" and ours["body"].startswith(STICKY)


def test_a_workflow_run_for_another_repositorys_pull_request_comments_nowhere(
    checkout: Checkout, fake: FakeGithub
) -> None:
    fake.add_pull(2, "Someone else's change")  # acme/app#2 exists, but is not the run's
    hello_world = {
        "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/2",
        "id": 279147437,
        "number": 2,
        "head": {
            "ref": "changes",
            "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
            "repo": {
                "id": 186853002,
                "url": "https://api.github.com/repos/Codertocat/Hello-World",
                "name": "Hello-World",
            },
        },
        "base": {
            "ref": "master",
            "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
            "repo": {
                "id": 186853002,
                "url": "https://api.github.com/repos/Codertocat/Hello-World",
                "name": "Hello-World",
            },
        },
    }
    event = checkout.workflow_run([hello_world], "acme", "master")
    fake.requests.clear()
    run = checkout.run("pr", event=event, env={"GITHUB_EVENT_NAME": "workflow_run"})
    assert run.code == 0, run.stderr
    assert fake.writes() == [] and fake.comments == {}
    assert run.outputs["status"] == "skipped"
    assert "Codertocat/Hello-World#2, another repository's" in run.stdout
    assert run.stdout.count("\n") == 1


def test_a_fork_pull_request_is_found_by_its_head_on_workflow_run(
    checkout: Checkout, fake: FakeGithub
) -> None:
    fake.add_pull(8, "Fork change", head_owner="someone", branch="feature/fast")
    event = checkout.workflow_run([], "someone", "feature/fast")
    run = checkout.run(
        "pr", "--mode", "warn", event=event, env={"GITHUB_EVENT_NAME": "workflow_run"}
    )
    assert run.code == 0, run.stderr
    assert list(fake.comments) == [8]
    assert fake.comments[8][0]["body"].startswith(STICKY)
