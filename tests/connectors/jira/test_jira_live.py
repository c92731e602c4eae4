"""The live Jira source: deployment, Cloud and Data Center paging, JQL, fields, errors."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from pydantic import SecretStr

from factories import full_sync_garbage
from tieback.config import Config
from tieback.connectors.context import Context
from tieback.connectors.jira import reader as reader_module
from tieback.connectors.jira.client import JiraApiError, JiraClient, _next_page_token
from tieback.connectors.jira.reader import ItemReader
from tieback.connectors.jira.source import (
    BASE_FIELDS,
    JiraSource,
    jql_time,
    search_jql,
    strip_order_by,
)
from tieback.errors import SourceError
from tieback.http import RetryPolicy
from tieback.store import Store
from tieback.sync import sync_source

CLOUD = "https://acme.atlassian.net"
SERVER = "https://jira.acme.example/jira"  # a Data Center site under a context path
TOKEN = "ATATT3xFfGF0liveJiraToken0123456789"
PAT = "NjQ2MzE0NTk0NjA2OlQbPATsecret0123456789"
EMAIL = "pm@acme.example"
CLOUD_CONFIG = f"""
[tagging]
jira_field = "Outcome"

[jira]
url = "{CLOUD}/"
email = "{EMAIL}"
jql = "project in (EDU, GRD) ORDER BY created DESC"
team_field = "Team"
"""
SERVER_CONFIG = f"""
[jira]
url = "{SERVER}"
jql = "project = GRD"
"""

SERVER_INFO_CLOUD = {
    "baseUrl": CLOUD,
    "displayUrl": CLOUD,
    "version": "1001.0.0-SNAPSHOT",
    "versionNumbers": [1001, 0, 0],
    "deploymentType": "Cloud",
    "buildNumber": 100285,
    "buildDate": "2026-11-18T02:04:31.000+0000",
    "serverTime": "2026-11-22T10:00:00.000+0000",
    "scmInfo": "c0a8e8f7d1b5e1f1e8b0c4e6f5a9d5f2b3c4d5e6",
    "serverTitle": "Jira",
    "defaultLocale": {"locale": "en_US"},
}
SERVER_INFO_DC = {
    "baseUrl": SERVER,
    "version": "9.12.4",
    "versionNumbers": [9, 12, 4],
    "deploymentType": "Server",
    "buildNumber": 9120004,
    "buildDate": "2026-02-20T00:00:00.000+0000",
    "databaseBuildNumber": 9120004,
    "serverTime": "2026-11-22T11:00:00.000+0100",
    "scmInfo": "8b3a1c2d",
    "serverTitle": "Acme Jira",
}
MYSELF_CLOUD = {
    "self": f"{CLOUD}/rest/api/2/user?accountId=712020:aa11",
    "accountId": "712020:aa11",
    "accountType": "atlassian",
    "emailAddress": EMAIL,
    "displayName": "Pat Manager",
    "active": True,
    "timeZone": "Europe/Berlin",
    "locale": "en_US",
}
MYSELF_DC = {
    "self": f"{SERVER}/rest/api/2/user?username=pmanager",
    "key": "JIRAUSER10100",
    "name": "pmanager",
    "emailAddress": EMAIL,
    "displayName": "Pat Manager",
    "active": True,
    "timeZone": "America/New_York",
    "locale": "en_US",
}


def field(field_id: str, name: str, kind: str, custom: str = "", items: str = "") -> dict[str, Any]:
    """One entry of GET /rest/api/2/field, as Jira sends it."""
    schema: dict[str, Any] = {"type": kind}
    if items:
        schema["items"] = items
    if custom:
        schema["custom"] = f"com.atlassian.jira.plugin.system.customfieldtypes:{custom}"
        if custom == "gh-epic-link":
            schema["custom"] = "com.pyxis.greenhopper.jira:gh-epic-link"
        schema["customId"] = int(field_id.rpartition("_")[2])
    else:
        schema["system"] = field_id
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": bool(custom),
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [field_id, name.lower()],
        "schema": schema,
    }


CLOUD_FIELDS = [
    field("summary", "Summary", "string"),
    field("labels", "Labels", "array", items="string"),
    field("description", "Description", "string"),
    field("customfield_10016", "Story point estimate", "number", "jsw-story-points"),
    field("customfield_10026", "Story Points", "number", "float"),
    # Hand-made and app copies of "Story Points" beside Jira Software's own.
    field("customfield_10028", "Story Points", "string", "textfield"),
    field("customfield_10031", "Story points", "string", "textfield"),
    field("customfield_10001", "Team", "team", "atlassian-team"),
    field("customfield_10050", "Outcome", "string", "textfield"),
    field("customfield_10014", "Epic Link", "any", "gh-epic-link"),
    field("customfield_10020", "Sprint", "array", "gh-sprint", items="json"),
]
SERVER_FIELDS = [
    field("summary", "Summary", "string"),
    field("customfield_10106", "Story Points", "number", "float"),
    field("customfield_10100", "Epic Link", "any", "gh-epic-link"),
    field("customfield_10101", "Epic Name", "string", "gh-epic-label"),
]


def adf(*lines: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in lines
        ],
    }


def cloud_issue(number: int, key: str = "", **fields: Any) -> dict[str, Any]:
    key = key or f"EDU-{number}"
    values: dict[str, Any] = {
        "summary": f"Story {key}",
        "status": {
            "self": f"{CLOUD}/rest/api/3/status/10001",
            "name": "In Progress",
            "id": "3",
            "statusCategory": {
                "self": f"{CLOUD}/rest/api/3/statuscategory/4",
                "id": 4,
                "key": "indeterminate",
                "colorName": "yellow",
                "name": "In Progress",
            },
        },
        "issuetype": {"id": "10004", "name": "Story", "subtask": False, "hierarchyLevel": 0},
        "labels": [],
        "description": None,
        "project": {"id": "10000", "key": key.partition("-")[0], "name": "Education"},
        "creator": {"accountId": "712020:aa11", "displayName": "Priya Patel"},
        "reporter": {"accountId": "712020:aa11", "displayName": "Priya Patel"},
        "updated": "2026-11-20T10:00:00.000+0100",
        **fields,
    }
    return {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog",
        "id": str(20000 + number),
        "self": f"{CLOUD}/rest/api/3/issue/{20000 + number}",
        "key": key,
        "fields": values,
    }


def server_issue(number: int, **fields: Any) -> dict[str, Any]:
    key = f"GRD-{number}"
    values: dict[str, Any] = {
        "summary": f"Task {key}",
        "status": {
            "self": f"{SERVER}/rest/api/2/status/10001",
            "name": "Done",
            "id": "10001",
            "statusCategory": {
                "self": f"{SERVER}/rest/api/2/statuscategory/3",
                "id": 3,
                "key": "done",
                "colorName": "green",
                "name": "Done",
            },
        },
        "issuetype": {"id": "10002", "name": "Task", "subtask": False},
        "labels": ["outcome:activation"],
        "description": "Outcome: activation\r\nmore text",
        "project": {"id": "10200", "key": "GRD", "name": "Grading"},
        "creator": {"name": "asmith", "key": "JIRAUSER10000", "displayName": "Ann Smith"},
        "reporter": {"name": "asmith", "key": "JIRAUSER10000", "displayName": "Ann Smith"},
        "updated": "2026-11-02T09:15:30.000+0000",
        **fields,
    }
    return {
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": str(30000 + number),
        "self": f"{SERVER}/rest/api/2/issue/{30000 + number}",
        "key": key,
        "fields": values,
    }


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def source(
    write_config: Callable[..., Config], waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., JiraSource]:
    def make(config: str = CLOUD_CONFIG, token: str = TOKEN, attempts: int = 6) -> JiraSource:
        monkeypatch.setenv("JIRA_API_TOKEN", token)
        policy = RetryPolicy(attempts=attempts, sleep=waits.append, jitter=lambda low, high: high)
        return JiraSource(Context.of(write_config(config), "jira", policy))

    return make


@pytest.fixture(params=["here", "worker"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[ItemReader]:
    """Bulk pages read in this process, or in a worker process however few they are
    (started at once, and waited for, so that every bulk page goes to it). The readers
    that started a worker."""
    readers: list[ItemReader] = []
    if request.param == "worker":
        monkeypatch.setattr(reader_module, "WORKER_FROM", 1)
        monkeypatch.setattr(reader_module, "cores", lambda: 2)
        expect = ItemReader.expect

        def expect_and_wait(self: ItemReader, issues: int) -> None:
            expect(self, issues)
            assert self._ready is not None
            assert self._ready.result(timeout=60)
            readers.append(self)

        monkeypatch.setattr(ItemReader, "expect", expect_and_wait)
    return readers


def in_worker(readers: list[ItemReader]) -> int:
    return sum(reader.pages_in_worker for reader in readers)


def body(call: Any) -> Any:
    return json.loads(call.request.body or b"null")


def last_search() -> Any:
    """The body of the last search sent: an incremental listing asks for its count on
    another thread, so the count's request may come last."""
    searches = [c for c in responses.calls if c.request.url.endswith(("/search/jql", "/search"))]
    return body(searches[-1])


def cloud_preamble() -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/myself", json=MYSELF_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/field", json=CLOUD_FIELDS)


def server_preamble() -> None:
    responses.get(f"{SERVER}/rest/api/2/serverInfo", json=SERVER_INFO_DC)
    responses.get(f"{SERVER}/rest/api/2/myself", json=MYSELF_DC)
    responses.get(f"{SERVER}/rest/api/2/field", json=SERVER_FIELDS)


def message(source: JiraSource, since: str | None = None) -> str:
    with pytest.raises(SourceError) as caught:
        list(source.pages(since))
    return str(caught.value)


# --- Cloud --------------------------------------------------------------------------------


@responses.activate
def test_cloud_is_detected_and_pages_follow_next_page_token(
    source: Callable[..., JiraSource],
) -> None:
    cloud_preamble()
    team = {"id": "72e166fb-d26c", "name": "Onboarding", "title": "Onboarding", "isShared": True}
    # Asked for 100 a page, the server grants 2, then 1: only the token says when to stop.
    responses.post(
        f"{CLOUD}/rest/api/3/search/jql",
        json={
            "issues": [
                cloud_issue(
                    1,
                    issuetype={"id": "10000", "name": "Epic", "subtask": False},
                    customfield_10001=team,
                    customfield_10026=8,
                    customfield_10050="activation",
                ),
                cloud_issue(2, parent={"id": "20001", "key": "EDU-1"}, customfield_10026=3),
            ],
            "nextPageToken": "CAEaAggD",
            "isLast": False,
        },
    )
    responses.post(
        f"{CLOUD}/rest/api/3/search/jql",
        json={"issues": [cloud_issue(3, description=adf("Why", "Outcome: fast-results"))]},
    )
    jira = source()
    pages = list(jira.pages(None))

    assert [page.position for page in pages] == ["page 1", "page 2"]
    assert all(page.total is None for page in pages)
    items = [item for page in pages for item in page.items]
    assert [item.key for item in items] == ["EDU-1", "EDU-2", "EDU-3"]
    epic, story, other = items
    assert (epic.type, epic.points, epic.team, epic.field_refs) == (
        "Epic",
        8.0,
        "Onboarding",
        ("activation",),
    )
    assert epic.url == f"{CLOUD}/browse/EDU-1"
    assert (story.parent, story.team, story.points) == ("EDU-1", "EDU", 3.0)
    assert other.body == "Why\nOutcome: fast-results"  # the v3 ADF description, flattened

    paths = [(c.request.method, c.request.url.split("?")[0]) for c in responses.calls]
    # The three questions before the search are asked side by side, in any order.
    assert sorted(paths[:3]) == [
        ("GET", f"{CLOUD}/rest/api/2/field"),
        ("GET", f"{CLOUD}/rest/api/2/myself"),
        ("GET", f"{CLOUD}/rest/api/2/serverInfo"),
    ]
    assert paths[3:] == [
        ("POST", f"{CLOUD}/rest/api/3/search/jql"),
        ("POST", f"{CLOUD}/rest/api/3/search/jql"),
    ]
    first, second = body(responses.calls[3]), body(responses.calls[4])
    # The project is the key's prefix: its object is not asked for.
    assert "project" not in first["fields"]
    # Jira returns only the fields asked for: the done dates must be named.
    assert {"resolutiondate", "statuscategorychangedate"} <= set(first["fields"])
    assert first == {
        "jql": "(project in (EDU, GRD)) ORDER BY key ASC",
        "fields": [
            *BASE_FIELDS,
            "customfield_10026",
            "customfield_10001",
            "customfield_10050",
            "customfield_10014",
        ],
        "maxResults": 100,
    }
    assert second == {**first, "nextPageToken": "CAEaAggD"}
    basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert all(c.request.headers["Authorization"] == f"Basic {basic}" for c in responses.calls)
    assert jira.client.requests == 5


@responses.activate
def test_a_repeated_page_token_stops_instead_of_looping(
    source: Callable[..., JiraSource],
) -> None:
    cloud_preamble()
    page = {"issues": [cloud_issue(1)], "nextPageToken": "same", "isLast": False}
    responses.post(f"{CLOUD}/rest/api/3/search/jql", json=page)
    assert "same nextPageToken twice" in message(source())
    assert len(responses.calls) == 3 + 2


def cloud_pages(
    pages: dict[str | None, dict[str, Any]],
    arrived: Callable[[str | None], None] = lambda token: None,
) -> None:
    """Cloud's search/jql answering each ``nextPageToken`` (None: the first page) with
    its page; a token it does not know is a 400, as Cloud answers a bad token."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        token = json.loads(request.body).get("nextPageToken")
        arrived(token)
        if token not in pages:
            return 400, {}, json.dumps({"errorMessages": ["Invalid nextPageToken"]})
        return 200, {}, json.dumps(pages[token])

    responses.add_callback(responses.POST, f"{CLOUD}/rest/api/3/search/jql", callback=answer)


def cloud_listing(numbers: list[int], page: int) -> None:
    """Cloud's search/jql over the issues ``numbers``: ``page`` issues a page with
    fields, 5,000 when only keys are asked for; the token is the offset."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        asked = json.loads(request.body)
        start = int(asked.get("nextPageToken") or 0)
        size = 5000 if asked.get("fields") == ["key"] else page
        chunk = numbers[start : start + size]
        issues = [
            {"id": str(20000 + n), "key": f"EDU-{n}"} if size == 5000 else cloud_issue(n)
            for n in chunk
        ]
        found: dict[str, Any] = {"issues": issues, "isLast": start + size >= len(numbers)}
        if not found["isLast"]:
            found["nextPageToken"] = str(start + size)
        return 200, {}, json.dumps(found)

    responses.add_callback(responses.POST, f"{CLOUD}/rest/api/3/search/jql", callback=answer)


# How a site without issue/bulkfetch (or behind a proxy that blocks it) answers.
BULK_REFUSALS = {
    404: {"message": f"null for uri: {CLOUD}/rest/api/3/issue/bulkfetch", "status-code": 404},
    405: {"errorMessages": ["Method Not Allowed"], "errors": {}},
    501: {"errorMessages": ["Not Implemented"], "errors": {}},
}


def cloud_bulk(
    gone: frozenset[int] = frozenset(),
    failing: dict[int, int] | None = None,
    cap: int = 1000,
    refused: int = 0,
    after: int = 0,
) -> None:
    """Cloud's issue/bulkfetch: the issues asked for by id, in ascending id order,
    leaving out those ``gone``; an issue in ``failing`` is answered in ``issueErrors``
    that many times first; more than ``cap`` ids is a 400, as Jira answers it. With
    ``refused``, every request past the first ``after`` is answered that status."""
    failing = dict(failing or {})
    served = [0]

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        served[0] += 1
        if refused and served[0] > after:
            return refused, {}, json.dumps(BULK_REFUSALS[refused])
        ids = json.loads(request.body)["issueIdsOrKeys"]
        if len(ids) > cap:
            return 400, {}, json.dumps({"errorMessages": [f"At most {cap} issues."]})
        issues, errors = [], []
        for number in sorted(int(i) - 20000 for i in ids):
            if failing.get(number):
                failing[number] -= 1
                errors.append({"id": str(20000 + number), "errorMessage": "Try again\nlater."})
            elif number not in gone:
                issues.append(cloud_issue(number))
        return 200, {}, json.dumps({"issues": issues, "issueErrors": errors})

    responses.add_callback(responses.POST, f"{CLOUD}/rest/api/3/issue/bulkfetch", callback=answer)


def long_cloud_listing(count: int = 25, **bulk: Any) -> list[int]:
    """Cloud with ``count`` issues, two a search page, so that the listing changes
    course after ten pages; ``bulk`` goes to ``cloud_bulk``. The issues' numbers."""
    cloud_preamble()
    numbers = list(range(1, count + 1))
    cloud_listing(numbers, page=2)
    cloud_bulk(**bulk)
    return numbers


def bulk_bodies() -> list[dict[str, Any]]:
    """The bodies of the bulkfetch requests, in order."""
    return [body(c) for c in responses.calls if c.request.url.endswith("/issue/bulkfetch")]


def bulk_asks() -> list[list[int]]:
    """The issue numbers each bulkfetch asked for, in order."""
    return [[int(i) - 20000 for i in asked["issueIdsOrKeys"]] for asked in bulk_bodies()]


def tokens_sent() -> list[str | None]:
    return [body(c).get("nextPageToken") for c in responses.calls if "/search/jql" in c.request.url]


@responses.activate
def test_cloud_asks_for_the_next_page_while_this_one_is_decoded(
    source: Callable[..., JiraSource],
) -> None:
    cloud_preamble()
    third = threading.Event()
    cloud_pages(
        {
            None: {"issues": [cloud_issue(1)], "nextPageToken": "t2", "isLast": False},
            "t2": {"issues": [cloud_issue(2)], "nextPageToken": "t3", "isLast": False},
            "t3": {"issues": [cloud_issue(3)], "isLast": True},
        },
        arrived=lambda token: third.set() if token == "t3" else None,
    )
    jira = source()
    client = jira.client
    decode = client.decode
    overlapped: list[bool] = []

    def slow_decode(answer: Any) -> Any:
        data = decode(answer)
        if isinstance(data, dict) and data.get("nextPageToken") == "t3":
            # Decoding the second page ends only once the third is asked for: a search
            # that asked after decoding would find this still waiting.
            overlapped.append(third.wait(timeout=5))
        return data

    client.decode = slow_decode  # type: ignore[method-assign]
    pages = list(jira.pages(None))
    assert [[item.key for item in page.items] for page in pages] == [
        ["EDU-1"],
        ["EDU-2"],
        ["EDU-3"],
    ]
    assert overlapped == [True]
    assert tokens_sent() == [None, "t2", "t3"]  # one request a page, none past the last


@responses.activate
def test_a_long_cloud_listing_fetches_the_rest_in_bulk(
    source: Callable[..., JiraSource], reading: list[ItemReader]
) -> None:
    numbers = long_cloud_listing()
    pages = list(source().pages(None))
    assert in_worker(reading) == (1 if reading else 0)

    assert [item.key for page in pages for item in page.items] == [f"EDU-{n}" for n in numbers]
    # Ten pages of search/jql (20 issues), the ids listed once, the other 5 in one bulkfetch.
    searches = [body(c) for c in responses.calls if c.request.url.endswith("/search/jql")]
    assert [s.get("nextPageToken") for s in searches] == [None, *map(str, range(2, 20, 2)), None]
    assert searches[-1]["fields"] == ["key"] and searches[-1]["maxResults"] == 5000
    assert bulk_asks() == [[21, 22, 23, 24, 25]]
    [bulk] = bulk_bodies()
    assert bulk["fields"] == searches[0]["fields"]  # the same fields as the search
    assert [page.total for page in pages] == [None] * 10 + [25]
    assert pages[-1].position == "page 11"


@responses.activate
def test_a_cloud_listing_that_ends_at_the_tenth_page_stays_a_search(
    source: Callable[..., JiraSource],
) -> None:
    cloud_preamble()
    cloud_listing(list(range(1, 21)), page=2)
    pages = list(source().pages(None))
    assert len(pages) == 10 and sum(len(page.items) for page in pages) == 20
    assert len(responses.calls) == 3 + 10  # the preamble, then one request a page


@responses.activate
def test_bulkfetch_asks_for_100_when_the_site_refuses_1000(
    source: Callable[..., JiraSource], reading: list[ItemReader]
) -> None:
    numbers = long_cloud_listing(270, cap=100)
    pages = list(source().pages(None))
    assert [item.key for page in pages for item in page.items] == [f"EDU-{n}" for n in numbers]
    assert in_worker(reading) == (3 if reading else 0)
    assert [len(asked) for asked in bulk_asks()] == [250, 100, 100, 50]  # refused, then 100s
    assert bulk_asks()[1:] == [numbers[20:120], numbers[120:220], numbers[220:]]


@responses.activate
def test_bulkfetch_asks_again_for_the_issues_jira_could_not_return(
    source: Callable[..., JiraSource], reading: list[ItemReader]
) -> None:
    numbers = long_cloud_listing(failing={23: 1, 25: 2})
    pages = list(source().pages(None))
    assert in_worker(reading) == (3 if reading else 0)
    assert sorted(item.key for page in pages for item in page.items) == sorted(
        f"EDU-{n}" for n in numbers
    )
    assert bulk_asks() == [[21, 22, 23, 24, 25], [23, 25], [25]]


@responses.activate
def test_a_sync_stops_before_removing_anything_when_bulkfetch_keeps_failing(
    source: Callable[..., JiraSource], tmp_path: Path, reading: list[ItemReader]
) -> None:
    long_cloud_listing()
    with Store.open(tmp_path / "store.db") as store:
        first = sync_source(source(), store, now=lambda: datetime(2026, 11, 20, tzinfo=UTC))
        assert first.fetched == 25
        cursor = store.cursor("jira", source().query)

        responses.reset()
        long_cloud_listing(failing={24: 99}, gone=frozenset({21}))
        with pytest.raises(SourceError) as caught:
            sync_source(source(), store, full=True)
        assert str(caught.value) == (
            "Jira could not return 1 of the query's issues (id 20024: Try again later.); "
            "nothing was removed from the store: run the sync again"
        )
        assert bulk_asks() == [[21, 22, 23, 24, 25], [24], [24]]
        assert store.count("jira") == 25  # EDU-21 left the query, but nothing was removed
        assert store.cursor("jira", source().query) == cursor


@responses.activate
@pytest.mark.parametrize("status", sorted(BULK_REFUSALS))
def test_a_site_that_refuses_bulkfetch_is_read_on_through_search_pages(
    source: Callable[..., JiraSource], status: int
) -> None:
    numbers = long_cloud_listing(refused=status)
    jira = source()
    pages = list(jira.pages(None))

    assert [item.key for page in pages for item in page.items] == [f"EDU-{n}" for n in numbers]
    assert bulk_asks() == [[21, 22, 23, 24, 25]]  # asked once, refused
    # Ten pages, the ids listed, then on from the tenth page's token, two a page.
    assert tokens_sent() == [None, *map(str, range(2, 20, 2)), None, "20", "22", "24"]
    assert [page.position for page in pages] == [f"page {n}" for n in range(1, 14)]

    # The refusal holds for the rest of the run: no bulkfetch, no listing of ids.
    responses.calls.reset()
    listing = jira.client.search("cloud", "project = EDU", ["summary"], 2, bulk_after=10)
    assert sum(len(issues) for issues, _, _ in listing) == 25
    assert bulk_asks() == []
    assert len(responses.calls) == 13 and tokens_sent()[-1] == "24"


@responses.activate
def test_bulkfetch_refused_after_some_pages_reads_the_rest_once(
    source: Callable[..., JiraSource], reading: list[ItemReader]
) -> None:
    numbers = long_cloud_listing(1170, refused=501, after=1)
    pages = list(source().pages(None))
    assert in_worker(reading) == (1 if reading else 0)
    keys = [item.key for page in pages for item in page.items]
    # 20 issues from the search, 1,000 through bulkfetch, the other 150 by search pages
    # from the tenth page's token, skipping what bulkfetch gave.
    assert sorted(keys) == sorted(f"EDU-{n}" for n in numbers) and len(keys) == 1170
    assert [len(asked) for asked in bulk_asks()] == [1000, 150]


@responses.activate
def test_an_issue_deleted_between_the_listing_and_bulkfetch_leaves_the_store(
    source: Callable[..., JiraSource], tmp_path: Path
) -> None:
    long_cloud_listing()
    with Store.open(tmp_path / "store.db") as store:
        sync_source(source(), store)
        responses.reset()
        long_cloud_listing(gone=frozenset({22}))
        again = sync_source(source(), store, full=True)
        assert (again.fetched, again.removed) == (24, 1)
        assert "EDU-22" not in store.keys("jira")


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        (b'{"issues": [], "nextPageToken": "CAEaAggD", "isLast": false}', "CAEaAggD"),
        (b'{"nextPageToken" :\n "a\\/b\\u0041", "issues": []}', "a/bA"),
        (b'{"issues": [{"d": "\\"nextPageToken\\": \\"x\\""}], "isLast": true}', None),
        (b'{"issues": [{"f": "nextPageToken"}], "isLast": true}', None),
        (b'{"issues": [], "nextPageToken": ""}', None),
        (b'{"issues": [], "nextPageToken": 12}', None),
        (b'{"issues": [], "nextPageToken": "cut', None),
    ],
)
def test_the_next_page_token_is_read_from_the_bytes(raw: bytes, found: str | None) -> None:
    assert _next_page_token(raw) == found


@responses.activate
def test_cloud_asks_again_when_the_token_read_from_the_bytes_was_not_the_answers(
    source: Callable[..., JiraSource],
) -> None:
    cloud_preamble()
    # The real token comes first; a field's own object holding the same key comes later,
    # where the look at the bytes finds it. The decoded answer corrects the guess.
    decoy = cloud_issue(1, customfield_10099={"nextPageToken": "decoy"})
    cloud_pages(
        {
            None: {"nextPageToken": "t2", "isLast": False, "issues": [decoy]},
            "t2": {"issues": [cloud_issue(2)], "isLast": True},
        }
    )
    pages = list(source().pages(None))
    assert [[item.key for item in page.items] for page in pages] == [["EDU-1"], ["EDU-2"]]
    assert tokens_sent() == [None, "decoy", "t2"]  # the guess, waited for and dropped


@responses.activate
def test_incremental_search_reads_the_cursor_in_the_users_zone(
    source: Callable[..., JiraSource],
) -> None:
    cloud_preamble()
    responses.post(f"{CLOUD}/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    config = CLOUD_CONFIG.replace(
        'jql = "project in (EDU, GRD) ORDER BY created DESC"',
        """jql = 'project = EDU AND summary ~ "order by" order   by Rank'""",
    )
    [page] = source(config).pages("2026-11-20T09:55:00+00:00")
    assert page.items == []
    sent = last_search()
    # 09:55 UTC is 10:55 in Berlin; the user's ORDER BY gives way to key order.
    assert sent["jql"] == (
        '(project = EDU AND summary ~ "order by") AND updated >= "2026/11/20 10:55" '
        "ORDER BY key ASC"
    )


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = EDU", "project = EDU"),
        ("project = EDU ORDER BY created DESC", "project = EDU"),
        ("project = EDU order\n by Rank ASC, key", "project = EDU"),
        ('summary ~ "order by x" ORDER BY key', 'summary ~ "order by x"'),
        ("summary ~ 'say \\' order by' order by key", "summary ~ 'say \\' order by'"),
        ("reorder_by = 1", "reorder_by = 1"),
        ("ORDER BY created", ""),
        ("", ""),
    ],
)
def test_strip_order_by(jql: str, expected: str) -> None:
    assert strip_order_by(jql) == expected


def test_search_jql_without_a_query_of_its_own() -> None:
    assert search_jql("ORDER BY created") == "ORDER BY key ASC"
    assert search_jql("", "2026/11/20 10:55") == 'updated >= "2026/11/20 10:55" ORDER BY key ASC'


def test_jql_time_in_zones_across_daylight_saving() -> None:
    assert jql_time("2026-07-01T12:00:00+00:00", "America/New_York") == ("2026/07/01 08:00", True)
    assert jql_time("2026-12-01T12:00:00+00:00", "America/New_York") == ("2026/12/01 07:00", True)
    assert jql_time("2026-12-01T12:34:59+00:00", "UTC") == ("2026/12/01 12:34", True)
    # An unknown zone: 12 hours earlier than UTC is early enough anywhere on Earth.
    assert jql_time("2026-12-01T12:00:00+00:00", "Mars/Olympus") == ("2026/12/01 00:00", False)


@responses.activate
def test_an_unknown_time_zone_reads_from_earlier_and_warns(
    source: Callable[..., JiraSource],
) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/myself", json={**MYSELF_CLOUD, "timeZone": None})
    responses.get(f"{CLOUD}/rest/api/2/field", json=CLOUD_FIELDS)
    responses.post(f"{CLOUD}/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    jira = source()
    list(jira.pages("2026-11-20T09:55:00+00:00"))
    assert 'updated >= "2026/11/19 21:55"' in last_search()["jql"]
    assert "time zone '(none)' is unknown" in jira.warnings[0]


@responses.activate
def test_keys_pass_asks_for_keys_alone_in_big_pages(source: Callable[..., JiraSource]) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    keys_only = [{"id": "20001", "key": "EDU-1", "self": f"{CLOUD}/rest/api/3/issue/20001"}]
    responses.post(
        f"{CLOUD}/rest/api/3/search/jql",
        json={"issues": keys_only, "nextPageToken": "t2", "isLast": False},
    )
    responses.post(
        f"{CLOUD}/rest/api/3/search/jql",
        json={"issues": [{"id": "20007", "key": "GRD-7"}], "isLast": True},
    )
    assert source().keys() == {"EDU-1", "GRD-7"}
    # The searches alone: a request another test left in flight may land in between.
    sent = [body(c) for c in responses.calls if c.request.url.endswith("/search/jql")]
    assert sent[0] == {
        "jql": "(project in (EDU, GRD)) ORDER BY key ASC",
        "fields": ["key"],
        "maxResults": 5000,
    }
    assert sent[1]["nextPageToken"] == "t2"


# --- Data Center --------------------------------------------------------------------------


@responses.activate
def test_server_is_detected_and_pages_advance_by_what_was_returned(
    source: Callable[..., JiraSource],
) -> None:
    server_preamble()
    search = f"{SERVER}/rest/api/2/search"
    # 5 match; the server grants 2 of the 100 asked, then the other 3.
    responses.post(
        search,
        json={
            "expand": "schema,names",
            "startAt": 0,
            "maxResults": 2,
            "total": 5,
            "issues": [
                server_issue(1, resolutiondate="2026-11-02T14:03:11.000+0000"),
                server_issue(2, customfield_10100="GRD-1"),
            ],
        },
    )
    responses.post(
        search,
        json={
            "startAt": 2,
            "maxResults": 100,
            "total": 5,
            "issues": [server_issue(n, customfield_10106="2") for n in (3, 4, 5)],
        },
    )
    pages = list(source(SERVER_CONFIG).pages(None))
    assert [(page.position, page.total, len(page.items)) for page in pages] == [
        ("startAt 0", 5, 2),
        ("startAt 2", 5, 3),
    ]
    first, story = pages[0].items
    assert first.url == f"{SERVER}/browse/GRD-1"  # the context path is kept
    assert (first.done, first.author, first.team) == (True, "asmith", "GRD")
    assert first.done_at == "2026-11-02T14:03:11.000+0000"
    assert story.parent == "GRD-1"  # the Epic Link, on Data Center
    assert pages[1].items[0].points == 2.0
    searches = [body(call) for call in responses.calls if call.request.url == search]
    # The third was asked while the second page was decoded, where it would start had
    # that page been as long as the first; it was longer, so the answer goes unused.
    starts = [(b["startAt"], b["maxResults"]) for b in searches]
    assert starts == [(0, 1000), (2, 1000), (4, 1000)]
    assert searches[0]["jql"] == "(project = GRD) ORDER BY key ASC"
    assert searches[0]["fields"] == [*BASE_FIELDS, "customfield_10106", "customfield_10100"]
    assert {"resolutiondate", "statuscategorychangedate"} <= set(searches[0]["fields"])
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in responses.calls)


@responses.activate
def test_server_paging_stops_at_an_empty_page_even_when_the_total_says_more(
    source: Callable[..., JiraSource],
) -> None:
    server_preamble()
    search = f"{SERVER}/rest/api/2/search"
    responses.post(
        search, json={"startAt": 0, "maxResults": 100, "total": 4, "issues": [server_issue(1)]}
    )
    responses.post(search, json={"startAt": 1, "maxResults": 100, "total": 4, "issues": []})
    pages = list(source(SERVER_CONFIG).pages(None))
    assert [len(page.items) for page in pages] == [1, 0]
    # The third (startAt 2) was asked while the empty page was decoded; nothing follows.
    assert [body(c)["startAt"] for c in responses.calls if c.request.url == search] == [0, 1, 2]


def server_pages(
    pages: dict[int, tuple[list[int], int]], arrived: Callable[[int], None] = lambda start: None
) -> None:
    """A Data Center search answering each ``startAt`` with its issue numbers and total."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        start = json.loads(request.body)["startAt"]
        arrived(start)
        numbers, total = pages[start]
        issues = [server_issue(n) for n in numbers]
        page = {"startAt": start, "maxResults": 1000, "total": total, "issues": issues}
        return 200, {}, json.dumps(page)

    responses.add_callback(responses.POST, f"{SERVER}/rest/api/2/search", callback=answer)


@responses.activate
def test_server_asks_for_the_next_page_while_this_one_is_decoded(
    source: Callable[..., JiraSource],
) -> None:
    server_preamble()
    third = threading.Event()
    server_pages(
        {0: ([1, 2], 6), 2: ([3, 4], 6), 4: ([5, 6], 6)},
        arrived=lambda start: third.set() if start == 4 else None,
    )
    jira = source(SERVER_CONFIG)
    client = jira.client
    decode = client.decode
    overlapped: list[bool] = []

    def slow_decode(answer: Any) -> Any:
        data = decode(answer)
        if isinstance(data, dict) and data.get("startAt") == 2:
            # Decoding the second page ends only once the third is asked for: a search
            # that asked after decoding would find this still waiting.
            overlapped.append(third.wait(timeout=5))
        return data

    client.decode = slow_decode  # type: ignore[method-assign]
    pages = list(jira.pages(None))
    assert [len(page.items) for page in pages] == [2, 2, 2]
    assert overlapped == [True]
    starts = [body(c)["startAt"] for c in responses.calls if "/search" in c.request.url]
    assert starts == [0, 2, 4]  # one request a page, none for past the end


@responses.activate
def test_server_asks_again_when_a_page_comes_back_short(
    source: Callable[..., JiraSource],
) -> None:
    server_preamble()
    # Page 2 holds one issue: one left the query after page 1 was read (total 6 -> 5).
    server_pages({0: ([1, 2], 6), 2: ([3], 5), 3: ([4, 5], 5), 4: ([5], 5)})
    pages = list(source(SERVER_CONFIG).pages(None))
    assert [[item.key for item in page.items] for page in pages] == [
        ["GRD-1", "GRD-2"],
        ["GRD-3"],
        ["GRD-4", "GRD-5"],
    ]
    starts = [body(c)["startAt"] for c in responses.calls if "/search" in c.request.url]
    assert starts == [0, 2, 4, 3]  # 4 was the guess while page 2 was decoded


@responses.activate
def test_server_incremental_and_keys(source: Callable[..., JiraSource]) -> None:
    server_preamble()
    search = f"{SERVER}/rest/api/2/search"
    server_searches(
        listing={"startAt": 0, "maxResults": 100, "total": 0, "issues": []},
        count={"startAt": 0, "maxResults": 0, "total": 1, "issues": []},
        keys={"startAt": 0, "maxResults": 1000, "total": 1, "issues": [{"key": "GRD-4"}]},
    )
    jira = source(SERVER_CONFIG)
    [page] = jira.pages("2026-11-20T09:55:00+00:00")
    assert page.items == []
    assert jira.keys() == {"GRD-4"}
    sent = [body(c) for c in responses.calls if c.request.url == search]
    [incremental] = [s for s in sent if s["fields"] != ["key"]]
    [keys] = [s for s in sent if s["fields"] == ["key"] and s["maxResults"]]
    # New York is 5 hours behind UTC in November.
    assert incremental["jql"] == (
        '(project = GRD) AND updated >= "2026/11/20 04:55" ORDER BY key ASC'
    )
    assert keys == {
        "jql": "(project = GRD) ORDER BY key ASC",
        "fields": ["key"],
        "startAt": 0,
        "maxResults": 1000,
    }
    # serverInfo, myself and the field list were asked once for both passes; the count
    # was asked beside the incremental search.
    assert len(responses.calls) == 6


def server_searches(listing: Any, count: Any, keys: Any = None) -> None:
    """Data Center's search, answering by what is asked: a count (``maxResults: 0``),
    keys alone, or a listing. Requests sent side by side arrive in any order."""

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        asked = json.loads(request.body)
        if asked.get("maxResults") == 0:
            chosen = count
        elif asked.get("fields") == ["key"]:
            chosen = keys
        else:
            chosen = listing
        return 200, {}, json.dumps(chosen)

    responses.add_callback(
        responses.POST,
        f"{SERVER}/rest/api/2/search",
        callback=answer,
        content_type="application/json",
    )


@responses.activate
def test_server_counts_in_one_request_reading_no_issue(
    source: Callable[..., JiraSource],
) -> None:
    server_preamble()
    search = f"{SERVER}/rest/api/2/search"
    responses.post(search, json={"startAt": 0, "maxResults": 0, "total": 2, "issues": []})
    assert source(SERVER_CONFIG).counts() == {"": 2}
    [count] = [body(c) for c in responses.calls if c.request.url == search]
    assert count == {"jql": "(project = GRD)", "fields": ["key"], "startAt": 0, "maxResults": 0}


@responses.activate
def test_cloud_counts_with_the_approximate_count(source: Callable[..., JiraSource]) -> None:
    cloud_preamble()
    counting = f"{CLOUD}/rest/api/3/search/approximate-count"
    responses.post(counting, json={"count": 153})
    assert source().counts() == {"": 153}
    [count] = [body(c) for c in responses.calls if c.request.url == counting]
    assert count == {"jql": "(project in (EDU, GRD))"}


@responses.activate
def test_a_count_jira_refuses_leaves_the_keys_to_be_listed(
    source: Callable[..., JiraSource],
) -> None:
    cloud_preamble()
    refusal = {
        "errorMessages": [
            "Unbounded JQL queries are not allowed here. Please add a search restriction "
            "to your query."
        ],
        "errors": {},
    }
    responses.post(f"{CLOUD}/rest/api/3/search/approximate-count", status=400, json=refusal)
    assert source().counts() == {"": None}


@responses.activate
def test_a_count_that_fails_otherwise_is_an_error(source: Callable[..., JiraSource]) -> None:
    cloud_preamble()
    responses.post(f"{CLOUD}/rest/api/3/search/approximate-count", status=403, json={})
    with pytest.raises(JiraApiError, match="HTTP 403"):
        source().counts()


@responses.activate
def test_an_incremental_listing_asks_for_the_count_beside_its_search(
    source: Callable[..., JiraSource],
) -> None:
    server_preamble()
    search = f"{SERVER}/rest/api/2/search"
    server_searches(
        listing={"startAt": 0, "maxResults": 1000, "total": 0, "issues": []},
        count={"startAt": 0, "maxResults": 0, "total": 7, "issues": []},
    )
    jira = source(SERVER_CONFIG)
    list(jira.pages("2026-11-20T09:55:00+00:00"))
    asked = len(responses.calls)
    assert jira.counts() == {"": 7}
    # The count was asked while the listing ran, and is not asked again.
    assert len(responses.calls) == asked == 5
    sizes = sorted(body(c)["maxResults"] for c in responses.calls if c.request.url == search)
    assert sizes == [0, 1000]


@responses.activate
def test_a_count_asked_beside_the_listing_raises_its_error_when_read(
    source: Callable[..., JiraSource],
) -> None:
    cloud_preamble()
    responses.post(f"{CLOUD}/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    responses.post(f"{CLOUD}/rest/api/3/search/approximate-count", status=403, json={})
    jira = source()
    list(jira.pages("2026-11-20T09:55:00+00:00"))
    with pytest.raises(JiraApiError, match="HTTP 403"):
        jira.counts()


# --- fields by name -----------------------------------------------------------------------


@responses.activate
def test_duplicate_names_settle_by_type(source: Callable[..., JiraSource]) -> None:
    cloud_preamble()
    responses.post(f"{CLOUD}/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    jira = source()
    list(jira.pages(None))
    # Three fields named "Story Points" (any case): the only number is meant.
    assert jira.fields().points == "customfield_10026"
    assert jira.fields().epic_link == "customfield_10014"


@responses.activate
def test_names_the_type_cannot_settle_are_an_error_listing_ids_and_types(
    source: Callable[..., JiraSource],
) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/myself", json=MYSELF_CLOUD)
    apps_copy = field("customfield_10031", "Story Points", "number", "float")
    fields = [f for f in CLOUD_FIELDS if f["id"] != "customfield_10031"] + [apps_copy]
    responses.get(f"{CLOUD}/rest/api/2/field", json=fields)
    text = message(source())
    assert text == (
        "Jira field name 'Story Points' matches several fields (customfield_10026 (number: "
        "float), customfield_10028 (string: textfield), customfield_10031 (number: float)) "
        "and several are of the expected type; set [jira] points_field to one of these ids"
    )
    assert all("search" not in c.request.url for c in responses.calls)


@responses.activate
def test_a_field_id_is_taken_as_is(source: Callable[..., JiraSource]) -> None:
    cloud_preamble()
    responses.post(f"{CLOUD}/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    config = CLOUD_CONFIG + 'points_field = "customfield_10016"\n'
    list(source(config).pages(None))
    assert "customfield_10016" in body(responses.calls[-1])["fields"]
    assert "customfield_10026" not in body(responses.calls[-1])["fields"]


@responses.activate
def test_a_missing_team_field_is_an_error_with_similar_names(
    source: Callable[..., JiraSource],
) -> None:
    cloud_preamble()
    text = message(source(CLOUD_CONFIG.replace('"Team"', '"Teams"')))
    assert text == (
        "Jira has no field named 'Teams' ([jira] team_field); similar: 'Team' (customfield_10001)"
    )


@responses.activate
def test_a_missing_points_field_only_matters_when_weighing_by_points(
    source: Callable[..., JiraSource],
) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/myself", json=MYSELF_CLOUD)
    # A team-managed-only site: "Story point estimate" and no "Story Points".
    responses.get(f"{CLOUD}/rest/api/2/field", json=CLOUD_FIELDS[:4] + CLOUD_FIELDS[7:])
    responses.post(f"{CLOUD}/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    assert list(source().pages(None))
    text = message(source(CLOUD_CONFIG + '[coverage]\nweight = "points"\n'))
    assert text.startswith("Jira has no field named 'Story Points' ([jira] points_field)")
    assert "'Story point estimate' (customfield_10016)" in text


# --- errors -------------------------------------------------------------------------------


@responses.activate
def test_an_empty_jql_is_refused_before_any_request(source: Callable[..., JiraSource]) -> None:
    config = CLOUD_CONFIG.replace('jql = "project in (EDU, GRD) ORDER BY created DESC"', "")
    assert message(source(config)).endswith(
        'tieback.toml: [jira] jql is empty: say which issues to read, e.g. jql = "project = EDU"'
    )
    assert len(responses.calls) == 0


@responses.activate
def test_a_jql_error_is_jiras_own_message(source: Callable[..., JiraSource]) -> None:
    cloud_preamble()
    responses.post(
        f"{CLOUD}/rest/api/3/search/jql",
        status=400,
        json={
            "errorMessages": [
                "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'EDU'. "
                "(line 1, character 13)"
            ],
            "errors": {},
        },
    )
    assert message(source()) == (
        "Jira rejected the query (HTTP 400 Error in the JQL Query: Expecting either 'OR' or "
        "'AND' but got 'EDU'. (line 1, character 13)): check [jira] jql"
    )


@responses.activate
def test_cloud_401_names_the_email_and_the_token_variables(
    source: Callable[..., JiraSource],
) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    responses.get(
        f"{CLOUD}/rest/api/2/myself",
        status=401,
        body="Client must be authenticated to access this resource.",
        content_type="text/plain",
    )
    assert message(source()) == (
        "Jira rejected the credentials (HTTP 401) on GET /rest/api/2/myself: check [jira] "
        f"email ({EMAIL}) and the API token in JIRA_API_TOKEN or TIEBACK_JIRA__TOKEN"
    )


@responses.activate
def test_server_401_names_the_personal_access_token(source: Callable[..., JiraSource]) -> None:
    responses.get(
        f"{SERVER}/rest/api/2/serverInfo",
        status=401,
        json={"errorMessages": ["You are not authenticated. Authentication required to perform "]},
    )
    text = message(source(SERVER_CONFIG, token=PAT))
    assert text.startswith("Jira rejected the credentials (HTTP 401) on GET /rest/api/2/serverInfo")
    assert "personal access token in JIRA_API_TOKEN or TIEBACK_JIRA__TOKEN" in text


@responses.activate
def test_403_says_which_permission(source: Callable[..., JiraSource]) -> None:
    cloud_preamble()
    responses.post(
        f"{CLOUD}/rest/api/3/search/jql",
        status=403,
        json={"errorMessages": ["You do not have permission to browse issues."], "errors": {}},
    )
    text = message(source())
    assert "HTTP 403 You do not have permission to browse issues." in text
    assert "Browse projects" in text


@responses.activate
def test_a_login_captcha_is_named(source: Callable[..., JiraSource]) -> None:
    responses.get(
        f"{CLOUD}/rest/api/2/serverInfo",
        status=403,
        headers={"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE; login-url=" + CLOUD},
        body="",
    )
    text = message(source())
    assert text.startswith("Jira refused the login (HTTP 403, CAPTCHA_CHALLENGE;")
    assert f"sign in to {CLOUD} in a browser once" in text


def test_a_url_without_a_scheme(write_config: Callable[..., Config]) -> None:
    # The configuration refuses such a URL (tests/test_bad_input.py); a client given one
    # still fails in one line.
    config = write_config(CLOUD_CONFIG)
    client = JiraClient("acme.atlassian.net", EMAIL, SecretStr(TOKEN))
    with pytest.raises(JiraApiError) as caught:
        list(JiraSource(Context.of(config, "jira"), client=client).pages(None))
    assert str(caught.value) == (
        "cannot send GET /rest/api/2/serverInfo to 'acme.atlassian.net': MissingSchema: "
        "check [jira] url (e.g. https://acme.atlassian.net)"
    )


@responses.activate
def test_a_404_names_a_missing_issue_only_on_an_issue_path(waits: list[float]) -> None:
    client = JiraClient(CLOUD, EMAIL, SecretStr(TOKEN), RetryPolicy(sleep=waits.append))
    responses.post(f"{CLOUD}/rest/api/3/issue/bulkfetch", status=404, json=BULK_REFUSALS[404])
    with pytest.raises(JiraApiError) as caught:
        client.request("POST", "/rest/api/3/issue/bulkfetch", body={"issueIdsOrKeys": ["1"]})
    assert str(caught.value) == (
        f"Jira answered HTTP 404 null for uri: {CLOUD}/rest/api/3/issue/bulkfetch to POST "
        f"/rest/api/3/issue/bulkfetch: check [jira] url ({CLOUD}: the site's base URL, with "
        "its context path if any)"
    )
    gone = {"errorMessages": ["Issue does not exist or you do not have permission to see it."]}
    responses.get(f"{CLOUD}/rest/api/3/issue/EDU-7/comment", status=404, json=gone)
    with pytest.raises(JiraApiError) as caught:
        client.request("GET", "/rest/api/3/issue/EDU-7/comment")
    assert str(caught.value).startswith("Jira has no issue EDU-7 or the account cannot see it")


@responses.activate
def test_404_points_at_the_url(source: Callable[..., JiraSource]) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", status=404, body="")
    assert message(source()) == (
        "Jira answered HTTP 404 to GET /rest/api/2/serverInfo: check [jira] url "
        f"({CLOUD}: the site's base URL, with its context path if any)"
    )


@responses.activate
def test_410_from_the_old_search_says_to_use_cloud(source: Callable[..., JiraSource]) -> None:
    responses.get(f"{CLOUD}/rest/api/2/myself", json=MYSELF_CLOUD)
    responses.get(f"{CLOUD}/rest/api/2/field", json=CLOUD_FIELDS)
    responses.post(
        f"{CLOUD}/rest/api/2/search",
        status=410,
        json={
            "errorMessages": [
                "The requested API has been removed. Please migrate to the "
                "/rest/api/3/search/jql API."
            ],
            "errors": {},
        },
    )
    text = message(source(CLOUD_CONFIG + 'deployment = "server"\n'))
    assert text.startswith("Jira answered HTTP 410 Gone to POST /rest/api/2/search")
    assert '[jira] deployment = "cloud"' in text


@responses.activate
def test_an_html_answer_is_not_jira(source: Callable[..., JiraSource]) -> None:
    responses.get(
        f"{CLOUD}/rest/api/2/serverInfo",
        body="<!DOCTYPE html><html><body>Welcome to nginx!</body></html>",
        content_type="text/html",
    )
    assert message(source()) == (
        f"{CLOUD} did not answer GET /rest/api/2/serverInfo like Jira (text/html, not JSON): "
        "check [jira] url (the site's base URL, with its context path if any)"
    )


@responses.activate
def test_an_unreachable_site(source: Callable[..., JiraSource], waits: list[float]) -> None:
    responses.get(
        f"{CLOUD}/rest/api/2/serverInfo", body=requests.ConnectionError("Name or service unknown")
    )
    text = message(source(attempts=2))
    # serverInfo, myself and field are asked side by side; each is tried twice, and the
    # message is serverInfo's, the first asked.
    assert text == (
        f"cannot reach Jira at {CLOUD} (GET /rest/api/2/serverInfo): Name or service unknown"
    )
    assert len([c for c in responses.calls if "serverInfo" in c.request.url]) == 2
    assert len(responses.calls) == 6 and len(waits) == 3


def test_a_missing_token_names_both_variables(
    write_config: Callable[..., Config],
) -> None:
    with pytest.raises(SourceError) as caught:
        list(JiraSource(Context.of(write_config(CLOUD_CONFIG), "jira")).pages(None))
    assert "no Jira token: set JIRA_API_TOKEN or TIEBACK_JIRA__TOKEN" in str(caught.value)


# --- retries ------------------------------------------------------------------------------


@responses.activate
def test_429_waits_as_long_as_retry_after_asks(
    source: Callable[..., JiraSource], waits: list[float]
) -> None:
    responses.get(
        f"{CLOUD}/rest/api/2/serverInfo",
        status=429,
        headers={"Retry-After": "7"},
        body="Rate limit exceeded.",
    )
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    assert source().deployment == "cloud"
    assert waits == [7.0]
    assert len(responses.calls) == 2  # the library itself retried nothing


@responses.activate
def test_retry_after_as_an_http_date(
    source: Callable[..., JiraSource], waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tieback.http

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:
            return cls(2026, 11, 22, 10, 0, 0, tzinfo=UTC)

    monkeypatch.setattr(tieback.http, "datetime", Frozen)
    responses.get(
        f"{CLOUD}/rest/api/2/serverInfo",
        status=503,
        headers={"Retry-After": "Sun, 22 Nov 2026 10:00:30 GMT"},
    )
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=SERVER_INFO_CLOUD)
    assert source().deployment == "cloud"
    assert waits == [30.0]


@responses.activate
def test_503_is_retried_with_backoff(source: Callable[..., JiraSource], waits: list[float]) -> None:
    cloud_preamble()
    search = f"{CLOUD}/rest/api/3/search/jql"
    responses.post(search, status=503, body="<html>Service Unavailable</html>")
    responses.post(search, status=502, body="")
    responses.post(search, json={"issues": [cloud_issue(1)], "isLast": True})
    [page] = source().pages(None)
    assert [item.key for item in page.items] == ["EDU-1"]
    assert waits == [1.0, 2.0]  # exponential, jitter pinned to its top


@responses.activate
def test_retries_are_bounded(source: Callable[..., JiraSource], waits: list[float]) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", status=504, body="Gateway Timeout")
    assert message(source(attempts=3)) == (
        "Jira kept answering HTTP 504 to GET /rest/api/2/serverInfo after 3 attempts: "
        "the site is overloaded or down; try again later"
    )
    assert len([c for c in responses.calls if "serverInfo" in c.request.url]) == 3
    # myself and field, asked beside it, reach nothing and are tried as often.
    assert len(responses.calls) == 9
    assert len(waits) == 6


@responses.activate
def test_a_post_is_sent_once_even_on_503(waits: list[float]) -> None:
    client = JiraClient(CLOUD, EMAIL, SecretStr(TOKEN), RetryPolicy(sleep=waits.append))
    url = f"{CLOUD}/rest/api/3/issue/EDU-1/comment"
    responses.post(url, status=503, body="")
    with pytest.raises(JiraApiError) as caught:
        client.request("POST", "/rest/api/3/issue/EDU-1/comment", body={}, idempotent=False)
    assert caught.value.status == 503
    assert "not retried" in str(caught.value)
    assert len(responses.calls) == 1 and waits == []


# --- secrets ------------------------------------------------------------------------------


ECHO = f"Bad header: Authorization: Basic {base64.b64encode(f'{EMAIL}:{TOKEN}'.encode()).decode()}"


@pytest.mark.parametrize(
    ("status", "payload"),
    [
        (400, {"errorMessages": [f"Error in the JQL Query: token {TOKEN} is not a field"]}),
        (401, {"errorMessages": [ECHO]}),
        (403, {"errorMessages": [f"Denied for {TOKEN}"]}),
        (404, {"errorMessages": [f"{TOKEN}"], "errors": {"token": TOKEN}}),
        (410, {"errorMessages": [ECHO]}),
        (500, {"message": f"NullPointerException near {TOKEN}"}),
        (503, {"errorMessages": [ECHO]}),
    ],
)
@responses.activate
def test_the_token_is_never_in_a_message(
    source: Callable[..., JiraSource], status: int, payload: dict[str, Any]
) -> None:
    cloud_preamble()
    responses.post(f"{CLOUD}/rest/api/3/search/jql", status=status, json=payload)
    text = message(source(attempts=1))
    assert TOKEN not in text
    assert base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode() not in text


# --- the whole sync -----------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize("deployment", ["cloud", "server"])
def test_a_sync_makes_no_cyclic_garbage_however_many_pages(
    source: Callable[..., JiraSource], tmp_path: Path, deployment: str
) -> None:
    """``tieback sync`` runs with the cycle collector paused: what a page leaves behind
    must be freed by reference counting alone, or a long sync would pile it up."""

    def garbage_after(pages: int) -> int:
        responses.reset()
        numbers = list(range(1, 3 * pages + 1))
        chunks = {n: numbers[3 * n : 3 * n + 3] for n in range(pages)}
        if deployment == "cloud":
            cloud_preamble()
            cloud_bulk()  # past ten pages, the rest comes through bulkfetch
            cloud_pages(
                {
                    (None if n == 0 else f"t{n}"): {
                        "issues": [cloud_issue(i) for i in chunk],
                        **({"nextPageToken": f"t{n + 1}"} if n + 1 < pages else {}),
                        "isLast": n + 1 == pages,
                    }
                    for n, chunk in chunks.items()
                }
            )
            config, token = CLOUD_CONFIG, TOKEN
        else:
            server_preamble()
            total = len(numbers)
            server_pages({3 * n: (chunk, total) for n, chunk in chunks.items()})
            config, token = SERVER_CONFIG, PAT
        store = tmp_path / f"{deployment}-{pages}.db"
        fetched, garbage = full_sync_garbage(lambda: source(config, token), store)
        assert fetched == len(numbers)
        return garbage

    garbage_after(2)  # the first sync of a process leaves its own (caches, the client)
    assert garbage_after(40) <= garbage_after(2)


@responses.activate
def test_sync_full_then_incremental_with_removal(
    source: Callable[..., JiraSource], tmp_path: Path
) -> None:
    cloud_preamble()
    search = f"{CLOUD}/rest/api/3/search/jql"
    responses.post(search, json={"issues": [cloud_issue(n) for n in (1, 2, 3)], "isLast": True})
    jira = source()
    moments = iter(
        [datetime(2026, 11, 20, 9, 0, tzinfo=UTC), datetime(2026, 11, 21, 9, 0, tzinfo=UTC)]
    )
    with Store.open(tmp_path / "store.db") as store:
        first = sync_source(jira, store, now=lambda: next(moments))
        assert (first.full, first.fetched, first.pages) == (True, 3, 1)

        responses.replace(responses.POST, search, json={"issues": [cloud_issue(2)], "isLast": True})
        responses.add(
            responses.POST,
            search,
            json={"issues": [{"key": "EDU-1"}, {"key": "EDU-2"}], "isLast": True},
        )
        # Two issues match now, three are stored: the keys are listed.
        responses.post(f"{CLOUD}/rest/api/3/search/approximate-count", json={"count": 2})
        second = sync_source(source(), store, now=lambda: next(moments))
        assert (second.full, second.fetched, second.removed) == (False, 1, 1)
        assert store.keys("jira") == {"EDU-1", "EDU-2"}
        assert store.cursor("jira", jira.query) is not None
    searches = [body(c) for c in responses.calls if c.request.url == search]
    # full (a first sync lists everything: no keys pass), incremental (cursor minus
    # overlap), keys
    assert [s["fields"] == ["key"] for s in searches] == [False, False, True]
    assert searches[1]["jql"] == (
        '(project in (EDU, GRD)) AND updated >= "2026/11/20 09:55" ORDER BY key ASC'
    )
    assert jira.query == (
        f"{CLOUD} project in (EDU, GRD) ORDER BY created DESC "
        "[points=story points;team=team;outcome=outcome]"
    )


DONE = {
    "self": f"{CLOUD}/rest/api/3/status/10002",
    "name": "Done",
    "id": "10002",
    "statusCategory": {
        "self": f"{CLOUD}/rest/api/3/statuscategory/3",
        "id": 3,
        "key": "done",
        "colorName": "green",
        "name": "Done",
    },
}


@responses.activate
def test_an_incremental_sync_keeps_the_done_date_of_an_issue_closed_or_reopened(
    source: Callable[..., JiraSource], tmp_path: Path
) -> None:
    cloud_preamble()
    search = f"{CLOUD}/rest/api/3/search/jql"
    closed = "2026-11-19T16:20:00.000+0100"
    responses.post(
        search,
        json={
            "issues": [
                cloud_issue(
                    1,
                    status=DONE,
                    resolution={"id": "10000", "name": "Done"},
                    resolutiondate=closed,
                    statuscategorychangedate=closed,
                ),
                cloud_issue(2, resolutiondate=None, statuscategorychangedate=closed),
            ],
            "isLast": True,
        },
    )
    moments = iter(
        [datetime(2026, 11, 20, 9, 0, tzinfo=UTC), datetime(2026, 11, 21, 9, 0, tzinfo=UTC)]
    )
    with Store.open(tmp_path / "store.db") as store:
        sync_source(source(), store, now=lambda: next(moments))
        assert {i.key: i.done_at for i in store.items()} == {"EDU-1": closed, "EDU-2": ""}

        # EDU-1 is reopened (its resolution cleared), EDU-2 is done without a resolution.
        reopened = "2026-11-20T11:00:00.000+0100"
        responses.replace(
            responses.POST,
            search,
            json={
                "issues": [
                    cloud_issue(
                        1,
                        resolution=None,
                        resolutiondate=None,
                        statuscategorychangedate=reopened,
                        updated=reopened,
                    ),
                    cloud_issue(
                        2,
                        status=DONE,
                        resolution=None,
                        resolutiondate=None,
                        statuscategorychangedate=reopened,
                        updated=reopened,
                    ),
                ],
                "isLast": True,
            },
        )
        responses.post(f"{CLOUD}/rest/api/3/search/approximate-count", json={"count": 2})
        second = sync_source(source(), store, now=lambda: next(moments))
        assert (second.full, second.fetched) == (False, 2)
        assert {i.key: (i.done, i.done_at) for i in store.items()} == {
            "EDU-1": (False, ""),
            "EDU-2": (True, reopened),
        }
