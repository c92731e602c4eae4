"""Jira REST issue objects (v2 and v3) to items: field resolution, ADF, every field."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from factories import sample_declarations
from tieback.alignment import Tagger
from tieback.connectors.jira.payload import JiraFields, adf_text, item_from_issue, team_name
from tieback.errors import SourceError
from tieback.rules import TagRules

DATA = Path(__file__).parents[1] / "data"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


V2 = load("jira-search-v2.json")
V3_PAGE = load("jira-search-v3-pages.json")[0]
V2_FIELDS = JiraFields.resolve(V2["names"], points="Story Points", team="Team", outcome="Outcome")
V3_FIELDS = JiraFields.resolve(
    V3_PAGE["names"], points="story points", team="TEAM", outcome="Outcome"
)


def v2_issue(index: int) -> dict[str, Any]:
    return copy.deepcopy(V2["issues"][index])


# --- field resolution -----------------------------------------------------------------


def test_resolve_matches_names_case_insensitively_and_finds_epic_link() -> None:
    resolved = V3_FIELDS
    assert resolved == JiraFields(
        points="customfield_10026",
        team="customfield_10001",
        outcome="customfield_10050",
        epic_link="customfield_10014",
    )


def test_resolve_accepts_a_literal_field_id_even_when_names_lack_it() -> None:
    fields = JiraFields.resolve({}, points="customfield_10016", outcome="CustomField_99")
    assert fields.points == "customfield_10016"
    assert fields.outcome == "customfield_99"
    assert fields.team is None
    assert fields.epic_link is None


def test_resolve_leaves_unknown_names_unresolved() -> None:
    fields = JiraFields.resolve({"customfield_1": "Sprint"}, points="Story Points", team="Squad")
    assert fields == JiraFields()


def test_an_ambiguous_name_is_an_error_listing_every_candidate() -> None:
    # jira.atlassian.com really has three fields named "Story Points".
    names = {
        "customfield_10623": "Story Points",
        "customfield_10571": "Story Points",
        "customfield_10653": "story points",
        "customfield_11930": "Sprint",
    }
    with pytest.raises(SourceError) as caught:
        JiraFields.resolve(names, points="Story Points")
    message = str(caught.value)
    assert "customfield_10571, customfield_10623, customfield_10653" in message
    assert "[jira] points_field" in message
    assert "customfield_11930" not in message


def test_an_ambiguous_outcome_field_names_the_tagging_key() -> None:
    names = {"customfield_1": "Outcome", "customfield_2": "Outcome"}
    with pytest.raises(SourceError, match=r"\[tagging\] jira_field"):
        JiraFields.resolve(names, outcome="outcome")


def test_an_ambiguous_epic_link_is_left_out_because_nobody_asked_for_it() -> None:
    names = {"customfield_1": "Epic Link", "customfield_2": "Epic Link"}
    assert JiraFields.resolve(names).epic_link is None


# --- v2 (Data Center) ---------------------------------------------------------------------


def test_v2_epic_maps_every_field() -> None:
    item = item_from_issue(v2_issue(0), V2_FIELDS)
    assert item.source == "jira"
    assert item.key == "GRD-1"
    assert item.title == "Grade quizzes as they are submitted"
    # The site keeps its context path (/jira), taken from the self link.
    assert item.url == "https://jira.acme.example/jira/browse/GRD-1"
    assert item.type == "Epic"
    assert item.status == "In Progress"
    assert item.done is False
    assert item.labels == ("outcome:results-in-a-minute", "backend")
    assert item.field_refs == ("results-in-a-minute",)
    assert "\nOutcome: fast-results\r" in item.body
    assert item.parent is None
    assert item.points == 8.0
    assert item.team == "Grading Squad"
    assert item.author == "asmith"  # the creator's username, not the reporter
    assert item.updated == "2026-11-02T09:15:30.000+0000"


def test_v2_story_takes_its_epic_link_as_parent_and_reads_string_points() -> None:
    item = item_from_issue(v2_issue(1), V2_FIELDS)
    assert item.parent == "GRD-1"
    assert item.points == 3.0
    assert item.done is True
    assert item.body == ""
    assert item.field_refs == ()
    assert item.team == "GRD"  # empty team field: the project key
    assert item.author == "bjones"  # no creator: the reporter


def test_v2_subtask_parent_and_multi_select_refs() -> None:
    item = item_from_issue(v2_issue(2), V2_FIELDS)
    assert item.parent == "GRD-2"
    assert item.field_refs == ("activation", "old-reports")
    assert item.points is None


def test_fields_parent_wins_over_the_epic_link() -> None:
    raw = v2_issue(2)
    raw["fields"]["customfield_12311140"] = "GRD-1"
    assert item_from_issue(raw, V2_FIELDS).parent == "GRD-2"


def test_an_explicit_base_url_wins_over_the_self_link() -> None:
    item = item_from_issue(v2_issue(0), V2_FIELDS, base_url="https://jira.example/")
    assert item.url == "https://jira.example/browse/GRD-1"


def test_no_self_link_and_no_base_url_gives_no_url() -> None:
    raw = v2_issue(0)
    del raw["self"]
    assert item_from_issue(raw, V2_FIELDS).url == ""


def test_without_configured_fields_nothing_custom_is_read() -> None:
    item = item_from_issue(v2_issue(0), JiraFields())
    assert item.field_refs == ()
    assert item.points is None
    assert item.team == "GRD"


def test_team_falls_back_to_the_key_prefix_without_a_project() -> None:
    raw = v2_issue(1)
    del raw["fields"]["project"]
    assert item_from_issue(raw, V2_FIELDS).team == "GRD"


@pytest.mark.parametrize(
    ("value", "refs"),
    [
        ("a, B ,,c", ("a", "B", "c")),
        ({"value": "x", "id": "1"}, ("x",)),
        ([{"value": "x"}, "y, z", None], ("x", "y", "z")),
        (None, ()),
        ("", ()),
        (7, ()),
    ],
)
def test_outcome_field_values_are_flattened(value: object, refs: tuple[str, ...]) -> None:
    raw = v2_issue(0)
    raw["fields"]["customfield_10200"] = value
    assert item_from_issue(raw, V2_FIELDS).field_refs == refs


@pytest.mark.parametrize(
    ("value", "points"),
    [(5, 5.0), (2.5, 2.5), (" 13 ", 13.0), ("lots", None), (None, None), (True, None)],
)
def test_points_accept_numbers_and_numeric_strings(value: object, points: float | None) -> None:
    raw = v2_issue(0)
    raw["fields"]["customfield_12310243"] = value
    assert item_from_issue(raw, V2_FIELDS).points == points


@pytest.mark.parametrize(
    ("value", "team"),
    [
        ("Grading", "Grading"),
        ({"value": "Grading", "id": "10400"}, "Grading"),
        ([{"value": "Grading"}, {"value": "Onboarding"}], "Grading"),
        ({"id": "72e1-uuid", "name": "Grading", "title": "Grading (old)"}, "Grading"),
        ({"id": "72e1-uuid", "title": "Grading"}, "Grading"),
        ([{"displayName": "Ann Smith", "accountId": "1"}], "Ann Smith"),
        ([], ""),
        ({}, ""),
        (None, ""),
    ],
)
def test_team_values_of_every_shape(value: object, team: str) -> None:
    assert team_name(value) == team


def test_an_empty_team_value_falls_back_to_the_project() -> None:
    raw = v2_issue(0)
    raw["fields"]["customfield_12313240"] = []
    assert item_from_issue(raw, V2_FIELDS).team == "GRD"


def test_a_missing_key_or_summary_is_an_error() -> None:
    raw = v2_issue(0)
    del raw["key"]
    with pytest.raises(SourceError, match='no "key"'):
        item_from_issue(raw, V2_FIELDS)
    raw = v2_issue(0)
    del raw["fields"]["summary"]
    with pytest.raises(SourceError, match=r"GRD-1 has no fields\.summary"):
        item_from_issue(raw, V2_FIELDS)


# --- v3 (Cloud): ADF descriptions, team objects, account ids ---------------------------------


def test_v3_story_maps_every_field() -> None:
    item = item_from_issue(V3_PAGE["issues"][0], V3_FIELDS)
    assert item.url == "https://acme.atlassian.net/browse/EDU-10"
    assert item.parent == "EDU-9"
    assert item.status == "In Review"
    assert item.done is False
    assert item.points == 5.0
    assert item.team == "Onboarding"
    assert item.field_refs == ("activation", "Results-In-A-Minute")
    assert item.author == "Priya Patel"  # Cloud has no usernames: the display name


def test_adf_is_flattened_one_line_per_block() -> None:
    body = item_from_issue(V3_PAGE["issues"][0], V3_FIELDS).body
    assert body.splitlines() == [
        "Why",
        "Asked by @Priya Patel 🎉",
        "Outcome: activation",
        "checklist card",
        "see https://acme.atlassian.net/browse/EDU-9",
        "Metric",
        "Outcome: fast-results",
        "print('hi')",
    ]


def test_marker_lines_inside_adf_are_found_by_the_alignment_rules() -> None:
    item = item_from_issue(V3_PAGE["issues"][0], V3_FIELDS)
    refs = Tagger(TagRules()).direct_refs(item)
    assert {"activation", "fast-results"} <= set(refs)
    index = sample_declarations().index
    assert index["fast-results"].id == "results-in-a-minute"


def test_adf_edge_nodes() -> None:
    document = {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "emoji", "attrs": {"shortName": ":awthanks:"}},
                    {"type": "text", "text": " on "},
                    {"type": "date", "attrs": {"timestamp": "1767225600000"}},
                    {"type": "text", "text": " "},
                    {"type": "status", "attrs": {"text": "BLOCKED", "color": "red"}},
                ],
            },
            {"type": "rule"},
            {"type": "paragraph", "content": []},
            {"type": "blockCard", "attrs": {"url": "https://example.com/spec"}},
            {"type": "panel", "content": [{"type": "paragraph", "content": [{"type": "text"}]}]},
            {"type": "mysteryBlock", "content": [{"type": "text", "text": "kept"}]},
        ],
    }
    assert adf_text(document) == ":awthanks: on 2026-01-01 BLOCKED\nhttps://example.com/spec\nkept"


def test_adf_inline_nodes_and_line_ends() -> None:
    document = {
        "type": "doc",
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Asked by "},
                    {"type": "mention", "attrs": {"id": "5b10", "text": "@Ann Lee"}},
                    {"type": "hardBreak"},
                    {"type": "text", "text": "Outcome:", "marks": [{"type": "strong"}]},
                    {"type": "text", "text": " activation, see "},
                    {"type": "inlineCard", "attrs": {"url": "https://example.com/a"}},
                    "not a node",
                ],
            },
            {"type": "embedCard", "attrs": {"url": "https://example.com/b"}},
            {"type": "bulletList", "content": [{"type": "listItem", "content": "no list"}]},
            {"type": "text", "text": 42},  # not text: nothing
        ],
    }
    assert adf_text(document) == (
        "Asked by @Ann Lee\nOutcome: activation, see https://example.com/a\nhttps://example.com/b"
    )


def test_a_v3_issue_without_creator_takes_the_reporter_display_name() -> None:
    raw = copy.deepcopy(V3_PAGE["issues"][0])
    del raw["fields"]["creator"]
    assert item_from_issue(raw, V3_FIELDS).author == "Sam Lee"


# --- done-ness without a status category (Jira 5.x, trimmed exports) ------------------


def jira5_issue(status: str, resolution: str | None) -> dict[str, Any]:
    """An issue as Jira 5.x answers it: the status has no statusCategory."""
    return {
        "expand": "editmeta,renderedFields,transitions,changelog,operations",
        "id": "10400",
        "self": "http://jira.acme.example:8080/rest/api/2/issue/10400",
        "key": "OPS-4",
        "fields": {
            "summary": "Rotate the backup keys",
            "status": {
                "self": "http://jira.acme.example:8080/rest/api/2/status/5",
                "description": "",
                "iconUrl": "http://jira.acme.example:8080/images/icons/statuses/resolved.png",
                "name": status,
                "id": "5",
            },
            "resolution": None
            if resolution is None
            else {
                "self": "http://jira.acme.example:8080/rest/api/2/resolution/1",
                "id": "1",
                "description": "A fix for this issue is checked into the tree and tested.",
                "name": resolution,
            },
        },
    }


@pytest.mark.parametrize(
    ("status", "resolution", "done"),
    [
        ("Resolved", "Fixed", True),
        ("Closed", "Won't Fix", True),
        ("Done", None, True),  # a done status without a resolution screen
        ("RESOLVED", None, True),
        ("Erledigt", None, True),
        ("Reopened", "Fixed", False),  # the resolution outlived the reopening
        ("In Progress", "Fixed", False),
        ("Open", None, False),
        ("Waiting for deploy", "Fixed", True),  # a status we cannot read: the resolution
        ("Waiting for deploy", None, False),
    ],
)
def test_without_a_status_category_done_ness_comes_from_status_and_resolution(
    status: str, resolution: str | None, done: bool
) -> None:
    assert item_from_issue(jira5_issue(status, resolution), JiraFields()).done is done


def test_a_status_category_still_decides_when_there_is_one() -> None:
    raw = jira5_issue("Closed", "Fixed")
    raw["fields"]["status"]["statusCategory"] = {"id": 4, "key": "indeterminate"}
    assert item_from_issue(raw, JiraFields()).done is False
    raw["fields"]["status"]["statusCategory"] = {"id": 1, "key": "undefined"}
    assert item_from_issue(raw, JiraFields()).done is True  # "No Category": as without one


def test_an_issue_fetched_through_the_api_gateway_has_no_browse_link_of_its_own() -> None:
    raw = v2_issue(0)
    raw["self"] = (
        "https://api.atlassian.com/ex/jira/3f1c8a7e-0d2b-4c55-9e61-5b0c2f7d9a14/rest/api/3/issue/10100"
    )
    assert item_from_issue(raw, V2_FIELDS).url == ""
    item = item_from_issue(raw, V2_FIELDS, base_url="https://acme.atlassian.net")
    assert item.url == "https://acme.atlassian.net/browse/GRD-1"


# --- done dates: resolutiondate, else when the status category became done ------------


def test_a_done_v2_issue_is_done_at_its_resolution_date() -> None:
    assert item_from_issue(v2_issue(1), V2_FIELDS).done_at == "2026-11-02T14:03:11.000+0000"
    # An issue in progress has no done date, whenever its category last changed.
    assert item_from_issue(v2_issue(0), V2_FIELDS).done_at == ""


def test_a_done_v3_issue_without_a_resolution_is_done_when_its_category_became_done() -> None:
    # Team-managed projects' done statuses often set no resolution.
    done = item_from_issue(load("jira-search-v3-pages.json")[1]["issues"][0], V3_FIELDS)
    assert done.done is True
    assert done.done_at == "2026-11-06T07:59:58.201+0100"
    assert item_from_issue(V3_PAGE["issues"][0], V3_FIELDS).done_at == ""


@pytest.mark.parametrize(
    ("category", "resolved", "changed", "done_at"),
    [
        (
            "done",
            "2026-11-02T14:03:11.000+0000",
            "2026-11-03T08:00:00.000+0000",
            "2026-11-02T14:03:11.000+0000",
        ),
        ("done", None, "2026-11-03T08:00:00.000+0000", "2026-11-03T08:00:00.000+0000"),
        ("done", None, None, ""),  # Data Center before statuscategorychangedate, no resolution
        # Reopened: the resolution date outlives the reopening, the item is not done.
        ("indeterminate", "2026-11-02T14:03:11.000+0000", "2026-11-04T09:00:00.000+0000", ""),
        ("new", None, "2026-11-04T09:00:00.000+0000", ""),
    ],
)
def test_the_done_date_follows_done_ness(
    category: str, resolved: str | None, changed: str | None, done_at: str
) -> None:
    raw = v2_issue(1)
    raw["fields"]["status"]["statusCategory"]["key"] = category
    raw["fields"]["resolutiondate"] = resolved
    raw["fields"]["statuscategorychangedate"] = changed
    assert item_from_issue(raw, V2_FIELDS).done_at == done_at


def test_an_issue_without_a_status_category_is_done_at_its_resolution_date() -> None:
    raw = jira5_issue("Resolved", "Fixed")
    raw["fields"]["resolutiondate"] = "2013-06-01T17:00:00.000+0200"
    assert item_from_issue(raw, JiraFields()).done_at == "2013-06-01T17:00:00.000+0200"
    raw = jira5_issue("Reopened", "Fixed")  # the resolution outlived the reopening
    raw["fields"]["resolutiondate"] = "2013-06-01T17:00:00.000+0200"
    assert item_from_issue(raw, JiraFields()).done_at == ""
    # Done by its status name, never resolved: no date says when.
    assert item_from_issue(jira5_issue("Done", None), JiraFields()).done_at == ""


# Descriptions as Jira Cloud writes them, and odd ones: text (with marks, or not a
# string), inline nodes, paragraphs with and without content, nested blocks, and
# children that are not nodes at all.
_WORDS = st.text(min_size=1, max_size=8)
_TEXT = st.fixed_dictionaries(
    {"type": st.just("text"), "text": st.one_of(_WORDS, st.just(""), st.integers(), st.none())},
    optional={"marks": st.just([{"type": "strong"}])},
)
_PLAIN = st.builds(
    lambda texts: {"type": "paragraph", "content": [{"type": "text", "text": t} for t in texts]},
    st.lists(st.one_of(_WORDS, st.just("")), max_size=3),
)
_INLINE = st.one_of(
    _TEXT,
    st.just({"type": "hardBreak"}),
    st.builds(lambda text: {"type": "mention", "attrs": {"text": text}}, st.text(max_size=5)),
    st.just({"type": "inlineCard", "attrs": {"url": "https://example.com/a"}}),
    st.just("not a node"),
)
_NODES = st.recursive(
    _INLINE,
    lambda children: st.builds(
        lambda kind, content: {"type": kind, **content},
        st.sampled_from(["paragraph", "heading", "bulletList", "listItem", "panel", "mystery"]),
        st.one_of(
            st.builds(lambda nodes: {"content": nodes}, st.lists(children, max_size=4)),
            st.just({}),
            st.just({"content": "not a list"}),
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=300)
# Text left at the document's level before a paragraph ends its line first.
@example([{"type": "text", "text": "a"}, {"type": "paragraph"}, {"type": "text", "text": "b"}])
@example(
    [
        {"type": "text", "text": "a"},
        {"type": "paragraph", "content": [{"type": "text", "text": "b"}]},
    ]
)
@given(st.lists(st.one_of(_PLAIN, st.just({"type": "paragraph"}), _NODES), max_size=6))
def test_adf_paragraphs_of_plain_text_read_as_the_whole_walk_reads_them(
    blocks: list[Any],
) -> None:
    # A document's paragraphs of plain text are read without the general walk; a node of
    # a type the walk does not know is walked whole, children and all, with the same
    # lines around them: so the two must always agree.
    document = {"type": "doc", "version": 1, "content": blocks}
    assert adf_text(document) == adf_text({"type": "not a doc", "content": blocks})
