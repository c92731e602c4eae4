"""Read work items from export files in the trackers' own formats, recognised by content.

Formats: a Jira REST search response (``/rest/api/2/search`` or ``/rest/api/3/search/jql``,
one page or a JSON array of pages), a GitHub REST issues array, and a Jira CSV export.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from math import isfinite
from pathlib import Path
from typing import Any, TextIO

from tieback.config import TOO_DEEP, Config
from tieback.errors import SourceError
from tieback.jsonio import loads
from tieback.model import Item
from tieback.sources import github_payload as github
from tieback.sources import jira_payload as jira
from tieback.sources.interface import Source

UNRECOGNISED = (
    "not a Jira search response, a Jira CSV export or a GitHub issues array "
    '(expected a JSON object with "issues", a JSON array of issues, '
    'or a CSV with an "Issue key" column)'
)
# Jira's default export date format ("25/Feb/26 10:17 PM"); other site formats stay raw.
_CSV_TIME = "%d/%b/%y %I:%M %p"
# Descriptions longer than csv's default 128 KiB field limit do occur in real exports.
_CSV_FIELD_LIMIT = 64 * 1024 * 1024


class FilesSource(Source):
    """Every item of the files in ``[files] paths``; a key seen again keeps the last one."""

    name = "files"

    def __init__(self, config: Config) -> None:
        super().__init__()
        self._settings = config.settings
        # Messages name each file as the user wrote it in the configuration.
        self._paths = list(zip(config.settings.files.paths, config.file_paths, strict=True))

    def items(self) -> Iterator[Item]:
        self.warnings = []
        kept: dict[str, Item] = {}
        origin: dict[str, int] = {}
        repeats: Counter[tuple[int, int]] = Counter()
        example: dict[tuple[int, int], str] = {}
        for index, (shown, path) in enumerate(self._paths):
            not_finite: list[str] = []
            for item in self._read(str(shown), path):
                points = item.points
                # "inf", "nan" or 1e999 would make every total and coverage NaN.
                if points is not None and not isfinite(points):
                    item = item._replace(points=None)
                    not_finite.append(item.key)
                earlier = origin.get(item.key)
                if earlier is not None:
                    repeats[earlier, index] += 1
                    example.setdefault((earlier, index), item.key)
                kept[item.key] = item
                origin[item.key] = index
            if not_finite:
                self.warnings.append(_not_finite_warning(str(shown), not_finite))
        for (earlier, later), count in repeats.items():
            self.warnings.append(
                self._repeat_warning(earlier, later, count, example[earlier, later])
            )
        yield from kept.values()

    def _repeat_warning(self, earlier: int, later: int, count: int, key: str) -> str:
        first, last = str(self._paths[earlier][0]), str(self._paths[later][0])
        items = "item appears" if count == 1 else "items appear"
        if earlier == later:
            return f"{last}: {count} {items} more than once (e.g. {key}); kept the last"
        return f"{count} {items} in both {first} and {last} (e.g. {key}); kept those from {last}"

    def _read(self, shown: str, path: Path) -> Iterator[Item]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                first = _first_character(handle)
                if not first:
                    raise SourceError(f"{shown}: empty file; {UNRECOGNISED}")
                handle.seek(0)
                if first in "{[":
                    yield from self._json(shown, _load_json(shown, handle))
                else:
                    yield from self._csv(shown, handle)
        except FileNotFoundError:
            raise SourceError(f"{shown}: file not found (check [files] paths)") from None
        except UnicodeDecodeError:
            raise SourceError(f"{shown}: not UTF-8 text; {UNRECOGNISED}") from None
        except OSError as exc:
            raise SourceError(f"{shown}: cannot read: {exc.strerror or exc}") from None

    # --- JSON: Jira search pages or a GitHub issues array -------------------------------

    def _json(self, shown: str, document: object) -> Iterator[Item]:
        if isinstance(document, dict) and isinstance(document.get("issues"), list):
            return self._jira_pages(shown, [document], single=True)
        if isinstance(document, list):
            if not document:
                return iter(())
            head = document[0]
            if isinstance(head, dict) and isinstance(head.get("issues"), list):
                return self._jira_pages(shown, document, single=False)
            if isinstance(head, dict) and "number" in head and github.repo_of(head):
                return self._github(shown, document)
        raise SourceError(f"{shown}: {_explain(document)}")

    def _jira_pages(self, shown: str, pages: Sequence[object], single: bool) -> Iterator[Item]:
        names: dict[str, str] = {}
        issue_lists: list[list[Any]] = []
        for position, page in enumerate(pages):
            if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
                raise SourceError(f"{shown}: [{position}] is not a Jira search response page")
            issue_lists.append(page["issues"])
            page_names = page.get("names")
            if isinstance(page_names, dict):
                names.update((k, v) for k, v in page_names.items() if isinstance(v, str))
        try:
            fields = jira.JiraFields.from_settings(self._settings, names)
        except SourceError as exc:
            raise SourceError(f"{shown}: {exc}") from None
        hint = "no field has that name" if names else "export with expand=names or name its id"
        self._warn_unresolved(shown, fields, hint)
        for number, issues in enumerate(issue_lists):
            for position, raw in enumerate(issues):
                where = f"issues[{position}]" if single else f"[{number}].issues[{position}]"
                if not isinstance(raw, dict):
                    raise SourceError(f"{shown}: {where}: not a Jira issue object")
                try:
                    yield jira.item_from_issue(raw, fields)
                except SourceError as exc:
                    raise SourceError(f"{shown}: {where}: {exc}") from None

    def _warn_unresolved(self, shown: str, fields: jira.JiraFields, hint: str) -> None:
        settings = self._settings
        wanted = [
            ("[tagging] jira_field", settings.tagging.jira_field, fields.outcome),
            ("[jira] team_field", settings.jira.team_field, fields.team),
        ]
        # The default points field is only worth a word when points are counted.
        if settings.coverage.weight == "points":
            wanted.append(("[jira] points_field", settings.jira.points_field, fields.points))
        for key, name, found in wanted:
            if name.strip() and found is None:
                self.warnings.append(f"{shown}: Jira field {name!r} ({key}) not found; {hint}")

    def _github(self, shown: str, issues: list[Any]) -> Iterator[Item]:
        include = self._settings.github.include_pull_requests
        skipped = 0
        for position, raw in enumerate(issues):
            if not isinstance(raw, dict):
                raise SourceError(f"{shown}: [{position}]: not a GitHub issue object")
            if not include and github.is_pull_request(raw):
                skipped += 1
                continue
            try:
                yield github.item_from_issue(raw)
            except SourceError as exc:
                raise SourceError(f"{shown}: [{position}]: {exc}") from None
        if skipped:
            requests = "pull request" if skipped == 1 else "pull requests"
            self.warnings.append(
                f"{shown}: skipped {skipped} {requests} "
                "(set [github] include_pull_requests = true to count them)"
            )

    # --- Jira CSV export ----------------------------------------------------------------

    def _csv(self, shown: str, handle: TextIO) -> Iterator[Item]:
        csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
        reader = csv.reader(handle)
        try:
            export = _CsvExport(next(reader, []))
            if not export.has("issue key"):
                raise SourceError(f"{shown}: {UNRECOGNISED}")
            if not export.has("summary"):
                raise SourceError(f'{shown}: a Jira CSV export needs a "Summary" column')
            items = self._csv_items(shown, reader, export)
        except csv.Error as exc:
            raise SourceError(
                f"{shown}: not a readable CSV file: {exc} (line {reader.line_num})"
            ) from None
        yield from items

    def _csv_items(self, shown: str, reader: Iterator[list[str]], export: _CsvExport) -> list[Item]:
        settings = self._settings
        outcome = _custom(settings.tagging.jira_field)
        team = _custom(settings.jira.team_field)
        points = _custom(settings.jira.points_field)
        self._warn_missing_columns(shown, export)
        site = settings.jira.url.rstrip("/")
        items: list[Item] = []
        # Parents given by issue id resolve through the file's own "Issue id" column, so
        # they wait until the whole file is read.
        by_parent_id: list[tuple[int, str]] = []
        keys_by_id: dict[str, str] = {}
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
            items.append(
                Item(
                    source="jira",
                    key=key,
                    title=title,
                    url=f"{site}/browse/{key}" if site else "",
                    type=row.first("issue type"),
                    status=row.first("status"),
                    done=row.done(),
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
                )
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
        settings = self._settings
        wanted = [
            ("[tagging] jira_field", settings.tagging.jira_field),
            ("[jira] team_field", settings.jira.team_field),
        ]
        if settings.coverage.weight == "points":
            wanted.append(("[jira] points_field", settings.jira.points_field))
        for key, name in wanted:
            if name.strip() and not export.has(_custom(name)):
                self.warnings.append(
                    f'{shown}: no "Custom field ({name.strip()})" column for {key}; '
                    "export all fields, and name the field (not its id) in the configuration"
                )


class _CsvExport:
    """A Jira CSV header: column names (lower-cased) to every index they occupy.

    Jira repeats a column once per value of a multi-valued field (Labels, Sprint,
    multi-selects), so a name maps to several indexes.
    """

    def __init__(self, header: list[str]) -> None:
        self.columns: dict[str, list[int]] = {}
        for index, name in enumerate(header):
            self.columns.setdefault(name.strip().lower(), []).append(index)

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

    def done(self) -> bool:
        if self._export.has("status category"):
            return self.first("status category").lower() == "done"
        # Older exports have no status category: a resolved issue is the nearest sign.
        resolution = self.first("resolution").lower()
        return bool(self.first("resolved")) or resolution not in {"", "unresolved"}


def _not_finite_warning(shown: str, keys: list[str]) -> str:
    items = "1 item has" if len(keys) == 1 else f"{len(keys)} items have"
    return (
        f"{shown}: {items} story points that are not a finite number (e.g. {keys[0]}); "
        "counted as unestimated"
    )


def _custom(name: str) -> str:
    """The CSV column Jira writes for a custom field name."""
    return f"custom field ({name.strip().lower()})" if name.strip() else ""


def _iso_time(value: str) -> str:
    try:
        return datetime.strptime(value, _CSV_TIME).isoformat()
    except ValueError:
        return value


def _first_character(handle: TextIO) -> str:
    while chunk := handle.read(4096):
        stripped = chunk.lstrip()
        if stripped:
            return stripped[0]
    return ""


def _load_json(shown: str, handle: TextIO) -> object:
    try:
        return loads(handle.read())
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{shown}: not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise SourceError(f"{shown}: not valid JSON: {TOO_DEEP}") from None


def _explain(document: object) -> str:
    """Say what an unrecognised JSON document is when it is a saved error response."""
    if isinstance(document, Mapping):
        messages = document.get("errorMessages")
        if isinstance(messages, list) and messages:
            return f"a saved Jira error response, not search results: {messages[0]}"
        if isinstance(document.get("message"), str) and "documentation_url" in document:
            return f"a saved GitHub error response, not issues: {document['message']}"
    return UNRECOGNISED
