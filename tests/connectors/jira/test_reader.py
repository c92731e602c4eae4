"""Search answers read into items here or in a worker process (``connectors.jira.reader``)."""

from __future__ import annotations

import json
import os
import runpy
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from tieback.connectors.jira.client import JiraApiError, JiraClient
from tieback.connectors.jira.payload import JiraFields
from tieback.connectors.jira.reader import ItemReader, Read
from tieback.connectors.jira.rest import Answer

CLOUD = "https://acme.atlassian.net"
FIELDS = JiraFields(points="customfield_10016", outcome="customfield_10050")


def issue(number: int, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "summary": f"Story EDU-{number}",
        "status": {"name": "Done", "statusCategory": {"key": "done"}},
        "issuetype": {"name": "Story"},
        "labels": ["outcome:activation"],
        "customfield_10016": number,
        "customfield_10050": "OUT-1",
        "resolutiondate": "2026-11-02T10:00:00.000+0000",
        "description": {
            "type": "doc",
            "version": 1,
            "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Why"}]}],
        },
        **fields,
    }
    return {"id": str(20000 + number), "key": f"EDU-{number}", "fields": values}


def answer(payload: object, content_type: str = "application/json") -> Answer:
    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = content_type
    content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Answer("POST /rest/api/3/issue/bulkfetch", response, content)


def bulk_page(*numbers: int) -> Answer:
    issues: list[Any] = [issue(n) for n in numbers]
    issues.append({"id": "20999", "key": "EDU-999", "fields": {}})  # no summary: skipped
    errors = [{"id": "20998", "errorMessage": "Try again later."}]
    return answer({"expand": "schema,names", "issues": issues, "issueErrors": errors})


@pytest.fixture
def client() -> JiraClient:
    return JiraClient(CLOUD, "pm@acme.example", SecretStr("ATATT3xFfGF0token"))


@pytest.fixture
def worker(client: JiraClient) -> Iterator[ItemReader]:
    """A reader whose worker is started and ready."""
    reader = ItemReader(client, FIELDS, CLOUD, [], worker_from=1, cores=2)
    reader.expect(1)
    assert reader._ready is not None and reader._ready.result(timeout=60)
    yield reader
    reader.close()


def test_the_worker_reads_a_page_as_this_process_does(worker: ItemReader) -> None:
    page = bulk_page(1, 2, 3)
    there = worker.later(page)()
    assert worker.pages_in_worker == 1
    warned = list(worker.warnings)
    here = worker.here(page)
    assert isinstance(there, Read)
    assert there == here
    assert there.ids == ["20001", "20002", "20003", "20999"]
    assert [item.key if item else None for item in there.issues] == [
        "EDU-1",
        "EDU-2",
        "EDU-3",
        None,
    ]
    assert there.issues[1].points == 2 and there.issues[1].done_at
    assert there.found == {
        "expand": "schema,names",
        "issueErrors": [{"id": "20998", "errorMessage": "Try again later."}],
    }
    assert warned == ["jira: skipped an issue: EDU-999 has no fields.summary"]
    assert worker.warnings == warned * 2  # the same warning, once from each


def test_pages_given_to_the_worker_are_read_in_order_while_more_arrive(
    worker: ItemReader,
) -> None:
    later = [worker.later(bulk_page(n, n + 1)) for n in range(1, 40, 2)]
    keys = [item.key for page in later for item in page().issues if item is not None]
    assert keys == [f"EDU-{n}" for n in range(1, 41)]
    assert worker.pages_in_worker == 20
    assert later[0]() is later[0]()  # read once


def test_a_page_the_worker_cannot_read_is_read_here_and_says_why(worker: ItemReader) -> None:
    page = worker.later(answer(b"<html><body>Sign in</body></html>", "text/html"))
    with pytest.raises(JiraApiError) as caught:
        page()
    assert str(caught.value) == (
        f"{CLOUD} did not answer POST /rest/api/3/issue/bulkfetch like Jira (text/html, not "
        "JSON): check [jira] url (the site's base URL, with its context path if any)"
    )
    with pytest.raises(JiraApiError, match="no issues list"):
        worker.later(answer({"errorMessages": []}))()
    # The worker is still there for the next page.
    assert [i.key for i in worker.later(bulk_page(7))().issues if i] == ["EDU-7"]
    assert worker.pages_in_worker == 1


def test_when_the_worker_dies_its_pages_and_the_rest_are_read_here(worker: ItemReader) -> None:
    pool = worker._pool
    assert pool is not None
    [process] = list(pool._processes.values())  # type: ignore[attr-defined]
    waiting = worker.later(bulk_page(1, 2))
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=30)
    after = worker.later(bulk_page(3))
    keys = [i.key for page in (waiting, after) for i in page().issues if i is not None]
    assert keys == ["EDU-1", "EDU-2", "EDU-3"]  # nothing lost, nothing twice
    assert worker._pool is None  # let go: the rest is read here
    assert [i.key for i in worker.later(bulk_page(4))().issues if i] == ["EDU-4"]


@pytest.mark.parametrize(
    ("issues", "cores", "started"),
    [(19_999, 2, False), (20_000, 1, False), (20_000, 2, True)],
)
def test_a_worker_starts_for_a_big_listing_on_a_second_core(
    client: JiraClient, issues: int, cores: int, started: bool
) -> None:
    reader = ItemReader(client, FIELDS, CLOUD, [], cores=cores)
    try:
        reader.expect(issues)
        assert (reader._pool is not None) is started
        # Until the worker is ready (or without one), pages are read here.
        page = reader.later(bulk_page(1))()
        assert [i.key for i in page.issues if i] == ["EDU-1"]
    finally:
        reader.close()
    assert reader._pool is None


def test_running_as_a_module_in_a_worker_does_not_run_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker process imports the parent's main module under another name; for
    # ``python -m tieback`` that is tieback.__main__, which must not start a command.
    import tieback.cli

    ran: list[object] = []
    monkeypatch.setattr(tieback.cli, "main", lambda *a: ran.append(a) or 0)
    runpy.run_module("tieback.__main__", run_name="__mp_main__")
    assert ran == []
    with pytest.raises(SystemExit):
        runpy.run_module("tieback.__main__", run_name="__main__")
    assert ran == [()]


def test_pages_reach_the_worker_through_files_it_deletes(worker: ItemReader) -> None:
    spool = worker._spool
    assert spool is not None and os.path.isdir(spool)
    pages = [worker.later(bulk_page(n)) for n in (1, 2, 3)]
    assert [i.key for page in pages for i in page().issues if i] == ["EDU-1", "EDU-2", "EDU-3"]
    assert worker.pages_in_worker == 3
    assert os.listdir(spool) == []  # each file deleted once read
    worker.close()
    assert not os.path.exists(spool)


def test_a_spool_that_cannot_be_written_hands_pages_through_the_pipe(
    worker: ItemReader, tmp_path: Any
) -> None:
    spool, worker._spool = worker._spool, str(tmp_path / "gone")  # every write fails
    page = worker.later(bulk_page(5))()
    assert [i.key for i in page.issues if i] == ["EDU-5"]
    assert worker.pages_in_worker == 1
    worker._spool = spool  # removed as the fixture closes the reader
