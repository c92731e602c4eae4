"""Post-back to GitHub issues: single-label add/remove, one comment ever, idempotent reruns,
and the summary issue's digest comment, created once and edited in place."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import responses

from factories import HOSTILE, item
from tieback.alignment import align
from tieback.config import Config
from tieback.connectors.context import Context
from tieback.connectors.github import github_query
from tieback.connectors.github.sink import (
    EXPLAIN_MARKER,
    SUMMARY,
    SUMMARY_MARKER,
    GithubSink,
    summary_target,
)
from tieback.connectors.sink import Action, ActionKind
from tieback.errors import ConfigError, SinkError
from tieback.history import record_snapshot
from tieback.http import RetryPolicy
from tieback.model import Item
from tieback.outcomes import load_declarations
from tieback.report import Report, build_report
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
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return write_config(CONFIG)


def stored(config: Config, *items: Item) -> None:
    with Store.open(config.store_location) as store:
        store.upsert_items(github_query(config), items)


def report_of(config: Config) -> Report:
    with Store.open(config.store_location) as store:
        items = list(store.items())
    settings = config.settings
    alignments = align(
        items, load_declarations(config), settings.tagging.rules(), settings.exempt.rules()
    ).alignments
    return build_report(alignments, load_declarations(config), settings.coverage.rules())


def sink(config: Config, sleeps: list[float] | None = None) -> GithubSink:
    sleep = sleeps.append if sleeps is not None else (lambda _: None)
    return GithubSink(Context.of(config, "github", RetryPolicy(sleep=sleep)))


OWN = "acme-ops"  # the machine user whose personal token tieback posts with


def user(login: str) -> dict[str, object]:
    """A comment's ``user`` as GitHub's REST API gives it."""
    bot = login.endswith("[bot]")
    return {
        "login": login,
        "id": 41898282 if bot else 5100 + len(login),
        "node_id": "MDM6Qm90NDE4OTgyODI=" if bot else "MDQ6VXNlcjUx",
        "type": "Bot" if bot else "User",
        "site_admin": False,
    }


def viewer(login: str = OWN) -> None:
    """GraphQL's answer to ``viewer``: the account the token writes as."""
    typename = "Bot" if login.endswith("[bot]") else "User"
    responses.post(
        f"{MOCK}/graphql",
        json={"data": {"viewer": {"__typename": typename, "login": login.removesuffix("[bot]")}}},
    )


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

    viewer()
    responses.post(f"{ISSUES}/1/labels", json=[{"name": "needs-outcome"}])
    responses.get(f"{ISSUES}/1/comments", json=[])
    responses.post(f"{ISSUES}/1/comments", status=201, json=comment_json(501, "x"))
    responses.delete(f"{ISSUES}/2/labels/needs-outcome", json=[])
    earlier = comment_json(77, f"{EXPLAIN_MARKER}\nan earlier explanation")
    responses.get(f"{ISSUES}/4/comments", json=[comment_json(76, "hi", "octocat"), earlier])
    written = first.apply(actions)
    # #4 already had tieback's comment (the store had lost it): found, not doubled.
    assert [(a.key, a.kind) for a in written] == [
        ("acme/app#1", ActionKind.ADD_LABEL),
        ("acme/app#1", ActionKind.COMMENT),
        ("acme/app#2", ActionKind.REMOVE_LABEL),
    ]
    assert json.loads(responses.calls[0].request.body or b"") == {"labels": ["needs-outcome"]}
    assert first.failures == []
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
    assert github.apply(github.plan(report_of(config))[:1]) == []
    [failure] = github.failures
    assert failure.startswith("acme/app#1: add label needs-outcome failed: GitHub refused POST")
    assert "HTTP 403 Resource not accessible by integration" in failure and "\n" not in failure


@responses.activate
def test_a_comment_is_never_retried_blindly(config: Config) -> None:
    stored(config, issue(1, "needs-outcome"))
    viewer()
    responses.get(f"{ISSUES}/1/comments", json=[])
    responses.post(f"{ISSUES}/1/comments", status=502, json={"message": "Server Error"})
    github = sink(config)
    assert github.apply(github.plan(report_of(config))) == []
    assert github.failures == [
        "acme/app#1: explanatory comment failed: GitHub answered HTTP 502 Server Error "
        "to POST /repos/acme/app/issues/1/comments"
    ]
    assert [call.request.method for call in responses.calls] == ["POST", "GET", "POST"]


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


def comment_json(comment_id: int, body: str, login: str = OWN) -> dict[str, object]:
    """An issue comment as GitHub's REST API returns it."""
    return {
        "id": comment_id,
        "node_id": f"IC_kwDOAbc{comment_id}",
        "url": f"{API}/repos/acme/app/issues/comments/{comment_id}",
        "html_url": f"https://github.com/acme/app/issues/100#issuecomment-{comment_id}",
        "issue_url": f"{API}/repos/acme/app/issues/100",
        "body": body,
        "user": user(login),
        "created_at": "2026-11-20T08:00:00Z",
        "updated_at": "2026-11-20T08:00:00Z",
        "author_association": "NONE",
    }


@pytest.fixture
def summary_config(write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_sinkToken0123456789")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
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
    viewer()
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
    viewer()
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
    viewer()
    responses.get(SUMMARY_COMMENTS, json=[])
    (created,) = sink(summary_config).plan(report_of(summary_config))
    assert created.kind is ActionKind.COMMENT
    responses.reset()

    # Already there, word for word (GitHub answers with CRLF line endings).
    viewer()
    two_pages(comment_json(555, created.body.replace("\n", "\r\n")))
    assert sink(summary_config).plan(report_of(summary_config)) == []
    assert len(responses.calls) == 3  # who the token is, then two pages
    responses.reset()

    # Already there, saying something older: edited in place, not doubled.
    viewer()
    two_pages(comment_json(555, f"{SUMMARY_MARKER}\nan older digest"))
    responses.patch(f"{MOCK}/repos/acme/app/issues/comments/555", json=comment_json(555, "x"))
    github = sink(summary_config)
    actions = github.plan(report_of(summary_config))
    assert [(a.kind, a.comment_id) for a in actions] == [(ActionKind.EDIT_COMMENT, "555")]
    assert github.apply(actions) == actions
    assert [c.request.method for c in responses.calls] == ["POST", "GET", "GET", "PATCH"]
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
    viewer()
    responses.get(SUMMARY_COMMENTS, json=[comment_json(5, "unrelated", "octocat")])
    responses.post(SUMMARY_COMMENTS, status=201, json=comment_json(901, actions[0].body))
    assert github.apply(actions) == actions
    assert [c.request.method for c in responses.calls] == ["PATCH", "POST", "GET", "POST"]
    record = remembered(summary_config)
    assert record is not None and record.comment_id == "901"


@responses.activate
def test_the_summary_post_is_not_retried(summary_config: Config) -> None:
    stored(summary_config, issue(1, "needs-outcome"))
    viewer()
    responses.get(SUMMARY_COMMENTS, json=[])
    responses.post(SUMMARY_COMMENTS, status=502, json={"message": "Server Error"})
    github = sink(summary_config)
    actions = github.plan(report_of(summary_config))
    assert github.apply(actions) == []
    assert github.failures == [
        "acme/app#100: summary comment failed: GitHub answered HTTP 502 Server Error "
        "to POST /repos/acme/app/issues/100/comments"
    ]
    # Looked for before it was planned and again just before it was sent; sent once.
    assert [call.request.method for call in responses.calls] == ["POST", "GET", "GET", "POST"]
    assert remembered(summary_config) is None
    responses.reset()

    # GitHub had written it after all: the next run finds it and does not post again.
    viewer()
    responses.get(SUMMARY_COMMENTS, json=[comment_json(902, actions[0].body)])
    assert sink(summary_config).plan(report_of(summary_config)) == []


# --- one failed write does not abandon the rest -------------------------------------------

SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
    "before you try again.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits",
}


def stored_labels(config: Config) -> dict[str, tuple[str, ...]]:
    with Store.open(config.store_location) as store:
        return {i.key: i.labels for i in store.items()}


@responses.activate
def test_one_failed_write_is_a_line_and_the_rest_are_written(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_sinkToken0123456789")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    both = write_config(CONFIG + 'summary_issue = "acme/app#100"\n')
    stored(both, issue(1), issue(2), issue(3, "outcome:activation", "needs-outcome"))
    viewer()
    responses.get(SUMMARY_COMMENTS, json=[])
    github = sink(both)
    actions = github.plan(report_of(both))
    assert [(a.key, a.kind) for a in actions] == [
        ("acme/app#1", ActionKind.ADD_LABEL),
        ("acme/app#1", ActionKind.COMMENT),
        ("acme/app#2", ActionKind.ADD_LABEL),
        ("acme/app#2", ActionKind.COMMENT),
        ("acme/app#3", ActionKind.REMOVE_LABEL),
        ("acme/app#100", ActionKind.COMMENT),
    ]
    server_error = {"message": "Server Error"}
    responses.post(f"{ISSUES}/1/labels", status=500, json=server_error)
    responses.get(f"{ISSUES}/1/comments", json=[])
    responses.post(f"{ISSUES}/1/comments", status=201, json=comment_json(501, "x"))
    responses.post(f"{ISSUES}/2/labels", json=[{"name": "needs-outcome"}])
    responses.get(f"{ISSUES}/2/comments", json=[])
    responses.post(f"{ISSUES}/2/comments", status=503, json=server_error)
    responses.delete(f"{ISSUES}/3/labels/needs-outcome", json=[])
    responses.post(SUMMARY_COMMENTS, status=201, json=comment_json(900, actions[-1].body))

    written = github.apply(actions)
    assert [(a.key, a.kind) for a in written] == [
        ("acme/app#1", ActionKind.COMMENT),
        ("acme/app#2", ActionKind.ADD_LABEL),
        ("acme/app#3", ActionKind.REMOVE_LABEL),
        ("acme/app#100", ActionKind.COMMENT),
    ]
    assert github.failures == [
        "acme/app#1: add label needs-outcome failed: GitHub answered HTTP 500 Server Error "
        "to POST /repos/acme/app/issues/1/labels",
        "acme/app#2: explanatory comment failed: GitHub answered HTTP 503 Server Error "
        "to POST /repos/acme/app/issues/2/comments",
    ]
    # The comment that failed was sent once; what was written is remembered.
    to_two = [c.request.method for c in responses.calls if f"{ISSUES}/2/comments" in c.request.url]
    assert to_two == ["GET", "POST"]
    labels = stored_labels(both)
    assert labels["acme/app#1"] == () and labels["acme/app#2"] == ("needs-outcome",)
    assert labels["acme/app#3"] == ("outcome:activation",)
    record = remembered(both)
    assert record is not None and record.comment_id == "900"
    with Store.open(both.store_location) as store:
        assert store.commented("github", "explain") == {"acme/app#1"}


@responses.activate
def test_a_rate_limited_comment_waits_as_asked_and_is_sent_once_more(config: Config) -> None:
    stored(config, issue(1, "needs-outcome"))
    viewer()
    responses.get(f"{ISSUES}/1/comments", json=[])
    responses.post(f"{ISSUES}/1/comments", status=403, json=SECONDARY, headers={"retry-after": "2"})
    responses.post(f"{ISSUES}/1/comments", status=201, json=comment_json(501, "x"))
    sleeps: list[float] = []
    github = sink(config, sleeps)
    actions = github.plan(report_of(config))
    assert github.apply(actions) == actions
    assert github.failures == [] and sleeps == [2.0]
    to_one = [c.request.method for c in responses.calls if f"{ISSUES}/1/comments" in c.request.url]
    assert to_one == ["GET", "POST", "POST"]


@responses.activate
def test_a_rate_limit_longer_than_tieback_waits_fails_that_write_only(config: Config) -> None:
    stored(config, issue(1), issue(2))
    responses.post(
        f"{ISSUES}/1/labels", status=429, json=SECONDARY, headers={"Retry-After": "3600"}
    )
    responses.post(f"{ISSUES}/2/labels", json=[{"name": "needs-outcome"}])
    sleeps: list[float] = []
    github = sink(config, sleeps)
    labels = [a for a in github.plan(report_of(config)) if a.kind is ActionKind.ADD_LABEL]
    assert [a.key for a in github.apply(labels)] == ["acme/app#2"]
    [failure] = github.failures
    assert failure.startswith(
        "acme/app#1: add label needs-outcome failed: GitHub rate-limited POST "
        "/repos/acme/app/issues/1/labels (HTTP 429)"
    )
    assert "3600 s" in failure and "retry after" in failure and "every retry" not in failure
    assert sleeps == []  # not waited, and sent once
    assert sum(c.request.url == f"{ISSUES}/1/labels" for c in responses.calls) == 1


@responses.activate
def test_a_rejected_token_stops_the_run_and_keeps_what_was_written(config: Config) -> None:
    stored(config, issue(1), issue(2), issue(3))
    bad = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
    responses.post(f"{ISSUES}/1/labels", json=[{"name": "needs-outcome"}])
    responses.post(f"{ISSUES}/2/labels", status=401, json=bad)
    github = sink(config)
    labels = [a for a in github.plan(report_of(config)) if a.kind is ActionKind.ADD_LABEL]
    with pytest.raises(SinkError, match="HTTP 401 Bad credentials"):
        github.apply(labels)
    assert [c.request.url for c in responses.calls] == [f"{ISSUES}/1/labels", f"{ISSUES}/2/labels"]
    assert stored_labels(config)["acme/app#1"] == ("needs-outcome",)


# --- only tieback's own comments are tieback's -------------------------------------------


@responses.activate
def test_another_authors_comment_with_the_marker_is_never_tiebacks(
    summary_config: Config,
) -> None:
    stored(summary_config, issue(1, "needs-outcome"))
    viewer()
    quoted = comment_json(40, f"Copied from the bot:\n{SUMMARY_MARKER}\nold numbers", "octocat")
    responses.get(SUMMARY_COMMENTS, json=[quoted])
    github = sink(summary_config)
    [action] = github.plan(report_of(summary_config))
    assert (action.kind, action.comment_id) == (ActionKind.COMMENT, "")  # not octocat's
    responses.post(SUMMARY_COMMENTS, status=201, json=comment_json(901, action.body))
    assert github.apply([action]) == [action]
    assert all(c.request.method != "PATCH" for c in responses.calls)


@responses.activate
def test_a_stray_marker_does_not_stop_the_explanation(config: Config) -> None:
    stored(config, issue(4, "needs-outcome"))
    viewer("tieback-app[bot]")  # an App's installation token
    stray = comment_json(76, f"How does {EXPLAIN_MARKER} work?", "octocat")
    responses.get(f"{ISSUES}/4/comments", json=[stray])
    responses.post(f"{ISSUES}/4/comments", status=201, json=comment_json(501, "x"))
    github = sink(config)
    actions = github.plan(report_of(config))
    assert github.apply(actions) == actions
    assert responses.calls[-1].request.method == "POST"
    responses.reset()

    # The App's own explanation (user.login "tieback-app[bot]") is found, not doubled.
    with Store.open(config.store_location) as store:
        store.upsert_items(github_query(config), [issue(5, "needs-outcome")])
    viewer("tieback-app[bot]")
    own = comment_json(88, f"{EXPLAIN_MARKER}\nexplained", "tieback-app[bot]")
    responses.get(f"{ISSUES}/5/comments", json=[stray, own])
    github = sink(config)
    actions = github.plan(report_of(config))
    assert [a.key for a in actions] == ["acme/app#5"]
    assert github.apply(actions) == []
    assert all(c.request.method != "PATCH" for c in responses.calls)
    assert [c.request.method for c in responses.calls] == ["POST", "GET"]  # GraphQL, comments


@responses.activate
def test_without_knowing_its_account_tieback_leaves_marked_comments_alone(
    config: Config,
) -> None:
    stored(config, issue(1, "needs-outcome"), issue(2, "needs-outcome"))
    refused = {
        "message": "Resource not accessible by integration",
        "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
    }
    responses.post(f"{MOCK}/graphql", status=403, json=refused)
    responses.get(f"{MOCK}/user", status=403, json=refused)
    marked = comment_json(76, f"{EXPLAIN_MARKER}\nexplained", "someone-else")
    responses.get(f"{ISSUES}/1/comments", json=[marked])
    responses.get(f"{ISSUES}/2/comments", json=[])
    responses.post(f"{ISSUES}/2/comments", status=201, json=comment_json(501, "x"))
    github = sink(config)
    actions = github.plan(report_of(config))
    assert [a.key for a in github.apply(actions)] == ["acme/app#2"]
    assert github.failures == []
    [warning] = github.warnings  # once, however many comments it concerns
    assert warning.startswith("github: cannot tell which account the token writes as")
    writes = [c.request for c in responses.calls if c.request.method in ("POST", "PATCH")]
    assert [(r.method, r.url) for r in writes[-1:]] == [("POST", f"{ISSUES}/2/comments")]


# --- looked for again just before it is created ------------------------------------------


@responses.activate
def test_a_summary_written_meanwhile_is_not_doubled(summary_config: Config) -> None:
    stored(summary_config, issue(1, "needs-outcome"))
    viewer()
    github = sink(summary_config)
    responses.get(SUMMARY_COMMENTS, json=[])
    [action] = github.plan(report_of(summary_config))
    assert action.kind is ActionKind.COMMENT
    # A concurrent run wrote it between this run's plan and its write.
    responses.reset()
    responses.get(SUMMARY_COMMENTS, json=[comment_json(950, f"{SUMMARY_MARKER}\nits numbers")])
    responses.patch(f"{MOCK}/repos/acme/app/issues/comments/950", json=comment_json(950, "x"))
    assert github.apply([action]) == [action]
    assert [c.request.method for c in responses.calls] == ["GET", "PATCH"]
    record = remembered(summary_config)
    assert record is not None and record.comment_id == "950"


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
