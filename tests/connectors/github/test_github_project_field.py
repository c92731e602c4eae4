"""Post-back to a GitHub Project: an issue tagged by a label alone gets the project's
Outcome field set to that outcome, one write at a time, never over a value set."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import responses

from factories import item
from tieback.alignment import align
from tieback.config import Config
from tieback.connectors.context import Context
from tieback.connectors.github import github_query
from tieback.connectors.github.sink import GithubSink
from tieback.connectors.sink import ActionKind
from tieback.errors import SinkError
from tieback.http import RetryPolicy
from tieback.model import Item
from tieback.outcomes import load_declarations
from tieback.report import Report, build_report
from tieback.store import Store

MOCK = "https://api.github.com:443"  # PyGithub names the port; responses matches as sent
CONFIG = """
[github]
repos = ["acme/app"]
project = "orgs/acme/projects/5"

[github.post_back]
missing_label = ""
set_project_field = true

[tagging]
github_project_field = "Outcome"
"""
SELECT = {
    "__typename": "ProjectV2SingleSelectField",
    "id": "PVTSSF_lADOBx",
    "name": "Outcome",
    "dataType": "SINGLE_SELECT",
    "options": [
        {"id": "47fc9ee4", "name": "Results-in-a-minute"},
        {"id": "98236657", "name": "activation"},
    ],
}
TEXT = {"__typename": "ProjectV2Field", "id": "PVTF_lADOBx", "name": "Outcome", "dataType": "TEXT"}


def issue(number: int, *labels: str, **fields: Any) -> Item:
    return item(f"acme/app#{number}", source="github", team="acme/app", labels=labels, **fields)


def entry(number: int, value: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": f"PVTI_lADOBx{number}",
        "content": {
            "__typename": "Issue",
            "number": number,
            "repository": {"nameWithOwner": "acme/app"},
        },
        "fieldValueByName": value,
    }


def project(nodes: list[dict[str, Any]], field: dict[str, Any] = SELECT) -> dict[str, Any]:
    items = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": nodes}
    node = {"id": "PVT_kwDOBx", "field": field, "items": items}
    return {"data": {"organization": {"projectV2": node}}}


@pytest.fixture
def config(write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_sinkToken0123456789")
    return write_config(CONFIG)


def report_of(config: Config, *items: Item) -> Report:
    with Store.open(config.store_location) as store:
        store.upsert_items(github_query(config), items)
        stored = list(store.items())
    settings = config.settings
    declarations = load_declarations(config)
    alignments = align(
        stored, declarations, settings.tagging.rules(), settings.exempt.rules()
    ).alignments
    return build_report(alignments, declarations, settings.coverage.rules())


def sink(config: Config) -> GithubSink:
    return GithubSink(Context.of(config, "github", RetryPolicy(sleep=lambda _: None)))


def mutations() -> list[dict[str, Any]]:
    sent = [json.loads(call.request.body or b"") for call in responses.calls]
    return [body["variables"] for body in sent if "updateProjectV2ItemFieldValue" in body["query"]]


@responses.activate
def test_a_label_alone_sets_the_empty_field_to_its_outcome(config: Config) -> None:
    report = report_of(
        config,
        issue(1, "outcome:fast-results"),  # label only, field empty: set (canonical option)
        issue(2, "outcome:activation"),  # field set already: left alone
        issue(3, "outcome:activation", field_refs=("activation",)),  # tagged by the field
        issue(4, "outcome:activation", body="Outcome: activation"),  # a marker line too
        issue(5),  # untagged: nothing to set
        issue(6, "outcome:activation"),  # not in the project
        issue(7, "outcome:nope"),  # unaligned
    )
    responses.post(
        f"{MOCK}/graphql",
        json=project(
            [
                entry(1),
                entry(2, {"__typename": "ProjectV2ItemFieldSingleSelectValue", "name": "x"}),
                entry(3),
                entry(4),
                entry(5),
                entry(7),
            ]
        ),
    )
    made = sink(config)
    actions = made.plan(report)
    assert [(a.key, a.kind, a.detail) for a in actions] == [
        (
            "acme/app#1",
            ActionKind.SET_FIELD,
            'Outcome = "Results-in-a-minute" in orgs/acme/projects/5',
        )
    ]
    assert mutations() == []  # planning writes nothing
    changed = {"data": {"updateProjectV2ItemFieldValue": {"projectV2Item": {"id": "PVTI_lADOBx1"}}}}
    responses.post(f"{MOCK}/graphql", json=changed)
    assert made.apply(actions) == actions
    assert mutations() == [
        {
            "project": "PVT_kwDOBx",
            "item": "PVTI_lADOBx1",
            "field": "PVTSSF_lADOBx",
            "value": {"singleSelectOptionId": "47fc9ee4"},
        }
    ]
    assert made.failures == []


@responses.activate
def test_a_text_field_takes_the_outcome_id(config: Config) -> None:
    report = report_of(config, issue(1, "outcome:Fast-Results"))
    responses.post(f"{MOCK}/graphql", json=project([entry(1)], field=TEXT))
    made = sink(config)
    [action] = made.plan(report)
    assert action.detail == 'Outcome = "results-in-a-minute" in orgs/acme/projects/5'
    changed = {"data": {"updateProjectV2ItemFieldValue": {"projectV2Item": {"id": "PVTI_1"}}}}
    responses.post(f"{MOCK}/graphql", json=changed)
    made.apply([action])
    assert mutations()[0]["value"] == {"text": "results-in-a-minute"}


@responses.activate
def test_an_outcome_without_an_option_is_a_warning_not_a_write(config: Config) -> None:
    select = {**SELECT, "options": [{"id": "98236657", "name": "activation"}]}
    report = report_of(config, issue(1, "outcome:results-in-a-minute"))
    responses.post(f"{MOCK}/graphql", json=project([entry(1)], field=select))
    made = sink(config)
    assert made.plan(report) == []
    [warning] = made.warnings
    assert 'orgs/acme/projects/5 has no option "results-in-a-minute"' in warning
    assert "acme/app#1" in warning


@responses.activate
def test_a_refused_write_is_one_failure_and_the_rest_still_go(config: Config) -> None:
    report = report_of(config, issue(1, "outcome:activation"), issue(2, "outcome:activation"))
    responses.post(f"{MOCK}/graphql", json=project([entry(1), entry(2)]))
    made = sink(config)
    actions = made.plan(report)
    assert len(actions) == 2
    refused = {
        "data": {"updateProjectV2ItemFieldValue": None},
        "errors": [
            {
                "type": "FORBIDDEN",
                "path": ["updateProjectV2ItemFieldValue"],
                "message": "Resource not accessible by integration",
            }
        ],
    }
    responses.post(f"{MOCK}/graphql", json=refused)
    changed = {"data": {"updateProjectV2ItemFieldValue": {"projectV2Item": {"id": "PVTI_2"}}}}
    responses.post(f"{MOCK}/graphql", json=changed)
    assert made.apply(actions) == actions[1:]
    assert made.failures == [
        'acme/app#1: set field Outcome = "activation" in orgs/acme/projects/5 failed: '
        "GitHub GraphQL: Resource not accessible by integration"
    ]


@responses.activate
def test_a_rejected_token_stops_the_run(config: Config) -> None:
    report = report_of(config, issue(1, "outcome:activation"), issue(2, "outcome:activation"))
    responses.post(f"{MOCK}/graphql", json=project([entry(1), entry(2)]))
    made = sink(config)
    actions = made.plan(report)
    responses.post(f"{MOCK}/graphql", status=401, json={"message": "Bad credentials"})
    with pytest.raises(SinkError, match="rejected the token"):
        made.apply(actions)
    assert len(mutations()) == 1


@responses.activate
def test_off_by_default_nothing_is_read(write_config: Callable[..., Config]) -> None:
    config = write_config(CONFIG.replace("set_project_field = true", ""))
    report = report_of(config, issue(1, "outcome:activation"))
    assert sink(config).plan(report) == []
    assert len(responses.calls) == 0


@responses.activate
def test_a_project_that_cannot_be_read_stops_the_plan_in_one_line(config: Config) -> None:
    report = report_of(config, issue(1, "outcome:activation"))
    missing = {
        "data": {"organization": {"projectV2": None}},
        "errors": [
            {
                "type": "NOT_FOUND",
                "path": ["organization", "projectV2"],
                "message": "Could not resolve to a ProjectV2 with the number 5.",
            }
        ],
    }
    responses.post(f"{MOCK}/graphql", json=missing)
    with pytest.raises(SinkError, match=r"^\[github\] project: GitHub has no project"):
        sink(config).plan(report)
