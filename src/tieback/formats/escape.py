"""Make untrusted text (issue titles, bodies) inert in Markdown and HTML."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")
ZERO_WIDTH_SPACE = "\u200b"


def escape_markdown(text: str) -> str:
    """One line of literal text: no formatting, links, raw HTML or @mention pings."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
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
