"""GitHub REST issue objects to items: keys, types, pull requests, sub-issue parents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tieback.connectors.github.payload import is_pull_request, item_from_issue, parent_key
from tieback.errors import SourceError

ISSUES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "data" / "github-issues.json").read_text(encoding="utf-8")
)


def issue(index: int) -> dict[str, Any]:
    return copy.deepcopy(ISSUES[index])


def test_an_issue_with_an_issue_type_maps_every_field() -> None:
    item = item_from_issue(issue(0))
    assert item.source == "github"
    assert item.key == "acme/app#42"
    assert item.title == "Grade results page loads in under a second"
    assert item.url == "https://github.com/acme/app/issues/42"
    assert item.type == "Feature"
    assert item.status == "open"
    assert item.done is False
    assert item.labels == ("outcome:results-in-a-minute",)
    assert item.body == "Learners wait too long.\r\n\r\nOutcome: fast-results"
    assert item.parent is None
    assert item.points is None
    assert item.team == "acme/app"
    assert item.author == "ann-smith"
    assert item.updated == "2026-11-01T10:00:00Z"


def test_a_closed_sub_issue_names_its_parent_and_has_an_empty_body() -> None:
    item = item_from_issue(issue(1))
    assert item.parent == "acme/app#42"
    assert item.done is True
    assert item.status == "closed"
    assert item.type == "Issue"  # "type": null
    assert item.body == ""


def test_a_closed_issue_is_done_when_it_was_closed() -> None:
    assert item_from_issue(issue(1)).done_at == "2026-10-20T12:00:00Z"
    assert item_from_issue(issue(0)).done_at == ""  # open: not done


def test_a_reopened_issue_has_no_done_date() -> None:
    # Done-ness is the state's: an open issue has no done date, whatever closed_at says.
    raw = issue(1)
    raw.update(state="open", state_reason="reopened")
    assert item_from_issue(raw).done_at == ""


@pytest.mark.parametrize(
    ("merged_at", "closed_at"),
    [
        ("2026-11-03T15:04:05Z", "2026-11-03T15:04:05Z"),  # merged: closed as it merged
        (None, "2026-11-04T09:00:00Z"),  # closed unmerged: done, as its state says
    ],
)
def test_a_closed_pull_request_is_done_when_it_was_closed(
    merged_at: str | None, closed_at: str
) -> None:
    raw = issue(2)
    raw.update(state="closed", closed_at=closed_at)
    raw["pull_request"]["merged_at"] = merged_at
    item = item_from_issue(raw)
    assert (item.done, item.done_at) == (True, closed_at)


def test_a_pull_request_is_recognised_and_typed() -> None:
    raw = issue(2)
    assert is_pull_request(raw)
    assert not is_pull_request(issue(0))
    item = item_from_issue(raw)
    assert item.type == "Pull Request"
    assert item.key == "acme/app#44"
    assert item.author == "dependabot[bot]"


def test_an_object_from_the_pulls_endpoint_is_a_pull_request() -> None:
    assert is_pull_request({"number": 1, "head": {"ref": "x"}, "base": {"ref": "main"}})


def test_a_ghost_author_and_label_strings() -> None:
    raw = issue(3)
    raw["labels"] = ["chore", {"name": "ktlo"}, {"color": "fff"}, ""]
    item = item_from_issue(raw)
    assert item.author == ""
    assert item.labels == ("chore", "ktlo")


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://api.github.com/repos/acme/app/issues/7", "acme/app#7"),
        ("https://api.github.com/repos/acme/other/issues/7", "acme/other#7"),
        ("https://ghe.acme.example/api/v3/repos/team/svc/issues/12", "team/svc#12"),
        ("https://api.github.com/repos/acme/app/pulls/7", None),
        (None, None),
    ],
)
def test_parent_from_parent_issue_url(url: str | None, key: str | None) -> None:
    assert parent_key(url) == key


def test_the_repository_comes_from_html_url_when_repository_url_is_absent() -> None:
    raw = issue(0)
    del raw["repository_url"]
    raw["html_url"] = "https://ghe.acme.example/team/svc/issues/42"
    assert item_from_issue(raw).key == "team/svc#42"


def test_a_passed_repo_serves_objects_that_name_none() -> None:
    raw = {"number": 5, "title": "t", "state": "open"}
    assert item_from_issue(raw, repo="acme/app").key == "acme/app#5"


def test_the_object_own_repository_wins_over_a_passed_repo() -> None:
    assert item_from_issue(issue(0), repo="other/repo").key == "acme/app#42"


def test_malformed_objects_are_errors() -> None:
    with pytest.raises(SourceError, match='no "number"'):
        item_from_issue({"title": "t", "repository_url": "https://api.github.com/repos/a/b"})
    with pytest.raises(SourceError, match="names no repository"):
        item_from_issue({"number": 3, "title": "t"})
    raw = issue(0)
    del raw["title"]
    with pytest.raises(SourceError, match=r'acme/app#42 has no "title"'):
        item_from_issue(raw)


def test_old_answers_mark_every_issue_with_an_empty_pull_request_object() -> None:
    # github.com until 2014, and GitHub Enterprise of that age, answered issues with a
    # "pull_request" object whose links are all null: those are issues.
    raw = issue(0)
    raw["pull_request"] = {"html_url": None, "diff_url": None, "patch_url": None}
    assert not is_pull_request(raw)
    assert item_from_issue(raw).type == "Feature"
    raw["type"] = None
    assert item_from_issue(raw).type == "Issue"
    assert not is_pull_request({**issue(0), "pull_request": None})
    # The same era's pull requests carry their links.
    real = {**issue(0), "pull_request": {"html_url": "https://github.com/acme/app/pull/42"}}
    assert is_pull_request(real)
