"""Export files read by content: Jira search JSON (v2, v3 pages), GitHub arrays, Jira CSV."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tieback.config import Config
from tieback.connectors.files import UNRECOGNISED, FilesSource
from tieback.errors import SourceError
from tieback.model import Item

DATA = Path(__file__).parent / "data"
WriteConfig = Callable[..., Config]
Read = Callable[..., tuple[dict[str, Item], list[str]]]


@pytest.fixture
def read(
    tmp_path: Path, write_config: WriteConfig
) -> Callable[..., tuple[dict[str, Item], list[str]]]:
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


def fail(read: Read, *names: str, extra: str = "") -> str:
    with pytest.raises(SourceError) as caught:
        read(*names, extra=extra)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- Jira search responses -------------------------------------------------------------


def test_a_v2_search_response_resolves_fields_through_names(read: Read) -> None:
    items, warnings = read(
        "jira-search-v2.json",
        extra='[tagging]\njira_field = "Outcome"\n[jira]\nteam_field = "Team"\n',
    )
    assert list(items) == ["GRD-1", "GRD-2", "GRD-3"]
    assert items["GRD-1"].field_refs == ("results-in-a-minute",)
    assert items["GRD-1"].points == 8.0
    assert items["GRD-1"].team == "Grading Squad"
    assert items["GRD-2"].parent == "GRD-1"  # through the Epic Link, found unasked
    assert items["GRD-3"].parent == "GRD-2"
    assert warnings == []


def test_v3_pages_in_one_array_are_read_in_order(read: Read) -> None:
    items, warnings = read("jira-search-v3-pages.json", extra='[tagging]\njira_field = "Outcome"\n')
    assert list(items) == ["EDU-10", "EDU-11"]
    assert items["EDU-10"].field_refs == ("activation", "Results-In-A-Minute")
    assert "Outcome: fast-results" in items["EDU-10"].body.splitlines()
    assert items["EDU-10"].team == "EDU"  # no team_field configured
    assert items["EDU-11"].done is True
    assert warnings == []


def test_a_jira_search_export_keeps_when_each_issue_was_done(read: Read) -> None:
    items, _ = read("jira-search-v2.json", "jira-search-v3-pages.json")
    assert {key: item.done_at for key, item in items.items()} == {
        "GRD-1": "",
        "GRD-2": "2026-11-02T14:03:11.000+0000",  # resolutiondate
        "GRD-3": "",
        "EDU-10": "",
        "EDU-11": "2026-11-06T07:59:58.201+0100",  # no resolution: statuscategorychangedate
    }


def test_a_configured_field_missing_from_the_export_is_a_warning(
    read: Read, tmp_path: Path
) -> None:
    page = json.loads((DATA / "jira-search-v2.json").read_text())
    del page["names"]
    (tmp_path / "no-names.json").write_text(json.dumps(page))
    items, warnings = read(
        "no-names.json", extra='[tagging]\njira_field = "Outcome"\n[coverage]\nweight = "points"\n'
    )
    assert items["GRD-1"].field_refs == ()
    assert items["GRD-1"].points is None
    assert len(warnings) == 2
    assert warnings[0].startswith("no-names.json: Jira field 'Outcome' ([tagging] jira_field)")
    assert "expand=names" in warnings[0]
    assert "[jira] points_field" in warnings[1]


def test_the_default_points_field_is_not_missed_when_counting_items(
    read: Read, tmp_path: Path
) -> None:
    (tmp_path / "bare.json").write_text(json.dumps({"issues": []}))
    assert read("bare.json") == ({}, [])


def test_an_ambiguous_field_name_fails_naming_the_file(read: Read, tmp_path: Path) -> None:
    page = {"issues": [], "names": {"customfield_1": "Team", "customfield_2": "Team"}}
    (tmp_path / "teams.json").write_text(json.dumps(page))
    message = fail(read, "teams.json", extra='[jira]\nteam_field = "Team"\n')
    assert message.startswith("teams.json: Jira field name 'Team' matches several fields")
    assert "customfield_1, customfield_2" in message


def test_a_malformed_issue_names_the_file_and_position(read: Read, tmp_path: Path) -> None:
    page = json.loads((DATA / "jira-search-v2.json").read_text())
    del page["issues"][2]["fields"]["summary"]
    (tmp_path / "bad.json").write_text(json.dumps(page))
    assert fail(read, "bad.json") == "bad.json: issues[2]: GRD-3 has no fields.summary"

    pages = [{"issues": []}, {"issues": [{"fields": {"summary": "x"}}]}]
    (tmp_path / "bad-pages.json").write_text(json.dumps(pages))
    assert fail(read, "bad-pages.json") == 'bad-pages.json: [1].issues[0]: no "key"'

    (tmp_path / "mixed.json").write_text(json.dumps([{"issues": []}, {"number": 1}]))
    assert fail(read, "mixed.json") == "mixed.json: [1] is not a Jira search response page"


# --- GitHub issues arrays ----------------------------------------------------------------


def test_github_pull_requests_are_skipped_and_counted(read: Read) -> None:
    items, warnings = read("github-issues.json")
    assert list(items) == ["acme/app#42", "acme/app#43", "acme/app#45"]
    assert items["acme/app#43"].parent == "acme/app#42"
    assert warnings == [
        "github-issues.json: skipped 1 pull request "
        "(set [github] include_pull_requests = true to count them)"
    ]


def test_a_github_export_keeps_when_each_issue_was_closed(read: Read) -> None:
    items, _ = read("github-issues.json", "github-search.json")
    assert {key: item.done_at for key, item in items.items() if item.done} == {
        "acme/app#43": "2026-10-20T12:00:00Z",
        "acme/app#46": "2026-10-30T08:00:00Z",
    }
    assert all(item.done_at == "" for item in items.values() if not item.done)


def test_github_pull_requests_are_kept_when_asked(read: Read) -> None:
    items, warnings = read("github-issues.json", extra="[github]\ninclude_pull_requests = true\n")
    assert items["acme/app#44"].type == "Pull Request"
    assert warnings == []


def test_a_malformed_github_issue_names_the_file_and_index(read: Read, tmp_path: Path) -> None:
    issues = json.loads((DATA / "github-issues.json").read_text())
    del issues[3]["title"]
    (tmp_path / "gh.json").write_text(json.dumps(issues))
    assert fail(read, "gh.json") == 'gh.json: [3]: acme/app#45 has no "title"'


# --- Jira CSV exports ----------------------------------------------------------------------


def test_a_jira_csv_export(read: Read) -> None:
    items, warnings = read(
        "jira-export.csv",
        extra='[tagging]\njira_field = "Outcome"\n[jira]\nurl = "https://acme.atlassian.net/"\n',
    )
    assert list(items) == ["EDU-20", "EDU-21", "EDU-22", "EDU-23", "EDU-24"]
    epic = items["EDU-20"]
    assert epic.source == "jira"
    assert epic.title == "Teacher onboarding"
    assert epic.url == "https://acme.atlassian.net/browse/EDU-20"
    assert epic.type == "Epic"
    assert epic.status == "In Progress"
    assert epic.done is False
    assert epic.labels == ("outcome:activation", "onboarding")
    # A quoted multi-line description keeps its lines, so the marker line stands alone.
    assert epic.body.splitlines() == [
        "Teachers drop off before their first quiz.",
        "Outcome: fast-results",
        'He said "ship it", then left.',
    ]
    assert epic.author == "Priya Patel"
    assert epic.updated == "2026-11-05T09:15:00"
    assert epic.team == "EDU"

    story = items["EDU-21"]
    assert story.parent == "EDU-20"  # "Parent" holds the issue id 30020
    assert story.done is True
    assert story.points == 3.0

    subtask = items["EDU-22"]
    assert subtask.parent == "EDU-21"
    assert subtask.labels == ("ktlo", "backend", "outcome:old-reports")
    assert subtask.field_refs == ("activation", "results-in-a-minute")
    assert subtask.points is None  # "Story point estimate" is another field

    assert items["EDU-23"].parent == "EDU-20"  # Epic Link holds a key
    assert items["EDU-23"].author == "Sam Lee"  # no creator: the reporter
    assert items["EDU-23"].updated == "2026-10-03T10:00:00"
    assert items["EDU-24"].parent is None
    # "Resolved" in Jira's default format, read as the site's time.
    assert {key: item.done_at for key, item in items.items()} == {
        "EDU-20": "",
        "EDU-21": "2026-11-04T15:30:00",
        "EDU-22": "",
        "EDU-23": "",
        "EDU-24": "",
    }
    assert warnings == [
        "jira-export.csv: 1 parent(s) given by issue id are not in the file; "
        "export them too so their items can inherit tags"
    ]


CSV_HEADER = (
    "Summary,Issue key,Issue Type,Status,Resolution,Resolved,"
    "Status Category,Status Category Changed\r\n"
)


@pytest.mark.parametrize(
    ("resolved", "done_at"),
    [
        ("02/Nov/26 2:03 PM", "2026-11-02T14:03:00"),  # Jira's default
        ("02/nov/26 2:03 pm", "2026-11-02T14:03:00"),
        ("2/Nov/26 9:05 AM", "2026-11-02T09:05:00"),
        ("02/Nov/26 14:03", "2026-11-02T14:03:00"),  # a 24-hour time format
        ("2026-11-02 14:03", "2026-11-02T14:03:00"),  # a site set to yyyy-MM-dd HH:mm
        ("2026-11-02T14:03:11.000+0000", "2026-11-02T14:03:11+00:00"),
        ("2026-11-02", "2026-11-02T00:00:00"),
    ],
)
def test_csv_done_dates_in_the_formats_jira_writes(
    read: Read, tmp_path: Path, resolved: str, done_at: str
) -> None:
    (tmp_path / "x.csv").write_text(
        CSV_HEADER + f"Ship it,EDU-1,Story,Done,Done,{resolved},Done,\r\n", encoding="utf-8"
    )
    items, warnings = read("x.csv")
    assert items["EDU-1"].done_at == done_at
    assert warnings == []


def test_a_csv_item_done_without_a_resolution_is_done_when_its_category_changed(
    read: Read, tmp_path: Path
) -> None:
    (tmp_path / "x.csv").write_text(
        CSV_HEADER
        + "Ship it,EDU-1,Story,Done,,,Done,06/Nov/26 7:59 AM\r\n"
        + "Reopened,EDU-2,Story,In Progress,Done,01/Nov/26 4:00 PM,"
        + "In Progress,05/Nov/26 9:00 AM\r\n",
        encoding="utf-8",
    )
    items, _ = read("x.csv")
    assert items["EDU-1"].done_at == "2026-11-06T07:59:00"
    assert items["EDU-2"].done_at == ""  # not done: its old Resolved date is stale


def test_csv_done_dates_tieback_cannot_read_are_left_out_with_one_warning(
    read: Read, tmp_path: Path
) -> None:
    (tmp_path / "x.csv").write_text(
        CSV_HEADER
        + "One,EDU-1,Story,Done,Done,02.11.26 14:03,Done,\r\n"
        + "Two,EDU-2,Story,Done,Done,03.11.26 09:00,Done,\r\n"
        + "Three,EDU-3,Story,Done,Done,04/Nov/26 3:30 PM,Done,\r\n"
        + "Open,EDU-4,Story,To Do,,garbage,To Do,\r\n",  # not done: its date is not read
        encoding="utf-8",
    )
    items, warnings = read("x.csv")
    assert [item.done_at for item in items.values()] == ["", "", "2026-11-04T15:30:00", ""]
    assert warnings == [
        'x.csv: 2 done items have a done date tieback cannot read (e.g. "02.11.26 14:03"), '
        "so they count as done in no week; tieback reads Jira's default date format "
        '("02/Nov/26 2:03 PM"), yyyy-MM-dd HH:mm and ISO 8601'
    ]


def test_csv_team_field_and_missing_column_warning(read: Read) -> None:
    items, warnings = read(
        "jira-export.csv",
        extra='[tagging]\njira_field = "Outcomes"\n[jira]\nteam_field = "team"\n',
    )
    assert items["EDU-21"].team == "Onboarding"
    assert items["EDU-20"].team == "EDU"
    assert items["EDU-22"].field_refs == ()
    assert warnings[0].startswith(
        'jira-export.csv: no "Custom field (Outcomes)" column for [tagging] jira_field'
    )


def test_an_older_csv_without_status_category(read: Read, tmp_path: Path) -> None:
    # Data Center shape: "Parent id" for sub-tasks, resolution instead of a category.
    (tmp_path / "dc.csv").write_text(
        "\ufeffSummary,Issue key,Issue id,Parent id,Issue Type,Status,Resolution,Labels,Updated\r\n"
        "Story,GRD-7,500,,Story,Closed,Fixed,,2026-11-01 10:00\r\n"
        "Sub,GRD-8,501,500,Sub-task,Open,Unresolved,a,\r\n"
        ",,,,,,,,\r\n",
        encoding="utf-8",
    )
    items, warnings = read("dc.csv")
    assert items["GRD-7"].done is True
    assert items["GRD-7"].updated == "2026-11-01 10:00"  # not Jira's default format: as given
    assert items["GRD-8"].done is False
    assert items["GRD-8"].parent == "GRD-7"
    assert items["GRD-8"].team == "GRD"
    assert warnings == [
        "dc.csv: no Status Category column: done-ness read from Status and Resolution (1 item done)"
    ]


def test_a_csv_row_without_summary_names_the_row(read: Read, tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("Summary,Issue key\nok,A-1\n,A-2\n")
    assert fail(read, "x.csv") == "x.csv: row 2 (A-2): no Summary"


def test_a_csv_without_a_summary_column(read: Read, tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("Issue key,Status\nA-1,Open\n")
    assert fail(read, "x.csv") == 'x.csv: a Jira CSV export needs a "Summary" column'


def test_a_long_description_is_not_cut_by_the_csv_field_limit(read: Read, tmp_path: Path) -> None:
    text = "x" * 300_000
    (tmp_path / "big.csv").write_text(f'Summary,Issue key,Description\nBig,A-1,"{text}"\n')
    items, _ = read("big.csv")
    assert len(items["A-1"].body) == 300_000


# --- many files ---------------------------------------------------------------------------


def test_a_key_in_two_files_keeps_the_last_and_warns(read: Read, tmp_path: Path) -> None:
    later = {"issues": [{"key": "GRD-2", "fields": {"summary": "Renamed"}}]}
    (tmp_path / "later.json").write_text(json.dumps(later))
    items, warnings = read("jira-search-v2.json", "github-issues.json", "later.json")
    assert items["GRD-2"].title == "Renamed"
    assert len(items) == 6
    assert warnings[-1] == (
        "1 item appears in both jira-search-v2.json and later.json (e.g. GRD-2); "
        "kept those from later.json"
    )


def test_a_key_repeated_in_one_file(read: Read, tmp_path: Path) -> None:
    page = json.loads((DATA / "jira-search-v2.json").read_text())
    again = {"summary": "Again", "status": {"name": "To Do", "statusCategory": {"key": "new"}}}
    pages = [page, {"issues": [{"key": "GRD-3", "fields": again}]}]
    (tmp_path / "pages.json").write_text(json.dumps(pages))
    items, warnings = read("pages.json")
    assert items["GRD-3"].title == "Again"
    assert warnings == ["pages.json: 1 item appears more than once (e.g. GRD-3); kept the last"]


def test_reading_twice_does_not_repeat_warnings(write_config: WriteConfig) -> None:
    config = write_config(f'[files]\npaths = ["{DATA / "github-issues.json"}"]\n')
    source = FilesSource(config)
    list(source.items())
    list(source.items())
    assert len(source.warnings) == 1


# --- unreadable files: one line naming the file -------------------------------------------


def test_a_missing_file(read: Read) -> None:
    assert fail(read, "gone.json") == "gone.json: file not found (check [files] paths)"


@pytest.mark.parametrize("content", ["", "  \n\t\n"])
def test_an_empty_file(read: Read, tmp_path: Path, content: str) -> None:
    (tmp_path / "empty.json").write_text(content)
    assert fail(read, "empty.json") == f"empty.json: empty file; {UNRECOGNISED}"


@pytest.mark.parametrize(
    ("content", "shape"),
    [
        ('{"total": 0}', "a JSON object with keys total"),
        ("{}", "an empty JSON object"),
        ('[{"id": 1}]', "a JSON array of objects with keys id"),
        ("[1, 2]", "a JSON array of numbers"),
        (
            '[null, "x", true, [], {}]',
            "a JSON array of nulls and strings and booleans and arrays and empty objects",
        ),
        ("[[1], [2]]", "a JSON array of arrays"),
    ],
)
def test_an_unrecognised_json_file_says_what_it_looks_like(
    read: Read, tmp_path: Path, content: str, shape: str
) -> None:
    (tmp_path / "x.json").write_text(content)
    assert fail(read, "x.json") == (
        f"x.json: {shape}; not a Jira search response, a Jira CSV export, a GitHub issues "
        "array, a GitHub search response or a GitHub Project's items (gh project "
        'item-list) (expected a JSON object with "issues" or "items", '
        'a JSON array of issues or of pages, or a CSV with an "Issue key" column)'
    )
    assert UNRECOGNISED in fail(read, "x.json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Summary,Status\nx,Open\n", 'x.csv: a Jira CSV export needs an "Issue key" column'),
        (
            "just some notes\n",
            'x.csv: not a Jira CSV export tieback can read: no "Issue key" column, and headers '
            'it does not know ("just some notes"); tieback reads English, German, French and '
            "Spanish headers: export with English ones (Jira: set your profile language to "
            "English, then Export → Export Excel CSV (all fields))",
        ),
    ],
)
def test_an_unrecognised_csv_file(read: Read, tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "x.csv").write_text(content)
    assert fail(read, "x.csv") == message


def test_saved_error_responses_are_named(read: Read, tmp_path: Path) -> None:
    (tmp_path / "jira.json").write_text(
        json.dumps({"errorMessages": ["The value 'NOPE' does not exist for the field 'project'."]})
    )
    assert fail(read, "jira.json") == (
        "jira.json: a JSON object with keys errorMessages: looks like a Jira error answer, "
        "not a search: The value 'NOPE' does not exist for the field 'project'."
    )
    (tmp_path / "gh.json").write_text(
        json.dumps({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
    )
    assert fail(read, "gh.json") == (
        "gh.json: a JSON object with keys message, documentation_url: looks like a GitHub "
        "error answer, not issues: Not Found"
    )


def test_invalid_json(read: Read, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"issues": [\n  {"key": "A-1",}\n]}')
    assert fail(read, "x.json").startswith("x.json: not valid JSON: ")


def test_a_non_utf8_file(read: Read, tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_bytes("Summary,Issue key\nCaf\u00e9,A-1\n".encode("latin-1"))
    assert fail(read, "x.csv") == f"x.csv: not UTF-8 text; {UNRECOGNISED}"


def test_a_directory(read: Read, tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    assert fail(read, "exports").startswith("exports: cannot read: ")


def test_an_empty_github_array_is_no_items(read: Read, tmp_path: Path) -> None:
    (tmp_path / "none.json").write_text("[]")
    assert read("none.json") == ({}, [])
