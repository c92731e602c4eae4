"""Make untrusted text (issue titles, bodies) inert in Markdown, Jira wiki markup and HTML."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Inline specials; ( and ) need no escape once [ and ] are escaped.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]|~!])")
# What would start a heading, list or quote at the beginning of a line.
_LINE_START = re.compile(r"^([#+\-=])")
_ORDERED_ITEM = re.compile(r"^(\d+)([.)])")
ZERO_WIDTH_SPACE = "\u200b"

# Jira wiki markup (Data Center comment bodies). The renderer turns a backslash followed
# by one of these into the literal character (its BackslashEscapeRendererComponent),
# so escaping them all leaves no mention ([~user]), link ([text|url]), macro ({html}),
# image (!x!), table cell (|) or text effect (*, _, -, +, ^, ~, ??, {{ }}) to parse.
WIKI_SPECIAL = "-#*_+?^~|%{}[]()!@"
# A backslash before a backslash cancels the escape ("\\" is a forced line break), so
# a literal backslash becomes an entity, as the renderer itself writes escaped
# characters; "&" too, so text that looks like an entity stays the text it was.
_WIKI_CHARACTER = re.compile("[" + re.escape(WIKI_SPECIAL + "\\&") + "]")
_WIKI_ENTITIES = {"\\": "&#92;", "&": "&amp;"}
# Line-start block syntax that begins with a letter, not with a special character.
_WIKI_BLOCK_WORD = re.compile(r"^(h[1-6]|bq)\.", re.IGNORECASE)


def escape_markdown(text: str) -> str:
    """One line of literal text: no formatting, links, raw HTML or @mention pings."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = _LINE_START.sub(r"\\\1", text)
    text = _ORDERED_ITEM.sub(r"\1\\\2", text)
    # A zero-width space after @ keeps GitHub from turning @user or @org/team into a ping.
    return text.replace("@", "@" + ZERO_WIDTH_SPACE)


def escape_wiki(text: str) -> str:
    """One line of literal text in Jira wiki markup: no mention, link, macro or effect.

    Bare URLs stay as text (Jira may link them, showing the URL itself); what cannot
    happen is a link whose label hides where it goes.
    """
    text = " ".join(text.split())
    text = _WIKI_CHARACTER.sub(_escape_wiki_character, text)
    # "h1. " or "bq. " at the start of a line would make a heading or a quote.
    return _WIKI_BLOCK_WORD.sub(r"\1&#46;", text)


def _escape_wiki_character(match: re.Match[str]) -> str:
    character = match.group()
    return _WIKI_ENTITIES.get(character) or "\\" + character


def safe_url(url: str) -> str:
    """The URL if it is plain http(s), else empty: no javascript: or data: links."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    if scheme not in {"http", "https"} or any(c in url for c in "<>\"' \n()"):
        return ""
    return url
