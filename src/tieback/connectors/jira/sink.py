"""Post-back to Jira issues: ``missing_label``, one explanatory comment each, one summary.

Labels go through Jira's ``update`` add and remove operations
(``PUT /rest/api/2/issue/{key}``), never a ``fields`` write that would replace the
set. Comments are plain text with wiki markup on Data Center (REST v2) and Atlassian
Document Format on Cloud (REST v3). Neither format has hidden text, so tieback's
comments carry the comment property ``tieback`` (``{"kind": "explain" | "summary"}``),
and a visible ``tieback:<kind>`` in small print so that a copy without properties is
still recognised. A marked comment is tieback's only when the token's own account
(``GET /rest/api/2/myself``) wrote it: another author's comment is never edited and
never stands in for tieback's. Just before posting, tieback reads the issue's comments
again for one of its own, so a lost store or a run since the plan never doubles a
comment; a comment is sent once, never retried blindly. A write that fails is one line
in ``failures`` and the rest are still written. What was written is recorded in the
store (labels on the stored item, comment ids, the summary's fingerprint), so a second
run with nothing changed plans nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from tieback.connectors.jira.client import JiraApiError, JiraClient
from tieback.connectors.jira.comments import (
    EXPLAIN,
    PROPERTY,
    SUMMARY,
    Account,
    is_marked,
    is_tieback_comment,
    marker,
    with_marker,
)
from tieback.connectors.jira.explanation import Explanation, explanation_adf, explanation_wiki
from tieback.connectors.jira.settings import Jira
from tieback.connectors.sink import Action, ActionKind, Sink, Written, plan_item_actions
from tieback.errors import SinkError
from tieback.model import Alignment, Outcome, Reason
from tieback.report import Report

if TYPE_CHECKING:
    from tieback.connectors.interface import Context

SUMMARY_DETAIL = "coverage summary"
# Outcomes listed in an explanatory comment before the rest are counted.
_LISTED_OUTCOMES = 20
_COMMENT_PAGE = 100
_ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]*-[1-9]\d*", re.IGNORECASE)


class JiraSink(Sink):
    """Writes the post-back actions to the issues of the configured Jira site."""

    name = "jira"

    def __init__(
        self,
        context: Context[Jira],
        client: JiraClient | None = None,
    ) -> None:
        super().__init__(context)
        self._settings: Jira = self.context.settings
        self._client = client
        self._active: list[Outcome] | None = None
        self._account: Account | None = None  # asked once a run, when a comment is read

    @property
    def client(self) -> JiraClient:
        if self._client is None:
            try:
                self._client = JiraClient(
                    self._settings.url,
                    self._settings.email,
                    self.context.token,
                    self.context.policy,
                    self._settings.timeout,
                    self._settings.max_wait,
                )
            except JiraApiError as exc:
                raise SinkError(str(exc)) from None
        return self._client

    @property
    def cloud(self) -> bool:
        """Whether the site is Jira Cloud (ADF, REST v3) rather than Data Center."""
        try:
            return self.client.deployment(self._settings.deployment) == "cloud"
        except JiraApiError as exc:
            raise SinkError(str(exc)) from None

    @property
    def _version(self) -> str:
        return "3" if self.cloud else "2"

    # --- plan --------------------------------------------------------------------------

    def plan(self, report: Report) -> list[Action]:
        # Only issues of the configured site: an export file may hold another site's.
        mine = [a for a in report.alignments if a.item.source == self.name and self._on_site(a)]
        self._keep(mine)
        post_back = self._settings.post_back
        commented = self._commented(EXPLAIN) if post_back.comment else set()
        actions = [
            self._with_body(action)
            for action in plan_item_actions(
                mine, self.name, post_back.missing_label, post_back.comment, commented
            )
        ]
        if post_back.summary_issue:
            newly = [self._alignments[a.key] for a in actions if a.kind is ActionKind.ADD_LABEL]
            summary = self._summary(report, newly)
            if summary is not None:
                actions.append(summary)
        return actions

    def _on_site(self, alignment: Alignment) -> bool:
        site = urlsplit(self._settings.url.rstrip("/"))
        url = urlsplit(alignment.item.url)
        return url.netloc.lower() == site.netloc.lower() and url.path.startswith(
            f"{site.path}/browse/"
        )

    def _with_body(self, action: Action) -> Action:
        if action.kind is not ActionKind.COMMENT:
            return action
        explanation = self._explanation(self._alignments[action.key])
        body = (
            json.dumps(explanation_adf(explanation))
            if self.cloud
            else explanation_wiki(explanation)
        )
        return Action(
            action.source, action.key, action.kind, f"explain ({action.detail})", body=body
        )

    def _explanation(self, alignment: Alignment) -> Explanation:
        if self._active is None:
            self._active = [o for o in self.context.declarations().outcomes if o.active]
        active = self._active
        context = self.context
        retired = alignment.reason is Reason.RETIRED_OUTCOME
        return Explanation(
            reason=alignment.reason.value if alignment.reason else "untagged",
            unknown_refs=alignment.unknown_refs,
            retired_refs=alignment.refs if retired else (),
            suggestion=alignment.suggestion,
            inherited_from=alignment.inherited_from,
            prefix=context.tagging.prefix,
            marker_line=context.tagging.body_marker,
            field=context.tagging.jira_field,
            exempt_labels=tuple(context.exempt.labels),
            outcomes=tuple((o.id, o.title) for o in active[:_LISTED_OUTCOMES]),
            more=max(0, len(active) - _LISTED_OUTCOMES),
            outcomes_file=self.context.outcomes_file,
            missing_label=self._settings.post_back.missing_label,
        )

    def _summary(self, report: Report, newly: Sequence[Alignment]) -> Action | None:
        """Create, edit or leave the summary comment: edited in place, and left alone
        when its digest says nothing new about the same numbers."""
        from tieback.connectors.digest import build_digest, fingerprint, is_current

        key = self._settings.post_back.summary_issue.strip()
        if not _ISSUE_KEY.fullmatch(key):
            raise SinkError(
                f"[jira.post_back] summary_issue {key!r} is not a Jira issue key (e.g. EDU-1)"
            )
        previous, remembered = self._summary_history(key, SUMMARY)
        digest = build_digest(report, previous, newly, self.context.precision)
        render = self._summary_renderer()
        current = fingerprint(digest, render)
        self._summary_fingerprint = current
        rendered = render(digest)
        body = rendered if isinstance(rendered, str) else json.dumps(rendered)
        if remembered is None:
            # Unknown to the store: apply looks for it on the issue before creating one.
            return Action(self.name, key, ActionKind.COMMENT, SUMMARY_DETAIL, body=body)
        if is_current(digest, current, remembered.digest):
            return None
        return Action(
            self.name,
            key,
            ActionKind.EDIT_COMMENT,
            SUMMARY_DETAIL,
            body=body,
            comment_id=remembered.comment_id,
        )

    def _summary_renderer(self) -> Callable[[Any], str | dict[str, Any]]:
        from tieback.connectors.digest import Digest
        from tieback.connectors.jira.digest import digest_adf, digest_wiki

        if self.cloud:

            def cloud(digest: Digest) -> str | dict[str, Any]:
                return with_marker(digest_adf(digest), SUMMARY)

            return cloud

        def server(digest: Digest) -> str | dict[str, Any]:
            return digest_wiki(digest, marker(SUMMARY))

        return server

    # --- apply -------------------------------------------------------------------------

    def apply(self, actions: Sequence[Action]) -> list[Action]:
        written: list[Action] = []
        labels: dict[str, list[str]] = {}
        comments: list[Written] = []
        vanished: set[str] = set()
        with self._metered(len(actions)) as meter:
            try:
                for action in actions:
                    if action.key in vanished:
                        continue
                    made = len(written)
                    try:
                        self._apply_one(action, labels, comments, written)
                        meter.wrote(len(written) - made)
                    except JiraApiError as exc:
                        if exc.status == 401:
                            # The credentials were refused: every later write would be refused
                            # the same way, so the run stops here (what was written is kept).
                            raise SinkError(str(exc)) from None
                        if exc.status == 404 and action.detail != SUMMARY_DETAIL:
                            # An issue deleted or moved since the last sync: skip it, keep going.
                            vanished.add(action.key)
                            labels.pop(action.key, None)
                            self.warnings.append(
                                f"jira: {action.key} is gone or hidden (HTTP 404): skipped; "
                                "'tieback sync' drops it from the store"
                            )
                            continue
                        # One write failed: said once, and the rest still run.
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
        if action.kind in (ActionKind.ADD_LABEL, ActionKind.REMOVE_LABEL):
            current = labels.setdefault(action.key, list(self._labels_of(action.key)))
            self._label(action, current)
            written.append(action)
        elif action.detail == SUMMARY_DETAIL:
            comment_id = self._keep_summary(action)
            if comment_id is None:
                self.failures.append(
                    f"{action.key}: {_what(action)} failed: not edited, as the account the "
                    f"token acts as is unknown and the issue holds a comment marked "
                    f"{marker(SUMMARY)} that may be another's"
                )
                return
            comments.append((action.key, SUMMARY, comment_id, self._summary_fingerprint))
            written.append(action)
        elif action.kind is ActionKind.COMMENT:
            comment_id, posted = self._explain(action.key, action.body)
            if comment_id:
                comments.append((action.key, EXPLAIN, comment_id, ""))
            if posted:
                written.append(action)

    def _label(self, action: Action, current: list[str]) -> None:
        """One label added or removed: Jira's ``update`` operations leave the rest alone
        and repeat safely (adding a label twice keeps one), so they may be retried."""
        verb = "add" if action.kind is ActionKind.ADD_LABEL else "remove"
        self.client.request(
            "PUT",
            f"/rest/api/2/issue/{_path(action.key)}",
            body={"update": {"labels": [{verb: action.detail}]}},
        )
        wanted = action.detail.lower()
        current[:] = [label for label in current if label.lower() != wanted]
        if verb == "add":
            current.append(action.detail)

    def account(self) -> Account:
        """The account the token acts as, asked once a run (``GET /rest/api/2/myself``).

        When Jira does not say (an answer without ``accountId``, ``key`` or ``name``, or
        an error other than 401), the account is unknown and tieback stays on the safe
        side for the run, with one warning: it edits no comment at all, and a comment
        marked as tieback's counts as one whoever wrote it, so nothing is posted twice
        (at worst an explanation is missing until the account is known again).
        """
        if self._account is None:
            reason = "its answer names no accountId, key or name"
            try:
                account = Account.of(self.client.myself())
            except JiraApiError as exc:
                if exc.status == 401:
                    raise
                account, reason = Account(), str(exc)
            if not account.known:
                self.warnings.append(
                    f"jira: cannot tell which account the token acts as ({reason}): no "
                    "comment is edited this run, and a comment marked as tieback's counts "
                    "as one, whoever wrote it"
                )
            self._account = account
        return self._account

    def _comments_path(self, key: str) -> str:
        return f"/rest/api/{self._version}/issue/{_path(key)}/comment"

    def find_comment(self, key: str, kind: str) -> Mapping[str, Any] | None:
        """tieback's own comment of ``kind`` on an issue, reading every page of comments;
        while the account is unknown, the first comment marked so, whoever wrote it."""
        account = self.account()
        start = 0
        while True:
            page = self.client.request(
                "GET",
                self._comments_path(key),
                params={"startAt": start, "maxResults": _COMMENT_PAGE, "expand": "properties"},
            )
            page = page if isinstance(page, Mapping) else {}
            comments = [c for c in page.get("comments") or () if isinstance(c, Mapping)]
            for comment in comments:
                if (
                    is_tieback_comment(comment, kind, account)
                    if account.known
                    else is_marked(comment, kind)
                ):
                    return comment
            start += len(comments)
            total = page.get("total")
            if not comments or (isinstance(total, int) and start >= total):
                return None

    def _payload(self, body: str) -> Any:
        return json.loads(body) if self.cloud else body

    def _post(self, key: str, kind: str, body: str) -> str:
        # A comment is not idempotent: sent once, never retried blindly. The caller
        # looked for an earlier one first; a failure here is found again next run.
        created = self.client.request(
            "POST",
            self._comments_path(key),
            body={
                "body": self._payload(body),
                "properties": [{"key": PROPERTY, "value": {"kind": kind}}],
            },
            idempotent=False,
        )
        return str(created.get("id", "")) if isinstance(created, Mapping) else ""

    def _explain(self, key: str, body: str) -> tuple[str, bool]:
        """Post the explanatory comment unless the issue already has one; never twice.

        The issue is read just before posting, whatever the plan said: a run since (or
        beside) this one may have written it. Returns the comment's id when it is known
        to be tieback's (empty for one the unknown account may not have written, so the
        store does not take it for tieback's), and whether it was posted now.
        """
        found = self.find_comment(key, EXPLAIN)
        if found is not None:
            return (str(found.get("id", "")) if self.account().known else ""), False
        return self._post(key, EXPLAIN, body), True

    def _keep_summary(self, action: Action) -> str | None:
        """Edit tieback's summary comment in place; create it only when the issue has
        none of tieback's, looked for just before. None when it is left alone: the
        account is unknown and the issue holds a marked comment it may not have written.
        """
        key = action.key
        if not self.account().known:
            if self.find_comment(key, SUMMARY) is not None:
                return None
            return self._post(key, SUMMARY, action.body)
        comment_id = action.comment_id
        if comment_id and self._edit_own(key, comment_id, action.body):
            return comment_id
        found = self.find_comment(key, SUMMARY)
        if found is not None:
            comment_id = str(found.get("id", ""))
            if self._edit(key, comment_id, action.body):
                return comment_id
        return self._post(key, SUMMARY, action.body)

    def _edit_own(self, key: str, comment_id: str, body: str) -> bool:
        """Edit the comment the store names, if it is still there and still tieback's own
        summary: the store may be shared with a configuration acting as another account,
        and an id says nothing of who wrote the comment. False when it was not edited."""
        try:
            comment = self.client.request(
                "GET",
                f"{self._comments_path(key)}/{quote(comment_id, safe='')}",
                params={"expand": "properties"},
            )
        except JiraApiError as exc:
            if exc.status == 404:
                return False
            raise
        if not isinstance(comment, Mapping):
            return False
        if not is_tieback_comment(comment, SUMMARY, self.account()):
            return False
        return self._edit(key, comment_id, body)

    def _edit(self, key: str, comment_id: str, body: str) -> bool:
        """PUT the new body; False when the comment is gone (deleted by someone)."""
        try:
            self.client.request(
                "PUT",
                f"{self._comments_path(key)}/{quote(comment_id, safe='')}",
                body={"body": self._payload(body)},
            )
        except JiraApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True


def _what(action: Action) -> str:
    """What a failed write was, for its line: ``add label needs-outcome``, ``comment``."""
    if action.detail == SUMMARY_DETAIL:
        return "summary comment"
    if action.kind is ActionKind.COMMENT:
        return "comment"
    return f"{action.kind.value} {action.detail}"


def _path(key: str) -> str:
    return quote(key, safe="")
