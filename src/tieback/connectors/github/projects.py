"""GitHub Projects (ProjectV2): a project field's values as outcome refs of the issues its
items point to, read over GraphQL or from ``gh project item-list --format json`` exports.

A project item's field does not belong to its issue: setting it moves neither the
issue's ``updated_at`` nor anything the REST issue listing returns. So the sync reads
each project's items whole every time (100 a request) and hands the refs on by key;
the export reader turns an export's entries into ``TagsOnly`` items that give their
refs to the item of the same key another source holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tieback.connectors.github.settings import project_parts
from tieback.errors import SourceError
from tieback.model import TagsOnly
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text

if TYPE_CHECKING:
    from tieback.connectors.github.client import GithubApiError, GithubClient

# The project with its field (the sink needs its id and options) and one page of items.
_PROJECT = """
    projectV2(number: $number) {
      id
      field(name: $field) {
        __typename
        ... on ProjectV2FieldCommon { id name dataType }
        ... on ProjectV2SingleSelectField { options { id name } }
      }
      items(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          content {
            __typename
            ... on Issue { number repository { nameWithOwner } }
            ... on PullRequest { number repository { nameWithOwner } }
          }
          fieldValueByName(name: $field) {
            __typename
            ... on ProjectV2ItemFieldSingleSelectValue { name }
            ... on ProjectV2ItemFieldTextValue { text }
          }
        }
      }
    }
"""
_VARIABLES = "$login: String!, $number: Int!, $field: String!, $after: String"
ORG_PROJECT_ITEMS_QUERY = (
    f"query({_VARIABLES}) {{\n  organization(login: $login) {{{_PROJECT}  }}\n}}\n"
)
USER_PROJECT_ITEMS_QUERY = f"query({_VARIABLES}) {{\n  user(login: $login) {{{_PROJECT}  }}\n}}\n"
# By the field that owns the project (``project_parts``).
PROJECT_ITEMS_QUERIES = {"organization": ORG_PROJECT_ITEMS_QUERY, "user": USER_PROJECT_ITEMS_QUERY}
SET_PROJECT_FIELD_MUTATION = """
mutation($project: ID!, $item: ID!, $field: ID!, $value: ProjectV2FieldValue!) {
  updateProjectV2ItemFieldValue(
    input: {projectId: $project, itemId: $item, fieldId: $field, value: $value}
  ) {
    projectV2Item { id }
  }
}
"""
# GitHub keeps at most 50,000 items in a project: more pages than that is a loop.
MAX_PAGES = 500
# The field types whose values are refs; the others (numbers, dates...) are not.
READ_TYPES = frozenset({"SINGLE_SELECT", "TEXT"})
_KINDS = {"Issue": "Issue", "PullRequest": "Pull Request"}


@dataclass(frozen=True)
class ProjectField:
    """The configured field of one project: its id, type and (single-select) options."""

    id: str
    name: str
    data_type: str  # SINGLE_SELECT, TEXT, NUMBER ...
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)  # option name → id


@dataclass(frozen=True)
class ProjectEntry:
    """One issue or pull request in a project, with its field's refs (none when empty)."""

    key: str  # owner/repo#N, as GitHub spells the repository
    item_id: str
    kind: str  # "Issue" or "Pull Request"
    refs: tuple[str, ...]


@dataclass
class Project:
    """What a project holds of the field: read whole, every page."""

    path: str  # orgs/acme/projects/5
    id: str = ""
    field: ProjectField | None = None
    entries: list[ProjectEntry] = dataclasses.field(default_factory=list)
    requests: int = 0
    # GitHub's word on each item left out because the token may not see it.
    hidden: list[str] = dataclasses.field(default_factory=list)


def refs_of(value: Mapping[str, Any]) -> tuple[str, ...]:
    """The refs of a ``fieldValueByName`` answer: a single-select option's name, or a
    text's comma-separated parts; nothing for an empty field or another type."""
    kind = value.get("__typename")
    if kind == "ProjectV2ItemFieldSingleSelectValue":
        name = _text(value.get("name")).strip()
        return (name,) if name else ()
    if kind == "ProjectV2ItemFieldTextValue":
        return split_refs(_text(value.get("text")))
    return ()


def split_refs(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def read_project(client: GithubClient, path: str, field_name: str, host: str) -> Project:
    """Every issue and pull request of the project ``path`` with the field's refs.

    Raises SourceError in one line naming ``[github] project`` when GitHub will not
    show the project, or ``[tagging] github_project_field`` when it has no such field.
    """
    from tieback.connectors.github.client import GithubApiError

    owner, login, number = project_parts(path)
    project = Project(path)
    after: str | None = None
    for _ in range(MAX_PAGES):
        variables = {"login": login, "number": number, "field": field_name, "after": after}
        project.requests += 1
        try:
            data, hidden = client.graphql_partial(
                PROJECT_ITEMS_QUERIES[owner], variables, within="nodes"
            )
        except GithubApiError as exc:
            raise _unreadable(exc, path, host) from None
        project.hidden.extend(hidden)
        node = _mapping(_mapping(data.get(owner)).get("projectV2"))
        if not node:
            raise SourceError(f"[github] project: GitHub has no project {path}{_SEE}")
        if project.field is None:
            project.id = _text(node.get("id"))
            project.field = _field(node.get("field"), path, field_name)
        items = _mapping(node.get("items"))
        project.entries.extend(_entries(items.get("nodes")))
        info = _mapping(items.get("pageInfo"))
        cursor = _text(info.get("endCursor"))
        if not info.get("hasNextPage") or not cursor or cursor == after:
            return project
        after = cursor
    raise SourceError(
        f"[github] project: {path} has more than {MAX_PAGES * 100} items, more than GitHub "
        "keeps in a project; stopped reading it"
    )


_SEE = (
    ", or the token cannot see it: check the key, and that the token's account can open the project"
)


def _unreadable(exc: GithubApiError, path: str, host: str) -> SourceError:
    """One line for a project GitHub would not show; a rejected token stays as it is."""
    if exc.status == 401:
        return exc
    said = str(exc).removeprefix("GitHub GraphQL: ")
    if exc.kind == "NOT_FOUND":
        return SourceError(f"[github] project: GitHub has no project {path}{_SEE} ({said})")
    if exc.kind == "INSUFFICIENT_SCOPES" or "read:project" in said:
        return SourceError(
            f"[github] project: the token lacks the read:project scope to read {path}: add "
            "it (gh auth refresh -s read:project), or use a fine-grained token with read "
            "access to the owner's projects"
        )
    if exc.kind == "FORBIDDEN":
        return SourceError(
            f"[github] project: the token may not read project {path} ({said}); in GitHub "
            "Actions, GITHUB_TOKEN cannot read an organization's projects: use a GitHub "
            "App's token or a personal access token that can"
        )
    if "doesn't exist on type" in said and "projectv2" in said.lower():
        return SourceError(
            f"[github] project: GitHub at {host} has no Projects (ProjectV2) in its GraphQL "
            "API (an older GitHub Enterprise Server): remove [github] project, or export the "
            "items with gh project item-list into [files] paths"
        )
    return SourceError(f"[github] project {path}: {said}")


def _field(raw: object, path: str, name: str) -> ProjectField:
    node = _mapping(raw)
    if not node:
        raise SourceError(
            f'[tagging] github_project_field = "{name}": project {path} has no field of that '
            "name; give the name as the project shows it"
        )
    options = {
        _text(_mapping(option).get("name")): _text(_mapping(option).get("id"))
        for option in node.get("options") or []
    }
    data_type = _text(node.get("dataType"))
    if not data_type and node.get("__typename") == "ProjectV2SingleSelectField":
        data_type = "SINGLE_SELECT"
    return ProjectField(_text(node.get("id")), _text(node.get("name")) or name, data_type, options)


def _entries(nodes: object) -> Iterator[ProjectEntry]:
    """The issues and pull requests among a page's items; draft issues (no issue
    behind them) and items whose content the token cannot see are left out."""
    for raw in nodes if isinstance(nodes, list) else ():
        node = _mapping(raw)
        content = _mapping(node.get("content"))
        kind = _KINDS.get(_text(content.get("__typename")))
        number = content.get("number")
        repo = _text(_mapping(content.get("repository")).get("nameWithOwner"))
        if kind is None or not isinstance(number, int) or not repo:
            continue
        refs = refs_of(_mapping(node.get("fieldValueByName")))
        yield ProjectEntry(f"{repo}#{number}", _text(node.get("id")), kind, refs)


def unread_type(project: Project) -> str | None:
    """The type of the project's field when its values are not refs (a number, a date)."""
    data_type = project.field.data_type if project.field else ""
    if not data_type or data_type in READ_TYPES:
        return None
    return data_type.lower().replace("_", "-")


# --- exports: gh project item-list --format json -------------------------------------


def is_project_export(document: Mapping[str, Any]) -> bool:
    """``{"items": [...], "totalCount": N}``, as ``gh project item-list`` writes it."""
    return isinstance(document.get("items"), list) and "totalCount" in document


def export_key(field_name: str) -> str:
    """The key gh names a field by in an export: its name with the first letter in lower
    case ("Outcome" → "outcome", "Outcome Area" → "outcome Area")."""
    return field_name[:1].lower() + field_name[1:]


def export_refs(value: object) -> tuple[str, ...]:
    """A field's value in an export: a text or an option's name (comma-separated refs),
    or a list of names (a labels field)."""
    if isinstance(value, str):
        return split_refs(value)
    if isinstance(value, list):
        return tuple(ref for element in value for ref in export_refs(element))
    return ()


def export_entries(
    document: Mapping[str, Any], field_name: str, include_pulls: bool
) -> Iterator[tuple[int, TagsOnly]]:
    """The export's issues (and pull requests when counted) as ``TagsOnly`` items, with
    where each is in ``items``. What the export says of the issue (title, URL, body, the
    project's Labels and Status fields) makes the item when no other source has it; a
    Status of "Done" (a project's default workflow sets it when the issue closes) is
    taken for closed, the export saying nothing of the issue's own state."""
    wanted = export_key(field_name) if field_name else ""
    for position, raw in enumerate(document["items"]):
        entry = _mapping(raw)
        content = _mapping(entry.get("content"))
        kind = _KINDS.get(_text(content.get("type")))
        number = content.get("number")
        repo = _text(content.get("repository"))
        if kind is None or not isinstance(number, int) or isinstance(number, bool) or not repo:
            continue
        if kind == "Pull Request" and not include_pulls:
            continue
        status = _text(entry.get("status"))
        labels = entry.get("labels")
        yield (
            position,
            TagsOnly(
                source="github",
                key=f"{repo}#{number}",
                title=_text(content.get("title")) or _text(entry.get("title")),
                url=_text(content.get("url")),
                type=kind,
                status=status,
                done=status.casefold() == "done",
                labels=tuple(n for n in labels if isinstance(n, str) and n)
                if isinstance(labels, list)
                else (),
                field_refs=export_refs(entry.get(wanted)) if wanted else (),
                body=_text(content.get("body")),
                team=repo,
            ),
        )


def holds_field(document: Mapping[str, Any], field_name: str) -> bool:
    """Whether some item of the export has the field set (gh leaves empty ones out)."""
    wanted = export_key(field_name)
    return any(wanted in _mapping(entry) for entry in document["items"])
