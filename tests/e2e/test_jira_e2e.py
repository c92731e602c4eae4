"""``tieback sync`` and ``tieback post`` against a fake Jira, run as a user runs them.

Each test writes tieback.toml and outcomes.toml into a temporary directory, runs the
installed command with a clean environment (the token in ``JIRA_API_TOKEN`` only),
and checks what the user sees (stdout, stderr, exit code, the offline JSON report)
and what Jira received (the fake's request log and state).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e.fake_jira import SEARCH, FakeJira, Logged, error, natural_key, serve
from e2e.jira_fixtures import (
    ALL_KEYS,
    COVERAGE,
    POINT_COVERAGE,
    POINT_TOTALS,
    TOTALS,
    UNALIGNED,
    Project,
    Run,
    add_backlog,
    jql_since,
    normal,
    sync_line,
    totals_of,
)

CLOUD_ZONE = "America/Los_Angeles"  # west of UTC: a cursor left in UTC would miss changes
FULL_JQL = "(project in (EDU, GRD)) ORDER BY key ASC"
LABEL = "needs-outcome"


@pytest.fixture
def cloud() -> Iterator[FakeJira]:
    fake = FakeJira("cloud", page_cap=5, time_zone=CLOUD_ZONE)
    with serve(fake):
        add_backlog(fake)
        yield fake


@pytest.fixture
def server() -> Iterator[FakeJira]:
    fake = FakeJira("server", page_cap=4, context="/jira", time_zone="Europe/Berlin")
    with serve(fake):
        add_backlog(fake)
        yield fake


@pytest.fixture
def project(tmp_path: Path, cloud: FakeJira) -> Project:
    return Project(tmp_path, cloud)


# --- helpers ------------------------------------------------------------------------------


def item_searches(fake: FakeJira) -> list[Logged]:
    """Searches that read items (the keys-only pass left out)."""
    return [s for s in fake.searches() if s.fields != ["key"]]


def keys_searches(fake: FakeJira) -> list[Logged]:
    return [s for s in fake.searches() if s.fields == ["key"]]


def calls(fake: FakeJira, method: str, path: str) -> int:
    return sum(1 for r in fake.requests if (r.method, r.path) == (method, path))


def label_writes(fake: FakeJira) -> dict[str, list[Any]]:
    """Issue key → bodies of the label PUTs it received."""
    found: dict[str, list[Any]] = {}
    for write in fake.writes():
        if match := re.fullmatch(r"/rest/api/[23]/issue/([A-Z]+-\d+)", write.path):
            assert write.method == "PUT", write
            found.setdefault(match[1], []).append(write.body)
    return found


def comment_posts(fake: FakeJira) -> dict[str, list[Any]]:
    """Issue key → bodies of the comments created on it."""
    found: dict[str, list[Any]] = {}
    for write in fake.writes():
        if match := re.fullmatch(r"/rest/api/([23])/issue/([A-Z]+-\d+)/comment", write.path):
            assert write.method == "POST", write
            found.setdefault(match[2], []).append(write.body)
    return found


def comment_edits(fake: FakeJira) -> list[Logged]:
    return [w for w in fake.writes() if re.fullmatch(r".*/comment/\d+", w.path)]


def tieback_comments(fake: FakeJira, key: str, marker: str) -> int:
    """Comments tieback would recognise as its own: the property, or the marker text."""
    return sum(
        1
        for comment in fake.comments.get(key, [])
        if any(p.get("key") == "tieback" for p in comment.properties)
        or marker in fake.comment_text(comment)
    )


def last_line(run: Run) -> str:
    lines = run.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def assert_one_line_error(run: Run, *needles: str) -> str:
    assert run.code == 1, (run.stdout, run.stderr)
    assert len(run.errors) == 1, run.stderr
    assert "Traceback" not in run.stderr
    for needle in needles:
        assert needle in run.errors[0], run.errors[0]
    return run.errors[0]


def add(label: str) -> dict[str, Any]:
    """The body of a label PUT that adds one label (never a replace of the set)."""
    return {"update": {"labels": [{"add": label}]}}


def remove(label: str) -> dict[str, Any]:
    return {"update": {"labels": [{"remove": label}]}}


# --- (a) Cloud: a full sync, then the offline report ----------------------------------------


def test_cloud_full_sync_then_offline_audit_adds_up(project: Project, cloud: FakeJira) -> None:
    run = project.sync()
    assert run.stdout.splitlines() == [sync_line("full", 13, 3)]

    assert calls(cloud, "GET", "/rest/api/2/serverInfo") == 1  # deployment = "auto"
    assert calls(cloud, "GET", "/rest/api/2/myself") == 1
    assert calls(cloud, "GET", "/rest/api/2/field") >= 1
    searches = item_searches(cloud)
    assert [len(s.returned) for s in searches] == [5, 5, 3]  # the fake grants 5 a page
    for search in cloud.searches():
        assert search.method == "POST"
        assert search.path in ("/rest/api/3/search/jql", "/rest/api/2/search/jql")
        assert normal(search.jql) == FULL_JQL  # its own ORDER BY dropped, key order added
        assert search.fields and not {"*all", "*navigable"} & set(search.fields)
    tokens = [bool(s.body.get("nextPageToken")) for s in searches]
    assert tokens == [False, True, True]
    assert all(r.status < 400 for r in cloud.requests)

    report = project.audit()
    assert totals_of(report) == TOTALS
    assert report["totals"]["coverage"] == pytest.approx(COVERAGE)
    reasons = {u["key"]: u["reason"] for u in report["unaligned"]}
    assert reasons == {
        "EDU-3": "unknown-tag",
        "EDU-4": "untagged",
        "EDU-9": "retired-outcome",
        "EDU-11": "untagged",
    }
    edu3 = next(u for u in report["unaligned"] if u["key"] == "EDU-3")
    assert edu3["suggestion"] == "activation"
    assert edu3["url"] == f"{cloud.url}/browse/EDU-3"
    # "Team" resolved by name; an item without one counts under its project.
    teams = {g["name"]: g["items"] for g in report["groups"]}
    assert teams == {"Grading squad": 4, "Onboarding": 2, "EDU": 5}
    served = {o["id"]: o["items"] for o in report["outcomes"]}
    assert served["results-in-a-minute"] == 4  # epic, its story (parent), sub-task, ADF line
    assert served["activation"] == 1

    # Three fields are named "Story Points": only the number one counts.
    points = project.audit("--weight", "points")
    assert {k: points["totals"][k] for k in POINT_TOTALS} == POINT_TOTALS
    assert points["totals"]["coverage"] == pytest.approx(POINT_COVERAGE)


def test_a_long_cloud_listing_reads_the_rest_through_bulkfetch_and_adds_up(
    tmp_path: Path,
) -> None:
    fake = FakeJira("cloud", page_cap=1, time_zone=CLOUD_ZONE)
    with serve(fake):
        add_backlog(fake)
        project = Project(tmp_path, fake)
        ordered = sorted(fake.issues.values(), key=lambda issue: natural_key(issue.key))
        fake.bulk_errors = [str(ordered[11].id)]  # answered in issueErrors once
        run = project.sync()
        assert run.stdout.splitlines() == [sync_line("full", 13, 12)]

        # Ten pages of one issue, the query's ids in one listing, then the other three
        # issues by id (one of them asked for again), with the search's fields.
        searches = item_searches(fake)
        assert [s.returned for s in searches] == [[i.key] for i in ordered[:10]]
        assert [len(s.returned) for s in keys_searches(fake)] == [13]
        bulk = [r for r in fake.requests if r.path == "/rest/api/3/issue/bulkfetch"]
        assert [r.body["issueIdsOrKeys"] for r in bulk] == [
            [str(i.id) for i in ordered[10:]],
            [str(ordered[11].id)],
        ]
        assert all(r.body["fields"] == searches[0].fields for r in bulk)
        assert [r.returned for r in bulk] == [
            [ordered[10].key, ordered[12].key],
            [ordered[11].key],
        ]
        assert all(r.status == 200 for r in fake.requests)

        # The same report as a listing of search pages alone gives.
        report = project.audit()
        assert totals_of(report) == TOTALS
        assert report["totals"]["coverage"] == pytest.approx(COVERAGE)
        served = {o["id"]: o["items"] for o in report["outcomes"]}
        assert served["results-in-a-minute"] == 4
        points = project.audit("--weight", "points")
        assert {k: points["totals"][k] for k in POINT_TOTALS} == POINT_TOTALS


# --- (b) Data Center: startAt paging under a server-side cap --------------------------------


def test_data_center_sync_pages_by_start_at_and_trusts_what_it_got(
    tmp_path: Path, server: FakeJira
) -> None:
    project = Project(tmp_path, server)  # no email: a personal access token, as Bearer
    assert "/jira" in server.url
    run = project.sync()
    assert run.stdout.splitlines() == [sync_line("full", 13, 4)]
    progress = [line for line in run.stderr.splitlines() if line.startswith("tieback: jira:")]
    assert len(progress) >= 4, run.stderr

    assert {(s.method, s.path) for s in server.searches()} == {("POST", "/rest/api/2/search")}
    searches = item_searches(server)
    assert [s.number("startAt") or 0 for s in searches] == [0, 4, 8, 12]
    assert (searches[0].number("maxResults") or 0) > server.page_cap  # asked more, got 4
    assert all(normal(s.jql) == FULL_JQL for s in searches)
    assert all(s.fields and "*all" not in s.fields for s in searches)
    assert not [r for r in server.requests if r.path.startswith("/rest/api/3/")]
    assert all(r.status < 400 for r in server.requests)

    report = project.audit()
    assert totals_of(report) == TOTALS
    served = {o["id"]: o["items"] for o in report["outcomes"]}
    assert served["results-in-a-minute"] == 4  # the story reaches its epic by "Epic Link"
    points = project.audit("--weight", "points")
    assert {k: points["totals"][k] for k in POINT_TOTALS} == POINT_TOTALS


# --- (c) incremental: changes only, removals noticed -----------------------------------------


def test_incremental_sync_reads_only_the_changes_and_drops_what_left(
    project: Project, cloud: FakeJira
) -> None:
    before = datetime.now(UTC)
    project.sync()
    after = datetime.now(UTC)
    cloud.requests.clear()
    cloud.touch("EDU-3", labels=["outcome:activation"], summary="Guided tour, tagged")
    cloud.touch("EDU-4", labels=["outcome:activation"])
    cloud.remove("EDU-11")

    run = project.sync()
    assert run.stdout.splitlines() == [sync_line("incremental", 2, 1, removed=1)]
    assert calls(cloud, "GET", "/rest/api/2/myself") == 1
    [changes] = item_searches(cloud)
    assert changes.returned == ["EDU-3", "EDU-4"]
    pattern = (
        r'\(project in \(EDU, GRD\)\) AND updated >= "\d{4}/\d\d/\d\d \d\d:\d\d" ORDER BY key ASC'
    )
    assert re.fullmatch(pattern, normal(changes.jql)), changes.jql
    # The cursor (the first sync's start, minus an overlap) in the user's time zone.
    since = jql_since(changes.jql, CLOUD_ZONE)
    assert since is not None and before - timedelta(minutes=15) <= since <= after
    assert keys_searches(cloud), "no keys-only pass to notice removed items"
    assert all(normal(s.jql) == FULL_JQL for s in keys_searches(cloud))

    report = project.audit()
    assert totals_of(report) == {"items": 10, "aligned": 7, "unaligned": 1, "exempt": 2}
    assert [u["key"] for u in report["unaligned"]] == ["EDU-9"]

    full = project.sync("--full")
    assert full.stdout.splitlines() == [sync_line("full", 12, 3)]


# --- (d) rate limits and a busy server ---------------------------------------------------------


def test_a_429_and_a_503_are_retried_and_the_sync_completes(
    project: Project, cloud: FakeJira
) -> None:
    project.configure(deployment="cloud")
    cloud.inject("*", SEARCH, 429, error("Rate limit exceeded."), {"Retry-After": "1"})
    cloud.inject("*", SEARCH, 503, "Service Unavailable", after=2)  # on the second page

    run = project.sync()
    assert run.stdout.splitlines() == [sync_line("full", 13, 3)]
    searches = item_searches(cloud)
    assert [s.status for s in searches] == [429, 200, 503, 200, 200]
    assert searches[1].at - searches[0].at >= 0.9  # Retry-After: 1 was honoured
    assert calls(cloud, "GET", "/rest/api/2/serverInfo") == 0  # deployment = "cloud"
    assert totals_of(project.audit()) == TOTALS


# --- (e) a sync that dies mid-way, then resumes ----------------------------------------------


def test_an_interrupted_sync_fails_in_one_line_and_a_rerun_completes(
    project: Project, cloud: FakeJira
) -> None:
    cloud.interrupt_after(1)
    failed = project.run("sync", "--source", "jira")
    assert_one_line_error(failed, "500")
    assert "sync," not in failed.stdout
    assert [s.status for s in cloud.searches()] == [200, 500]  # a 500 is not retried

    cloud.interrupt_after(None)
    resumed = project.sync()
    # The cursor did not move: the rerun is still the first, full sync.
    assert resumed.stdout.splitlines() == [sync_line("full", 13, 3)]
    report = project.audit()
    assert totals_of(report) == TOTALS
    keys = [u["key"] for u in report["unaligned"]]
    assert sorted(keys) == sorted(UNALIGNED) and len(set(keys)) == len(keys)


# --- (f) post: plan, labels, one comment each, then nothing ----------------------------------


def test_post_labels_and_explains_once_and_a_rerun_writes_nothing(
    project: Project, cloud: FakeJira
) -> None:
    # tieback's own comment, its property lost (moved by an import): it still counts.
    cloud.add_comment(
        "EDU-9",
        "Moved from an older project. tieback:explain\nName an outcome.",
        author=cloud.account,
    )
    project.sync()
    cloud.requests.clear()

    dry = project.run("post", "--dry-run")
    assert dry.code == 0, dry.stderr
    assert dry.plan("add label") == dict.fromkeys(UNALIGNED, LABEL)
    assert {"EDU-3", "EDU-4", "EDU-11"} <= set(dry.plan("comment")) <= set(UNALIGNED)
    planned = len([line for line in dry.stdout.splitlines() if line.startswith("jira: ")])
    assert last_line(dry) == f"tieback post: {planned} changes planned; dry run, nothing written"
    assert cloud.writes() == []

    posted = project.run("post")
    assert posted.code == 0, posted.stderr
    assert cloud.rejected == []
    assert label_writes(cloud) == {key: [add(LABEL)] for key in UNALIGNED}
    comments = comment_posts(cloud)
    assert sorted(comments) == ["EDU-11", "EDU-3", "EDU-4"]  # EDU-9 has one already
    for key, bodies in comments.items():
        [body] = bodies
        assert body["body"]["type"] == "doc", "Cloud comments are ADF documents"
        assert [p["key"] for p in body["properties"]] == ["tieback"]
        assert body["properties"][0]["value"]["kind"] == "explain"
        [comment] = cloud.tieback_comments(key, "explain")
        assert "tieback:explain" in cloud.comment_text(comment)  # found again if copied
    assert all(r.path.startswith("/rest/api/3/") for r in cloud.writes() if "comment" in r.path)
    for key in ALL_KEYS:
        assert (LABEL in cloud.issues[key].labels) == (key in UNALIGNED), key
        assert tieback_comments(cloud, key, "tieback:explain") == (key in UNALIGNED), key
    assert last_line(posted) == f"tieback post: {len(cloud.writes())} changes written"

    cloud.requests.clear()
    again = project.run("post")
    assert again.code == 0, again.stderr
    assert last_line(again) == "tieback post: 0 changes written"
    assert cloud.writes() == []

    cloud.touch("EDU-4", labels=[*cloud.issues["EDU-4"].labels, "outcome:activation"])
    project.sync()
    cloud.requests.clear()
    aligned = project.run("post")
    assert aligned.code == 0, aligned.stderr
    assert aligned.plan("remove label") == {"EDU-4": LABEL}
    assert label_writes(cloud) == {"EDU-4": [remove(LABEL)]}
    assert comment_posts(cloud) == {}
    assert cloud.issues["EDU-4"].labels == ["outcome:activation"]
    assert last_line(aligned) == "tieback post: 1 change written"


# --- (g) clear failures ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_a_wrong_token_fails_in_one_line_naming_the_variable(tmp_path: Path, mode: str) -> None:
    fake = FakeJira(mode)  # type: ignore[arg-type]
    with serve(fake):
        add_backlog(fake)
        project = Project(tmp_path, fake)
        wrong = "ATATT3xWrongToken0987654321" if mode == "cloud" else "NjM2WrongPat0987654321"
        run = project.run("sync", "--source", "jira", env={"JIRA_API_TOKEN": wrong})
        assert_one_line_error(run, "JIRA_API_TOKEN")
        pair = base64.b64encode(f"{fake.email}:{wrong}".encode()).decode()
        for text in (run.stdout, run.stderr):
            assert wrong not in text and pair not in text
        assert fake.searches() == []

        missing = project.run("sync", "--source", "jira", env={"JIRA_API_TOKEN": ""})
        assert_one_line_error(missing, "JIRA_API_TOKEN")


def test_a_jql_error_fails_with_jiras_message(project: Project, cloud: FakeJira) -> None:
    project.configure(jql="project = NOPE")
    run = project.run("sync", "--source", "jira")
    assert_one_line_error(run, "The value 'NOPE' does not exist for the field 'project'.")
    assert [s.status for s in cloud.searches()] == [400]


# --- (h) the summary comment, edited in place --------------------------------------------------


def test_the_summary_comment_is_written_once_and_edited_only_on_change(
    tmp_path: Path, server: FakeJira
) -> None:
    project = Project(tmp_path, server, post_back={"summary_issue": "EDU-1"})
    project.sync()
    server.requests.clear()

    first = project.run("post")
    assert first.code == 0, first.stderr
    assert "EDU-1" in first.plan("comment")
    [summary] = server.tieback_comments("EDU-1", "summary")
    assert isinstance(summary.body, str)  # Data Center: API v2, wiki text
    assert "tieback:summary" in server.comment_text(summary)
    [created] = comment_posts(server)["EDU-1"]
    assert created["properties"][0]["key"] == "tieback"
    assert created["properties"][0]["value"]["kind"] == "summary"
    assert all(r.path.startswith("/rest/api/2/") for r in server.requests)
    text = summary.body

    server.requests.clear()
    unchanged = project.run("post")
    assert unchanged.code == 0, unchanged.stderr
    assert last_line(unchanged) == "tieback post: 0 changes written"
    assert server.writes() == []
    assert summary.body == text

    server.touch("EDU-4", labels=[*server.issues["EDU-4"].labels, "outcome:activation"])
    project.sync()
    server.requests.clear()
    changed = project.run("post")
    assert changed.code == 0, changed.stderr
    assert "EDU-1" in changed.plan("edit comment")
    [edit] = comment_edits(server)
    assert (edit.method, edit.path) == ("PUT", f"/rest/api/2/issue/EDU-1/comment/{summary.id}")
    assert "EDU-1" not in comment_posts(server)
    assert [c.id for c in server.tieback_comments("EDU-1", "summary")] == [summary.id]
    assert summary.body != text


@pytest.mark.parametrize("site", ["cloud", "server"])
def test_a_synced_done_issue_counts_in_the_week_it_was_resolved(
    tmp_path: Path, site: str, request: pytest.FixtureRequest
) -> None:
    fake: FakeJira = request.getfixturevalue(site)
    project = Project(tmp_path / "project", fake)
    project.sync()
    report = project.audit()
    weeks = {o["id"]: o["done_by_week"] for o in report["outcomes"]}
    # EDU-7, done and tagged activation, was resolved a month ago in the site's zone.
    resolved = (fake.clock() - timedelta(days=30)).astimezone(fake.zone).date()
    monday = resolved - timedelta(days=resolved.weekday())
    assert weeks["activation"] == [{"week": monday.isoformat(), "count": 1, "weight": 1}]
    assert weeks["results-in-a-minute"] == []  # none of its items is done
