"""Post-back to GitHub issues: the ``missing_label``, one explanatory comment each, and
the coverage digest on the ``summary_issue``.

Labels go through GitHub's add and remove operations for a single label
(``POST .../labels``, ``DELETE .../labels/{name}``), never a replace of the set. The
explanatory comment carries a hidden marker; just before posting one, tieback looks for
it among the issue's comments, so a lost store or a concurrent run never doubles it. The
summary comment (``[github.post_back] summary_issue``) is one comment, created once and
then edited in place; the store remembers its id and what it said, and when the store
has lost it the marker finds it. A marked comment is tieback's only when the token's own
account wrote it (``GithubClient.own_login``): another author's is never edited, nor
taken for tieback's. What was written is recorded in the store (labels on the stored
item, comment ids), so a second run with nothing changed plans nothing.

With ``set_project_field``, an aligned issue tagged by its label alone, in a configured
project whose ``[tagging] github_project_field`` is empty there, gets the field set to
its outcome (``updateProjectV2ItemFieldValue``: a single-select field's option named
as the outcome, or a text field's text). The plan reads each project (the field set
since the last sync is not set again), so a second run writes nothing.

A write that fails is one line in ``failures`` and the rest still run; only a rejected
token stops the run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tieback.connectors.digest import build_digest, fingerprint, is_current
from tieback.connectors.github.client import GithubApiError, GithubClient
from tieback.connectors.github.digest import digest_markdown
from tieback.connectors.github.settings import Github, projects_read
from tieback.connectors.sink import (
    MARKER_PREFIX,
    Action,
    ActionKind,
    Sink,
    Written,
    plan_item_actions,
)
from tieback.errors import SinkError, SourceError
from tieback.formats.templates import environment
from tieback.model import Alignment, Classification, Outcome, TagOrigin, marker_lines
from tieback.report import Report

if TYPE_CHECKING:
    from tieback.connectors.interface import Context

EXPLAIN = "explain"  # the store's kind for the explanatory comment
EXPLAIN_MARKER = f"{MARKER_PREFIX}{EXPLAIN} -->"
SUMMARY = "summary"  # the store's kind, and the action's detail, for the summary comment
SUMMARY_MARKER = f"{MARKER_PREFIX}{SUMMARY} -->"
# Outcomes listed in an explanatory comment before the rest are counted.
_LISTED_OUTCOMES = 20
UNKNOWN_ACCOUNT = (
    "cannot tell which account the token writes as (GitHub answered neither GraphQL's "
    "viewer nor GET /user): no comment carrying tieback's marker is edited, and none is "
    "added where one exists"
)


def split_key(key: str) -> tuple[str, int]:
    """``owner/repo#12`` → (``owner/repo``, 12); raises SinkError on anything else."""
    repo, _, number = key.rpartition("#")
    if "/" not in repo or not number.isdigit():
        raise SinkError(f"{key}: not a GitHub issue key (owner/repo#number)")
    return repo, int(number)


def find_marked_comment(
    client: GithubClient, repo: str, number: int, marker: str, author: str
) -> dict[str, Any] | None:
    """The first comment of an issue or pull request that carries ``marker`` and was
    written by ``author``, the token's own account (logins compare as GitHub compares
    them, whatever the case). Anyone may write the marker in a comment of their own.

    With ``author`` "" (the account unknown) it is the first marked comment by anyone,
    which the caller must neither edit nor add a second beside.

    Reads page by page (100 comments a request) and stops at the first match: the
    comment tieback keeps is written early, so it is almost always on the first page.
    """
    wanted = author.lower()
    for page in client.pages(f"/repos/{repo}/issues/{number}/comments"):
        for comment in page:
            body = comment.get("body")
            if not (isinstance(body, str) and marker in body):
                continue
            user = comment.get("user")
            login = user.get("login") if isinstance(user, dict) else None
            if not wanted or (isinstance(login, str) and login.lower() == wanted):
                return comment
    return None


def summary_target(key: str) -> tuple[str, int]:
    """``[github.post_back] summary_issue`` as (``owner/repo``, number), or SinkError."""
    try:
        return split_key(key)
    except SinkError:
        raise SinkError(
            f"[github.post_back] summary_issue: {key!r} is not of the form owner/repo#number"
        ) from None


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def same_text(old: object, new: str) -> bool:
    """GitHub keeps the text as sent, but may turn line endings into CRLF."""
    return isinstance(old, str) and old.replace("\r\n", "\n").rstrip() == new.rstrip()


class GithubSink(Sink):
    """Writes the post-back actions to the issues of the configured repositories."""

    name = "github"

    def __init__(
        self,
        context: Context[Github],
        client: GithubClient | None = None,
    ) -> None:
        super().__init__(context)
        self._settings: Github = self.context.settings
        self._client = client
        self._login: str | None = None
        # Each planned field write, by (key, detail): the project, item, field and value.
        self._field_writes: dict[tuple[str, str], tuple[str, str, str, dict[str, str]]] = {}

    @property
    def client(self) -> GithubClient:
        if self._client is None:
            try:
                self._client = GithubClient(
                    self._settings.api_url,
                    self.context.token,
                    self.context.policy,
                    self._settings.timeout,
                    self._settings.max_wait,
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
        self._keep(mine)
        post_back = self._settings.post_back
        commented = self._commented(EXPLAIN) if post_back.comment else set()
        actions = plan_item_actions(
            mine, self.name, post_back.missing_label, post_back.comment, commented
        )
        planned = [self._with_body(action) for action in actions]
        if post_back.set_project_field:
            planned.extend(self._plan_project_fields(mine))
        if post_back.summary_issue:
            labelled = {a.key for a in actions if a.kind is ActionKind.ADD_LABEL}
            newly_unaligned = [a for a in mine if a.item.key in labelled]
            summary = self._plan_summary(report, newly_unaligned)
            if summary is not None:
                planned.append(summary)
        return planned

    def _plan_project_fields(self, mine: list[Alignment]) -> list[Action]:
        """Set the project field of the aligned issues tagged by a label alone, in each
        configured project that holds the issue with the field empty."""
        from tieback.connectors.github.projects import read_project, unread_type

        name = self.context.tagging.github_project_field
        marker = self.context.tagging.body_marker.lower()
        labelled = [
            a
            for a in mine
            if a.classification is Classification.ALIGNED
            and a.origin is TagOrigin.DIRECT
            and not a.item.field_refs
            and not marker_lines(a.item.body, marker)
        ]
        paths = projects_read(self._settings, name) if labelled else []
        active = {o.id: o for o in self._active_outcomes}
        actions: list[Action] = []
        for path in paths:
            try:
                project = read_project(self.client, path, name, self._settings.api_url)
            except SourceError as exc:
                raise SinkError(str(exc)) from None
            field = project.field
            if field is None or unread_type(project) is not None:
                continue  # a number or date field: nothing an outcome id can be set to
            empty = {e.key.lower(): e.item_id for e in project.entries if not e.refs}
            for alignment in labelled:
                key = alignment.item.key
                item_id = empty.get(key.lower())
                outcomes = [active[i] for i in alignment.outcomes if i in active]
                if item_id is None or not outcomes:
                    continue
                value = self._field_value(field.options, field.data_type, outcomes, alignment)
                if isinstance(value, str):
                    self.warnings.append(f"github: {key}: project {path} {value}")
                    continue
                shown, sent = value
                detail = f'{name} = "{shown}" in {path}'
                self._field_writes[key, detail] = (project.id, item_id, field.id, sent)
                actions.append(Action(self.name, key, ActionKind.SET_FIELD, detail))
        return actions

    @staticmethod
    def _field_value(
        options: Mapping[str, str],
        data_type: str,
        outcomes: list[Outcome],
        alignment: Alignment,
    ) -> tuple[str, dict[str, str]] | str:
        """What to set: (as shown, as GraphQL takes it), or why nothing is set."""
        if data_type == "TEXT":
            text = ", ".join(o.id for o in outcomes)
            return text, {"text": text}
        if len(outcomes) > 1:
            return (
                f"has a single-select field, and the issue names {len(outcomes)} outcomes: not set"
            )
        outcome = outcomes[0]
        by_name = {option.lower(): (option, ident) for option, ident in options.items()}
        for name in (outcome.id, *outcome.aliases, *alignment.refs):
            found = by_name.get(name.lower())
            if found is not None:
                return found[0], {"singleSelectOptionId": found[1]}
        return f'has no option "{outcome.id}" to set: add one named after the outcome'

    def _plan_summary(self, report: Report, newly_unaligned: list[Alignment]) -> Action | None:
        """Create the summary comment, edit it when its digest changed, or leave it."""
        key = self._settings.post_back.summary_issue
        repo, number = summary_target(key)
        previous, remembered = self._summary_history(key, SUMMARY)
        current = build_digest(report, previous, newly_unaligned, report.precision)
        render = partial(digest_markdown, marker=SUMMARY_MARKER)
        body = render(current)
        self._summary_fingerprint = fingerprint(current, render)
        edit = partial(Action, self.name, key, ActionKind.EDIT_COMMENT, SUMMARY, body=body)
        if remembered is not None and remembered.comment_id:
            if is_current(current, self._summary_fingerprint, remembered.digest):
                return None
            return edit(comment_id=remembered.comment_id)
        # The store does not know the comment (a first run, or a lost store): the marker
        # tells whether there is one already, so there is never a second.
        try:
            login = self._own_login()
            found = find_marked_comment(self.client, repo, number, SUMMARY_MARKER, login)
        except GithubApiError as exc:
            raise SinkError(str(exc)) from None
        if found is None:
            return Action(self.name, key, ActionKind.COMMENT, SUMMARY, body=body)
        if not login or same_text(found.get("body"), body):
            return None
        return edit(comment_id=str(found.get("id", "")))

    def _own_login(self) -> str:
        """The token's account; when GitHub will not say, one warning for the run."""
        if self._login is None:
            in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
            self._login = self.client.own_login(in_actions)
            if not self._login:
                self.warnings.append(f"github: {UNKNOWN_ACCOUNT}")
        return self._login

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

    @cached_property
    def _active_outcomes(self) -> list[Outcome]:
        """Read once a run: every explanatory comment lists the same outcomes."""
        return [o for o in self.context.declarations().outcomes if o.active]

    def _explanation(self, alignment: Alignment) -> str:
        active = self._active_outcomes
        context = self.context
        return (
            environment("tieback.connectors.github")
            .get_template("pr-issue-explain.md.j2")
            .render(
                marker=EXPLAIN_MARKER,
                reason=alignment.reason.value if alignment.reason else "untagged",
                refs=alignment.unknown_refs or alignment.refs,
                suggestion=alignment.suggestion,
                prefix=context.tagging.prefix,
                marker_line=context.tagging.body_marker,
                exempt_labels=context.exempt.labels,
                outcomes=active[:_LISTED_OUTCOMES],
                more=max(0, len(active) - _LISTED_OUTCOMES),
                outcomes_file=self.context.outcomes_file,
                missing_label=self._settings.post_back.missing_label,
            )
        )

    def apply(self, actions: Sequence[Action]) -> list[Action]:
        written: list[Action] = []
        labels: dict[str, list[str]] = {}
        comments: list[Written] = []
        with self._metered(len(actions)) as meter:
            try:
                for action in actions:
                    made = len(written)
                    try:
                        self._apply_one(action, labels, comments, written)
                        meter.wrote(len(written) - made)
                    except GithubApiError as exc:
                        # A rejected token fails every write after it the same way: one line
                        # and stop. Anything else concerns this write only: the rest go on.
                        if exc.status == 401:
                            raise SinkError(str(exc)) from None
                        self.failures.append(f"{action.key}: {_what(action)} failed: {exc}")
            finally:
                self._remember(labels, comments)
        return written

    def _apply_one(
        self,
        action: Action,
        labels: dict[str, list[str]],
        comments: list[Written],
        written: list[Action],
    ) -> None:
        if action.kind is ActionKind.SET_FIELD:
            from tieback.connectors.github.projects import SET_PROJECT_FIELD_MUTATION

            project, item, field, value = self._field_writes[action.key, action.detail]
            # Setting the same value twice leaves the same value: safe to retry.
            self.client.graphql(
                SET_PROJECT_FIELD_MUTATION,
                {"project": project, "item": item, "field": field, "value": value},
            )
            written.append(action)
            return
        if action.detail == SUMMARY:
            kept = self._keep_summary(action)
            if kept is not None:
                comment_id, wrote = kept
                comments.append((action.key, SUMMARY, comment_id, self._summary_fingerprint))
                if wrote:
                    written.append(action)
            return
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
            explained = self._explain(repo, number, action.body)
            if explained is not None:
                comments.append((action.key, EXPLAIN, explained[0], ""))
                if explained[1]:
                    written.append(action)

    def _remove_label(self, issue: str, label: str) -> bool:
        """DELETE one label; a 404 means it was already gone, which is what we wanted."""
        try:
            self.client.request("DELETE", f"{issue}/labels/{quote(label, safe='')}")
        except GithubApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def _explain(self, repo: str, number: int, body: str) -> tuple[str, bool] | None:
        """Post the explanatory comment unless the issue has tieback's already; never
        twice. Its id and whether it was posted now; None when it was not posted and is
        not tieback's to keep (a marked comment by an author tieback cannot tell)."""
        login = self._own_login()
        found = find_marked_comment(self.client, repo, number, EXPLAIN_MARKER, login)
        if found is not None:
            return (str(found.get("id", "")), False) if login else None
        return self._post_comment(repo, number, body), True

    def _keep_summary(self, action: Action) -> tuple[str, bool] | None:
        """Write the summary comment: its id and whether anything was written; None when
        it is not tieback's to write (see ``_explain``)."""
        repo, number = summary_target(action.key)
        if action.kind is ActionKind.EDIT_COMMENT:
            try:
                return self._edit_comment(repo, action.comment_id, action.body), True
            except GithubApiError as exc:
                if exc.status != 404:
                    raise
            # Deleted since it was planned or remembered: keep the one a marker finds,
            # else write it anew; still one summary comment, never two.
        # Looked for again just before it is written: a run beside this one may have
        # written it since this run's plan.
        login = self._own_login()
        found = find_marked_comment(self.client, repo, number, SUMMARY_MARKER, login)
        if found is not None:
            if not login:
                return None
            comment_id = str(found.get("id", ""))
            if same_text(found.get("body"), action.body):
                return comment_id, False
            return self._edit_comment(repo, comment_id, action.body), True
        return self._post_comment(repo, number, action.body), True

    def _post_comment(self, repo: str, number: int, body: str) -> str:
        """Create a comment; its id. Not idempotent: sent once, never retried blindly
        (its caller looked for the marker just before). A lost answer leaves the
        marker, which the next run finds."""
        _, created = self.client.request(
            "POST", f"/repos/{repo}/issues/{number}/comments", body={"body": body}, idempotent=False
        )
        return str(created.get("id", "")) if isinstance(created, dict) else ""

    def _edit_comment(self, repo: str, comment_id: str, body: str) -> str:
        # The same edit twice leaves the same text: safe to retry.
        self.client.request(
            "PATCH", f"/repos/{repo}/issues/comments/{comment_id}", body={"body": body}
        )
        return comment_id


def _what(action: Action) -> str:
    """The write an action is, for a line saying it failed."""
    if action.detail == SUMMARY:
        return "summary comment"
    if action.kind is ActionKind.COMMENT:
        return "explanatory comment"
    return f"{action.kind.value} {action.detail}"
