"""GitHub Projects fields as outcome tags: the settings, the live items query, the sync."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import responses

from tieback.alignment import align
from tieback.config import Config, load_config
from tieback.connectors.context import Context
from tieback.connectors.github import github_query
from tieback.connectors.github.source import GithubSource
from tieback.errors import ConfigError, SourceError
from tieback.http import RetryPolicy
from tieback.model import Item
from tieback.outcomes import load_declarations
from tieback.store import Store
from tieback.sync import sync_source

API = "https://api.github.com"
MOCK = "https://api.github.com:443"  # PyGithub's connection names the port
TOKEN = "ghp_projectsTestToken0123456789"
CONFIG = """
[github]
repos = ["acme/app"]
project = "orgs/acme/projects/5"

[tagging]
github_project_field = "Outcome"
"""


# --- settings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ('"orgs/acme/projects/5"', ["orgs/acme/projects/5"]),
        ('"users/ann-smith/projects/12"', ["users/ann-smith/projects/12"]),
        ('"https://github.com/orgs/acme/projects/5"', ["orgs/acme/projects/5"]),
        ('"https://github.com/orgs/acme/projects/5/views/2?pane=info"', ["orgs/acme/projects/5"]),
        ('"https://ghe.acme.example/users/ann/projects/3/"', ["users/ann/projects/3"]),
        (
            '["orgs/acme/projects/5", "https://github.com/orgs/acme/projects/7"]',
            ["orgs/acme/projects/5", "orgs/acme/projects/7"],
        ),
    ],
)
def test_the_project_is_a_path_or_url_or_a_list_of_them(
    write_config: Callable[..., Config], written: str, kept: list[str]
) -> None:
    config = write_config(f"[github]\nrepos = ['acme/app']\nproject = {written}\n")
    assert config.settings.github.project == kept


@pytest.mark.parametrize(
    "written",
    [
        '"acme/5"',
        '"orgs/acme/projects/0"',
        '"orgs/acme/projects/five"',
        '"https://github.com/acme/app/projects/5"',
        '"teams/acme/projects/5"',
        '["orgs/acme/projects/5", "nope"]',
    ],
)
def test_any_other_project_is_one_line_naming_the_key_and_the_shape(
    tmp_path: Path, written: str
) -> None:
    (tmp_path / "tieback.toml").write_text(f"[github]\nproject = {written}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path / "tieback.toml")
    message = str(raised.value)
    assert "[github] project:" in message
    assert "orgs/OWNER/projects/N or users/OWNER/projects/N" in message
    assert "\n" not in message


def test_the_project_field_is_off_by_default(write_config: Callable[..., Config]) -> None:
    config = write_config("[github]\nrepos = ['acme/app']\n")
    assert config.settings.tagging.github_project_field == ""
    assert config.settings.github.project == []
    assert config.settings.github.post_back.set_project_field is False


def test_the_sync_query_changes_with_the_project_and_field_only_when_both_are_set(
    write_config: Callable[..., Config],
) -> None:
    plain = github_query(write_config("[github]\nrepos = ['acme/app']\n"))
    assert plain == f"{API} acme/app issues"  # a store synced before keeps its items
    project = "[github]\nrepos = ['acme/app']\nproject = 'orgs/a/projects/1'"
    half = github_query(write_config(project))
    assert half == plain
    both = github_query(write_config(CONFIG))
    assert both != plain and "orgs/acme/projects/5" in both and "Outcome" in both


# --- the live items query -------------------------------------------------------------


def content(number: int, repo: str = "acme/app", kind: str = "Issue") -> dict[str, Any]:
    return {"__typename": kind, "number": number, "repository": {"nameWithOwner": repo}}


def select(name: str) -> dict[str, Any]:
    return {"__typename": "ProjectV2ItemFieldSingleSelectValue", "name": name}


def text(value: str) -> dict[str, Any]:
    return {"__typename": "ProjectV2ItemFieldTextValue", "text": value}


def node(item_content: dict[str, Any] | None, value: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": "PVTI_lADOBx", "content": item_content, "fieldValueByName": value}


def project_page(
    nodes: list[dict[str, Any]],
    after: str | None = None,
    owner: str = "organization",
    field: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One page of the items query, shaped as GitHub answers it."""
    if field is None:
        field = {
            "__typename": "ProjectV2SingleSelectField",
            "id": "PVTSSF_1",
            "name": "Outcome",
            "dataType": "SINGLE_SELECT",
            "options": [{"id": "a1b2c3d4", "name": "activation"}],
        }
    return {
        "data": {
            owner: {
                "projectV2": {
                    "id": "PVT_kwDOBx",
                    "field": field,
                    "items": {
                        "pageInfo": {"hasNextPage": after is not None, "endCursor": after},
                        "nodes": nodes,
                    },
                }
            }
        }
    }


def issue(number: int, repo: str = "acme/app", **extra: Any) -> dict[str, Any]:
    return {
        "url": f"{API}/repos/{repo}/issues/{number}",
        "repository_url": f"{API}/repos/{repo}",
        "html_url": f"https://github.com/{repo}/issues/{number}",
        "number": number,
        "title": f"Issue {number}",
        "state": "open",
        "labels": [],
        "user": {"login": "ann-smith", "type": "User"},
        "body": None,
        "updated_at": "2026-11-20T10:00:00Z",
        **extra,
    }


@pytest.fixture
def source(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., GithubSource]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)

    def make(config: str = CONFIG) -> GithubSource:
        policy = RetryPolicy(sleep=lambda seconds: None, jitter=lambda low, high: high)
        return GithubSource(Context.of(write_config(config), "github", policy))

    return make


def sent(call: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(call.request.body or b"")
    return body


@responses.activate
def test_field_values_become_field_refs_of_the_issues_they_point_to(
    source: Callable[..., GithubSource],
) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1), issue(2), issue(3), issue(4)])
    responses.post(
        f"{MOCK}/graphql",
        json=project_page(
            [
                node(content(1), select("activation")),
                node(content(2), text("results-in-a-minute, activation")),
                node(content(3), None),  # in the project, field empty
                node({"__typename": "DraftIssue"}, select("activation")),
                node(content(9, kind="PullRequest"), select("activation")),
                node(content(4, repo="acme/other"), select("activation")),  # not configured
                node(None, select("activation")),  # content the token cannot see
            ]
        ),
    )
    [page] = source().pages(None)
    refs = {item.key: item.field_refs for item in page.items}
    assert refs == {
        "acme/app#1": ("activation",),
        "acme/app#2": ("results-in-a-minute", "activation"),
        "acme/app#3": (),
        "acme/app#4": (),  # acme/other#4 is another repository's issue
    }
    [query] = [sent(call) for call in responses.calls if call.request.url == f"{MOCK}/graphql"]
    assert query["variables"] == {"login": "acme", "number": 5, "field": "Outcome", "after": None}
    assert "organization(login: $login)" in query["query"]


@responses.activate
def test_the_items_are_read_100_a_page_following_the_cursor(
    source: Callable[..., GithubSource],
) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1), issue(2)])
    responses.post(
        f"{MOCK}/graphql", json=project_page([node(content(1), select("activation"))], "Y3Vy")
    )
    responses.post(f"{MOCK}/graphql", json=project_page([node(content(2), select("fast-results"))]))
    [page] = source().pages(None)
    assert [item.field_refs for item in page.items] == [("activation",), ("fast-results",)]
    queries = [sent(call) for call in responses.calls if call.request.url == f"{MOCK}/graphql"]
    assert [q["variables"]["after"] for q in queries] == [None, "Y3Vy"]
    assert all("items(first: 100, after: $after)" in q["query"] for q in queries)


@responses.activate
def test_an_item_in_several_projects_gets_every_ref(source: Callable[..., GithubSource]) -> None:
    config = CONFIG.replace(
        'project = "orgs/acme/projects/5"',
        'project = ["orgs/acme/projects/5", "users/ann-smith/projects/2"]',
    )
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1)])
    responses.post(f"{MOCK}/graphql", json=project_page([node(content(1), select("activation"))]))
    responses.post(
        f"{MOCK}/graphql",
        json=project_page([node(content(1), text("Fast-Results"))], owner="user"),
    )
    [page] = source(config).pages(None)
    assert page.items[0].field_refs == ("activation", "Fast-Results")
    queries = [sent(call) for call in responses.calls if call.request.url == f"{MOCK}/graphql"]
    assert "user(login: $login)" in queries[1]["query"]
    assert queries[1]["variables"]["login"] == "ann-smith"


@responses.activate
def test_without_the_field_name_no_project_is_read(source: Callable[..., GithubSource]) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1)])
    config = "[github]\nrepos = ['acme/app']\nproject = 'orgs/acme/projects/5'\n"
    [page] = source(config).pages(None)
    assert page.items[0].field_refs == ()
    assert [call.request.url.split("?")[0] for call in responses.calls] == [
        f"{MOCK}/repos/acme/app/issues"
    ]


@responses.activate
def test_a_project_without_the_field_is_one_line_naming_both_keys(
    source: Callable[..., GithubSource],
) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1)])
    page = project_page([node(content(1), None)])
    page["data"]["organization"]["projectV2"]["field"] = None
    responses.post(f"{MOCK}/graphql", json=page)
    with pytest.raises(SourceError) as raised:
        list(source().pages(None))
    message = str(raised.value)
    assert "[tagging] github_project_field" in message and '"Outcome"' in message
    assert "orgs/acme/projects/5" in message and "\n" not in message


@responses.activate
def test_a_field_of_another_kind_is_a_warning(source: Callable[..., GithubSource]) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1)])
    number_value = {"__typename": "ProjectV2ItemFieldNumberValue"}
    field = {"__typename": "ProjectV2Field", "id": "F1", "name": "Outcome", "dataType": "NUMBER"}
    page_ = project_page([node(content(1), number_value)], field=field)
    responses.post(f"{MOCK}/graphql", json=page_)
    made = source()
    [page] = made.pages(None)
    assert page.items[0].field_refs == ()
    [warning] = made.warnings
    assert "Outcome" in warning and "single-select or text" in warning


NOT_FOUND = {
    "data": {"organization": {"projectV2": None}},
    "errors": [
        {
            "type": "NOT_FOUND",
            "path": ["organization", "projectV2"],
            "locations": [{"line": 3, "column": 5}],
            "message": "Could not resolve to a ProjectV2 with the number 5.",
        }
    ],
}
FORBIDDEN = {
    "data": {"organization": {"projectV2": None}},
    "errors": [
        {
            "type": "FORBIDDEN",
            "path": ["organization", "projectV2"],
            "extensions": {"saml_failure": False},
            "locations": [{"line": 3, "column": 5}],
            "message": "Resource not accessible by integration",
        }
    ],
}
NO_SCOPE = {
    "errors": [
        {
            "type": "INSUFFICIENT_SCOPES",
            "locations": [{"line": 3, "column": 5}],
            "message": "Your token has not been granted the required scopes to execute this "
            "query. The 'projectV2' field requires one of the following scopes: "
            "['read:project'], but your token has only been granted the: ['repo'] scopes. "
            "Please modify your token's scopes at: https://github.com/settings/tokens.",
        }
    ]
}
NO_PROJECTS = {
    "errors": [
        {
            "path": ["query", "organization", "projectV2"],
            "extensions": {
                "code": "undefinedField",
                "typeName": "Organization",
                "fieldName": "projectV2",
            },
            "locations": [{"line": 3, "column": 5}],
            "message": "Field 'projectV2' doesn't exist on type 'Organization'",
        }
    ]
}


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (NOT_FOUND, "GitHub has no project orgs/acme/projects/5, or the token cannot see it"),
        (FORBIDDEN, "the token may not read project orgs/acme/projects/5"),
        (NO_SCOPE, "the token lacks the read:project scope"),
        (NO_PROJECTS, "has no Projects (ProjectV2) in its GraphQL API"),
    ],
)
@responses.activate
def test_a_project_that_cannot_be_read_is_one_line_naming_the_key(
    source: Callable[..., GithubSource], answer: dict[str, Any], said: str
) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1)])
    responses.post(f"{MOCK}/graphql", json=answer)
    with pytest.raises(SourceError) as raised:
        list(source().pages(None))
    message = str(raised.value)
    assert message.startswith("[github] project: ")
    assert said in message
    assert "\n" not in message and TOKEN not in message


@responses.activate
def test_items_the_token_cannot_see_are_skipped_and_the_rest_is_read(
    source: Callable[..., GithubSource],
) -> None:
    """GitHub answers the items it may show beside an error for each one it may not (an
    issue of a repository the token cannot read): partial data, not a failed read."""
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1), issue(2)])
    answer = project_page(
        [node(content(1), select("activation")), node(None, None), node(None, None)]
    )
    answer["errors"] = [
        {
            "type": "FORBIDDEN",
            "path": ["organization", "projectV2", "items", "nodes", index, "content"],
            "extensions": {"saml_failure": False},
            "locations": [{"line": 9, "column": 11}],
            "message": "Resource not accessible by integration",
        }
        for index in (1, 2)
    ]
    responses.post(f"{MOCK}/graphql", json=answer)
    made = source()
    [page] = made.pages(None)
    assert {item.key: item.field_refs for item in page.items} == {
        "acme/app#1": ("activation",),
        "acme/app#2": (),
    }
    assert made.warnings == [
        "github: [github] project orgs/acme/projects/5: skipped 2 items the token cannot "
        "see (GitHub: Resource not accessible by integration)"
    ]


@responses.activate
def test_an_error_outside_the_items_still_stops_the_read(
    source: Callable[..., GithubSource],
) -> None:
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1)])
    answer = project_page([node(content(1), select("activation"))])
    answer["errors"] = [
        {"type": "FORBIDDEN", "path": ["organization", "projectV2"], "message": "no access"}
    ]
    responses.post(f"{MOCK}/graphql", json=answer)
    with pytest.raises(SourceError, match=r"^\[github\] project: the token may not read"):
        list(source().pages(None))


# --- the sync: field changes do not touch updated_at ---------------------------------


@responses.activate
def test_every_sync_reapplies_the_field_to_stored_items_the_listing_skipped(
    source: Callable[..., GithubSource], tmp_path: Path, write_config: Callable[..., Config]
) -> None:
    first = project_page([node(content(1), select("activation")), node(content(2), None)])
    responses.get(f"{MOCK}/repos/acme/app/issues", json=[issue(1), issue(2), issue(3)])
    responses.post(f"{MOCK}/graphql", json=first)
    made = source()
    with Store.open(tmp_path / "store.db") as store:
        sync_source(made, store)
        stored = {item.key: item.field_refs for item in store.items("github")}
        assert stored == {"acme/app#1": ("activation",), "acme/app#2": (), "acme/app#3": ()}

        # Someone sets #2's Outcome and clears #1's; neither issue's updated_at moves, so
        # the incremental listing returns nothing; the project is read again.
        responses.reset()
        responses.get(f"{MOCK}/repos/acme/app/issues", json=[])
        second = project_page(
            [node(content(1), None), node(content(2), text("results-in-a-minute"))]
        )
        # The count of issues and the project are asked at once: answered by what they ask.
        count = {"data": {"r0": {"issues": {"totalCount": 3}}}}
        answers = {"totalCount": count, "projectV2": second}

        def answer(request: Any) -> tuple[int, dict[str, str], str]:
            query = json.loads(request.body)["query"]
            [found] = [body for word, body in answers.items() if word in query]
            return 200, {}, json.dumps(found)

        responses.add_callback(responses.POST, f"{MOCK}/graphql", callback=answer)
        result = sync_source(source(), store)
        assert not result.full and result.fetched == 0
        stored = {item.key: item.field_refs for item in store.items("github")}
        assert stored == {
            "acme/app#1": (),
            "acme/app#2": ("results-in-a-minute",),
            "acme/app#3": (),
        }
        items = list(store.items("github"))
    config = write_config(CONFIG)
    settings = config.settings
    result_ = align(
        items, load_declarations(config), settings.tagging.rules(), settings.exempt.rules()
    )
    by_key = {a.item.key: a for a in result_.alignments}
    assert by_key["acme/app#2"].outcomes == ("results-in-a-minute",)
    assert by_key["acme/app#1"].classification.value == "unaligned"


def test_the_store_rewrites_only_the_refs_that_changed(tmp_path: Path) -> None:
    def stored(key: str, *refs: str) -> Item:
        return Item("github", key, f"Issue {key}", field_refs=refs)

    with Store.open(tmp_path / "store.db") as store:
        store.upsert_items("q", [stored("acme/App#1", "activation"), stored("acme/App#2")])
        store.upsert_items("other", [stored("acme/App#2")])
        # Keys compare as GitHub compares repository names, whatever the case.
        held = {"acme/app#1": ("activation",), "acme/app#2": ("x", "y"), "acme/app#9": ("z",)}
        assert store.set_field_refs("github", "q", held) == 1
        assert store.set_field_refs("github", "q", held) == 0  # nothing changed: no write
        assert store.set_field_refs("github", "q", {}) == 2  # every value cleared
        refs = {(i.key, i.field_refs) for i in store.items(scopes=[("github", "q")])}
        assert refs == {("acme/App#1", ()), ("acme/App#2", ())}
        assert [i.field_refs for i in store.items(scopes=[("github", "other")])] == [()]


# --- offline: gh project item-list --format json -------------------------------------

DATA = Path(__file__).parents[1] / "data"
EXPORT = "gh-project-item-list.json"  # shaped as gh 2.x writes it (cli/cli format/json.go)


def read_files(
    write_config: Callable[..., Config], tmp_path: Path, *names: str, extra: str = ""
) -> tuple[list[Item], list[str]]:
    from tieback.connectors.files import FilesSource

    for name in names:
        if (DATA / name).exists():
            shutil.copy(DATA / name, tmp_path / name)
    paths = ", ".join(json.dumps(name) for name in names)
    tagging = '[tagging]\ngithub_project_field = "Outcome"\n'
    files = FilesSource(write_config(f"[files]\npaths = [{paths}]\n{tagging}{extra}"))
    return list(files.items()), files.warnings


def test_an_export_alone_makes_its_issues_items_with_the_field_as_refs(
    write_config: Callable[..., Config], tmp_path: Path
) -> None:
    items, warnings = read_files(write_config, tmp_path, EXPORT)
    by_key = {item.key: item for item in items}
    # The draft issue has no issue behind it; the pull request is not counted.
    assert sorted(by_key) == [
        "acme/app#43",
        "acme/app#44",
        "acme/app#45",
        "acme/web#7",
        "acme/web#8",
    ]
    web = by_key["acme/web#7"]
    assert web.field_refs == ("activation",)
    assert (web.title, web.url) == (
        "Teachers see the quiz wizard on first login",
        "https://github.com/acme/web/issues/7",
    )
    assert (web.type, web.status, web.done, web.team) == ("Issue", "In Progress", False, "acme/web")
    assert web.labels == ("bug",) and "Outcome: fast-results" in web.body
    assert by_key["acme/app#44"].field_refs == ("results-in-a-minute", "activation")
    assert by_key["acme/app#45"].field_refs == ()
    assert by_key["acme/web#8"].done  # a project Status of "Done": closed
    assert warnings == []


def test_pull_requests_of_an_export_count_when_configured(
    write_config: Callable[..., Config], tmp_path: Path
) -> None:
    extra = "[github]\ninclude_pull_requests = true\n"
    items, _ = read_files(write_config, tmp_path, EXPORT, extra=extra)
    [pull] = [item for item in items if item.key == "acme/app#50"]
    assert pull.type == "Pull Request" and pull.field_refs == ("results-in-a-minute",)


@pytest.mark.parametrize("order", ["issues first", "project first"])
def test_an_export_tags_the_issues_another_export_holds(
    write_config: Callable[..., Config], tmp_path: Path, order: str
) -> None:
    names = ["github-issues.json", EXPORT]
    if order == "project first":
        names.reverse()
    items, warnings = read_files(write_config, tmp_path, *names)
    by_key = {item.key: item for item in items}
    cached = by_key["acme/app#43"]
    # The issue stays as the issues export has it (closed, its author), with the refs.
    assert (cached.status, cached.done, cached.author) == ("closed", True, "bo-jones")
    assert cached.field_refs == ("activation",)
    assert type(cached) is Item
    assert by_key["acme/app#42"].field_refs == ()
    assert by_key["acme/web#7"].field_refs == ("activation",)  # the project's alone
    assert len(items) == 6
    # A project's entry is no repeat of the issue.
    assert warnings == [
        "github-issues.json: skipped 1 pull request "
        "(set [github] include_pull_requests = true to count them)"
    ]


def test_an_item_in_two_project_exports_gets_the_refs_of_both(
    write_config: Callable[..., Config], tmp_path: Path
) -> None:
    other = {
        "items": [
            {
                "content": {
                    "type": "Issue",
                    "body": "",
                    "title": "Cache rendered grades",
                    "number": 43,
                    "repository": "acme/app",
                    "url": "https://github.com/acme/app/issues/43",
                },
                "id": "PVTI_lADOCmQx1s4A8pZuzgX00009",
                "outcome": "Fast-Results",
                "repository": "https://github.com/acme/app",
                "title": "Cache rendered grades",
            }
        ],
        "totalCount": 1,
    }
    (tmp_path / "roadmap.json").write_text(json.dumps(other))
    items, _ = read_files(write_config, tmp_path, "github-issues.json", EXPORT, "roadmap.json")
    [cached] = [item for item in items if item.key == "acme/app#43"]
    assert cached.field_refs == ("activation", "Fast-Results")


def test_an_export_cut_short_by_gh_s_limit_is_a_warning(
    write_config: Callable[..., Config], tmp_path: Path
) -> None:
    document = json.loads((DATA / EXPORT).read_text())
    document["totalCount"] = 120
    (tmp_path / "cut.json").write_text(json.dumps(document))
    _, warnings = read_files(write_config, tmp_path, "cut.json")
    [warning] = warnings
    assert "cut.json: holds 7 of the project's 120 items" in warning
    assert "--limit 120" in warning


def test_an_export_without_the_field_is_a_warning(
    write_config: Callable[..., Config], tmp_path: Path
) -> None:
    shutil.copy(DATA / EXPORT, tmp_path / EXPORT)
    config = write_config(
        f'[files]\npaths = ["{EXPORT}"]\n[tagging]\ngithub_project_field = "Outcome Area"\n'
    )
    from tieback.connectors.files import FilesSource

    files = FilesSource(config)
    items = list(files.items())
    assert all(item.field_refs == () for item in items)
    [warning] = files.warnings
    assert f'{EXPORT}: no item has a value of the field "Outcome Area"' in warning
    assert '"outcome Area"' in warning and "[tagging] github_project_field" in warning


def test_an_export_tags_the_issues_a_sync_stored_and_keeps_them_as_synced(
    write_config: Callable[..., Config], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tieback.backlog import read_items, sync_files
    from tieback.connectors import tracker_queries

    shutil.copy(DATA / EXPORT, tmp_path / EXPORT)
    config = write_config(
        f'[github]\nrepos = ["acme/app"]\n[files]\npaths = ["{EXPORT}"]\n'
        '[tagging]\ngithub_project_field = "Outcome"\n'
    )
    synced = Item(
        "github",
        "acme/app#43",
        "Cache rendered grades",
        status="closed",
        done=True,
        labels=("ktlo",),
        author="bob-jones",
        team="acme/app",
    )
    with Store.open(config.store_location) as store:
        store.upsert_items(tracker_queries(config)["github"], [synced])
    for _ in range(2):  # and again once the exports are copied into the store
        items, _ = read_items(config)
        [cached] = [item for item in items if item.key == "acme/app#43"]
        assert cached == synced._replace(field_refs=("activation",))
        assert type(cached) is Item
        assert len(items) == 5
        sync_files(config)


@pytest.mark.parametrize(
    ("written", "said"),
    [
        (
            "[github]\nrepos = ['acme/app']\nproject = 'orgs/acme/projects/5'\n",
            "[github] project is set but [tagging] github_project_field is empty",
        ),
        (
            "[github]\nrepos = ['acme/app']\n[github.post_back]\nset_project_field = true\n"
            "[tagging]\ngithub_project_field = 'Outcome'\n",
            "[github.post_back] set_project_field needs [github] project",
        ),
    ],
)
def test_lint_says_when_half_of_the_project_settings_are_set(
    write_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch, written: str, said: str
) -> None:
    from tieback.commands.lint import lint_config

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    assert any(said in line for line in lint_config(write_config(written)))
    assert not any("project" in line for line in lint_config(write_config(CONFIG)))
