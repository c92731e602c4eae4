"""Jira export files: search responses (REST v2 and v3, one page or an array of pages),
bare ``issues`` arrays, and CSV exports with English, German, French or Spanish headers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from tieback.connectors.interface import ExportReader
from tieback.connectors.jira import payload as jira
from tieback.errors import SourceError
from tieback.model import Item

# Issues without their search response have lost its "names".
_BARE_ISSUES_HINT = (
    'export the whole search response with expand=names (not only its "issues"), '
    "or name the field by its id"
)
# Jira's default export date format ("25/Feb/26 10:17 PM"); other site formats stay raw.
_CSV_TIME = "%d/%b/%y %I:%M %p"
# Done dates are read in Jira's default format, with a 24-hour time ("dd/MMM/yy HH:mm"),
# else as ISO 8601 (sites set to "yyyy-MM-dd HH:mm"). Formats of digits alone, such as
# "02/11/26", could be day or month first: they are not guessed.
_CSV_DONE_TIMES = (_CSV_TIME, "%d/%b/%y %H:%M")


class JiraExports(ExportReader):
    """Jira's export files, read with the [jira] fields and the [tagging] outcome field."""

    def search(self, shown: str, document: object) -> Iterator[Item] | None:
        if isinstance(document, dict):
            if isinstance(document.get("issues"), list):
                return self._pages(shown, [document], single=True)
        elif isinstance(document, list):
            head = document[0]
            if isinstance(head, dict) and isinstance(head.get("issues"), list):
                return self._pages(shown, document, single=False)
        return None

    def issues(self, shown: str, entries: list[tuple[str, object]]) -> Iterator[Item] | None:
        head = entries[0][1]
        if isinstance(head, dict) and _is_jira_issue(head):
            return self._issues(shown, entries, {}, _BARE_ISSUES_HINT)
        return None

    def explain_error(self, document: dict[str, Any]) -> str | None:
        messages = document.get("errorMessages")
        errors = document.get("errors")
        if isinstance(messages, list) or (isinstance(errors, Mapping) and "data" not in document):
            said = [str(text) for text in messages or () if text]
            if isinstance(errors, Mapping):
                said.extend(f"{field}: {text}" for field, text in errors.items())
            detail = f": {said[0]}" if said else ""
            return f"looks like a Jira error answer, not a search{detail}"
        return None

    def explain_single(self, document: dict[str, Any]) -> str | None:
        if _is_jira_issue(document):
            return (
                "looks like a single Jira issue, not a search "
                "(put it in a JSON array to read it alone)"
            )
        return None

    def _pages(self, shown: str, pages: Sequence[object], single: bool) -> Iterator[Item]:
        names: dict[str, str] = {}
        entries: list[tuple[str, object]] = []
        for number, page in enumerate(pages):
            if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
                raise SourceError(f"{shown}: [{number}] is not a Jira search response page")
            prefix = "" if single else f"[{number}]."
            entries.extend(
                (f"{prefix}issues[{position}]", raw) for position, raw in enumerate(page["issues"])
            )
            page_names = page.get("names")
            if isinstance(page_names, dict):
                names.update((k, v) for k, v in page_names.items() if isinstance(v, str))
        return self._issues(shown, entries, names, "export with expand=names or name its id")

    def _issues(
        self, shown: str, entries: list[tuple[str, object]], names: dict[str, str], hint: str
    ) -> Iterator[Item]:
        try:
            fields = jira.JiraFields.from_settings(
                self.context.settings, self.context.tagging, names
            )
        except SourceError as exc:
            raise SourceError(f"{shown}: {exc}") from None
        self._warn_unresolved(shown, fields, "no field has that name" if names else hint)
        # Every item of an export links to the configured site, whatever its self links say.
        site = self.context.settings.url.rstrip("/")
        uncategorised = inferred_done = 0
        gateway = False
        for where, raw in entries:
            if not isinstance(raw, dict):
                raise SourceError(f"{shown}: {where}: not a Jira issue object")
            try:
                item = jira.item_from_issue(raw, fields, site)
            except SourceError as exc:
                raise SourceError(f"{shown}: {where}: {exc}") from None
            if not jira.has_status_category(raw):
                uncategorised += 1
                inferred_done += item.done
            gateway = gateway or (not site and jira.through_gateway(raw))
            yield item
        if uncategorised:
            issues = "1 issue has" if uncategorised == 1 else f"{uncategorised} issues have"
            self.warnings.append(
                f"{shown}: {issues} no status category (fields.status.statusCategory): "
                f"done-ness read from the status name and the resolution "
                f"({_count(inferred_done, 'item')} done)"
            )
        if gateway:
            self.warnings.append(
                f"{shown}: the issues were fetched through Atlassian's API gateway "
                "(api.atlassian.com), whose links name no site, so items have no links; "
                "set [jira] url to the site (e.g. https://acme.atlassian.net) to link them"
            )

    def _warn_unresolved(self, shown: str, fields: jira.JiraFields, hint: str) -> None:
        context = self.context
        settings = context.settings
        wanted = [
            ("[tagging] jira_field", context.tagging.jira_field, fields.outcome),
            ("[jira] team_field", settings.team_field, fields.team),
        ]
        # The default points field is only worth a word when points are counted.
        if context.weight == "points":
            wanted.append(("[jira] points_field", settings.points_field, fields.points))
        for key, name, found in wanted:
            if name.strip() and found is None:
                self.warnings.append(f"{shown}: Jira field {name!r} ({key}) not found; {hint}")

    # --- CSV export ---------------------------------------------------------------------

    def reads_csv(self, header: list[str]) -> bool:
        return _CsvExport(header).has("issue key")

    def csv(self, shown: str, header: list[str], rows: Iterator[list[str]]) -> list[Item]:
        export = _CsvExport(header)
        if not export.has("issue key"):
            raise SourceError(f"{shown}: {_no_key_column(export)}")
        if not export.has("summary"):
            raise SourceError(f'{shown}: a Jira CSV export needs a "Summary" column')
        return self._csv_items(shown, rows, export)

    def _csv_items(self, shown: str, reader: Iterator[list[str]], export: _CsvExport) -> list[Item]:
        context = self.context
        settings = context.settings
        outcome = _custom(context.tagging.jira_field)
        team = _custom(settings.team_field)
        points = _custom(settings.points_field)
        self._warn_missing_columns(shown, export)
        site = settings.url.rstrip("/")
        items: list[Item] = []
        # Parents given by issue id resolve through the file's own "Issue id" column, so
        # they wait until the whole file is read.
        by_parent_id: list[tuple[int, str]] = []
        keys_by_id: dict[str, str] = {}
        categorised = export.has("status category")
        inferred = inferred_done = 0
        unknown_category = ""
        undated = 0  # done items whose done date cannot be read
        undated_example = ""
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue
            row = _CsvRow(export, cells)
            key = row.first("issue key")
            if not key:
                raise SourceError(f"{shown}: row {number}: no Issue key")
            title = row.first("summary")
            if not title:
                raise SourceError(f"{shown}: row {number} ({key}): no Summary")
            if issue_id := row.first("issue id"):
                keys_by_id[issue_id] = key
            # Cloud writes "Parent" (an issue id) and "Parent key"; Data Center "Parent id"
            # for sub-tasks and "Custom field (Epic Link)" (a key) for stories in an epic.
            parent = (
                row.first("parent key")
                or row.first("parent")
                or row.first("parent id")
                or row.first("custom field (epic link)")
            )
            if parent.isdigit():
                by_parent_id.append((len(items), parent))
                parent = ""
            estimates = (jira.number(value) for value in row.all(points))
            status = row.first("status")
            category = row.first("status category") if categorised else ""
            done = _category_done(category)
            by_category = done is True
            if done is None:
                # No category, or one we cannot read: the status name, else the resolution.
                resolution = row.first("resolution").lower()
                resolved = bool(row.first("resolved")) or resolution not in _UNRESOLVED
                done = jira.done_by_status(status, resolved)
                inferred += 1
                inferred_done += done
                unknown_category = unknown_category or category
            done_at = ""
            if done:
                # As from the REST API: resolved, else when the category became done.
                written = row.first("resolved")
                if not written and by_category:
                    written = row.first("status category changed")
                if written:
                    done_at = _done_time(written)
                    if not done_at:
                        undated += 1
                        undated_example = undated_example or written
            items.append(
                Item(
                    source="jira",
                    key=key,
                    title=title,
                    url=f"{site}/browse/{key}" if site else "",
                    type=row.first("issue type"),
                    status=status,
                    done=done,
                    labels=tuple(row.all("labels")),
                    field_refs=tuple(
                        ref for value in row.all(outcome) for ref in jira.field_refs(value)
                    ),
                    body=row.first("description"),
                    parent=parent or None,
                    points=next((found for found in estimates if found is not None), None),
                    team=row.first(team) or row.first("project key") or jira.project_key(key),
                    author=row.first("creator") or row.first("reporter"),
                    updated=_iso_time(row.first("updated")),
                    done_at=done_at,
                )
            )
        if inferred:
            self.warnings.append(
                _inferred_warning(shown, categorised, inferred, inferred_done, unknown_category)
            )
        if undated:
            which = "1 done item has" if undated == 1 else f"{undated} done items have"
            self.warnings.append(
                f'{shown}: {which} a done date tieback cannot read (e.g. "{undated_example}"), '
                "so they count as done in no week; tieback reads Jira's default date format "
                '("02/Nov/26 2:03 PM"), yyyy-MM-dd HH:mm and ISO 8601'
            )
        missing = 0
        for position, parent_id in by_parent_id:
            if parent_id in keys_by_id:
                items[position] = items[position]._replace(parent=keys_by_id[parent_id])
            else:
                missing += 1
        if missing:
            self.warnings.append(
                f"{shown}: {missing} parent(s) given by issue id are not in the file; "
                "export them too so their items can inherit tags"
            )
        return items

    def _warn_missing_columns(self, shown: str, export: _CsvExport) -> None:
        context = self.context
        settings = context.settings
        wanted = [
            ("[tagging] jira_field", context.tagging.jira_field),
            ("[jira] team_field", settings.team_field),
        ]
        if context.weight == "points":
            wanted.append(("[jira] points_field", settings.points_field))
        for key, name in wanted:
            if name.strip() and not export.has(_custom(name)):
                self.warnings.append(
                    f'{shown}: no "Custom field ({name.strip()})" column for {key}; '
                    "export all fields, and name the field (not its id) in the configuration"
                )


class _CsvExport:
    """A Jira CSV header: column names (English, lower-cased) to every index they occupy.

    Jira repeats a column once per value of a multi-valued field (Labels, Sprint,
    Comment, multi-selects), so a name maps to several indexes. Headers in German,
    French or Spanish are read under their English names.
    """

    def __init__(self, header: list[str]) -> None:
        self.columns: dict[str, list[int]] = {}
        self.unknown: list[str] = []
        for index, written in enumerate(header):
            name, known = _column(written)
            self.columns.setdefault(name, []).append(index)
            if not known and written.strip() and written.strip() not in self.unknown:
                self.unknown.append(written.strip())

    def has(self, column: str) -> bool:
        return column in self.columns


class _CsvRow:
    """One data row, read by column name."""

    def __init__(self, export: _CsvExport, cells: Sequence[str]) -> None:
        self._export = export
        self._cells = cells

    def all(self, column: str) -> list[str]:
        """Non-empty values of every column with this name, in order."""
        cells = self._cells
        found = (cells[i].strip() for i in self._export.columns.get(column, ()) if i < len(cells))
        return [value for value in found if value]

    def first(self, column: str) -> str:
        values = self.all(column)
        return values[0] if values else ""


# The columns tieback reads from a Jira CSV export, by their English names (lower-cased),
# with the names Jira writes when the exporting user's language is German, French or
# Spanish. Names marked "unconfirmed" are Atlassian's translations of the field that we
# have not seen in an export's header; the others have been.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "issue key": (
        "work item key",  # Cloud since issues became "work items" (unconfirmed)
        "vorgangsschlüssel",
        "clé de ticket",
        "clé de la demande",  # older French sites (unconfirmed)
        "clave de incidencia",
    ),
    "issue id": (
        "work item id",  # (unconfirmed)
        "vorgangs-id",
        "id de ticket",  # (unconfirmed)
        "id de la incidencia",
    ),
    "summary": ("zusammenfassung", "résumé", "resumen"),
    "issue type": (
        "work type",  # (unconfirmed)
        "vorgangstyp",
        "type de ticket",
        "type de demande",  # older French sites (unconfirmed)
        "tipo de incidencia",
    ),
    "status": ("état", "statut", "estado"),  # German keeps "Status"; "statut" unconfirmed
    "status category": (
        "statuskategorie",
        "catégorie d'état",  # (unconfirmed)
        "catégorie de statut",  # (unconfirmed)
        "categoría de estado",  # (unconfirmed)
    ),
    "resolution": ("lösung", "résolution", "resolución"),  # fr, es unconfirmed
    "resolved": ("gelöst", "résolue", "résolu", "resuelta"),  # fr, es unconfirmed
    "labels": (
        "stichwörter",
        "bezeichnungen",
        "étiquettes",  # (unconfirmed)
        "etiquetas",  # (unconfirmed)
    ),
    "description": ("beschreibung", "descripción"),  # French keeps "Description"
    "parent": (
        "übergeordnet",  # French keeps "Parent"
        "principal",  # (unconfirmed)
    ),
    # German and French names of Data Center's "Parent id" are unconfirmed and not mapped.
    "parent id": ("id del elemento padre",),
    "parent key": ("clé parent", "clave principal"),
    "project key": (
        "projektschlüssel",
        "clé de projet",
        "clave de proyecto",  # (unconfirmed)
    ),
    "creator": ("ersteller", "créateur", "creador"),  # fr, es unconfirmed
    "reporter": ("autor", "rapporteur", "informador"),  # es unconfirmed
    "assignee": (
        "bearbeiter",
        "zugewiesene person",
        "responsable",  # French and older Spanish sites
        "personne assignée",
        "persona asignada",
    ),
    "updated": ("aktualisiert", "mise à jour", "actualizada"),  # fr unconfirmed
    "status category changed": (
        "statuskategorie geändert",  # (unconfirmed)
        "catégorie d'état modifiée",  # (unconfirmed)
        "categoría de estado modificada",  # (unconfirmed)
    ),
    "created": ("erstellt", "création", "creada"),
}
_ENGLISH_NAMES = {alias: english for english, aliases in _COLUMNS.items() for alias in aliases}
# "Custom field (NAME)" in English, German, French and Spanish; the plural forms are
# what German and French exports write, the singular ones are unconfirmed there.
_CUSTOM_FIELD = re.compile(
    r"(?:custom field|benutzerdefinierte felder|benutzerdefiniertes feld"
    r"|champs personnalisés|champ personnalisé|campo personalizado|campos personalizados)"
    r" \((.*)\)",
    re.DOTALL,
)
# Status category names as CSV exports write them (the REST answers give a key instead);
# the French and Spanish ones are unconfirmed. Any other leaves done-ness to the status.
_DONE_CATEGORIES = frozenset({"done", "fertig", "terminé", "terminée", "listo", "hecho"})
_OPEN_CATEGORIES = frozenset(
    {"to do", "in progress", "zu erledigen", "in arbeit", "à faire", "en cours"}
    | {"por hacer", "en curso", "en progreso"}
)
# What the Resolution column says of an unresolved issue (German, French, Spanish
# unconfirmed); exports of some sites leave it empty instead.
_UNRESOLVED = frozenset(
    {"", "unresolved", "ungelöst", "nicht gelöst", "non résolu", "non résolue", "sin resolver"}
)


def _column(written: str) -> tuple[str, bool]:
    """A header's English name (lower-cased), and whether tieback knows it."""
    name = unicodedata.normalize("NFC", written).strip().lower()
    if name in _COLUMNS:
        return name, True
    english = _ENGLISH_NAMES.get(name)
    if english is not None:
        return english, True
    if custom := _CUSTOM_FIELD.fullmatch(name):
        return f"custom field ({custom[1].strip()})", True
    return name, False


def _category_done(category: str) -> bool | None:
    """Done-ness from a CSV's status category, or None when it does not say."""
    name = category.lower()
    if name in _DONE_CATEGORIES:
        return True
    if name in _OPEN_CATEGORIES:
        return False
    return None


def _no_key_column(export: _CsvExport) -> str:
    if export.has("summary") or not export.unknown:
        return 'a Jira CSV export needs an "Issue key" column'
    unknown = export.unknown
    listed = ", ".join(f'"{name}"' for name in unknown[:5])
    if len(unknown) > 5:
        listed += f" and {len(unknown) - 5} more"
    return (
        f'not a Jira CSV export tieback can read: no "Issue key" column, and headers it '
        f"does not know ({listed}); tieback reads English, German, French and Spanish "
        "headers: export with English ones (Jira: set your profile language to English, "
        "then Export → Export Excel CSV (all fields))"
    )


def _inferred_warning(
    shown: str, categorised: bool, inferred: int, done: int, unknown_category: str
) -> str:
    how = f"done-ness read from Status and Resolution ({_count(done, 'item')} done)"
    if not categorised:
        return f"{shown}: no Status Category column: {how}"
    items = "1 item has" if inferred == 1 else f"{inferred} items have"
    if unknown_category:
        return (
            f"{shown}: {items} a status category tieback does not know "
            f'(e.g. "{unknown_category}"): {how}'
        )
    return f"{shown}: {items} no status category: {how}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _custom(name: str) -> str:
    """The CSV column Jira writes for a custom field name, as ``_column`` reads it."""
    name = unicodedata.normalize("NFC", name).strip().lower()
    return f"custom field ({name})" if name else ""


def _iso_time(value: str) -> str:
    try:
        return datetime.strptime(value, _CSV_TIME).isoformat()
    except ValueError:
        return value


def _done_time(value: str) -> str:
    """A CSV done date as ISO 8601, in the site's time as written; "" if unreadable."""
    for layout in _CSV_DONE_TIMES:
        try:
            return datetime.strptime(value, layout).isoformat()
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return ""


def _is_jira_issue(raw: Mapping[str, Any]) -> bool:
    return isinstance(raw.get("key"), str) and isinstance(raw.get("fields"), dict)
