"""Post-back to GitHub issues: single-label add/remove, one comment ever, idempotent reruns."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import responses

from factories import HOSTILE, item
from tieback.alignment import align
from tieback.config import Config
from tieback.errors import SinkError
from tieback.http import RetryPolicy
from tieback.model import Item
from tieback.outcomes import load_declarations
from tieback.report import Report, build_report
from tieback.sinks.github import EXPLAIN_MARKER, GithubSink
from tieback.sinks.interface import ActionKind
from tieback.sources.github import GithubSource
from tieback.store import Store

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
