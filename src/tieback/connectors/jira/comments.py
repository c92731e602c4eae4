"""tieback's comments on Jira issues: how they are marked, and whether its account wrote one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tieback.connectors.jira import adf
from tieback.connectors.jira.payload import adf_text
from tieback.payload import text_of as _text

EXPLAIN = "explain"  # the store's and the property's kind for the explanatory comment
SUMMARY = "summary"  # ... and for the coverage summary on [jira.post_back] summary_issue
PROPERTY = "tieback"  # the comment property that marks tieback's comments


def marker(kind: str) -> str:
    """The visible text that marks a tieback comment of ``kind`` (``tieback:explain``)."""
    return f"{PROPERTY}:{kind}"


def with_marker(document: dict[str, Any], kind: str) -> dict[str, Any]:
    """An ADF document ending with tieback's visible marker, in its own paragraph."""
    content = [*document.get("content", []), adf.paragraph(marker(kind))]
    return {**document, "content": content}


@dataclass(frozen=True, slots=True)
class Account:
    """The account a token acts as, as ``GET /rest/api/2/myself`` names it: Cloud by its
    ``accountId``; Data Center by its ``key`` and its ``name`` (the username)."""

    account_id: str = ""
    key: str = ""
    name: str = ""

    @classmethod
    def of(cls, user: Mapping[str, Any]) -> Account:
        """The account a user object (``/myself``, a comment's ``author``) names."""
        return cls(_text(user.get("accountId")), _text(user.get("key")), _text(user.get("name")))

    @property
    def known(self) -> bool:
        return bool(self.account_id or self.key or self.name)

    def wrote(self, comment: Mapping[str, Any]) -> bool:
        """Whether this account is the comment's ``author``: by ``accountId`` on Cloud; on
        Data Center by ``key``, else by ``name`` (a username, which ignores case). A
        username can pass to another user after a rename, so a key that differs says no."""
        author = comment.get("author")
        if not isinstance(author, Mapping) or not self.known:
            return False
        other = Account.of(author)
        if self.account_id:
            return other.account_id == self.account_id
        if self.key and other.key:
            return other.key == self.key
        return bool(self.name) and other.name.casefold() == self.name.casefold()


def is_marked(comment: Mapping[str, Any], kind: str) -> bool:
    """Whether a REST comment (read with ``expand=properties``) is marked as tieback's
    of ``kind``: by its ``tieback`` property when it has one (a summary quoting an issue
    titled "tieback:explain" is no explanation), else by the marker in its text."""
    for prop in comment.get("properties") or ():
        if isinstance(prop, Mapping) and prop.get("key") == PROPERTY:
            value = prop.get("value")
            return isinstance(value, Mapping) and value.get("kind") == kind
    body = comment.get("body")
    text = adf_text(body) if isinstance(body, Mapping) else body
    return isinstance(text, str) and marker(kind) in text


def is_tieback_comment(comment: Mapping[str, Any], kind: str, account: Account) -> bool:
    """Whether a REST comment is tieback's of ``kind``: marked so, and written by the
    token's ``account``. Anyone can paste the marker or the property into a comment."""
    return account.wrote(comment) and is_marked(comment, kind)
