"""The fake Jira answers as Jira does: checked with plain requests and with the ``jira`` client."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
import requests
from e2e.fake_jira import (
    DC_TOKEN,
    EMAIL,
    EPIC_LINK,
    SEARCH,
    STORY_POINTS,
    FakeJira,
    serve,
)
from e2e.jira_fixtures import ALL_KEYS, add_backlog
from jira import JIRA, JIRAError


@pytest.fixture
def cloud() -> Iterator[FakeJira]:
    fake = FakeJira("cloud", page_cap=5, time_zone="America/Los_Angeles")
    with serve(fake):
        add_backlog(fake)
        yield fake


@pytest.fixture
def server() -> Iterator[FakeJira]:
    fake = FakeJira("server", page_cap=4, context="/jira")
    with serve(fake):
        add_backlog(fake)
        yield fake


def session(fake: FakeJira) -> requests.Session:
    http = requests.Session()
    if fake.mode == "cloud":
        http.auth = (fake.email, fake.token)
    else:
        http.headers["Authorization"] = f"Bearer {fake.token}"
    return http


def search_all(
    fake: FakeJira, jql: str, fields: list[str], version: str = "3"
) -> list[dict[str, Any]]:
    """Page through the deployment's search as the contract says, bounded."""
    http = session(fake)
    issues: list[dict[str, Any]] = []
    body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": 100}
    for _ in range(50):
        if fake.mode == "cloud":
            page = http.post(f"{fake.url}/rest/api/{version}/search/jql", json=body, timeout=5)
            page.raise_for_status()
            data = page.json()
            issues += data["issues"]
            if data["isLast"]:
                assert "nextPageToken" not in data
                return issues
            body["nextPageToken"] = data["nextPageToken"]
        else:
            body["startAt"] = len(issues)
            page = http.post(f"{fake.url}/rest/api/2/search", json=body, timeout=5)
            page.raise_for_status()
            data = page.json()
            issues += data["issues"]
            if not data["issues"] or len(issues) >= data["total"]:
                return issues
    raise AssertionError("the search never ended")


# --- plain requests -------------------------------------------------------------------


def test_cloud_search_pages_by_token_and_grants_at_most_the_cap(cloud: FakeJira) -> None:
    issues = search_all(cloud, "(project in (EDU, GRD)) ORDER BY key ASC", ["summary", "labels"])
    assert [i["key"] for i in issues] == ALL_KEYS  # EDU-2 before EDU-10
    assert [len(s.returned) for s in cloud.searches()] == [5, 5, 3]
    first = issues[0]
    assert set(first) == {"expand", "id", "self", "key", "fields"}
    assert set(first["fields"]) == {"summary", "labels"}
    assert first["self"].startswith(f"{cloud.url}/rest/api/3/issue/")


def test_cloud_keys_only_gets_big_pages_and_no_fields_gets_ids(cloud: FakeJira) -> None:
    http = session(cloud)
    keys = http.post(
        f"{cloud.url}/rest/api/3/search/jql",
        json={"jql": "project = EDU ORDER BY key ASC", "fields": ["key"], "maxResults": 5000},
        timeout=5,
    ).json()
    assert len(keys["issues"]) == len(ALL_KEYS) and keys["isLast"] is True
    bare = http.get(
        f"{cloud.url}/rest/api/3/search/jql",
        params={"jql": "project = EDU", "maxResults": 2},
        timeout=5,
    ).json()
    assert all(set(issue) == {"id"} for issue in bare["issues"])
    assert len(bare["issues"]) == 2 and bare["isLast"] is False


def test_cloud_v3_has_adf_descriptions_and_v2_plain_text(cloud: FakeJira) -> None:
    jql = "(project = EDU) ORDER BY key ASC"
    v3 = search_all(cloud, jql, ["description"])
    edu8 = next(i for i in v3 if i["key"] == "EDU-8")["fields"]["description"]
    assert edu8["type"] == "doc" and edu8["version"] == 1
    v2 = search_all(cloud, jql, ["description"], version="2")
    described = [i["fields"]["description"] for i in v2 if i["fields"]["description"]]
    assert described == ["Learners wait twelve minutes for a grade.\nOutcome: fast-results"]


def test_cloud_old_search_is_gone_and_the_new_one_refuses_startat(cloud: FakeJira) -> None:
    http = session(cloud)
    for version in ("2", "3"):
        gone = http.post(f"{cloud.url}/rest/api/{version}/search", json={"jql": ""}, timeout=5)
        assert gone.status_code == 410
        assert "/rest/api/3/search/jql" in gone.json()["errorMessages"][0]
    wrong = http.post(
        f"{cloud.url}/rest/api/3/search/jql", json={"jql": "x", "startAt": 5}, timeout=5
    )
    assert wrong.status_code == 400 and "startAt" in wrong.json()["errorMessages"][0]


def test_updated_clause_is_read_in_the_users_zone(cloud: FakeJira) -> None:
    changed = cloud.touch("EDU-4", labels=["outcome:activation"])
    local = (changed.updated - timedelta(minutes=5)).astimezone(cloud.zone)
    jql = f'(project in (EDU, GRD)) AND updated >= "{local:%Y/%m/%d %H:%M}" ORDER BY key ASC'
    assert [i["key"] for i in search_all(cloud, jql, ["key"])] == ["EDU-4"]
    # The same wall-clock time read as UTC would be eight hours off (and find nothing).
    utc = (changed.updated + timedelta(hours=1)).astimezone(UTC)
    late = f'(project = EDU) AND updated >= "{utc:%Y/%m/%d %H:%M}" ORDER BY key ASC'
    assert search_all(cloud, late, ["key"]) == []
    updated = search_all(cloud, jql, ["updated"])[0]["fields"]["updated"]
    assert updated.endswith(("-0800", "-0700"))  # Jira writes times in the user's zone


def test_jql_errors_and_bad_tokens_answer_as_jira(cloud: FakeJira) -> None:
    http = session(cloud)
    nope = http.post(
        f"{cloud.url}/rest/api/3/search/jql",
        json={"jql": "(project = NOPE) ORDER BY key ASC", "fields": ["key"]},
        timeout=5,
    )
    assert nope.status_code == 400
    assert nope.json() == {
        "errorMessages": ["The value 'NOPE' does not exist for the field 'project'."],
        "errors": {},
    }
    token = http.post(
        f"{cloud.url}/rest/api/3/search/jql",
        json={"jql": "project = EDU", "nextPageToken": "bm9wZQ"},
        timeout=5,
    )
    assert token.status_code == 400 and "errorMessages" in token.json()


def test_server_search_caps_pages_and_reports_the_total(server: FakeJira) -> None:
    issues = search_all(server, "(project in (EDU, GRD)) ORDER BY key ASC", ["summary", EPIC_LINK])
    assert [i["key"] for i in issues] == ALL_KEYS
    starts = [s.number("startAt") for s in server.searches()]
    assert starts == [0, 4, 8, 12]
    edu2 = next(i for i in issues if i["key"] == "EDU-2")
    assert edu2["fields"][EPIC_LINK] == "EDU-1" and "parent" not in edu2["fields"]
    page = session(server).get(
        f"{server.url}/rest/api/2/search", params={"jql": "project = EDU", "maxResults": 100}
    )
    assert page.json()["maxResults"] == 4 and page.json()["total"] == len(ALL_KEYS)
    assert STORY_POINTS in page.json()["issues"][0]["fields"]  # no fields: all of them


def test_server_has_no_api_v3_and_no_search_jql(server: FakeJira) -> None:
    http = session(server)
    assert http.get(f"{server.url}/rest/api/3/myself", timeout=5).status_code == 404
    assert http.post(f"{server.url}/rest/api/2/search/jql", json={}, timeout=5).status_code == 404
    outside = http.get(f"{server.root}/rest/api/2/myself", timeout=5)  # no context path
    assert outside.status_code == 404


def test_auth_is_checked_as_each_deployment_does(cloud: FakeJira, server: FakeJira) -> None:
    wrong = requests.get(f"{cloud.url}/rest/api/2/myself", auth=(EMAIL, "nope"), timeout=5)
    assert wrong.status_code == 401
    assert wrong.headers["Content-Type"].startswith("text/plain")
    assert wrong.text == "Client must be authenticated to access this resource."
    bearer = requests.get(
        f"{cloud.url}/rest/api/2/myself",
        headers={"Authorization": f"Bearer {cloud.token}"},
        timeout=5,
    )
    assert bearer.status_code == 401  # Cloud API tokens go with the email, as Basic
    basic = requests.get(f"{server.url}/rest/api/2/myself", auth=("pat", DC_TOKEN), timeout=5)
    assert basic.status_code == 401
    assert basic.json()["errorMessages"][0].startswith("You are not authenticated")
    anonymous = requests.get(f"{server.url}/rest/api/2/serverInfo", timeout=5)
    assert anonymous.status_code == 200 and anonymous.json()["deploymentType"] == "Server"


def test_labels_change_by_operations_and_a_replace_is_refused(cloud: FakeJira) -> None:
    http = session(cloud)
    before = cloud.issues["EDU-4"].updated
    add = http.put(
        f"{cloud.url}/rest/api/2/issue/EDU-4",
        json={"update": {"labels": [{"add": "needs-outcome"}]}},
        timeout=5,
    )
    assert add.status_code == 204 and add.content == b""
    assert cloud.issues["EDU-4"].labels == ["needs-outcome"]
    assert cloud.issues["EDU-4"].updated >= before
    again = http.put(
        f"{cloud.url}/rest/api/2/issue/EDU-4",
        json={"update": {"labels": [{"add": "needs-outcome"}, {"remove": "absent"}]}},
        timeout=5,
    )
    assert again.status_code == 204 and cloud.issues["EDU-4"].labels == ["needs-outcome"]
    replace = http.put(
        f"{cloud.url}/rest/api/2/issue/EDU-1", json={"fields": {"labels": []}}, timeout=5
    )
    assert replace.status_code == 400
    assert cloud.rejected and "EDU-1" in cloud.rejected[0]
    assert cloud.issues["EDU-1"].labels == ["outcome:results-in-a-minute"]
    missing = http.put(f"{cloud.url}/rest/api/2/issue/EDU-99", json={"update": {}}, timeout=5)
    assert missing.status_code == 404
    assert missing.json()["errorMessages"] == [
        "Issue does not exist or you do not have permission to see it."
    ]
    assert [(w.method, w.path) for w in cloud.writes()] == [
        ("PUT", "/rest/api/2/issue/EDU-4"),
        ("PUT", "/rest/api/2/issue/EDU-4"),
        ("PUT", "/rest/api/2/issue/EDU-1"),
        ("PUT", "/rest/api/2/issue/EDU-99"),
    ]


def test_comments_keep_properties_and_page(cloud: FakeJira) -> None:
    cloud.comment_page_cap = 2
    http = session(cloud)
    url = f"{cloud.url}/rest/api/3/issue/EDU-3/comment"
    cloud.add_comment("EDU-3", "First!")
    cloud.add_comment("EDU-3", "Copied by hand: tieback:explain")
    adf = {"type": "doc", "version": 1, "content": []}
    created = http.post(
        url,
        json={"body": adf, "properties": [{"key": "tieback", "value": {"kind": "explain"}}]},
        timeout=5,
    )
    assert created.status_code == 201
    assert created.json()["properties"] == [{"key": "tieback", "value": {"kind": "explain"}}]
    text = http.post(url, json={"body": "plain text"}, timeout=5)
    assert text.status_code == 400 and "Atlassian Document" in text.json()["errors"]["comment"]
    first = http.get(url, params={"expand": "properties", "maxResults": 100}, timeout=5).json()
    assert (first["startAt"], first["maxResults"], first["total"]) == (0, 2, 3)
    assert first["comments"][0]["body"]["type"] == "doc"  # text comments read as ADF on v3
    rest = http.get(url, params={"expand": "properties", "startAt": 2}, timeout=5).json()
    assert rest["comments"][0]["properties"][0]["key"] == "tieback"
    plain = http.get(url.replace("/3/", "/2/"), params={"startAt": 1}, timeout=5).json()
    assert plain["comments"][0]["body"] == "Copied by hand: tieback:explain"
    assert "properties" not in plain["comments"][0]  # only with expand=properties
    edited = http.put(f"{url}/{created.json()['id']}", json={"body": to_doc("v2")}, timeout=5)
    assert edited.status_code == 200 and cloud.comment_text(cloud.comments["EDU-3"][2]) == "v2"
    assert [c.id for c in cloud.tieback_comments("EDU-3", "explain")] == [int(created.json()["id"])]


def to_doc(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


def test_canned_responses_come_first_in_order_and_then_normal_service(cloud: FakeJira) -> None:
    cloud.inject("POST", SEARCH, 429, {"errorMessages": ["Rate limited"]}, {"Retry-After": "1"})
    cloud.inject("POST", SEARCH, 503, "Service Unavailable")
    cloud.inject("GET", "/rest/api/2/field", 502, after=1)
    http = session(cloud)
    body = {"jql": "project = EDU ORDER BY key ASC", "fields": ["key"]}
    search = f"{cloud.url}/rest/api/3/search/jql"
    limited = http.post(search, json=body, timeout=5)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    unavailable = http.post(search, json=body, timeout=5)
    assert unavailable.status_code == 503 and unavailable.text == "Service Unavailable"
    assert http.post(search, json=body, timeout=5).status_code == 200
    assert http.get(f"{cloud.url}/rest/api/2/field", timeout=5).status_code == 200
    assert http.get(f"{cloud.url}/rest/api/2/field", timeout=5).status_code == 502
    assert http.get(f"{cloud.url}/rest/api/2/field", timeout=5).status_code == 200


def test_interrupt_after_some_pages_fails_every_later_search(cloud: FakeJira) -> None:
    cloud.interrupt_after(1)
    http = session(cloud)
    body: dict[str, Any] = {"jql": "(project = EDU) ORDER BY key ASC", "fields": ["summary"]}
    first = http.post(f"{cloud.url}/rest/api/3/search/jql", json=body, timeout=5)
    assert first.status_code == 200
    body["nextPageToken"] = first.json()["nextPageToken"]
    for _ in range(2):
        failed = http.post(f"{cloud.url}/rest/api/3/search/jql", json=body, timeout=5)
        assert failed.status_code == 500
    cloud.interrupt_after(None)
    assert http.post(f"{cloud.url}/rest/api/3/search/jql", json=body, timeout=5).ok


def test_every_request_is_logged_with_its_answer(cloud: FakeJira) -> None:
    pair = base64.b64encode(f"{cloud.email}:{cloud.token}".encode()).decode()
    requests.get(
        f"{cloud.url}/rest/api/3/search/jql?jql=project%3DEDU&fields=summary,labels&maxResults=3",
        headers={"Authorization": f"Basic {pair}"},
        timeout=5,
    )
    [logged] = cloud.requests
    assert (logged.method, logged.path, logged.status) == ("GET", "/rest/api/3/search/jql", 200)
    assert logged.jql == "project=EDU" and logged.fields == ["summary", "labels"]
    assert logged.number("maxResults") == 3 and len(logged.returned) == 3


# --- the jira client accepts the shapes --------------------------------------------------


def test_the_jira_client_reads_cloud(cloud: FakeJira) -> None:
    client = JIRA(server=cloud.url, basic_auth=(cloud.email, cloud.token), max_retries=0)
    try:
        assert client.server_info()["deploymentType"] == "Cloud"
        assert client.deploymentType == "Cloud"
        fields = client.fields()
        points = [f for f in fields if f["name"] == "Story Points"]
        assert {f["schema"]["type"] for f in points} == {"number", "string", "option"}
        assert any(f["name"] == "Story point estimate" for f in fields)
        assert client.myself()["timeZone"] == "America/Los_Angeles"
        found = client.enhanced_search_issues(
            "(project in (EDU, GRD)) ORDER BY key ASC", maxResults=0, fields=["summary", "labels"]
        )
        assert [issue.key for issue in found] == ALL_KEYS
        assert found[0].fields.summary == "Results in a minute"
        comment = client.add_comment("EDU-4", "Needs an outcome")
        assert comment.body == "Needs an outcome"
        assert [c.body for c in client.comments("EDU-4", expand="properties")] == [
            "Needs an outcome"
        ]
        issue = client.issue("EDU-4")
        issue.add_field_value("labels", "needs-outcome")
        assert cloud.issues["EDU-4"].labels == ["needs-outcome"]
    finally:
        client.close()
    with pytest.raises(JIRAError) as denied:
        JIRA(server=cloud.url, basic_auth=(cloud.email, "wrong"), max_retries=0).myself()
    assert denied.value.status_code == 401


def test_the_jira_client_reads_data_center(server: FakeJira) -> None:
    client = JIRA(server=server.url, token_auth=server.token, max_retries=0)
    try:
        assert client.server_info()["versionNumbers"][0] == 9
        assert client.deploymentType == "Server"
        assert any(f["name"] == "Epic Link" for f in client.fields())
        assert client.myself()["timeZone"] == "Europe/Berlin"
        found = client.search_issues(
            "(project in (EDU, GRD)) ORDER BY key ASC", maxResults=0, fields=["summary"]
        )
        assert [issue.key for issue in found] == ALL_KEYS
        found_by_post = client.search_issues(
            "project = EDU ORDER BY key ASC", maxResults=0, fields=["key"], use_post=True
        )
        assert len(found_by_post) == len(ALL_KEYS)
    finally:
        client.close()
    assert all(r.path.startswith("/rest/api/2/") for r in server.requests)
