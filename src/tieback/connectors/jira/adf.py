"""Build Atlassian Document Format (ADF) bodies, the rich text of Jira Cloud's REST v3.

Only the few nodes tieback writes: a document of headings, paragraphs and bullet
lists holding text, optionally bold, monospaced or linked. Text in ADF is data, not
markup, so untrusted titles need no escaping here; what this module guards is the
shape Jira validates: no empty text node, no ``code`` mark beside ``strong``, list
items that open with a paragraph, and links that are plain http(s) only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tieback.formats.escape import safe_url

__all__ = ["bullet_list", "doc", "heading", "paragraph", "text"]

Node = dict[str, Any]
Inline = Node | str
ListEntry = Node | str | Sequence[Node]


def text(value: str, *, link: str | None = None, strong: bool = False, code: bool = False) -> Node:
    """A text node; ``link`` becomes a link mark only when it is an http(s) URL.

    Raises ValueError for an empty ``value`` (ADF has no empty text node) and for
    ``strong`` with ``code`` (Jira refuses the two marks together).
    """
    if not value:
        raise ValueError("an ADF text node cannot be empty")
    if strong and code:
        raise ValueError("ADF does not allow the strong and code marks on one text node")
    marks: list[Node] = []
    if strong:
        marks.append({"type": "strong"})
    if code:
        marks.append({"type": "code"})
    href = safe_url(link) if link else ""
    if href:
        marks.append({"type": "link", "attrs": {"href": href}})
    node: Node = {"type": "text", "text": value}
    if marks:
        node["marks"] = marks
    return node


def _inlines(inlines: Sequence[Inline]) -> list[Node]:
    # Empty strings are skipped rather than refused: a caller joining optional parts
    # should not have to filter them first, and ADF forbids the empty text node.
    return [text(part) if isinstance(part, str) else part for part in inlines if part != ""]


def paragraph(*inlines: Inline) -> Node:
    """A paragraph of text nodes; a ``str`` stands for plain ``text(str)``."""
    return {"type": "paragraph", "content": _inlines(inlines)}


def heading(level: int, *inlines: Inline) -> Node:
    """A heading of level 1 to 6."""
    if not 1 <= level <= 6:
        raise ValueError(f"an ADF heading level is 1 to 6, not {level}")
    return {"type": "heading", "attrs": {"level": level}, "content": _inlines(inlines)}


def _list_item(entry: ListEntry) -> Node:
    if isinstance(entry, str):
        blocks: list[Node] = [paragraph(entry)]
    elif isinstance(entry, dict):
        blocks = [entry]
    else:
        blocks = list(entry)
    # A list item must open with a paragraph (or a code block), never with a nested
    # list, and must not be empty.
    if not blocks or blocks[0].get("type") not in ("paragraph", "codeBlock"):
        blocks.insert(0, paragraph())
    return {"type": "listItem", "content": blocks}


def bullet_list(*items: ListEntry) -> Node:
    """A bullet list; each item a block, a ``str`` (one paragraph) or a list of blocks.

    A bare inline node (``text(...)``) is wrapped in a paragraph too.
    """
    if not items:
        raise ValueError("an ADF bullet list needs at least one item")
    wrapped: list[ListEntry] = [
        paragraph(entry) if isinstance(entry, dict) and entry.get("type") == "text" else entry
        for entry in items
    ]
    return {"type": "bulletList", "content": [_list_item(entry) for entry in wrapped]}


def doc(*blocks: Node) -> Node:
    """The document: ``{"type": "doc", "version": 1, "content": [...]}``."""
    return {"type": "doc", "version": 1, "content": list(blocks)}
