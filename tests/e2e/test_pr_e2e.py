"""``tieback pr`` as the Action runs it: the installed command, a real-shaped event file,
and a fake GitHub on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e.fake_github import TOKEN, FakeGithub, serve
from e2e.github_fixtures import Checkout

HOSTILE = "Speed up <img src=x onerror=alert(1)> for @acme/admins [win](javascript:alert(1))"


@pytest.fixture
def fake() -> Iterator[FakeGithub]:
    github = FakeGithub()
    with serve(github):
        github.add_issue(10, "Epic: results in a minute", labels=["outcome:results-in-a-minute"])
        github.add_issue(12, "Cache grades", parent=10)
        github.add_issue(13, "Untagged chore-like work")
        github.add_pull(7, HOSTILE, body="Makes grading faster.")
        github.add_pull(8, "Cache grades faster", body="Fixes #12", closes=[12])
        yield github


@pytest.fixture
def checkout(tmp_path: Path, fake: FakeGithub) -> Checkout:
    return Checkout(tmp_path, fake)


def test_unaligned_fails_labelled_passes_and_an_unchanged_rerun_writes_nothing(
    checkout: Checkout, fake: FakeGithub
) -> None:
    assert checkout.run("sync", "--source", "github").code == 0
    event = checkout.event(7)

    first = checkout.run("pr", event=event)
    assert first.code == 2, first.stderr
    assert first.stderr.count("\n") == 1 and "names no outcome" in first.stderr
    assert first.outputs["status"] == "unaligned"
    assert first.outputs["total"] == "3" and first.outputs["coverage"] == "66.7"
    assert Path(first.outputs["report"]).is_file()
    [comment] = fake.comments[7]
    assert comment["body"].startswith("<!-- tieback:pull-request -->")
    assert "`activation`" in comment["body"]  # the outcomes to choose from
    assert "names no outcome" in first.summary

    fake.issues[7]["labels"].append({"name": "outcome:activation"})
    fake.requests.clear()
    second = checkout.run("pr", event=event)  # the event's labels are stale: read live
    assert second.code == 0, second.stderr
    assert [c["id"] for c in fake.comments[7]] == [comment["id"]]
    assert fake.writes() == [("PATCH", f"/repos/acme/app/issues/comments/{comment['id']}")]
    assert "activation" in fake.comments[7][0]["body"]
    assert "serves an outcome" in fake.comments[7][0]["body"]

    fake.requests.clear()
    third = checkout.run("pr", event=event)
    assert third.code == 0
    assert fake.writes() == []
    assert "unchanged" in third.stdout
    assert third.outputs["status"] == "aligned"


def test_a_pull_request_that_only_closes_an_aligned_issue_passes(
    checkout: Checkout, fake: FakeGithub
) -> None:
    run = checkout.run("pr", event=checkout.event(8))
    assert run.code == 0, run.stderr
    body = fake.comments[8][0]["body"]
    assert "inherited from acme/app#10" in body
    assert "results-in-a-minute" in body


def test_a_hostile_title_pings_nobody_and_injects_nothing(
    checkout: Checkout, fake: FakeGithub
) -> None:
    run = checkout.run("pr", event=checkout.event(7))
    body = fake.comments[7][0]["body"]
    assert "<img" not in body and "[win](javascript:" not in body  # brackets escaped
    assert "@acme" not in body  # a zero-width space breaks the mention
    report = Path(run.outputs["report"]).read_text(encoding="utf-8")
    for text in (run.stdout, run.stderr, run.summary, body, report):
        assert TOKEN not in text


def test_a_fork_token_cannot_write_but_the_verdict_and_summary_stand(
    checkout: Checkout, fake: FakeGithub
) -> None:
    fake.read_only = True
    run = checkout.run("pr", event=checkout.event(7, fork=True))
    assert run.code == 2
    assert 7 not in fake.comments
    assert "names no outcome" in run.summary
    assert "workflow_run" in run.summary and "::warning" in run.stdout
    assert run.outputs["status"] == "unaligned"


def test_warn_mode_passes_with_an_annotation_and_off_skips(checkout: Checkout) -> None:
    warned = checkout.run("pr", "--mode", "warn", event=checkout.event(7))
    assert warned.code == 0
    assert "::warning title=tieback::acme/app#7 names no outcome" in warned.stdout
    skipped = checkout.run("pr", "--mode", "off")  # no event needed to skip
    assert skipped.code == 0 and skipped.outputs["status"] == "skipped"


def test_clear_one_line_failures(checkout: Checkout, tmp_path: Path) -> None:
    missing = checkout.run("pr")
    assert missing.code == 1
    assert missing.stderr == (
        "tieback: error: GITHUB_EVENT_PATH is not set: tieback pr runs in a GitHub Actions "
        "job on a pull_request event (or set it to an event payload file)\n"
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    bad = checkout.run("pr", event=broken)
    assert bad.code == 1 and "is not JSON" in bad.stderr and bad.stderr.count("\n") == 1
    denied = checkout.run("pr", event=checkout.event(7), env={"GITHUB_TOKEN": "ghp_wrongToken1"})
    assert denied.code == 1 and "HTTP 401" in denied.stderr and denied.stderr.count("\n") == 1
    assert "ghp_wrongToken1" not in denied.stderr
    no_token = checkout.run("pr", event=checkout.event(7), env={"GITHUB_TOKEN": ""})
    assert no_token.code == 1 and "no GitHub token" in no_token.stderr
    unknown = checkout.event(7)
    unknown.write_text(unknown.read_text().replace('"number": 7', '"number": 99'))
    gone = checkout.run("pr", event=unknown)
    assert gone.code == 1 and "no pull request acme/app#99" in gone.stderr
