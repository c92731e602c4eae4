"""Jira REST issue objects (API v2 and v3) as work items, and their fields; no network."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tieback.errors import SourceError
from tieback.model import Item
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text

if TYPE_CHECKING:
    from tieback.config import Tagging
    from tieback.connectors.jira.settings import Jira

CUSTOM_FIELD_ID = re.compile(r"customfield_\d+", re.IGNORECASE)
EPIC_LINK = "Epic Link"
# Atlassian's API gateway (OAuth 2.0 apps, scoped API tokens) answers with self links
# under https://api.atlassian.com/ex/jira/<cloud id>/: they name no site to browse.
API_GATEWAY = "://api.atlassian.com/"

# Done-ness without a status category (Jira before 6.1, trimmed exports, "No Category"
# statuses): status names that clearly say open or done, lower-cased. They are the
# default workflows' statuses (classic, Jira Software, Jira Service Management) in
# English, with the German, French and Spanish names those sites show. Any other
# status is done when the issue has a resolution.
OPEN_STATUSES = frozenset(
    {
        *("open", "reopened", "new", "to do", "backlog", "selected for development"),
        *("in progress", "in review", "under review", "in development", "in testing"),
        *("blocked", "on hold", "waiting for support", "waiting for customer", "pending"),
        # German, French and Spanish names of the same statuses.
        *("offen", "erneut geöffnet", "wieder geöffnet", "neu", "zu erledigen"),
        *("für die entwicklung ausgewählt", "in arbeit", "in prüfung", "blockiert"),
        *("ouvert", "ouverte", "rouvert", "rouverte", "réouvert", "nouveau", "à faire"),
        *("sélectionné pour le développement", "en cours", "en revue", "bloqué"),
        *("abierta", "abierto", "reabierta", "reabierto", "nueva", "por hacer"),
        *("tareas por hacer", "seleccionado para desarrollo", "en curso", "en progreso"),
        *("en revisión", "bloqueado"),
    }
)
DONE_STATUSES = frozenset(
    {
        *("done", "closed", "resolved", "completed", "cancelled", "canceled", "declined"),
        *("won't do",),
        *("fertig", "erledigt", "geschlossen", "gelöst", "abgeschlossen", "abgebrochen"),
        *("terminé", "terminée", "fermé", "fermée", "résolu", "résolue", "annulé"),
        *("listo", "hecho", "finalizado", "finalizada", "cerrado", "cerrada", "resuelto"),
        *("resuelta", "cancelado", "cancelada"),
    }
)
# The status category keys of the REST answers, the same in every language, are "new",
# "indeterminate" and "done"; any other ("undefined", Jira's "No Category") says nothing.

# ADF leaf nodes that carry their text in their attributes, or end a line.
_ADF_INLINE = frozenset(
    {"hardBreak", "mention", "status", "emoji", "date", "inlineCard", "blockCard", "embedCard"}
)
# ADF nodes that stand on their own line(s) once flattened. Inline nodes (text, mention,
# emoji, ...) join the line around them.
_ADF_BLOCKS = frozenset(
    {
        "doc",
        "paragraph",
        "heading",
        "bulletList",
        "orderedList",
        "listItem",
        "taskList",
        "taskItem",
        "decisionList",
        "decisionItem",
        "codeBlock",
        "blockquote",
        "panel",
        "expand",
        "nestedExpand",
        "table",
        "tableRow",
        "tableHeader",
        "tableCell",
        "layoutSection",
        "layoutColumn",
        "mediaSingle",
        "mediaGroup",
        "rule",
    }
)


@dataclass(frozen=True, slots=True)
class JiraFields:
    """Which Jira field id plays each role; ``None`` when the site has no such field."""

    points: str | None = None
    team: str | None = None
    outcome: str | None = None  # tagging.jira_field
    epic_link: str | None = None  # Data Center's parent for stories under an epic

    @classmethod
    def resolve(
        cls,
        names: Mapping[str, str],
        *,
        points: str = "",
        team: str = "",
        outcome: str = "",
        schemas: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> JiraFields:
        """Resolve field names (or literal ``customfield_N`` ids) against ``{id: name}``.

        ``names`` is the ``names`` object of a search with ``expand=names``, or the
        ``/rest/api/2/field`` list reduced to ids and names. Names match case-insensitively.
        ``schemas`` (field id → the field's ``schema`` from ``/rest/api/2/field``) settles
        a name shared by several fields by type: a number for points, a string, option,
        list or team for the team and outcome fields. A name still shared is an error
        naming the candidates (with their types when known).
        """
        by_name: dict[str, list[str]] = {}
        for field_id, name in names.items():
            by_name.setdefault(name.strip().lower(), []).append(field_id)
        return cls(
            points=_pick("points_field", points, by_name, schemas=schemas, fits=_is_number),
            team=_pick("team_field", team, by_name, schemas=schemas, fits=_holds_team),
            outcome=_pick(
                "jira_field", outcome, by_name, section="tagging", schemas=schemas, fits=_holds_refs
            ),
            epic_link=_epic_link(by_name, schemas),
        )

    @classmethod
    def from_settings(
        cls,
        jira: Jira,
        tagging: Tagging,
        names: Mapping[str, str],
        schemas: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> JiraFields:
        """Resolve the fields named in ``[jira]`` and ``[tagging]``."""
        return cls.resolve(
            names,
            points=jira.points_field,
            team=jira.team_field,
            outcome=tagging.jira_field,
            schemas=schemas,
        )

    @property
    def ids(self) -> tuple[str, ...]:
        """The resolved field ids, for a search's explicit ``fields`` list."""
        found = (self.points, self.team, self.outcome, self.epic_link)
        return tuple(dict.fromkeys(field for field in found if field))


_Fits = Callable[[Mapping[str, Any]], bool]


def _pick(
    key: str,
    wanted: str,
    by_name: Mapping[str, list[str]],
    section: str = "jira",
    *,
    schemas: Mapping[str, Mapping[str, Any]] | None = None,
    fits: _Fits | None = None,
) -> str | None:
    wanted = wanted.strip()
    if not wanted:
        return None
    if CUSTOM_FIELD_ID.fullmatch(wanted):
        return wanted.lower()
    candidates = by_name.get(wanted.lower(), [])
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    if schemas is not None and fits is not None:
        # Real sites carry several "Story Points" (a number from Jira Software, text
        # fields added by hand, apps' copies): the one of the expected type is meant.
        kept = [field for field in candidates if fits(schemas.get(field, {}))]
        if len(kept) == 1:
            return kept[0]
        listed = ", ".join(
            f"{field} ({describe_schema(schemas.get(field, {}))})" for field in sorted(candidates)
        )
        settled = "several are" if kept else "none is"
        raise SourceError(
            f"Jira field name {wanted!r} matches several fields ({listed}) and {settled} of "
            f"the expected type; set [{section}] {key} to one of these ids"
        )
    listed = ", ".join(sorted(candidates))
    raise SourceError(
        f"Jira field name {wanted!r} matches several fields ({listed}); "
        f"set [{section}] {key} to one of these ids"
    )


def _epic_link(
    by_name: Mapping[str, list[str]], schemas: Mapping[str, Mapping[str, Any]] | None
) -> str | None:
    """The Epic Link field: by its type when known (its name is translated on
    non-English sites), else by name. Looked up unasked, so an ambiguous one is left
    out rather than fatal."""
    if schemas is not None:
        typed = [field for field, schema in schemas.items() if _is_epic_link(schema)]
        if len(typed) == 1:
            return typed[0]
    named = by_name.get(EPIC_LINK.lower(), [])
    if schemas is not None:
        named = [field for field in named if _is_epic_link(schemas.get(field, {}))] or named
    return named[0] if len(named) == 1 else None


def describe_schema(schema: Mapping[str, Any]) -> str:
    """A field type for messages: ``number``, ``array of option``, ``string: textfield``."""
    kind = _text(schema.get("type")) or "unknown type"
    if kind == "array" and _text(schema.get("items")):
        kind = f"array of {schema['items']}"
    custom = _text(schema.get("custom")).rpartition(":")[2]
    return f"{kind}: {custom}" if custom else kind


def _is_number(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "number"


def _is_epic_link(schema: Mapping[str, Any]) -> bool:
    return _text(schema.get("custom")).endswith("gh-epic-link")


_REF_TYPES = frozenset({"string", "option"})


def _holds_refs(schema: Mapping[str, Any]) -> bool:
    """A string, an option, or a list of those: what ``field_refs`` reads."""
    kind = schema.get("type")
    return kind in _REF_TYPES or (kind == "array" and schema.get("items") in _REF_TYPES)


def _holds_team(schema: Mapping[str, Any]) -> bool:
    """What ``team_name`` reads: a string, option, list, or an Atlassian team object
    (Cloud's ``team`` type; Advanced Roadmaps' team on Data Center is typed ``any``)."""
    kind = schema.get("type")
    if kind in _REF_TYPES or kind == "team":
        return True
    if kind == "array":
        return schema.get("items") in {*_REF_TYPES, "team"}
    return "team" in _text(schema.get("custom")).lower()


def item_from_issue(raw: Mapping[str, Any], fields: JiraFields, base_url: str = "") -> Item:
    """One Jira issue as an item. ``base_url`` defaults to the site in the issue's ``self``.

    Raises SourceError when the issue has no key or no summary.
    """
    # A full sync runs this for every issue: absent values (None) skip the type checks,
    # and the item is built positionally, in Item's field order.
    key = raw.get("key")
    if not isinstance(key, str) or not key:
        raise SourceError('no "key"')
    values = raw.get("fields")
    if type(values) is not dict and not isinstance(values, Mapping):
        raise SourceError(f'{key} has no "fields"')
    get = values.get
    title = get("summary")
    if not isinstance(title, str):
        raise SourceError(f"{key} has no fields.summary")
    base = (base_url or site_of(raw.get("self"))).rstrip("/")
    status = _mapping(get("status"))
    category = _mapping(status.get("statusCategory")).get("key")
    # Done when resolved; a done status that sets no resolution (team-managed projects
    # often have none) is dated by the change of category. An item not done has no
    # date: a reopened issue may keep its old resolution date.
    done_at = ""
    if category == "done":
        done = True
        done_at = _text(get("resolutiondate")) or _text(get("statuscategorychangedate"))
    elif category == "indeterminate" or category == "new":
        done = False
    else:
        done = done_by_status(_text(status.get("name")), bool(get("resolution")))
        if done:
            done_at = _text(get("resolutiondate"))
    labels = get("labels")
    outcome = get(fields.outcome) if fields.outcome else None
    points = get(fields.points) if fields.points else None
    team = team_name(get(fields.team)) if fields.team else ""
    return Item(
        "jira",
        key,
        title,
        f"{base}/browse/{key}" if base else "",
        _text(_mapping(get("issuetype")).get("name")),
        _text(status.get("name")),
        done,
        tuple([label for label in labels if isinstance(label, str)])
        if isinstance(labels, list)
        else (),
        tuple(field_refs(outcome)) if outcome is not None else (),
        description_text(get("description")),
        _parent(values, fields),
        number(points) if points is not None else None,
        team or _text(_mapping(get("project")).get("key")) or project_key(key),
        _user(get("creator")) or _user(get("reporter")),
        _text(get("updated")),
        done_at,
    )


def site_of(self_link: object) -> str:
    """The site base URL in a REST ``self`` link, context path included; none for a
    link through Atlassian's API gateway, which has no browse pages."""
    if not isinstance(self_link, str) or API_GATEWAY in self_link:
        return ""
    base, found, _ = self_link.partition("/rest/")
    return base if found else ""


def through_gateway(raw: Mapping[str, Any]) -> bool:
    """Whether an issue was fetched through Atlassian's API gateway."""
    self_link = raw.get("self")
    return isinstance(self_link, str) and API_GATEWAY in self_link


def has_status_category(raw: Mapping[str, Any]) -> bool:
    """Whether an issue's status carries a status category that says open or done."""
    status = _mapping(_mapping(raw.get("fields")).get("status"))
    key = _mapping(status.get("statusCategory")).get("key")
    return key == "done" or key == "indeterminate" or key == "new"


def done_by_status(status: str, resolved: bool) -> bool:
    """Done-ness without a status category: the status name when it clearly says open
    or done (see ``OPEN_STATUSES`` and ``DONE_STATUSES``), else whether the issue has a
    resolution. An open status wins over a resolution: a reopened issue may keep the
    one it had."""
    name = status.strip().lower()
    if name in OPEN_STATUSES:
        return False
    return name in DONE_STATUSES or resolved


def project_key(key: str) -> str:
    return key.partition("-")[0]


def field_refs(value: object) -> Iterator[str]:
    """Outcome refs in a field value: a string (comma-separated), an option, or a list."""
    if isinstance(value, str):
        yield from (part.strip() for part in value.split(",") if part.strip())
    elif isinstance(value, Mapping):
        yield from field_refs(value.get("value"))
    elif isinstance(value, list):
        for element in value:
            yield from field_refs(element)


def number(value: object) -> float | None:
    """Story points from a number or a numeric string; anything else is unestimated."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def team_name(value: object) -> str:
    """A team field's value: a string, an option, an Atlassian team, or a list of those.

    A multi-select gives the first team: an item counts once, under one team, and a
    joined "a, b" would invent a team no outcome names.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping):
        for attribute in ("value", "name", "title", "displayName", "id"):
            found = value.get(attribute)
            if isinstance(found, str | int) and not isinstance(found, bool) and str(found):
                return str(found).strip()
        return ""
    if isinstance(value, list):
        return next((name for name in map(team_name, value) if name), "")
    return ""


def description_text(value: object) -> str:
    """A description as plain text: v2 gives a string, v3 an ADF document."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return adf_text(value)
    return ""


def adf_text(document: Mapping[str, Any]) -> str:
    """Flatten Atlassian Document Format to text, one line per block node.

    Block boundaries become newlines so a paragraph, list item or table cell reading
    ``Outcome: fast-results`` stays a line of its own for the body-marker rule.
    """
    lines: list[str] = []
    current: list[str] = []  # the texts of the line being read
    blocks = document.get("content")
    if document.get("type") != "doc" or type(blocks) is not list:
        _walk(document, lines, current)
        _end_line(lines, current)
        return "\n".join(lines)
    # Most descriptions are a document of paragraphs of plain text nodes, most often one
    # node a paragraph. Such a paragraph is its texts joined, a line of its own: taken
    # here without the walk (a Cloud sync's biggest work on an issue after decoding it);
    # any other node is walked.
    for block in blocks:
        if type(block) is dict and block.get("type") == "paragraph":
            inner = block.get("content")
            if type(inner) is list and len(inner) == 1:
                node = inner[0]
                if type(node) is dict and node.get("type") == "text":
                    value = node.get("text")
                    if type(value) is str:
                        if current:
                            _end_line(lines, current)
                        if value:
                            lines.append(value)
                        continue
            if type(inner) is list:
                texts: list[str] = []
                for node in inner:
                    if type(node) is not dict or node.get("type") != "text":
                        break
                    value = node.get("text")
                    if type(value) is not str:
                        break
                    texts.append(value)
                else:
                    if current:
                        _end_line(lines, current)
                    line = "".join(texts)
                    if line:
                        lines.append(line)
                    continue
            elif inner is None:
                if current:
                    _end_line(lines, current)
                continue
        if type(block) is dict or isinstance(block, Mapping):
            _walk(block, lines, current)
    _end_line(lines, current)
    return "\n".join(lines)


def _end_line(lines: list[str], current: list[str]) -> None:
    line = "".join(current)
    current.clear()
    if line:
        lines.append(line)


def _walk(node: Mapping[str, Any], lines: list[str], current: list[str]) -> None:
    # Text nodes are most of a document: they go first and skip the rest.
    kind = node.get("type")
    if kind == "text":
        value = node.get("text")
        current.append(value if type(value) is str else _text(value))
        return
    if kind in _ADF_INLINE:
        _inline(kind, _mapping(node.get("attrs")), lines, current)
        return
    block = kind in _ADF_BLOCKS
    if block:
        _end_line(lines, current)
    content = node.get("content")
    if isinstance(content, list):
        for child in content:
            # What the decoder makes is a dict: the ABC check only for anything else.
            if type(child) is dict or isinstance(child, Mapping):
                _walk(child, lines, current)
    if block:
        _end_line(lines, current)


def _inline(kind: str, attrs: Mapping[str, Any], lines: list[str], current: list[str]) -> None:
    if kind == "hardBreak":
        _end_line(lines, current)
    elif kind in {"mention", "status"}:
        current.append(_text(attrs.get("text")))
    elif kind == "emoji":
        current.append(_text(attrs.get("text")) or _text(attrs.get("shortName")))
    elif kind == "date":
        current.append(_adf_date(attrs.get("timestamp")))
    else:  # a card: a link of its own, on a line of its own unless inline
        if kind != "inlineCard":
            _end_line(lines, current)
        current.append(_text(attrs.get("url")))
        if kind != "inlineCard":
            _end_line(lines, current)


def _adf_date(timestamp: object) -> str:
    # ADF dates are milliseconds since the epoch, as a string.
    try:
        moment = datetime.fromtimestamp(int(str(timestamp)) / 1000, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return ""
    return moment.date().isoformat()


def _parent(values: Mapping[str, Any], fields: JiraFields) -> str | None:
    parent = _mapping(values.get("parent")).get("key")
    if isinstance(parent, str) and parent:
        return parent
    if fields.epic_link:
        epic = values.get(fields.epic_link)
        if epic is None:
            return None
        if isinstance(epic, str) and epic.strip():
            return epic.strip()
        # Some Cloud sites answer with an object for the deprecated field.
        epic_key = _mapping(epic).get("key")
        if isinstance(epic_key, str) and epic_key:
            return epic_key
    return None


def _user(value: object) -> str:
    """Data Center's username, else the display name (Cloud has no usernames)."""
    user = _mapping(value)
    for attribute in ("name", "displayName", "accountId"):
        found = user.get(attribute)
        if isinstance(found, str) and found:
            return found
    return ""
