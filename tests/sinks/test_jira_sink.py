"""Post-back to Jira: label add/remove, one explanatory comment ever, one summary kept."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from factories import HOSTILE, item
from tieback.alignment import align
from tieback.audit import read_items
from tieback.cli import main
from tieback.config import Config
from tieback.errors import SinkError
from tieback.http import RetryPolicy
from tieback.model import Item
from tieback.outcomes import load_declarations
from tieback.report import Report, build_report
from tieback.sinks.interface import ActionKind
from tieback.sinks.jira import JiraSink, is_tieback_comment
from tieback.sources.jira import JiraSource
from tieback.sources.jira_payload import adf_text
from tieback.store import PostedComment, Store

CLOUD = "https://acme.atlassian.net"
SERVER = "https://jira.acme.example/jira"
TOKEN = "ATATT3xFfGF0sinkToken0123456789"
CONFIG = f"""
[exempt]
labels = ["chore"]

[jira]
url = "{CLOUD}"
email = "pm@acme.example"
jql = "project = EDU"

[jira.post_back]
missing_label = "needs-outcome"
comment = true
"""
SERVER_CONFIG = f"""
[exempt]
labels = ["chore"]

[jira]
url = "{SERVER}"
jql = "project = GRD"

[jira.post_back]
summary_issue = "GRD-100"
"""
SERVER_INFO_CLOUD = {
    "baseUrl": CLOUD,
    "version": "1001.0.0-SNAPSHOT",
    "versionNumbers": [1001, 0, 0],
    "deploymentType": "Cloud",
    "buildNumber": 100285,
    "serverTitle": "Jira",
}
SERVER_INFO_DC = {
    "baseUrl": SERVER,
    "version": "9.12.4",
    "versionNumbers": [9, 12, 4],
    "deploymentType": "Server",
    "buildNumber": 9120004,
    "serverTitle": "Acme Jira",
}
LABELS_ADD = {"update": {"labels": [{"add": "needs-outcome"}]}}
LABELS_REMOVE = {"update": {"labels": [{"remove": "needs-outcome"}]}}


def issue(key: str, *labels: str, site: str = CLOUD, **fields: Any) -> Item:
    return item(key, labels=labels, url=f"{site}/browse/{key}", team=key.split("-")[0], **fields)


def comment(
    number: int, body: Any, *, kind: str = "", site: str = CLOUD, version: str = "3"
) -> dict[str, Any]:
    """A REST comment as Jira sends it with ``expand=properties``."""
    author = {
        "self": f"{site}/rest/api/{version}/user?accountId=5b10a2844c20165700ede21g",
        "accountId": "5b10a2844c20165700ede21g",
        "displayName": "Mia Krystof",
        "active": True,
    }
    shown: dict[str, Any] = {
        "self": f"{site}/rest/api/{version}/issue/10010/comment/{number}",
        "id": str(number),
        "author": author,
        "body": body,
        "updateAuthor": author,
        "created": "2026-11-01T10:00:00.000+0000",
        "updated": "2026-11-01T10:00:00.000+0000",
        "jsdPublic": True,
        "properties": [],
    }
    if kind:
        shown["properties"] = [{"key": "tieback", "value": {"kind": kind}}]
    return shown


def adf_doc(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


def page(*comments: dict[str, Any], start: int = 0, total: int | None = None) -> dict[str, Any]:
    return {
        "startAt": start,
        "maxResults": 100,
        "total": len(comments) if total is None else total,
        "comments": list(comments),
    }


@pytest.fixture
def config(write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    return write_config(CONFIG)


def stored(config: Config, *items: Item, query: str | None = None) -> None:
    with Store.open(config.store_location) as store:
        store.upsert_items(query or JiraSource(config).query, items)


def report_of(config: Config) -> Report:
    items, _ = read_items(config)  # this configuration's items, as post reads them
    settings = config.settings
    declarations = load_declarations(config)
    alignments = align(items, declarations, settings.tagging, settings.exempt).alignments
    return build_report(alignments, declarations, settings.coverage)


def sink(config: Config, waits: list[float] | None = None) -> JiraSink:
    return JiraSink(config, RetryPolicy(sleep=(waits if waits is not None else []).append))


def body(call: Any) -> Any:
    return json.loads(call.request.body or b"null")


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def writes() -> list[tuple[str, str]]:
    return [
        (c.request.method, urlsplit(c.request.url).path)
        for c in responses.calls
        if c.request.method != "GET"
    ]


# --- labels and the explanatory comment (Cloud) -------------------------------------------


@responses.activate
def test_plan_apply_then_a_second_run_plans_nothing(config: Config) -> None:
    stored(
        config,
        issue("EDU-1", title=HOSTILE),  # unaligned: label + comment, posted
        issue("EDU-2", "outcome:activation", "needs-outcome"),  # aligned: label removed
        issue("EDU-3", "chore"),  # exempt: untouched
        issue("EDU-4", "needs-outcome"),  # labelled already; its comment is on page 2
        issue("EDU-5", "outcome:activaton"),  # unknown ref; comment found by its text
        issue("EDU-6", done=True),  # done: out of scope
        issue("OPS-1", site="https://other.atlassian.net"),  # another site's issue
    )
    first = sink(config)
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    actions = first.plan(report_of(config))
    assert [(a.key, a.kind, a.detail) for a in actions] == [
        ("EDU-1", ActionKind.ADD_LABEL, "needs-outcome"),
        ("EDU-1", ActionKind.COMMENT, "explain (untagged)"),
        ("EDU-2", ActionKind.REMOVE_LABEL, "needs-outcome"),
        ("EDU-4", ActionKind.COMMENT, "explain (untagged)"),
        ("EDU-5", ActionKind.ADD_LABEL, "needs-outcome"),
        ("EDU-5", ActionKind.COMMENT, "explain (unknown-tag)"),
    ]
    assert [c.request.method for c in responses.calls] == ["GET"]  # planning writes nothing

    issue_api = f"{CLOUD}/rest/api/2/issue"
    comments = f"{CLOUD}/rest/api/3/issue"
    for key in ("EDU-1", "EDU-2", "EDU-5"):
        responses.put(f"{issue_api}/{key}", status=204)
    responses.get(f"{comments}/EDU-1/comment", json=page())
    responses.post(
        f"{comments}/EDU-1/comment", status=201, json=comment(10501, adf_doc("x"), kind="explain")
    )
    # EDU-4: the server grants 2 comments a page; tieback's is the third.
    responses.get(
        f"{comments}/EDU-4/comment",
        json=page(comment(1, adf_doc("hi")), comment(2, adf_doc("lgtm")), total=3),
    )
    responses.get(
        f"{comments}/EDU-4/comment",
        json=page(comment(7, adf_doc("an earlier one"), kind="explain"), start=2, total=3),
    )
    # EDU-5: tieback's comment copied without its property still names its marker.
    copied = comment(9, adf_doc("tieback: ... in small print: tieback:explain"))
    responses.get(f"{comments}/EDU-5/comment", json=page(comment(8, adf_doc("hm")), copied))

    written = first.apply(actions)
    assert [(a.key, a.kind) for a in written] == [
        ("EDU-1", ActionKind.ADD_LABEL),
        ("EDU-1", ActionKind.COMMENT),
        ("EDU-2", ActionKind.REMOVE_LABEL),
        ("EDU-5", ActionKind.ADD_LABEL),
    ]
    assert writes() == [
        ("PUT", "/rest/api/2/issue/EDU-1"),
        ("POST", "/rest/api/3/issue/EDU-1/comment"),
        ("PUT", "/rest/api/2/issue/EDU-2"),
        ("PUT", "/rest/api/2/issue/EDU-5"),
    ]
    puts = {
        urlsplit(c.request.url).path.rpartition("/")[2]: body(c)
        for c in responses.calls
        if c.request.method == "PUT"
    }
    # Jira's add/remove operations; never {"fields": {"labels": [...]}}, a replace.
    assert puts == {"EDU-1": LABELS_ADD, "EDU-2": LABELS_REMOVE, "EDU-5": LABELS_ADD}
    posted = next(body(c) for c in responses.calls if c.request.method == "POST")
    assert posted["properties"] == [{"key": "tieback", "value": {"kind": "explain"}}]
    assert posted["body"]["type"] == "doc"  # ADF on Cloud
    text = adf_text(posted["body"])
    assert "untagged" in text and "tieback:explain" in text
    assert "outcome:<id>" in text and "Outcome: <id>" in text and "chore" in text
    assert "activation: New teachers assign a first quiz in week one" in text
    reads = [query(c) for c in responses.calls if c.request.url.startswith(f"{comments}/EDU-4")]
    assert [(q["startAt"], q["maxResults"], q["expand"]) for q in reads] == [
        (["0"], ["100"], ["properties"]),
        (["2"], ["100"], ["properties"]),
    ]

    with Store.open(config.store_location) as store:
        assert store.commented("jira", "explain") == {"EDU-1", "EDU-4", "EDU-5"}
        explained = store.comment("jira", "EDU-1", "explain")
        labels = {i.key: i.labels for i in store.items("jira")}
    assert explained is not None and explained.comment_id == "10501"
    assert labels["EDU-1"] == ("needs-outcome",)
    assert labels["EDU-2"] == ("outcome:activation",)
    calls = len(responses.calls)
    assert sink(config).plan(report_of(config)) == []
    assert len(responses.calls) == calls + 0  # nothing to render: not even serverInfo


@responses.activate
def test_the_unknown_ref_and_its_suggestion_are_explained(config: Config) -> None:
    stored(config, issue("EDU-5", "outcome:activaton", "needs-outcome"))
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    [action] = sink(config).plan(report_of(config))
    document = json.loads(action.body)
    codes = [
        node["text"]
        for block in document["content"]
        for node in block.get("content", [])
        if any(mark["type"] == "code" for mark in node.get("marks", []))
    ]
    assert codes[:2] == ["activaton", "activation"]
    assert "is not a declared outcome; did you mean" in adf_text(document)


@responses.activate
def test_a_comment_is_never_retried_blindly(config: Config) -> None:
    stored(config, issue("EDU-1", "needs-outcome"))
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/3/issue/EDU-1/comment", json=page())
    responses.post(
        f"{CLOUD}/rest/api/3/issue/EDU-1/comment",
        status=503,
        body="<html><body>Service Unavailable</body></html>",
        content_type="text/html",
    )
    waits: list[float] = []
    jira = sink(config, waits)
    with pytest.raises(SinkError) as caught:
        jira.apply(jira.plan(report_of(config)))
    assert "HTTP 503" in str(caught.value) and "not retried" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert [c.request.method for c in responses.calls] == ["GET", "GET", "POST"]
    assert waits == []
    with Store.open(config.store_location) as store:
        assert store.commented("jira", "explain") == set()  # the next run looks again


@responses.activate
def test_a_label_write_is_retried_on_503(config: Config) -> None:
    stored(config, issue("EDU-2", "outcome:activation", "needs-outcome"))
    responses.put(f"{CLOUD}/rest/api/2/issue/EDU-2", status=503)
    responses.put(f"{CLOUD}/rest/api/2/issue/EDU-2", status=204)
    waits: list[float] = []
    jira = sink(config, waits)
    actions = jira.plan(report_of(config))
    assert len(jira.apply(actions)) == 1
    assert [c.response.status_code for c in responses.calls] == [503, 204]
    assert len(waits) == 1


@responses.activate
def test_a_refused_write_is_one_line(config: Config) -> None:
    stored(config, issue("EDU-1"))
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.put(
        f"{CLOUD}/rest/api/2/issue/EDU-1",
        status=403,
        json={
            "errorMessages": ["You do not have permission to edit issues in this project."],
            "errors": {},
        },
    )
    jira = sink(config)
    with pytest.raises(SinkError) as caught:
        jira.apply(jira.plan(report_of(config))[:1])
    assert str(caught.value).startswith(
        "Jira refused PUT /rest/api/2/issue/EDU-1 (HTTP 403 You do not have permission to "
        "edit issues in this project.)"
    )
    assert "\n" not in str(caught.value)


@responses.activate
def test_a_vanished_issue_is_skipped_with_a_warning_and_the_rest_written(config: Config) -> None:
    stored(config, issue("EDU-1"), issue("EDU-2"))
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.put(
        f"{CLOUD}/rest/api/2/issue/EDU-1",
        status=404,
        json={
            "errorMessages": ["Issue does not exist or you do not have permission to see it."],
            "errors": {},
        },
    )
    responses.put(f"{CLOUD}/rest/api/2/issue/EDU-2", status=204)
    jira = sink(config)
    labels = [a for a in jira.plan(report_of(config)) if a.kind is ActionKind.ADD_LABEL]
    assert [a.key for a in labels] == ["EDU-1", "EDU-2"]
    written = jira.apply(labels)
    assert [a.key for a in written] == ["EDU-2"]
    assert jira.warnings == [
        "jira: EDU-1 is gone or hidden (HTTP 404): skipped; 'tieback sync' drops it from the store"
    ]
    puts = [c.request.url for c in responses.calls if c.request.method == "PUT"]
    assert puts == [f"{CLOUD}/rest/api/2/issue/EDU-1", f"{CLOUD}/rest/api/2/issue/EDU-2"]


# --- Data Center: wiki markup, escaped ----------------------------------------------------


def test_tieback_comments_are_recognised_by_property_or_marker() -> None:
    assert is_tieback_comment(comment(1, "text", kind="explain"), "explain")
    assert not is_tieback_comment(comment(1, "text", kind="summary"), "explain")
    assert is_tieback_comment(comment(1, "... {color:#97a0af}tieback:summary{color}"), "summary")
    assert is_tieback_comment(comment(1, adf_doc("x tieback:summary")), "summary")
    assert not is_tieback_comment(comment(1, adf_doc("tieback rocks")), "explain")


@responses.activate
def test_server_comments_are_wiki_markup_with_untrusted_text_escaped(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SERVER_CONFIG.replace('summary_issue = "GRD-100"', ""))
    hostile_ref = "outcome:[~admin]{html}<b>x</b>{html}[spoof|https://evil.example]"
    stored(config, issue("GRD-7", hostile_ref, site=SERVER, title=HOSTILE))
    responses.get(f"{SERVER}/rest/api/2/serverInfo", json=SERVER_INFO_DC)
    responses.put(f"{SERVER}/rest/api/2/issue/GRD-7", status=204)
    responses.get(f"{SERVER}/rest/api/2/issue/GRD-7/comment", json=page())
    responses.post(
        f"{SERVER}/rest/api/2/issue/GRD-7/comment",
        status=201,
        json=comment(300, "x", site=SERVER, version="2"),
    )
    jira = sink(config)
    jira.apply(jira.plan(report_of(config)))
    posted = next(body(c) for c in responses.calls if c.request.method == "POST")
    text = posted["body"]
    assert isinstance(text, str)  # wiki markup on Data Center (REST v2)
    assert posted["properties"] == [{"key": "tieback", "value": {"kind": "explain"}}]
    assert "\\[\\~admin\\]" in text
    assert "{html}" not in text
    # No mention, link or table cell can open: every [ ~ | is escaped.
    assert re.findall(r"(?<!\\)[\[~|]", text) == []
    assert text.rstrip().endswith("tieback:explain{color}")
    assert responses.calls[1].request.headers["Authorization"] == f"Bearer {TOKEN}"


# --- the summary comment ------------------------------------------------------------------


def post(config: Config, *extra: str) -> int:
    assert config.path is not None
    return main(["post", "--config", str(config.path), *extra])


@responses.activate
def test_summary_is_created_then_edited_then_left_alone(
    write_config: Callable[..., Config],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SERVER_CONFIG)
    stored(
        config,
        issue("GRD-100", "outcome:activation", site=SERVER, title="Coverage", type="Task"),
        issue("GRD-7", site=SERVER, title="[~admin] please look {html}<b>x</b>{html}"),
    )
    api = f"{SERVER}/rest/api/2/issue"
    responses.get(f"{SERVER}/rest/api/2/serverInfo", json=SERVER_INFO_DC)
    responses.put(f"{api}/GRD-7", status=204)
    # Someone else's comment only: tieback's summary does not exist yet.
    responses.get(f"{api}/GRD-7/comment", json=page())
    responses.post(
        f"{api}/GRD-7/comment", status=201, json=comment(301, "x", site=SERVER, version="2")
    )
    responses.get(
        f"{api}/GRD-100/comment", json=page(comment(5, "Nice work", site=SERVER, version="2"))
    )
    responses.post(
        f"{api}/GRD-100/comment", status=201, json=comment(900, "x", site=SERVER, version="2")
    )

    assert post(config) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "jira: add label     GRD-7: needs-outcome",
        "jira: comment       GRD-7: explain (untagged)",
        "jira: comment       GRD-100: coverage summary",
        "tieback post: 3 changes written",
    ]
    summary = body(responses.calls[-1])
    assert summary["properties"] == [{"key": "tieback", "value": {"kind": "summary"}}]
    assert "GRD-7" in summary["body"] and "tieback:summary" in summary["body"]
    for live in ("[~", "{html}"):
        assert live not in summary["body"]
    with Store.open(config.store_location) as store:
        remembered = store.comment("jira", "GRD-100", "summary")
    assert remembered is not None and remembered.comment_id == "900" and remembered.digest

    # GRD-7 gets tagged (as a sync would bring it): the label goes, the summary is edited.
    stored(config, issue("GRD-7", "outcome:activation", "needs-outcome", site=SERVER))
    responses.calls.reset()
    responses.put(f"{api}/GRD-100/comment/900", json=comment(900, "x", site=SERVER, version="2"))
    assert post(config) == 0
    assert capsys.readouterr().out.splitlines() == [
        "jira: remove label  GRD-7: needs-outcome",
        "jira: edit comment  GRD-100: coverage summary",
        "tieback post: 2 changes written",
    ]
    assert writes() == [
        ("PUT", "/jira/rest/api/2/issue/GRD-7"),
        ("PUT", "/jira/rest/api/2/issue/GRD-100/comment/900"),
    ]
    edited = body(responses.calls[-1])
    assert set(edited) == {"body"} and "*100.0\\%*" in edited["body"]
    with Store.open(config.store_location) as store:
        after = store.comment("jira", "GRD-100", "summary")
    assert after is not None and after.digest != remembered.digest

    # Nothing changed: nothing planned, nothing sent but the deployment check.
    responses.calls.reset()
    assert post(config) == 0
    assert capsys.readouterr().out.splitlines() == ["tieback post: 0 changes written"]
    assert writes() == []


@responses.activate
def test_a_summary_the_store_forgot_is_found_and_edited(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SERVER_CONFIG)
    stored(config, issue("GRD-100", "outcome:activation", site=SERVER))
    api = f"{SERVER}/rest/api/2/issue/GRD-100/comment"
    responses.get(f"{SERVER}/rest/api/2/serverInfo", json=SERVER_INFO_DC)
    ours = comment(42, "old digest", kind="summary", site=SERVER, version="2")
    responses.get(api, json=page(comment(41, "hello", site=SERVER, version="2"), ours))
    responses.put(f"{api}/42", json=ours)
    jira = sink(config)
    [action] = jira.plan(report_of(config))
    assert (action.kind, action.key) == (ActionKind.COMMENT, "GRD-100")
    assert jira.apply([action]) == [action]
    assert writes() == [("PUT", "/jira/rest/api/2/issue/GRD-100/comment/42")]  # no second one
    with Store.open(config.store_location) as store:
        kept = store.comment("jira", "GRD-100", "summary")
    assert kept is not None and kept.comment_id == "42"


@responses.activate
def test_a_deleted_summary_is_posted_again(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SERVER_CONFIG)
    stored(config, issue("GRD-100", "outcome:activation", site=SERVER))
    with Store.open(config.store_location) as store:
        store.set_comment(PostedComment("jira", "GRD-100", "summary", "42", "0:0", "2026-11-01"))
    api = f"{SERVER}/rest/api/2/issue/GRD-100/comment"
    responses.get(f"{SERVER}/rest/api/2/serverInfo", json=SERVER_INFO_DC)
    responses.put(
        f"{api}/42",
        status=404,
        json={"errorMessages": ["Can not find a comment for the id: 42."], "errors": {}},
    )
    responses.get(api, json=page())
    responses.post(api, status=201, json=comment(43, "x", site=SERVER, version="2"))
    jira = sink(config)
    [action] = jira.plan(report_of(config))
    assert (action.kind, action.comment_id) == (ActionKind.EDIT_COMMENT, "42")
    jira.apply([action])
    assert writes() == [
        ("PUT", "/jira/rest/api/2/issue/GRD-100/comment/42"),
        ("POST", "/jira/rest/api/2/issue/GRD-100/comment"),
    ]
    with Store.open(config.store_location) as store:
        kept = store.comment("jira", "GRD-100", "summary")
    assert kept is not None and kept.comment_id == "43"


@responses.activate
def test_cloud_summary_is_adf_with_its_marker(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(CONFIG + 'summary_issue = "EDU-100"\n')
    stored(config, issue("EDU-100", "outcome:activation"))
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/3/issue/EDU-100/comment", json=page())
    responses.post(
        f"{CLOUD}/rest/api/3/issue/EDU-100/comment",
        status=201,
        json=comment(77, adf_doc("x"), kind="summary"),
    )
    jira = sink(config)
    jira.apply(jira.plan(report_of(config)))
    posted = body(responses.calls[-1])
    assert posted["body"]["type"] == "doc"
    assert adf_text(posted["body"]).splitlines()[-1] == "tieback:summary"
    assert "tieback: outcome coverage" in adf_text(posted["body"])


def test_a_summary_issue_that_is_no_key_is_an_error(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(
        SERVER_CONFIG.replace('"GRD-100"', '"GRD 100"').replace(
            'jql = "project = GRD"', 'jql = "project = GRD"\ndeployment = "server"'
        )
    )
    stored(config, issue("GRD-1", "outcome:activation", site=SERVER))
    with pytest.raises(SinkError, match=r"summary_issue 'GRD 100' is not a Jira issue key"):
        sink(config).plan(report_of(config))


# --- dry run, stores, exports -------------------------------------------------------------


@responses.activate
def test_dry_run_writes_nothing(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    stored(config, issue("EDU-1"), issue("EDU-2", "outcome:activation", "needs-outcome"))
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    assert post(config, "--dry-run") == 0
    assert capsys.readouterr().out.splitlines() == [
        "jira: add label     EDU-1: needs-outcome",
        "jira: comment       EDU-1: explain (untagged)",
        "jira: remove label  EDU-2: needs-outcome",
        "tieback post: 3 changes planned; dry run, nothing written",
    ]
    assert [c.request.method for c in responses.calls] == ["GET"]
    with Store.open(config.store_location) as store:
        assert store.commented("jira", "explain") == set()
        assert {i.key: i.labels for i in store.items()}["EDU-1"] == ()


@responses.activate
def test_a_label_written_is_remembered_on_this_configurations_copy_only(
    config: Config,
) -> None:
    stored(config, issue("EDU-9"))
    stored(config, issue("EDU-9"), query="another configuration's query")
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.put(f"{CLOUD}/rest/api/2/issue/EDU-9", status=204)
    jira = sink(config)
    label = [a for a in jira.plan(report_of(config)) if a.kind is ActionKind.ADD_LABEL]
    assert [a.key for a in label] == ["EDU-9"]
    assert jira.apply(label) == label
    with Store.open(config.store_location) as store:
        mine = store.items(scopes=[("jira", JiraSource(config).query)])
        theirs = store.items(scopes=[("jira", "another configuration's query")])
        assert [i.labels for i in mine] == [("needs-outcome",)]
        assert [i.labels for i in theirs] == [()]  # learnt at that configuration's sync
