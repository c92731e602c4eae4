"""The sticky comment on the pull request: rendered, found again by its marker, written once."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tieback import __version__
from tieback.config import Config
from tieback.connectors.github.client import GithubApiError, GithubClient
from tieback.connectors.github.sink import UNKNOWN_ACCOUNT, find_marked_comment, same_text
from tieback.connectors.github.sink import digest as text_hash
from tieback.connectors.sink import MARKER_PREFIX
from tieback.formats.templates import environment
from tieback.model import Item
from tieback.outcomes import Declarations
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text
from tieback.prcheck import Backlog, Move, Verdict

STICKY = "sticky"  # the store's kind for the pull request's comment
STICKY_MARKER = f"{MARKER_PREFIX}pull-request -->"
# Under GitHub's 65,536 characters with room to spare; each retry lists fewer entries.
BUDGET = 60_000
_LIST_LIMITS = (50, 20, 5, 0)


def comment_context(
    config: Config,
    mode: str,
    pull: Item,
    verdict: Verdict,
    backlog: Backlog | None,
    move: Move | None,
    declarations: Declarations,
) -> dict[str, Any]:
    """What the comment's template shows."""
    settings = config.settings
    return {
        "marker": STICKY_MARKER,
        "version": __version__,
        "mode": mode,
        "pr": {"key": pull.key, "title": pull.title, "url": pull.url},
        "verdict": verdict,
        "chain": verdict.chain,
        # Every link to another item, and the pull request's own tags that need a word.
        "evidence": [
            link
            for link in verdict.links
            if link.kind not in ("label", "description") or (link.status != "aligned" and link.note)
        ],
        "tagging": settings.tagging,
        "skip_label": settings.github.pull_request.skip_label,
        "jira_projects": settings.github.pull_request.jira_keys,
        "outcomes": [o for o in declarations.outcomes if o.active],
        "outcomes_file": config.display(config.outcomes_path),
        "backlog": backlog,
        "move": move,
        "measures": [],  # (outcome id, its progress in one line), filled by the check
    }


def render_comment(context: Mapping[str, Any]) -> str:
    """The sticky comment, listing fewer entries until it fits GitHub's limit."""
    template = environment().get_template("pr-comment.md.j2")
    body = ""
    for limit in _LIST_LIMITS:
        # Every heading stands apart from what precedes it, however the blocks fell.
        body = template.render(**context, limit=limit)
        body = re.sub(r"\n+(?=#### )", "\n\n", body)
        if len(body) <= BUDGET:
            return body
    # Even with no lists the titles alone are too long: cut, keeping the marker.
    return body[: BUDGET - 40].rsplit("\n", 1)[0] + "\n\n… (cut to GitHub's comment limit)\n"


@dataclass(frozen=True)
class Sticky:
    """What happened to the sticky comment: created, edited, unchanged or refused."""

    action: str
    comment_id: str = ""
    url: str = ""
    detail: str = ""


def keep_sticky(
    client: GithubClient,
    repo: str,
    number: int,
    body: str,
    short: str,
    remembered: str,
    login: str = "",
    in_actions: bool = False,
) -> Sticky:
    """Create the comment, or edit it in place when its text changed; one write at most.

    The id the store remembers is one tieback created; else the comment is the one
    carrying the marker by ``login``, the token's own account (asked of the client when
    not given), looked for just before the write so that a run beside this one is not
    doubled.
    """
    existing = _remembered_comment(client, repo, remembered) if remembered else None
    if existing is None:
        login = login or client.own_login(in_actions)
        existing = find_marked_comment(client, repo, number, STICKY_MARKER, login)
        if existing is not None and not login:
            return Sticky("skipped", detail=UNKNOWN_ACCOUNT)
    if existing is not None and same_text(existing.get("body"), body):
        return Sticky("unchanged", str(existing.get("id", "")), _text(existing.get("html_url")))
    for text in dict.fromkeys((body, short)):
        try:
            if existing is not None:
                _, answer = client.request(
                    "PATCH", f"/repos/{repo}/issues/comments/{existing['id']}", body={"body": text}
                )
                action = "edited"
            else:
                # Not idempotent, so never retried blindly: the marker is looked for first.
                _, answer = client.request(
                    "POST",
                    f"/repos/{repo}/issues/{number}/comments",
                    body={"body": text},
                    idempotent=False,
                )
                action = "created"
        except GithubApiError as exc:
            if exc.status in (401, 403, 404):
                return Sticky("refused", detail=str(exc))
            if exc.status == 422 and text != short:
                continue  # "body is too long" by GitHub's count: send the summary
            raise
        answer = _mapping(answer)
        return Sticky(action, str(answer.get("id", "")), _text(answer.get("html_url")))
    raise AssertionError("unreachable: the short body is always tried")  # pragma: no cover


def _remembered_comment(client: GithubClient, repo: str, comment_id: str) -> dict[str, Any] | None:
    try:
        _, comment = client.request("GET", f"/repos/{repo}/issues/comments/{comment_id}")
    except GithubApiError as exc:
        if exc.status == 404:
            return None  # deleted by someone: look for the marker instead
        raise
    if isinstance(comment, dict) and STICKY_MARKER in _text(comment.get("body")):
        return comment
    return None


def remembered_id(config: Config, key: str) -> str:
    """The id of the comment a run before this one wrote, as the store keeps it."""
    if not config.store_exists:
        return ""
    from tieback.store import Store

    with Store.open(config.store_location) as store:
        posted = store.comment("github", key, STICKY)
    return posted.comment_id if posted else ""


def remember(config: Config, key: str, comment: Sticky, body: str) -> None:
    """Keep the comment's id, so the next run reads it directly instead of paging."""
    if not config.store_exists or not comment.comment_id:
        return
    from tieback.store import PostedComment, Store

    now = datetime.now(UTC).isoformat(timespec="seconds")
    with Store.open(config.store_location) as store:
        posted = PostedComment("github", key, STICKY, comment.comment_id, text_hash(body), now)
        store.set_comment(posted)
