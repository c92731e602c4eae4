"""Make untrusted text (issue titles, bodies) inert in Markdown and HTML."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Inline specials; ( and ) need no escape once [ and ] are escaped.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]|~!])")
# What would start a heading, list or quote at the beginning of a line.
_LINE_START = re.compile(r"^([#+\-=])")
_ORDERED_ITEM = re.compile(r"^(\d+)([.)])")
ZERO_WIDTH_SPACE = "\u200b"


def escape_markdown(text: str) -> str:
    """One line of literal text: no formatting, links, raw HTML or @mention pings."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _LINE_START.sub(r"\\\1", text)
    text = _ORDERED_ITEM.sub(r"\1\\\2", text)
    # A zero-width space after @ keeps GitHub from turning @user or @org/team into a ping.
    return text.replace("@", "@" + ZERO_WIDTH_SPACE)


def safe_url(url: str) -> str:
    """The URL if it is plain http(s), else empty: no javascript: or data: links."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    if scheme not in {"http", "https"} or any(c in url for c in "<>\"' \n()"):
        return ""
    return url
