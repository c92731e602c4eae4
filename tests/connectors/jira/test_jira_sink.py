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
from tieback.backlog import read_items
from tieback.cli import main
from tieback.config import Config
from tieback.connectors.context import Context
from tieback.connectors.jira import jira_query
from tieback.connectors.jira.comments import Account, is_tieback_comment
from tieback.connectors.jira.payload import adf_text
from tieback.connectors.jira.sink import JiraSink
from tieback.connectors.sink import ActionKind
from tieback.errors import SinkError
from tieback.http import RetryPolicy
from tieback.model import Item
from tieback.outcomes import load_declarations
from tieback.report import Report, build_report
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


# People and tieback's own account, as Cloud (accountId) and Data Center (key, name) name them.
PERSON = "Mia Krystof"
BOT = "tieback bot"
USERS = {
    PERSON: ("5b10a2844c20165700ede21g", "JIRAUSER10501", "mia"),
    BOT: ("712020:5e3c1f0a-7d2b-4c55-9b1e-0a8f3c2d1b00", "JIRAUSER10200", "tieback"),
}


def user(who: str, site: str = CLOUD, version: str = "3") -> dict[str, Any]:
    """A user object as Jira embeds it: Cloud by accountId, Data Center by key and name."""
    account_id, key, name = USERS[who]
    if site == CLOUD:
        return {
            "self": f"{site}/rest/api/{version}/user?accountId={account_id}",
            "accountId": account_id,
            "displayName": who,
            "active": True,
            "timeZone": "Europe/Berlin",
            "accountType": "atlassian",
        }
    return {
        "self": f"{site}/rest/api/{version}/user?username={name}",
        "name": name,
        "key": key,
        "emailAddress": f"{name}@acme.example",
        "displayName": who,
        "active": True,
        "timeZone": "Europe/Berlin",
    }


def myself(site: str = CLOUD) -> dict[str, Any]:
    """``GET /rest/api/2/myself`` for the token's account (tieback's bot)."""
    return {
        **user(BOT, site, "2"),
        "locale": "en_US",
        "groups": {"size": 1, "items": []},
        "applicationRoles": {"size": 1, "items": []},
        "expand": "groups,applicationRoles",
    }


def comment(
    number: int,
    body: Any,
    *,
    kind: str = "",
    site: str = CLOUD,
    version: str = "3",
    author: str = PERSON,
) -> dict[str, Any]:
    """A REST comment as Jira sends it with ``expand=properties``."""
    shown: dict[str, Any] = {
        "self": f"{site}/rest/api/{version}/issue/10010/comment/{number}",
        "id": str(number),
        "author": user(author, site, version),
        "body": body,
        "updateAuthor": user(author, site, version),
        "created": "2026-11-01T10:00:00.000+0000",
        "updated": "2026-11-01T10:00:00.000+0000",
        "properties": [],
    }
    if site == CLOUD:
        shown["jsdPublic"] = True
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
    """``items`` in the store as a completed sync of ``query`` leaves them."""
    query = query or jira_query(config)
    with Store.open(config.store_location) as store:
        store.begin_sync("jira", query, "2026-11-01T10:00:00+00:00")
        store.upsert_items(query, items)
        store.end_sync("jira", query, "2026-11-01T10:01:00+00:00")


def report_of(config: Config) -> Report:
    items, _ = read_items(config)  # this configuration's items, as post reads them
    settings = config.settings
    declarations = load_declarations(config)
    tagging, exempt = settings.tagging.rules(), settings.exempt.rules()
    alignments = align(items, declarations, tagging, exempt).alignments
    return build_report(alignments, declarations, settings.coverage.rules())


def sink(config: Config, waits: list[float] | None = None) -> JiraSink:
    policy = RetryPolicy(sleep=(waits if waits is not None else []).append)
    return JiraSink(Context.of(config, "jira", policy))


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
    responses.get(f"{CLOUD}/rest/api/2/myself", json=myself())
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
        json=page(
            comment(7, adf_doc("an earlier one"), kind="explain", author=BOT), start=2, total=3
        ),
    )
    # EDU-5: tieback's comment, its property lost (moved by an import), still names its marker.
    copied = comment(9, adf_doc("tieback: ... in small print: tieback:explain"), author=BOT)
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
    responses.get(f"{CLOUD}/rest/api/2/myself", json=myself())
    responses.get(f"{CLOUD}/rest/api/3/issue/EDU-1/comment", json=page())
    responses.post(
        f"{CLOUD}/rest/api/3/issue/EDU-1/comment",
        status=503,
        body="<html><body>Service Unavailable</body></html>",
        content_type="text/html",
    )
    waits: list[float] = []
    jira = sink(config, waits)
    assert jira.apply(jira.plan(report_of(config))) == []
    [failure] = jira.failures
    assert failure.startswith("EDU-1: comment failed: Jira answered HTTP 503 to POST ")
    assert "not retried" in failure and TOKEN not in failure
    assert [c.request.method for c in responses.calls] == ["GET", "GET", "GET", "POST"]
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
    assert jira.apply(jira.plan(report_of(config))[:1]) == []
    [failure] = jira.failures
    assert failure.startswith(
        "EDU-1: add label needs-outcome failed: Jira refused PUT /rest/api/2/issue/EDU-1 "
        "(HTTP 403 You do not have permission to edit issues in this project.)"
    )
    assert "\n" not in failure


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


def test_tieback_comments_are_its_own_accounts_marked_ones() -> None:
    cloud, server = Account.of(myself()), Account.of(myself(SERVER))

    def ours(body: Any, kind: str = "") -> dict[str, Any]:
        return comment(1, body, kind=kind, author=BOT)

    assert is_tieback_comment(ours("text", kind="explain"), "explain", cloud)
    assert not is_tieback_comment(ours("text", kind="summary"), "explain", cloud)
    wiki = "... {color:#97a0af}tieback:summary{color}"
    assert is_tieback_comment(ours(wiki), "summary", cloud)
    assert is_tieback_comment(ours(adf_doc("x tieback:summary")), "summary", cloud)
    assert not is_tieback_comment(ours(adf_doc("tieback rocks")), "explain", cloud)
    # The property, when there is one, says the kind: a summary listing an issue whose
    # title is "tieback:explain" is no explanation.
    quoting = ours(adf_doc("EDU-9 tieback:explain"), kind="summary")
    assert not is_tieback_comment(quoting, "explain", cloud)
    # Another author's comment is never tieback's, whatever it carries.
    theirs = comment(1, adf_doc("tieback:explain"), kind="explain", author=PERSON)
    assert not is_tieback_comment(theirs, "explain", cloud)
    # Data Center: the author's key, else its name (usernames are case-insensitive).
    dc = comment(2, wiki, kind="summary", site=SERVER, version="2", author=BOT)
    assert is_tieback_comment(dc, "summary", server)
    assert not is_tieback_comment(dc, "summary", cloud)
    assert is_tieback_comment({**dc, "author": {"name": "TieBack"}}, "summary", server)
    # The username alone does not say it when the key says otherwise (a name reused).
    reused = {**dc, "author": {**dc["author"], "key": "JIRAUSER10999"}}
    assert not is_tieback_comment(reused, "summary", server)
    assert not is_tieback_comment(dc, "summary", Account())  # an account unknown


@responses.activate
def test_server_comments_are_wiki_markup_with_untrusted_text_escaped(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SERVER_CONFIG.replace('summary_issue = "GRD-100"', ""))
    hostile_ref = "outcome:[~admin]{html}<b>x</b>{html}[spoof|https://evil.example]"
    stored(config, issue("GRD-7", hostile_ref, site=SERVER, title=HOSTILE))
    responses.get(f"{SERVER}/rest/api/2/serverInfo", json=SERVER_INFO_DC)
    responses.get(f"{SERVER}/rest/api/2/myself", json=myself(SERVER))
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
    responses.get(f"{SERVER}/rest/api/2/myself", json=myself(SERVER))
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
    ours = comment(900, "old", kind="summary", site=SERVER, version="2", author=BOT)
    responses.get(f"{api}/GRD-100/comment/900", json=ours)  # still tieback's own: edited
    responses.put(f"{api}/GRD-100/comment/900", json=ours)
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
    responses.get(f"{SERVER}/rest/api/2/myself", json=myself(SERVER))
    ours = comment(42, "old digest", kind="summary", site=SERVER, version="2", author=BOT)
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
    responses.get(f"{SERVER}/rest/api/2/myself", json=myself(SERVER))
    responses.get(
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
    assert writes() == [("POST", "/jira/rest/api/2/issue/GRD-100/comment")]
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
    responses.get(f"{CLOUD}/rest/api/2/myself", json=myself())
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
        mine = store.items(scopes=[("jira", jira_query(config))])
        theirs = store.items(scopes=[("jira", "another configuration's query")])
        assert [i.labels for i in mine] == [("needs-outcome",)]
        assert [i.labels for i in theirs] == [()]  # learnt at that configuration's sync


# --- one failed write does not abandon the rest --------------------------------------------

SUMMARY_CONFIG = CONFIG + 'summary_issue = "EDU-100"\n'
FORBIDDEN = {
    "errorMessages": ["You do not have permission to edit issues in this project."],
    "errors": {},
}


@responses.activate
def test_a_failed_write_is_one_line_and_the_rest_are_still_written(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SUMMARY_CONFIG)
    stored(
        config,
        issue("EDU-1"),  # its comment answers 500
        issue("EDU-2"),  # its label answers 403; its comment is still written
        issue("EDU-3", "outcome:activation", "needs-outcome"),  # after both: label removed
        issue("EDU-100", "outcome:activation"),
    )
    issue_api, comments = f"{CLOUD}/rest/api/2/issue", f"{CLOUD}/rest/api/3/issue"
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/myself", json=myself())
    responses.put(f"{issue_api}/EDU-1", status=204)
    responses.put(f"{issue_api}/EDU-2", status=403, json=FORBIDDEN)
    responses.put(f"{issue_api}/EDU-3", status=204)
    for key in ("EDU-1", "EDU-2", "EDU-100"):
        responses.get(f"{comments}/{key}/comment", json=page())
    responses.post(
        f"{comments}/EDU-1/comment",
        status=500,
        json={"errorMessages": ["Internal server error"], "errors": {}},
    )
    responses.post(
        f"{comments}/EDU-2/comment",
        status=201,
        json=comment(601, adf_doc("x"), kind="explain", author=BOT),
    )
    responses.post(
        f"{comments}/EDU-100/comment",
        status=201,
        json=comment(602, adf_doc("x"), kind="summary", author=BOT),
    )
    jira = sink(config)
    written = jira.apply(jira.plan(report_of(config)))

    assert [(a.key, a.kind.value) for a in written] == [
        ("EDU-1", "add label"),
        ("EDU-2", "comment"),
        ("EDU-3", "remove label"),
        ("EDU-100", "comment"),
    ]
    assert jira.failures == [
        "EDU-1: comment failed: Jira answered HTTP 500 Internal server error to "
        "POST /rest/api/3/issue/EDU-1/comment",
        "EDU-2: add label needs-outcome failed: Jira refused PUT /rest/api/2/issue/EDU-2 "
        "(HTTP 403 You do not have permission to edit issues in this project.): the account "
        "lacks a permission (Browse projects to sync; Edit issues and Add comments to post "
        "back)",
    ]
    posts = [urlsplit(c.request.url).path for c in responses.calls if c.request.method == "POST"]
    assert posts.count("/rest/api/3/issue/EDU-1/comment") == 1  # a comment is sent once
    with Store.open(config.store_location) as store:
        assert store.commented("jira", "explain") == {"EDU-2"}  # EDU-1's is asked again
        summary = store.comment("jira", "EDU-100", "summary")
        labels = {i.key: i.labels for i in store.items("jira")}
    assert summary is not None and summary.comment_id == "602"
    assert labels["EDU-1"] == ("needs-outcome",)
    assert labels["EDU-2"] == ()
    assert labels["EDU-3"] == ("outcome:activation",)


@responses.activate
def test_post_prints_each_failure_and_exits_1_after_writing_the_rest(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    stored(config, issue("EDU-1", "needs-outcome"), issue("EDU-2", "needs-outcome"))
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/myself", json=myself())
    for key in ("EDU-1", "EDU-2"):
        responses.get(f"{CLOUD}/rest/api/3/issue/{key}/comment", json=page())
    responses.post(
        f"{CLOUD}/rest/api/3/issue/EDU-1/comment",
        status=500,
        json={"errorMessages": ["Internal server error"], "errors": {}},
    )
    responses.post(
        f"{CLOUD}/rest/api/3/issue/EDU-2/comment",
        status=201,
        json=comment(701, adf_doc("x"), kind="explain", author=BOT),
    )
    assert post(config) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "tieback post: 1 change written"
    summary, *errors = err.splitlines()
    assert re.fullmatch(r"tieback: jira: wrote 1 of 2 changes \(\d+(?:\.\d)? s\)", summary), summary
    assert errors == [
        "tieback: error: jira: EDU-1: comment failed: Jira answered HTTP 500 Internal server "
        "error to POST /rest/api/3/issue/EDU-1/comment",
        "tieback: error: post: 1 change failed (each named above); the rest were written",
    ]


@responses.activate
def test_rejected_credentials_stop_the_run_and_what_was_written_is_kept(config: Config) -> None:
    # A 401 would answer every later write the same way: the run stops there.
    stored(config, issue("EDU-1"), issue("EDU-2"), issue("EDU-3"))
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.put(f"{CLOUD}/rest/api/2/issue/EDU-1", status=204)
    responses.put(
        f"{CLOUD}/rest/api/2/issue/EDU-2",
        status=401,
        body="Client must be authenticated to access this resource.",
        content_type="text/plain",
    )
    jira = sink(config)
    labels = [a for a in jira.plan(report_of(config)) if a.kind is ActionKind.ADD_LABEL]
    with pytest.raises(SinkError, match=r"^Jira rejected the credentials \(HTTP 401\) on PUT "):
        jira.apply(labels)
    assert [urlsplit(c.request.url).path for c in responses.calls][1:] == [
        "/rest/api/2/issue/EDU-1",
        "/rest/api/2/issue/EDU-2",
    ]
    with Store.open(config.store_location) as store:
        assert {i.key: i.labels for i in store.items("jira")}["EDU-1"] == ("needs-outcome",)


# --- only tieback's own comments are tieback's -----------------------------------------------


@responses.activate
def test_another_authors_marked_summary_is_never_edited(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SUMMARY_CONFIG)
    stored(config, issue("EDU-100", "outcome:activation"))
    api = f"{CLOUD}/rest/api/3/issue/EDU-100/comment"
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/myself", json=myself())
    # Someone pasted tieback's summary, property and marker included.
    theirs = comment(55, adf_doc("coverage 80% tieback:summary"), kind="summary", author=PERSON)
    responses.get(api, json=page(theirs))
    responses.post(api, status=201, json=comment(56, adf_doc("x"), kind="summary", author=BOT))
    jira = sink(config)
    [action] = jira.plan(report_of(config))
    assert jira.apply([action]) == [action]
    assert writes() == [("POST", "/rest/api/3/issue/EDU-100/comment")]  # 55 left alone
    with Store.open(config.store_location) as store:
        kept = store.comment("jira", "EDU-100", "summary")
    assert kept is not None and kept.comment_id == "56"


@responses.activate
def test_a_planned_comment_id_of_another_author_is_not_edited(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SERVER_CONFIG)
    stored(config, issue("GRD-100", "outcome:activation", site=SERVER))
    # The store names comment 42 (another configuration's account wrote it, say).
    with Store.open(config.store_location) as store:
        store.set_comment(PostedComment("jira", "GRD-100", "summary", "42", "0:0", "2026-11-01"))
    api = f"{SERVER}/rest/api/2/issue/GRD-100/comment"
    theirs = comment(42, "{color:#97a0af}tieback:summary{color}", kind="summary", site=SERVER)
    theirs = {**theirs, "author": user(PERSON, SERVER, "2")}
    responses.get(f"{SERVER}/rest/api/2/serverInfo", json=SERVER_INFO_DC)
    responses.get(f"{SERVER}/rest/api/2/myself", json=myself(SERVER))
    responses.get(f"{api}/42", json=theirs)
    responses.get(api, json=page(theirs))
    responses.post(api, status=201, json=comment(43, "x", site=SERVER, version="2", author=BOT))
    jira = sink(config)
    [action] = jira.plan(report_of(config))
    assert (action.kind, action.comment_id) == (ActionKind.EDIT_COMMENT, "42")
    jira.apply([action])
    assert writes() == [("POST", "/jira/rest/api/2/issue/GRD-100/comment")]
    with Store.open(config.store_location) as store:
        kept = store.comment("jira", "GRD-100", "summary")
    assert kept is not None and kept.comment_id == "43"


@responses.activate
def test_a_persons_stray_marker_does_not_stop_the_explanation(config: Config) -> None:
    stored(config, issue("EDU-1", "needs-outcome"))
    api = f"{CLOUD}/rest/api/3/issue/EDU-1/comment"
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/myself", json=myself())
    stray = comment(5, adf_doc("Why does tieback:explain not show up here?"), author=PERSON)
    responses.get(api, json=page(stray))
    responses.post(api, status=201, json=comment(6, adf_doc("x"), kind="explain", author=BOT))
    jira = sink(config)
    [action] = jira.plan(report_of(config))
    assert jira.apply([action]) == [action]
    assert writes() == [("POST", "/rest/api/3/issue/EDU-1/comment")]
    with Store.open(config.store_location) as store:
        explained = store.comment("jira", "EDU-1", "explain")
    assert explained is not None and explained.comment_id == "6"


@responses.activate
def test_an_unknown_account_edits_nothing_doubles_nothing_and_warns_once(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SUMMARY_CONFIG)
    stored(
        config,
        issue("EDU-1", "needs-outcome"),  # a marked comment, maybe tieback's: none posted
        issue("EDU-2", "needs-outcome"),  # none at all: posted
        issue("EDU-100", "outcome:activation"),  # a marked summary, maybe not its: left
    )
    comments = f"{CLOUD}/rest/api/3/issue"
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    # A proxy in front of the site answers /myself with a page of its own.
    responses.get(
        f"{CLOUD}/rest/api/2/myself",
        status=404,
        body="<html><body>Not Found</body></html>",
        content_type="text/html",
    )
    marked = comment(5, adf_doc("tieback:explain"), kind="explain", author=BOT)
    responses.get(f"{comments}/EDU-1/comment", json=page(marked))
    responses.get(f"{comments}/EDU-2/comment", json=page())
    responses.post(
        f"{comments}/EDU-2/comment",
        status=201,
        json=comment(8, adf_doc("x"), kind="explain", author=BOT),
    )
    summary = comment(7, adf_doc("tieback:summary"), kind="summary", author=BOT)
    responses.get(f"{comments}/EDU-100/comment", json=page(summary))
    jira = sink(config)
    written = jira.apply(jira.plan(report_of(config)))

    assert [(a.key, a.kind.value) for a in written] == [("EDU-2", "comment")]
    assert writes() == [("POST", "/rest/api/3/issue/EDU-2/comment")]
    assert [c.request.url for c in responses.calls].count(f"{CLOUD}/rest/api/2/myself") == 1
    assert jira.warnings == [
        "jira: cannot tell which account the token acts as (Jira answered HTTP 404 to GET "
        f"/rest/api/2/myself: check [jira] url ({CLOUD}: the site's base URL, with its context "
        "path if any)): no comment is edited this run, and a comment marked as tieback's "
        "counts as one, whoever wrote it"
    ]
    assert jira.failures == [
        "EDU-100: summary comment failed: not edited, as the account the token acts as is "
        "unknown and the issue holds a comment marked tieback:summary that may be another's"
    ]
    with Store.open(config.store_location) as store:
        # Only what is known to be tieback's is remembered: EDU-1 is looked at again.
        assert store.commented("jira", "explain") == {"EDU-2"}
        assert store.comment("jira", "EDU-100", "summary") is None


# --- a concurrent run: looked for again just before creating --------------------------------


@responses.activate
def test_a_comment_written_since_the_plan_is_not_written_again(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    config = write_config(SUMMARY_CONFIG)
    stored(config, issue("EDU-1", "needs-outcome"), issue("EDU-100", "outcome:activation"))
    comments = f"{CLOUD}/rest/api/3/issue"
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/myself", json=myself())
    jira = sink(config)
    actions = jira.plan(report_of(config))
    assert [(a.key, a.kind) for a in actions] == [
        ("EDU-1", ActionKind.COMMENT),
        ("EDU-100", ActionKind.COMMENT),
    ]
    # Another run wrote both meanwhile.
    explained = comment(20, adf_doc("tieback:explain"), kind="explain", author=BOT)
    summary = comment(21, adf_doc("tieback:summary"), kind="summary", author=BOT)
    responses.get(f"{comments}/EDU-1/comment", json=page(comment(19, adf_doc("hi")), explained))
    responses.get(f"{comments}/EDU-100/comment", json=page(summary))
    responses.put(f"{comments}/EDU-100/comment/21", json=summary)
    written = jira.apply(actions)
    assert [a.key for a in written] == ["EDU-100"]  # the summary brought up to date
    assert writes() == [("PUT", "/rest/api/3/issue/EDU-100/comment/21")]
    with Store.open(config.store_location) as store:
        explain = store.comment("jira", "EDU-1", "explain")
        kept = store.comment("jira", "EDU-100", "summary")
    assert explain is not None and explain.comment_id == "20"
    assert kept is not None and kept.comment_id == "21"
