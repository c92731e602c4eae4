"""GitHub export files: REST issues arrays and ``/search/issues`` answers, each alone or
slurped page by page (``gh api --paginate --slurp``), and a project's items
(``gh project item-list --format json``), whose field tags the issues of the same key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tieback.connectors.github import payload as github
from tieback.connectors.github import projects
from tieback.connectors.interface import ExportReader
from tieback.errors import SourceError
from tieback.model import Item


class GithubExports(ExportReader):
    """GitHub's export files; pull requests are skipped unless [github] counts them."""

    def search(self, shown: str, document: object) -> Iterator[Item] | None:
        if isinstance(document, dict):
            if _is_github_search(document):
                return self._search(shown, [document], single=True)
            if projects.is_project_export(document):
                return self._project(shown, document)
        elif isinstance(document, list):
            head = document[0]
            if isinstance(head, dict) and _is_github_search(head):
                return self._search(shown, document, single=False)
        return None

    def issues(self, shown: str, entries: list[tuple[str, object]]) -> Iterator[Item] | None:
        head = entries[0][1]
        if isinstance(head, dict) and _is_github_issue(head):
            return self._issues(shown, entries)
        return None

    def explain_error(self, document: dict[str, Any]) -> str | None:
        if isinstance(document.get("message"), str) and "documentation_url" in document:
            return f"looks like a GitHub error answer, not issues: {document['message']}"
        return None

    def explain_single(self, document: dict[str, Any]) -> str | None:
        if "number" in document and "title" in document:
            return (
                "looks like a single GitHub issue, not an issues array "
                "(put it in a JSON array to read it alone)"
            )
        return None

    def _search(self, shown: str, pages: Sequence[object], single: bool) -> Iterator[Item]:
        """GitHub ``/search/issues`` answers: one, or several slurped into an array."""
        entries: list[tuple[str, object]] = []
        incomplete = False
        for number, page in enumerate(pages):
            if not isinstance(page, dict) or not _is_github_search(page):
                raise SourceError(f"{shown}: [{number}] is not a GitHub search response page")
            prefix = "" if single else f"[{number}]."
            entries.extend(
                (f"{prefix}items[{position}]", raw) for position, raw in enumerate(page["items"])
            )
            incomplete = incomplete or page.get("incomplete_results") is True
        if incomplete:
            self.warnings.append(
                f'{shown}: GitHub marked the search incomplete ("incomplete_results": true), '
                "so some issues may be missing; export it again or narrow the query"
            )
        return self._issues(shown, entries)

    def _project(self, shown: str, document: dict[str, Any]) -> Iterator[Item]:
        """A project's items as ``TagsOnly`` items: the field's refs for the issues other
        sources hold, and the issues themselves where none does."""
        field = self.context.tagging.github_project_field
        entries = document["items"]
        total = document.get("totalCount")
        if isinstance(total, int) and not isinstance(total, bool) and total > len(entries):
            self.warnings.append(
                f"{shown}: holds {len(entries)} of the project's {total} items (gh project "
                f"item-list lists 30 unless told more): export it again with --limit {total}"
            )
        if not field:
            self.warnings.append(
                f"{shown}: a GitHub project's items, but [tagging] github_project_field is "
                "empty: no field of it is read as outcomes"
            )
        elif entries and not projects.holds_field(document, field):
            self.warnings.append(
                f'{shown}: no item has a value of the field "{field}" (gh names it '
                f'"{projects.export_key(field)}"): check [tagging] github_project_field'
            )
        include = self.context.settings.include_pull_requests
        for position, item in projects.export_entries(document, field, include):
            if not item.title:
                raise SourceError(f'{shown}: items[{position}]: {item.key} has no "title"')
            yield item

    def _issues(self, shown: str, entries: list[tuple[str, object]]) -> Iterator[Item]:
        include = self.context.settings.include_pull_requests
        skipped = 0
        for where, raw in entries:
            if not isinstance(raw, dict):
                raise SourceError(f"{shown}: {where}: not a GitHub issue object")
            if not include and github.is_pull_request(raw):
                skipped += 1
                continue
            try:
                yield github.item_from_issue(raw)
            except SourceError as exc:
                raise SourceError(f"{shown}: {where}: {exc}") from None
        if skipped:
            requests = "pull request" if skipped == 1 else "pull requests"
            self.warnings.append(
                f"{shown}: skipped {skipped} {requests} "
                "(set [github] include_pull_requests = true to count them)"
            )


def _is_github_search(document: Mapping[str, Any]) -> bool:
    return isinstance(document.get("items"), list) and "total_count" in document


def _is_github_issue(raw: Mapping[str, Any]) -> bool:
    return "number" in raw and bool(github.repo_of(raw))
