"""Post-back to GitHub issues: single-label add/remove, one comment ever, idempotent reruns,
and the summary issue's digest comment, created once and edited in place."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import responses

from factories import HOSTILE, item
from tieback.alignment import align
from tieback.audit import record_snapshot
from tieback.config import Config
from tieback.errors import ConfigError, SinkError
from tieback.http import RetryPolicy
from tieback.model import Item
from tieback.outcomes import load_declarations
from tieback.report import Report, build_report
from tieback.sinks.github import (
    EXPLAIN_MARKER,
    SUMMARY,
    SUMMARY_MARKER,
    GithubSink,
    summary_target,
)
from tieback.sinks.interface import Action, ActionKind
from tieback.sources.github import GithubSource
from tieback.store import PostedComment, Store

MOCK = "https://api.github.com:443"  # PyGithub names the port; responses matches as sent
ISSUES = f"{MOCK}/repos/acme/app/issues"
CONFIG = """
[exempt]
labels = ["chore"]

[github]
repos = ["acme/app"]

[github.post_back]
missing_label = "needs-outcome"
comment = true
"""


def issue(number: int, *labels: str, title: str = "") -> Item:
    return item(
        f"acme/app#{number}",
        source="github",
        team="acme/app",
        labels=labels,
        title=title or f"Issue {number}",
    )


@pytest.fixture
def config(write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_sinkToken0123456789")
    return write_config(CONFIG)


def stored(config: Config, *items: Item) -> None:
    with Store.open(config.store_location) as store:
        store.upsert_items(GithubSource(config).query, items)


def report_of(config: Config) -> Report:
    with Store.open(config.store_location) as store:
        items = list(store.items())
    settings = config.settings
    alignments = align(
        items, load_declarations(config), settings.tagging, settings.exempt
    ).alignments
    return build_report(alignments, load_declarations(config), settings.coverage)


def sink(config: Config) -> GithubSink:
    return GithubSink(config, RetryPolicy(sleep=lambda _: None))


@responses.activate
def test_plan_apply_then_a_second_run_writes_nothing(config: Config) -> None:
    stored(
        config,
        issue(1, title=HOSTILE),  # unaligned: label + comment
        issue(2, "outcome:activation", "needs-outcome"),  # aligned: label removed
        issue(3, "chore"),  # exempt: untouched
        issue(4, "needs-outcome"),  # unaligned and labelled already: comment only
        item("other/repo#5", source="github", team="other/repo"),  # not a configured repo
    )
    first = sink(config)
    actions = first.plan(report_of(config))
    assert [(a.key, a.kind) for a in actions] == [
        ("acme/app#1", ActionKind.ADD_LABEL),
        ("acme/app#1", ActionKind.COMMENT),
        ("acme/app#2", ActionKind.REMOVE_LABEL),
        ("acme/app#4", ActionKind.COMMENT),
    ]
    assert actions[1].body.startswith(EXPLAIN_MARKER)
    assert "`activation`" in actions[1].body
    assert len(responses.calls) == 0  # planning (a dry run) sends nothing

    responses.post(f"{ISSUES}/1/labels", json=[{"name": "needs-outcome"}])
    responses.get(f"{ISSUES}/1/comments", json=[])
    responses.post(f"{ISSUES}/1/comments", status=201, json={"id": 501})
    responses.delete(f"{ISSUES}/2/labels/needs-outcome", json=[])
    earlier = {"id": 77, "body": f"{EXPLAIN_MARKER}\nan earlier explanation"}
    responses.get(f"{ISSUES}/4/comments", json=[{"id": 76, "body": "hi"}, earlier])
    written = first.apply(actions)
    # #4 already had tieback's comment (the store had lost it): found, not doubled.
    assert [(a.key, a.kind) for a in written] == [
        ("acme/app#1", ActionKind.ADD_LABEL),
        ("acme/app#1", ActionKind.COMMENT),
        ("acme/app#2", ActionKind.REMOVE_LABEL),
    ]
    assert json.loads(responses.calls[0].request.body or b"") == {"labels": ["needs-outcome"]}
    assert all(call.request.method != "PUT" for call in responses.calls)  # never a replace

    assert sink(config).plan(report_of(config)) == []


@responses.activate
def test_a_label_already_gone_is_not_an_error(config: Config) -> None:
    stored(config, issue(2, "outcome:activation", "needs-outcome"))
    responses.delete(
        f"{ISSUES}/2/labels/needs-outcome", status=404, json={"message": "Label does not exist"}
    )
    github = sink(config)
    assert github.apply(github.plan(report_of(config))) == []


@responses.activate
def test_a_refused_write_is_one_line(config: Config) -> None:
    stored(config, issue(1))
    responses.post(
        f"{ISSUES}/1/labels", status=403, json={"message": "Resource not accessible by integration"}
    )
    github = sink(config)
    with pytest.raises(SinkError, match=r"HTTP 403 Resource not accessible by integration"):
        github.apply(github.plan(report_of(config))[:1])


@responses.activate
def test_a_comment_is_never_retried_blindly(config: Config) -> None:
    stored(config, issue(1, "needs-outcome"))
    responses.get(f"{ISSUES}/1/comments", json=[])
    responses.post(f"{ISSUES}/1/comments", status=502, json={"message": "Server Error"})
    github = sink(config)
    with pytest.raises(SinkError, match="HTTP 502"):
        github.apply(github.plan(report_of(config)))
    assert [call.request.method for call in responses.calls] == ["GET", "POST"]


# --- the summary issue ----------------------------------------------------------------

API = "https://api.github.com"
SUMMARY_CONFIG = """
[github]
repos = ["acme/app"]

[github.post_back]
missing_label = "needs-outcome"
comment = false
summary_issue = "acme/app#100"
"""
SUMMARY_COMMENTS = f"{ISSUES}/100/comments"


def comment_json(comment_id: int, body: str, login: str = "tieback-bot") -> dict[str, object]:
    """An issue comment as GitHub's REST API returns it."""
    return {
        "id": comment_id,
        "node_id": f"IC_kwDOAbc{comment_id}",
        "url": f"{API}/repos/acme/app/issues/comments/{comment_id}",
        "html_url": f"https://github.com/acme/app/issues/100#issuecomment-{comment_id}",
        "issue_url": f"{API}/repos/acme/app/issues/100",
        "body": body,
        "user": {"login": login, "id": 9, "type": "Bot" if "bot" in login else "User"},
        "created_at": "2026-11-20T08:00:00Z",
        "updated_at": "2026-11-20T08:00:00Z",
        "author_association": "NONE",
    }


@pytest.fixture
def summary_config(write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_sinkToken0123456789")
    return write_config(SUMMARY_CONFIG)


def post_run(config: Config) -> list[Action]:
    """What ``tieback post`` does: plan, apply, then record this run's snapshot."""
    report = report_of(config)
    github = sink(config)
    written = github.apply(github.plan(report))
    assert record_snapshot(config, report, kind="post") is None
    return written


def remembered(config: Config) -> PostedComment | None:
    with Store.open(config.store_location) as store:
        return store.comment("github", "acme/app#100", SUMMARY)


@responses.activate
def test_summary_is_created_once_then_left_alone(summary_config: Config) -> None:
    stored(summary_config, issue(1, title=HOSTILE), issue(2, "outcome:activation"))
    responses.get(SUMMARY_COMMENTS, json=[comment_json(7, "Looks good", "octocat")])
    github = sink(summary_config)
    actions = github.plan(report_of(summary_config))
    assert [(a.key, a.kind, a.detail) for a in actions] == [
        ("acme/app#1", ActionKind.ADD_LABEL, "needs-outcome"),
        ("acme/app#100", ActionKind.COMMENT, "summary"),
    ]
    body = actions[1].body
    assert body.startswith(SUMMARY_MARKER)
    assert "**50.0%** of the open backlog" in body
    assert "First snapshot" in body
    assert "#### Newly unaligned (1)" in body and "acme/app#1: Fix @\u200bacme" in body
    assert "<img" not in body

    responses.post(f"{ISSUES}/1/labels", json=[{"name": "needs-outcome"}])
    responses.post(SUMMARY_COMMENTS, status=201, json=comment_json(900, body))
    written = github.apply(actions)
    assert [a.kind for a in written] == [ActionKind.ADD_LABEL, ActionKind.COMMENT]
    posted = [c for c in responses.calls if c.request.method == "POST"]
    assert json.loads(posted[-1].request.body or b"") == {"body": body}
    record = remembered(summary_config)
    assert record is not None and record.comment_id == "900" and record.digest
    assert record_snapshot(summary_config, report_of(summary_config), kind="post") is None

    # Nothing changed: the store knows the comment, so nothing is read and nothing written.
    calls = len(responses.calls)
    assert sink(summary_config).plan(report_of(summary_config)) == []
    assert post_run(summary_config) == []
    assert len(responses.calls) == calls


@responses.activate
def test_summary_is_edited_in_place_when_the_backlog_changes(summary_config: Config) -> None:
    stored(summary_config, issue(1, "needs-outcome"), issue(2, "outcome:activation"))
    responses.get(SUMMARY_COMMENTS, json=[])
    responses.post(SUMMARY_COMMENTS, status=201, json=comment_json(900, "first"))
    assert [a.kind for a in post_run(summary_config)] == [ActionKind.COMMENT]
    first = remembered(summary_config)

    url = "https://github.com/acme/app/issues/3"
    stored(summary_config, issue(3, title="A new untagged idea")._replace(url=url))  # synced
    github = sink(summary_config)
    calls = len(responses.calls)
    actions = github.plan(report_of(summary_config))
    assert len(responses.calls) == calls  # the store knew the comment: nothing read
    assert [(a.key, a.kind, a.comment_id) for a in actions] == [
        ("acme/app#3", ActionKind.ADD_LABEL, ""),
        ("acme/app#100", ActionKind.EDIT_COMMENT, "900"),
    ]
    body = actions[1].body
    assert "**33.3%**" in body and "**▼ -16.7 points** (from 50.0%)" in body
    assert f"- [acme/app#3]({url}): A new untagged idea (untagged)" in body

    responses.post(f"{ISSUES}/3/labels", json=[{"name": "needs-outcome"}])
    responses.patch(f"{MOCK}/repos/acme/app/issues/comments/900", json=comment_json(900, body))
    assert len(github.apply(actions)) == 2
    patch = responses.calls[-1].request
    assert patch.method == "PATCH" and json.loads(patch.body or b"") == {"body": body}
    assert (
        sum(c.request.method == "POST" and "comments" in c.request.url for c in responses.calls)
        == 1
    )
    second = remembered(summary_config)
    assert first is not None and second is not None
    assert second.comment_id == "900" and second.digest != first.digest


def comments_link(page: int) -> dict[str, str]:
    base = f"{API}/repositories/1/issues/100/comments?per_page=100"
    return {"Link": f'<{base}&page={page}>; rel="next", <{base}&page={page}>; rel="last"'}


def two_pages(summary: dict[str, object]) -> None:
    """The summary issue's comments: others first, tieback's on the second page."""
    responses.get(
        SUMMARY_COMMENTS,
        json=[comment_json(n, f"comment {n}", "octocat") for n in range(1, 101)],
        headers=comments_link(2),
    )
    responses.get(f"{MOCK}/repositories/1/issues/100/comments", json=[summary])


@responses.activate
def test_summary_found_by_its_marker_when_the_store_lost_it(summary_config: Config) -> None:
    stored(summary_config, issue(1, "needs-outcome"), issue(2, "outcome:activation"))
    responses.get(SUMMARY_COMMENTS, json=[])
    (created,) = sink(summary_config).plan(report_of(summary_config))
    assert created.kind is ActionKind.COMMENT
    responses.reset()

    # Already there, word for word (GitHub answers with CRLF line endings).
    two_pages(comment_json(555, created.body.replace("\n", "\r\n")))
    assert sink(summary_config).plan(report_of(summary_config)) == []
    assert len(responses.calls) == 2
    responses.reset()

    # Already there, saying something older: edited in place, not doubled.
    two_pages(comment_json(555, f"{SUMMARY_MARKER}\nan older digest"))
    responses.patch(f"{MOCK}/repos/acme/app/issues/comments/555", json=comment_json(555, "x"))
    github = sink(summary_config)
    actions = github.plan(report_of(summary_config))
    assert [(a.kind, a.comment_id) for a in actions] == [(ActionKind.EDIT_COMMENT, "555")]
    assert github.apply(actions) == actions
    assert [c.request.method for c in responses.calls] == ["GET", "GET", "PATCH"]
    record = remembered(summary_config)
    assert record is not None and record.comment_id == "555"


@responses.activate
def test_a_deleted_summary_is_written_again(summary_config: Config) -> None:
    stored(summary_config, issue(1, "needs-outcome"))
    with Store.open(summary_config.store_location) as store:
        store.set_comment(PostedComment("github", "acme/app#100", SUMMARY, "900", "0:0", "t"))
    github = sink(summary_config)
    actions = github.plan(report_of(summary_config))
    assert [(a.kind, a.comment_id) for a in actions] == [(ActionKind.EDIT_COMMENT, "900")]
    responses.patch(
        f"{MOCK}/repos/acme/app/issues/comments/900", status=404, json={"message": "Not Found"}
    )
    responses.get(SUMMARY_COMMENTS, json=[comment_json(5, "unrelated", "octocat")])
    responses.post(SUMMARY_COMMENTS, status=201, json=comment_json(901, actions[0].body))
    assert github.apply(actions) == actions
    assert [c.request.method for c in responses.calls] == ["PATCH", "GET", "POST"]
    record = remembered(summary_config)
    assert record is not None and record.comment_id == "901"


@responses.activate
def test_the_summary_post_is_not_retried(summary_config: Config) -> None:
    stored(summary_config, issue(1, "needs-outcome"))
    responses.get(SUMMARY_COMMENTS, json=[])
    responses.post(SUMMARY_COMMENTS, status=502, json={"message": "Server Error"})
    github = sink(summary_config)
    actions = github.plan(report_of(summary_config))
    with pytest.raises(SinkError, match="HTTP 502"):
        github.apply(actions)
    assert [call.request.method for call in responses.calls] == ["GET", "POST"]
    assert remembered(summary_config) is None
    responses.reset()

    # GitHub had written it after all: the next run finds it and does not post again.
    responses.get(SUMMARY_COMMENTS, json=[comment_json(902, actions[0].body)])
    assert sink(summary_config).plan(report_of(summary_config)) == []


def test_summary_issue_must_name_an_issue(write_config: Callable[..., Config]) -> None:
    for bad in ("acme/app", "acme#1", "acme/app#0", "acme/app#1 ", "https://github.com/a/b#1"):
        with pytest.raises(ConfigError) as caught:
            write_config(f'[github.post_back]\nsummary_issue = "{bad}"\n')
        message = str(caught.value)
        assert "[github.post_back] summary_issue: expected owner/repo#number" in message
        assert "\n" not in message
    assert write_config('[github.post_back]\nsummary_issue = ""\n')
    assert write_config('[github.post_back]\nsummary_issue = "acme/app.js#12"\n')
    with pytest.raises(SinkError, match=r"\[github.post_back\] summary_issue: 'acme#1'"):
        summary_target("acme#1")
