"""Exports as the trackers and their tools really write them: ``gh api --paginate --slurp``
pages, GitHub search answers, old GitHub Enterprise answers, Jira 5.x searches, searches
fetched through Atlassian's API gateway, ``jq .issues`` arrays, Data Center CSV exports
without a status category, and CSV exports in German, French and Spanish."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import OUTCOMES_TOML

from tieback.cli import main
from tieback.config import Config
from tieback.connectors.files import FilesSource
from tieback.errors import SourceError
from tieback.model import Item

DATA = Path(__file__).parent / "data"
Read = Callable[..., tuple[dict[str, Item], list[str]]]


@pytest.fixture
def read(tmp_path: Path, write_config: Callable[..., Config]) -> Read:
    """Copy fixtures beside a tieback.toml naming them, read them, return items and warnings."""

    def run(*names: str, extra: str = "") -> tuple[dict[str, Item], list[str]]:
        for name in names:
            if (DATA / name).exists():
                shutil.copy(DATA / name, tmp_path / name)
        paths = ", ".join(json.dumps(name) for name in names)
        source = FilesSource(write_config(f"[files]\npaths = [{paths}]\n{extra}"))
        items = {item.key: item for item in source.items()}
        return items, source.warnings

    return run


def fail(read: Read, name: str, extra: str = "") -> str:
    with pytest.raises(SourceError) as caught:
        read(name, extra=extra)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- gh api --paginate --slurp: an array of pages ----------------------------------------


def test_slurped_github_pages_are_read_in_order_with_an_empty_page_between(read: Read) -> None:
    items, warnings = read("github-slurp.json")
    assert list(items) == ["acme/app#51", "acme/app#50", "acme/app#47"]
    assert items["acme/app#51"].labels == ("outcome:activation",)
    assert items["acme/app#47"].done is True
    assert items["acme/app#50"].url == "https://github.com/acme/app/issues/50"
    assert warnings == [
        "github-slurp.json: skipped 1 pull request "
        "(set [github] include_pull_requests = true to count them)"
    ]


def test_a_slurped_page_that_is_not_an_array_names_its_position(read: Read, tmp_path: Path) -> None:
    pages = json.loads((DATA / "github-slurp.json").read_text())
    pages[2][1] = "not an issue"
    (tmp_path / "pages.json").write_text(json.dumps(pages))
    assert fail(read, "pages.json") == "pages.json: [2][1]: not a GitHub issue object"
    (tmp_path / "mixed.json").write_text(json.dumps([pages[0], {"number": 3}]))
    assert fail(read, "mixed.json") == "mixed.json: [1] is not a page of issues (a JSON array)"


def test_pages_written_one_after_another_ask_for_slurp(read: Read, tmp_path: Path) -> None:
    # gh api --paginate without --slurp prints each page's array as it comes.
    pages = json.loads((DATA / "github-slurp.json").read_text())
    (tmp_path / "pages.json").write_text("".join(json.dumps(page) + "\n" for page in pages))
    assert fail(read, "pages.json") == (
        "pages.json: not valid JSON: several JSON documents one after another (line 2 "
        "column 1); with gh api --paginate, add --slurp to write one array of pages"
    )


def test_all_slurped_pages_empty_is_no_items(read: Read, tmp_path: Path) -> None:
    (tmp_path / "none.json").write_text("[[], []]")
    assert read("none.json") == ({}, [])


# --- GitHub /search/issues answers ---------------------------------------------------------


def test_a_github_search_answer(read: Read) -> None:
    items, warnings = read("github-search.json")
    assert list(items) == ["acme/app#51", "acme/app#46"]
    assert items["acme/app#46"].done is True
    assert items["acme/app#51"].labels == ("outcome:activation",)
    assert warnings == []


def test_slurped_github_search_pages_warn_when_github_cut_the_search_short(read: Read) -> None:
    items, warnings = read("github-search-slurp.json")
    assert list(items) == ["acme/app#51", "acme/app#46"]
    assert warnings == [
        'github-search-slurp.json: GitHub marked the search incomplete ("incomplete_results": '
        "true), so some issues may be missing; export it again or narrow the query"
    ]


# --- old GitHub Enterprise answers ---------------------------------------------------------


def test_old_enterprise_issues_with_null_pull_request_links_are_issues(read: Read) -> None:
    items, warnings = read("github-enterprise-2.json")
    assert list(items) == ["team/svc#12", "team/svc#11"]
    assert items["team/svc#12"].type == "Issue"
    assert items["team/svc#12"].url == "https://ghe.acme.example/team/svc/issues/12"
    assert items["team/svc#11"].done is True
    assert warnings == [
        "github-enterprise-2.json: skipped 1 pull request "
        "(set [github] include_pull_requests = true to count them)"
    ]


# --- Jira answers without a status category ------------------------------------------------


def test_a_jira_5_search_reads_done_ness_from_status_and_resolution(read: Read) -> None:
    items, warnings = read("jira-server-5.json", extra='[tagging]\njira_field = "Outcome"\n')
    done = {key: item.done for key, item in items.items()}
    assert done == {
        "OPS-1": False,  # In Progress
        "OPS-2": True,  # Resolved, Fixed
        "OPS-3": False,  # Reopened, with the resolution it had before
        "OPS-4": True,  # Done, without a resolution
        "OPS-5": True,  # Closed, Won't Fix
        "OPS-6": False,  # Open
    }
    assert items["OPS-2"].parent == "OPS-1"  # the Epic Link, found through "names"
    assert items["OPS-4"].parent == "OPS-2"
    assert items["OPS-6"].field_refs == ("activation",)
    assert items["OPS-1"].url == "http://jira.acme.example:8080/browse/OPS-1"
    # Done when resolved; a done status without a resolution says no date.
    assert {key: item.done_at for key, item in items.items()} == {
        "OPS-1": "",
        "OPS-2": "2013-06-01T17:00:00.000+0200",
        "OPS-3": "",  # reopened: its resolution date is stale
        "OPS-4": "",
        "OPS-5": "2013-06-01T17:00:00.000+0200",
        "OPS-6": "",
    }
    assert warnings == [
        "jira-server-5.json: 6 issues have no status category (fields.status.statusCategory): "
        "done-ness read from the status name and the resolution (3 items done)"
    ]


def test_a_bare_array_of_jira_issues_is_read(read: Read) -> None:
    items, warnings = read("jira-issues-array.json", extra='[tagging]\njira_field = "Outcome"\n')
    assert list(items) == ["OPS-1", "OPS-2", "OPS-3"]
    assert items["OPS-2"].done is True
    assert items["OPS-2"].parent is None  # the Epic Link is unnamed without "names"
    assert warnings == [
        "jira-issues-array.json: Jira field 'Outcome' ([tagging] jira_field) not found; "
        'export the whole search response with expand=names (not only its "issues"), '
        "or name the field by its id",
        "jira-issues-array.json: 3 issues have no status category "
        "(fields.status.statusCategory): done-ness read from the status name and the "
        "resolution (1 item done)",
    ]


def test_a_malformed_issue_in_a_bare_array_names_its_position(read: Read, tmp_path: Path) -> None:
    issues = json.loads((DATA / "jira-issues-array.json").read_text())
    del issues[1]["fields"]["summary"]
    (tmp_path / "bad.json").write_text(json.dumps(issues))
    assert fail(read, "bad.json") == "bad.json: [1]: OPS-2 has no fields.summary"


# --- links of Jira JSON exports ------------------------------------------------------------


def test_jira_json_items_link_to_the_configured_site(read: Read) -> None:
    extra = '[jira]\nurl = "https://jira.acme.example/"\n'
    items, _ = read("jira-server-5.json", extra=extra)
    assert items["OPS-1"].url == "https://jira.acme.example/browse/OPS-1"
    items, warnings = read("jira-cloud-gateway.json", extra=extra)
    assert items["EDU-31"].url == "https://jira.acme.example/browse/EDU-31"
    assert warnings == []


def test_a_search_through_the_api_gateway_never_links_to_the_gateway(read: Read) -> None:
    items, warnings = read("jira-cloud-gateway.json")
    assert [item.url for item in items.values()] == ["", "", ""]
    assert items["EDU-32"].done is True
    assert warnings == [
        "jira-cloud-gateway.json: the issues were fetched through Atlassian's API gateway "
        "(api.atlassian.com), whose links name no site, so items have no links; set [jira] url "
        "to the site (e.g. https://acme.atlassian.net) to link them"
    ]


# --- Jira CSV exports ----------------------------------------------------------------------


def test_a_data_center_csv_without_status_category(read: Read) -> None:
    items, warnings = read("jira-server-export.csv", extra='[tagging]\njira_field = "Outcome"\n')
    done = {key: item.done for key, item in items.items()}
    assert done == {
        "GRD-11": False,  # In Progress, Unresolved
        "GRD-12": False,  # Reopened: "Fixed" and its Resolved date are stale
        "GRD-13": True,  # Closed, Fixed
        "GRD-14": False,  # Open
        "GRD-15": True,  # Resolved, Fixed
        "GRD-16": True,  # a status we cannot read, with a resolution
        "GRD-17": False,  # In Review
    }
    assert items["GRD-11"].labels == ("outcome:results-in-a-minute",)
    assert items["GRD-12"].labels == ("backend",)
    assert items["GRD-12"].parent == "GRD-11"
    assert items["GRD-14"].parent == "GRD-12"  # "Parent id" through "Issue id"
    assert items["GRD-17"].field_refs == ("results-in-a-minute",)
    assert items["GRD-12"].points == 5.0
    # Done items are done when resolved, in the site's time; a reopened one is not done.
    assert {key: item.done_at for key, item in items.items() if item.done_at} == {
        "GRD-13": "2026-10-30T14:00:00",
        "GRD-15": "2026-11-02T09:00:00",
        "GRD-16": "2026-11-03T09:00:00",
    }
    assert warnings == [
        "jira-server-export.csv: no Status Category column: done-ness read from Status and "
        "Resolution (3 items done)"
    ]


LOCALISED = ["jira-export-de.csv", "jira-export-fr.csv", "jira-export-es.csv"]
CLOUD_CONFIG = (
    '[tagging]\njira_field = "Outcome"\n'
    '[jira]\nurl = "https://acme.atlassian.net"\nteam_field = "Team"\n'
    '[coverage]\nweight = "points"\n'
)


@pytest.mark.parametrize("name", LOCALISED)
def test_csv_exports_in_german_french_and_spanish(read: Read, name: str) -> None:
    items, warnings = read(name, extra=CLOUD_CONFIG)
    assert warnings == []
    assert list(items) == ["EDU-40", "EDU-41", "EDU-42", "EDU-43"]
    epic, story, copy, chore = items.values()
    assert (epic.title, epic.type, epic.done) == ("Teacher onboarding", "Epic", False)
    assert epic.url == "https://acme.atlassian.net/browse/EDU-40"
    assert epic.labels == ("outcome:activation", "onboarding")
    assert epic.body.splitlines() == ["Teachers drop off.", "Outcome: fast-results"]
    assert epic.author == "Priya Patel"
    assert epic.team == "EDU"
    assert (story.done, story.parent, story.points, story.team) == (
        True,
        "EDU-40",
        3.0,
        "Onboarding",
    )
    assert copy.field_refs == ("results-in-a-minute",)
    assert (copy.done, copy.parent) == (False, "EDU-40")
    assert (chore.labels, chore.done) == (("ktlo",), False)
    assert [item.done_at for item in items.values()] == ["", "2026-11-04T15:30:00", "", ""]


def test_a_csv_export_in_another_language_names_its_headers(read: Read) -> None:
    assert fail(read, "jira-export-it.csv") == (
        'jira-export-it.csv: not a Jira CSV export tieback can read: no "Issue key" column, '
        'and headers it does not know ("Riepilogo", "Chiave ticket", "ID ticket", '
        '"Tipo di ticket", "Stato" and 10 more); tieback reads English, German, French and '
        "Spanish headers: export with English ones (Jira: set your profile language to "
        "English, then Export → Export Excel CSV (all fields))"
    )


def test_an_unknown_status_category_falls_back_to_status_and_resolution(
    read: Read, tmp_path: Path
) -> None:
    (tmp_path / "x.csv").write_text(
        "Summary,Issue key,Status,Resolution,Status Category\n"
        "a,A-1,Completato,Fatto,Completato\n"
        "b,A-2,Aperto,,Da fare\n"
        "c,A-3,Done,Done,Done\n"
    )
    items, warnings = read("x.csv")
    assert [item.done for item in items.values()] == [True, False, True]
    assert warnings == [
        'x.csv: 2 items have a status category tieback does not know (e.g. "Completato"): '
        "done-ness read from Status and Resolution (1 item done)"
    ]


# --- anything else: say what it looks like -------------------------------------------------


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {
                "errorMessages": ["The value 'NOPE' does not exist for the field 'project'."],
                "errors": {},
            },
            "a JSON object with keys errorMessages, errors: looks like a Jira error answer, "
            "not a search: The value 'NOPE' does not exist for the field 'project'.",
        ),
        (
            {"errorMessages": [], "errors": {"jql": "Field 'Outcome' does not exist."}},
            "a JSON object with keys errorMessages, errors: looks like a Jira error answer, "
            "not a search: jql: Field 'Outcome' does not exist.",
        ),
        (
            {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest/issues/issues",
                "status": "404",
            },
            "a JSON object with keys message, documentation_url, status: looks like a GitHub "
            "error answer, not issues: Not Found",
        ),
        (
            {"data": None, "errors": [{"message": "Could not resolve to a Repository"}]},
            "a JSON object with keys data, errors: looks like a GraphQL answer; tieback reads "
            "REST answers (a Jira search, GitHub's issues or search/issues)",
        ),
        (
            {"expand": "", "id": "10100", "self": "x", "key": "GRD-1", "fields": {}},
            "a JSON object with keys expand, id, self, key, fields: looks like a single Jira "
            "issue, not a search (put it in a JSON array to read it alone)",
        ),
        (
            {"number": 4, "title": "t", "html_url": "https://github.com/a/b/issues/4"},
            "a JSON object with keys number, title, html_url: looks like a single GitHub "
            "issue, not an issues array (put it in a JSON array to read it alone)",
        ),
    ],
)
def test_a_json_document_that_is_not_issues_says_what_it_looks_like(
    read: Read, tmp_path: Path, document: dict[str, Any], message: str
) -> None:
    (tmp_path / "x.json").write_text(json.dumps(document))
    assert fail(read, "x.json") == f"x.json: {message}"


# --- end to end: tieback audit --format json -----------------------------------------------


@pytest.fixture
def audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., dict[str, Any]]:
    """Run ``tieback audit --offline --format json`` in-process on a project listing one
    export (offline: ``[jira] url`` alone, set for the links, turns on the live source)."""
    for name in list(os.environ):
        if name.upper().startswith("TIEBACK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outcomes.toml").write_text(OUTCOMES_TOML)

    def run(name: str, extra: str = "", *args: str) -> dict[str, Any]:
        shutil.copy(DATA / name, tmp_path / name)
        (tmp_path / "tieback.toml").write_text(f'[files]\npaths = ["{name}"]\n{extra}')
        assert main(["audit", "--offline", "--format", "json", *args]) == 0, capsys.readouterr().err
        report: dict[str, Any] = json.loads(capsys.readouterr().out)
        return report

    return run


def unaligned(report: dict[str, Any]) -> dict[str, str]:
    return {entry["key"]: entry["url"] for entry in report["unaligned"]}


def test_audit_reads_slurped_github_pages(audit: Callable[..., dict[str, Any]]) -> None:
    report = audit("github-slurp.json")
    assert report["totals"]["items"] == 2  # #51 and #50 open; #47 closed; #49 a pull request
    assert unaligned(report) == {"acme/app#50": "https://github.com/acme/app/issues/50"}
    assert "github-slurp.json: skipped 1 pull request" in " ".join(report["warnings"])


def test_audit_reads_a_github_search_answer(audit: Callable[..., dict[str, Any]]) -> None:
    report = audit("github-search.json", "", "--scope", "all")
    assert report["totals"]["items"] == 2
    assert report["totals"]["aligned"] == 2


def test_audit_counts_old_enterprise_issues(audit: Callable[..., dict[str, Any]]) -> None:
    report = audit("github-enterprise-2.json")
    assert report["totals"]["items"] == 1  # team/svc#12; #11 closed; #10 a pull request
    assert report["totals"]["aligned"] == 1  # "Outcome: fast-results" in its body


def test_audit_of_a_jira_5_search(audit: Callable[..., dict[str, Any]]) -> None:
    report = audit("jira-server-5.json", '[jira]\nurl = "https://jira.acme.example"\n')
    # Open: OPS-1 (tagged), OPS-3 (reopened, under OPS-1's epic), OPS-6 (untagged).
    assert report["totals"]["items"] == 3
    assert unaligned(report) == {"OPS-6": "https://jira.acme.example/browse/OPS-6"}
    assert any("6 issues have no status category" in line for line in report["warnings"])


def test_audit_of_a_gateway_search(audit: Callable[..., dict[str, Any]]) -> None:
    report = audit("jira-cloud-gateway.json")
    assert unaligned(report) == {"EDU-31": "", "EDU-33": ""}
    assert any("api.atlassian.com" in line for line in report["warnings"])
    report = audit("jira-cloud-gateway.json", '[jira]\nurl = "https://acme.atlassian.net"\n')
    assert unaligned(report) == {
        "EDU-31": "https://acme.atlassian.net/browse/EDU-31",
        "EDU-33": "https://acme.atlassian.net/browse/EDU-33",
    }


def test_audit_of_a_data_center_csv(audit: Callable[..., dict[str, Any]]) -> None:
    report = audit("jira-server-export.csv", '[jira]\nurl = "https://jira.acme.example"\n')
    # Open: GRD-11 (tagged), GRD-12 and GRD-14 (under it), GRD-17 (untagged).
    assert report["totals"]["items"] == 4
    assert unaligned(report) == {"GRD-17": "https://jira.acme.example/browse/GRD-17"}
    assert (
        "jira-server-export.csv: no Status Category column: done-ness read from Status and "
        "Resolution (3 items done)"
    ) in report["warnings"]


@pytest.mark.parametrize("name", LOCALISED)
def test_audit_of_localised_csv_exports(audit: Callable[..., dict[str, Any]], name: str) -> None:
    report = audit(name, '[jira]\nurl = "https://acme.atlassian.net"\n')
    # Open: EDU-40 (tagged), EDU-42 (its child), EDU-43 (untagged); EDU-41 is done.
    assert report["totals"]["items"] == 3
    assert unaligned(report) == {"EDU-43": "https://acme.atlassian.net/browse/EDU-43"}
    assert [line for line in report["warnings"] if name in line] == []
