"""``tieback post`` and ``tieback sync`` against a fake Jira when Jira does not play along:
a write that fails, comments by other people that carry tieback's marker, a Cloud site
that refuses ``issue/bulkfetch``. Each runs the installed command as a user would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.fake_jira import FakeJira, Logged, error, natural_key, serve
from e2e.jira_fixtures import (
    COVERAGE,
    TOTALS,
    UNALIGNED,
    Project,
    add_backlog,
    sync_line,
    totals_of,
)

LABEL = "needs-outcome"


@pytest.fixture(params=["cloud", "server"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeJira]:
    if request.param == "cloud":
        jira = FakeJira("cloud", page_cap=5, time_zone="America/Los_Angeles")
    else:
        jira = FakeJira("server", page_cap=4, context="/jira", time_zone="Europe/Berlin")
    with serve(jira):
        add_backlog(jira)
        yield jira


def comment_posts(fake: FakeJira) -> dict[str, int]:
    """Issue key → how many comments were created on it."""
    found: dict[str, int] = {}
    for write in fake.writes():
        if match := re.fullmatch(r"/rest/api/[23]/issue/([A-Z]+-\d+)/comment", write.path):
            found[match[1]] = found.get(match[1], 0) + 1
    return found


def comment_edits(fake: FakeJira) -> list[Logged]:
    return [w for w in fake.writes() if re.fullmatch(r".*/comment/\d+", w.path)]


def version(fake: FakeJira) -> str:
    return "3" if fake.mode == "cloud" else "2"


def test_a_comment_jira_fails_is_named_and_every_other_write_is_made(
    tmp_path: Path, fake: FakeJira
) -> None:
    project = Project(tmp_path, fake, post_back={"summary_issue": "EDU-1"})
    project.sync()
    comments = f"/rest/api/{version(fake)}/issue/EDU-4/comment"
    fake.inject("POST", comments, 500, error("Internal server error"))
    fake.requests.clear()

    run = project.run("post")
    assert run.code == 1, run.stderr
    assert run.errors == [
        "tieback: error: jira: EDU-4: comment failed: Jira answered HTTP 500 Internal server "
        f"error to POST {comments}",
        "tieback: error: post: 1 change failed (each named above); the rest were written",
    ]
    assert "Traceback" not in run.stderr
    # Every label, every other explanation (EDU-4's comes before them) and the summary.
    assert {key for key in UNALIGNED if LABEL in fake.issues[key].labels} == set(UNALIGNED)
    assert comment_posts(fake) == {"EDU-3": 1, "EDU-4": 1, "EDU-9": 1, "EDU-11": 1, "EDU-1": 1}
    assert [c.key for c in fake.tieback_comments("EDU-4")] == []
    assert len(fake.tieback_comments("EDU-1", "summary")) == 1
    written = len(fake.writes()) - 1
    assert run.stdout.splitlines()[-1] == f"tieback post: {written} changes written"

    # What was written is remembered: the next run writes only the missing comment.
    fake.requests.clear()
    again = project.run("post")
    assert again.code == 0, again.stderr
    assert comment_posts(fake) == {"EDU-4": 1}
    assert not [w for w in fake.writes() if re.fullmatch(r".*/issue/[A-Z]+-\d+", w.path)]
    assert len(fake.tieback_comments("EDU-4", "explain")) == 1


def test_another_persons_comment_with_the_marker_is_never_tiebacks(
    tmp_path: Path, fake: FakeJira
) -> None:
    project = Project(tmp_path, fake, post_back={"summary_issue": "EDU-1"})
    project.sync()
    # A person pasted a tieback summary (property and marker included) on the summary
    # issue, and wrote the marker into a comment of an unaligned issue.
    pasted_text = "Coverage was 55% last week. tieback:summary"
    pasted = fake.add_comment(
        "EDU-1", pasted_text, [{"key": "tieback", "value": {"kind": "summary"}}]
    )
    stray = fake.add_comment("EDU-3", "What is this tieback:explain thing in the other issue?")
    pasted_body, stray_body = pasted.body, stray.body
    fake.requests.clear()

    first = project.run("post")
    assert first.code == 0, first.stderr
    assert comment_posts(fake)["EDU-3"] == 1  # the person's text does not stand in for it
    assert comment_posts(fake)["EDU-1"] == 1  # a summary of its own beside the pasted one
    assert comment_edits(fake) == []
    [ours] = [c for c in fake.tieback_comments("EDU-1", "summary") if c.id != pasted.id]
    assert ours.author == fake.account

    fake.touch("EDU-4", labels=[*fake.issues["EDU-4"].labels, "outcome:activation"])
    project.sync()
    fake.requests.clear()
    changed = project.run("post")
    assert changed.code == 0, changed.stderr
    assert "EDU-1" in changed.plan("edit comment")
    assert [e.path for e in comment_edits(fake)] == [
        f"/rest/api/{version(fake)}/issue/EDU-1/comment/{ours.id}"
    ]
    assert "EDU-1" not in comment_posts(fake)
    assert (pasted.body, stray.body) == (pasted_body, stray_body)


def test_a_cloud_site_refusing_bulkfetch_is_read_on_through_search_pages(
    tmp_path: Path,
) -> None:
    jira = FakeJira("cloud", page_cap=1, time_zone="America/Los_Angeles")
    with serve(jira):
        add_backlog(jira)
        jira.bulk_refused = 404
        project = Project(tmp_path, jira)
        run = project.sync()
        assert run.stdout.splitlines() == [sync_line("full", 13, 13)]
        assert "tieback: error" not in run.stderr

        bulk = [r for r in jira.requests if r.path == "/rest/api/3/issue/bulkfetch"]
        assert [r.status for r in bulk] == [404]  # asked once, then never again
        pages = [s for s in jira.searches() if s.fields != ["key"]]
        ordered = sorted(jira.issues, key=natural_key)
        assert [s.returned for s in pages] == [[key] for key in ordered]
        assert all(s.status == 200 for s in jira.searches())

        report: dict[str, Any] = project.audit()
        assert totals_of(report) == TOTALS
        assert report["totals"]["coverage"] == pytest.approx(COVERAGE)
