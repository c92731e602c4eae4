"""Post-back to GitHub issues: the ``missing_label`` and one explanatory comment each.

Labels go through GitHub's add and remove operations for a single label
(``POST .../labels``, ``DELETE .../labels/{name}``), never a replace of the set. The
explanatory comment carries a hidden marker; before posting one, tieback looks for it
among the issue's comments, so a lost store never doubles it. What was written is
recorded in the store (labels on the stored item, comment ids), so a second run with
nothing changed plans nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from tieback.config import Config
from tieback.errors import SinkError
from tieback.formats.templates import environment
from tieback.http import RetryPolicy
from tieback.model import Alignment, Item
from tieback.outcomes import load_declarations
from tieback.report import Report
from tieback.sinks.interface import MARKER_PREFIX, Action, ActionKind, Sink, plan_item_actions
from tieback.sources.github import GithubApiError, GithubClient

EXPLAIN = "explain"  # the store's kind for the explanatory comment
EXPLAIN_MARKER = f"{MARKER_PREFIX}{EXPLAIN} -->"
# Outcomes listed in an explanatory comment before the rest are counted.
_LISTED_OUTCOMES = 20


def split_key(key: str) -> tuple[str, int]:
    """``owner/repo#12`` → (``owner/repo``, 12); raises SinkError on anything else."""
    repo, _, number = key.rpartition("#")
    if "/" not in repo or not number.isdigit():
        raise SinkError(f"{key}: not a GitHub issue key (owner/repo#number)")
    return repo, int(number)


def find_marked_comment(
    client: GithubClient, repo: str, number: int, marker: str
) -> dict[str, Any] | None:
    """The first comment of an issue or pull request that carries ``marker``.

    Reads page by page (100 comments a request) and stops at the first match: the
    comment tieback keeps is written early, so it is almost always on the first page.
    """
    for page in client.pages(f"/repos/{repo}/issues/{number}/comments"):
        for comment in page:
            body = comment.get("body")
            if isinstance(body, str) and marker in body:
                return comment
    return None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class GithubSink(Sink):
    """Writes the post-back actions to the issues of the configured repositories."""

    name = "github"

    def __init__(
        self,
        config: Config,
        policy: RetryPolicy | None = None,
        client: GithubClient | None = None,
    ) -> None:
        self._config = config
        self._settings = config.settings.github
        self._policy = policy
        self._client = client
        self._items: dict[str, Item] = {}
        self._alignments: dict[str, Alignment] = {}

    @property
    def client(self) -> GithubClient:
        if self._client is None:
            try:
                self._client = GithubClient(
                    self._settings.api_url, self._config.github_token, self._policy
                )
            except GithubApiError as exc:
                raise SinkError(str(exc)) from None
        return self._client

    def plan(self, report: Report) -> list[Action]:
        repos = {repo.lower() for repo in self._settings.repos}
        # Only the configured repositories: an export may hold issues of others.
        mine = [
            a
            for a in report.alignments
            if a.item.source == self.name and a.item.key.rpartition("#")[0].lower() in repos
        ]
        self._alignments = {a.item.key: a for a in mine}
        self._items = {a.item.key: a.item for a in mine}
        post_back = self._settings.post_back
        commented = self._commented() if post_back.comment else set()
        actions = plan_item_actions(
            mine, self.name, post_back.missing_label, post_back.comment, commented
        )
        return [self._with_body(action) for action in actions]

    def _commented(self) -> set[str]:
        if not self._config.store_exists:
            return set()
        from tieback.store import Store

        with Store.open(self._config.store_location) as store:
            return store.commented(self.name, EXPLAIN)

    def _with_body(self, action: Action) -> Action:
        if action.kind is not ActionKind.COMMENT:
            return action
        alignment = self._alignments[action.key]
        return Action(
            action.source,
            action.key,
            action.kind,
            f"explain ({action.detail})",
            body=self._explanation(alignment),
        )

    def _explanation(self, alignment: Alignment) -> str:
        declarations = load_declarations(self._config)
        active = [o for o in declarations.outcomes if o.active]
        settings = self._config.settings
        return (
            environment()
            .get_template("pr-issue-explain.md.j2")
            .render(
                marker=EXPLAIN_MARKER,
                reason=alignment.reason.value if alignment.reason else "untagged",
                refs=alignment.unknown_refs or alignment.refs,
                suggestion=alignment.suggestion,
                prefix=settings.tagging.prefix,
                marker_line=settings.tagging.body_marker,
                exempt_labels=settings.exempt.labels,
                outcomes=active[:_LISTED_OUTCOMES],
                more=max(0, len(active) - _LISTED_OUTCOMES),
                outcomes_file=self._config.display(self._config.outcomes_path),
                missing_label=self._settings.post_back.missing_label,
            )
        )

    def apply(self, actions: Sequence[Action]) -> list[Action]:
        written: list[Action] = []
        labels: dict[str, list[str]] = {}
        comments: dict[str, str] = {}
        try:
            for action in actions:
                repo, number = split_key(action.key)
                issue = f"/repos/{repo}/issues/{number}"
                current = labels.setdefault(action.key, list(self._labels_of(action.key)))
                if action.kind is ActionKind.ADD_LABEL:
                    # Adding a label the issue already has changes nothing: safe to retry.
                    self.client.request("POST", f"{issue}/labels", body={"labels": [action.detail]})
                    current.append(action.detail)
                    written.append(action)
                elif action.kind is ActionKind.REMOVE_LABEL:
                    if self._remove_label(issue, action.detail):
                        written.append(action)
                    wanted = action.detail.lower()
                    current[:] = [label for label in current if label.lower() != wanted]
                elif action.kind is ActionKind.COMMENT:
                    comment_id, posted = self._explain(repo, number, action.body)
                    comments[action.key] = comment_id
                    if posted:
                        written.append(action)
        except GithubApiError as exc:
            raise SinkError(str(exc)) from None
        finally:
            self._remember(labels, comments)
        return written

    def _labels_of(self, key: str) -> tuple[str, ...]:
        item = self._items.get(key)
        return item.labels if item else ()

    def _remove_label(self, issue: str, label: str) -> bool:
        """DELETE one label; a 404 means it was already gone, which is what we wanted."""
        try:
            self.client.request("DELETE", f"{issue}/labels/{quote(label, safe='')}")
        except GithubApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _explain(self, repo: str, number: int, body: str) -> tuple[str, bool]:
        """Post the explanatory comment unless the issue already has one; never twice."""
        found = find_marked_comment(self.client, repo, number, EXPLAIN_MARKER)
        if found is not None:
            return str(found.get("id", "")), False
        # A comment is not idempotent: sent once, never retried blindly.
        _, created = self.client.request(
            "POST", f"/repos/{repo}/issues/{number}/comments", body={"body": body}, idempotent=False
        )
        return str(created.get("id", "")) if isinstance(created, dict) else "", True

    def _remember(self, labels: dict[str, list[str]], comments: dict[str, str]) -> None:
        """Record what GitHub now holds, so the next run (before a sync) plans nothing."""
        if not (labels or comments) or not self._config.store_exists:
            return
        from tieback.sources.github import GithubSource
        from tieback.store import FILES_QUERY, PostedComment, Store

        now = datetime.now(UTC).isoformat(timespec="seconds")
        with Store.open(self._config.store_location) as store, store.transaction():
            from_files = store.keys(self.name, FILES_QUERY)
            synced = store.keys(self.name)
            query = GithubSource(self._config).query
            for key, names in labels.items():
                item = self._items.get(key)
                if item is None or key not in synced or tuple(names) == item.labels:
                    continue
                store.upsert_items(
                    FILES_QUERY if key in from_files else query,
                    [item._replace(labels=tuple(names))],
                )
            for key, comment_id in comments.items():
                store.set_comment(PostedComment(self.name, key, EXPLAIN, comment_id, "", now))
