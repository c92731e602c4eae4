"""GitHub export files: REST issues arrays and ``/search/issues`` answers, each alone or
slurped page by page (``gh api --paginate --slurp``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tieback.connectors.github import payload as github
from tieback.connectors.interface import ExportReader
from tieback.errors import SourceError
from tieback.model import Item


class GithubExports(ExportReader):
    """GitHub's export files; pull requests are skipped unless [github] counts them."""

    def search(self, shown: str, document: object) -> Iterator[Item] | None:
        if isinstance(document, dict):
            if _is_github_search(document):
                return self._search(shown, [document], single=True)
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
