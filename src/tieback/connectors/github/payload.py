"""GitHub REST issue objects (issues and pull requests) as work items; no network here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tieback.errors import SourceError
from tieback.model import Item
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text

# The API path of an issue, on github.com (api.github.com/repos/...) and on Enterprise
# (HOST/api/v3/repos/...): the repository and number are all we need from it.
_ISSUE_API_PATH = re.compile(r"/repos/([^/]+)/([^/]+)/issues/(\d+)/?$")
_REPO_API_PATH = re.compile(r"/repos/([^/]+)/([^/]+)/?$")
# https://github.com/owner/repo/issues/12 or .../pull/12
_HTML_PATH = re.compile(r"^https?://[^/]+/([^/]+)/([^/]+)/(?:issues|pull)/\d+")


def is_pull_request(raw: Mapping[str, Any]) -> bool:
    """Whether a REST object is a pull request (the issues list mixes them in).

    github.com until 2014, and GitHub Enterprise of that age, gave every issue a
    ``pull_request`` object whose links are all null: only one with a link is a pull
    request.
    """
    marker = raw.get("pull_request")
    if marker is not None:
        if type(marker) is not dict and not isinstance(marker, Mapping):
            return True
        get = marker.get
        return bool(get("html_url") or get("url") or get("diff_url") or get("patch_url"))
    return "head" in raw and "base" in raw


def item_from_issue(raw: Mapping[str, Any], repo: str = "") -> Item:
    """One GitHub issue or pull request as an item, keyed ``owner/repo#number``.

    ``repo`` (``owner/name``) is used when the object does not name its repository.
    Raises SourceError when the object has no number, no title or no repository.
    """
    number = raw.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise SourceError('no "number"')
    repository = repo_of(raw) or repo
    if not repository:
        raise SourceError(f'#{number} names no repository ("repository_url" or "html_url")')
    key = f"{repository}#{number}"
    title = raw.get("title")
    if not isinstance(title, str):
        raise SourceError(f'{key} has no "title"')
    state = _text(raw.get("state"))
    done = state == "closed"
    return Item(
        source="github",
        key=key,
        title=title,
        url=_text(raw.get("html_url")),
        type=_type(raw),
        status=state,
        done=done,
        labels=tuple(_labels(raw.get("labels"))),
        body=_text(raw.get("body")),
        parent=parent_key(raw.get("parent_issue_url")),
        team=repository,
        author=_text(_mapping(raw.get("user")).get("login")),
        updated=_text(raw.get("updated_at")),
        # As done-ness is the state's, a pull request closed unmerged is done when closed.
        done_at=_text(raw.get("closed_at")) if done else "",
    )


def repo_of(raw: Mapping[str, Any]) -> str:
    """``owner/repo`` from the object's ``repository_url``, else from its ``html_url``."""
    api = raw.get("repository_url")
    if isinstance(api, str) and (match := _REPO_API_PATH.search(api)):
        return f"{match[1]}/{match[2]}"
    html = raw.get("html_url")
    if isinstance(html, str) and (match := _HTML_PATH.match(html)):
        return f"{match[1]}/{match[2]}"
    return ""


def parent_key(parent_issue_url: object) -> str | None:
    """A sub-issue's parent as ``owner/repo#N``, from its ``parent_issue_url``.

    GitHub's issue objects carry the parent only as this API URL; the parent may live
    in another repository of the same owner, which the URL names.
    """
    if isinstance(parent_issue_url, str) and (match := _ISSUE_API_PATH.search(parent_issue_url)):
        return f"{match[1]}/{match[2]}#{match[3]}"
    return None


def _type(raw: Mapping[str, Any]) -> str:
    issue_type = _text(_mapping(raw.get("type")).get("name"))
    if issue_type:
        return issue_type
    return "Pull Request" if is_pull_request(raw) else "Issue"


def _labels(labels: object) -> list[str]:
    if not isinstance(labels, list):
        return []
    names = (
        label if isinstance(label, str) else _text(_mapping(label).get("name")) for label in labels
    )
    return [name for name in names if name]
