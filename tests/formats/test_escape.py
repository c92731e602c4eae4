"""Untrusted text cannot ping, inject HTML, spoof links or start Markdown or wiki blocks."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tieback.formats.escape import (
    WIKI_SPECIAL,
    ZERO_WIDTH_SPACE,
    escape_markdown,
    escape_wiki,
    safe_url,
)


def test_mentions_are_broken() -> None:
    assert escape_markdown("ping @octocat and @acme/team") == (
        f"ping @{ZERO_WIDTH_SPACE}octocat and @{ZERO_WIDTH_SPACE}acme/team"
    )


def test_html_and_links_are_inert() -> None:
    text = escape_markdown('<script>x</script> [docs](https://evil.example "t") ![i](x)')
    assert "<" not in text and ">" not in text
    assert "\\[docs\\](https://evil.example" in text
    assert "\\!\\[i\\]" in text


def test_block_starts_are_escaped() -> None:
    assert escape_markdown("# title") == "\\# title"
    assert escape_markdown("- item") == "\\- item"
    assert escape_markdown("3. step") == "3\\. step"
    assert escape_markdown("EDU-10") == "EDU-10"


def test_newlines_and_pipes_cannot_break_a_table_row() -> None:
    assert escape_markdown("a\n| b |\r\nc") == "a \\| b \\| c"


@given(st.text())
def test_escaped_text_has_no_raw_specials(text: str) -> None:
    escaped = escape_markdown(text)
    assert "<" not in escaped and "\n" not in escaped
    for position, char in enumerate(escaped):
        if char in "[]|`*_":
            assert escaped[position - 1] == "\\"


def test_safe_url() -> None:
    assert (
        safe_url("https://github.com/acme/app/issues/1") == "https://github.com/acme/app/issues/1"
    )
    assert safe_url("javascript:alert(1)") == ""
    assert safe_url("data:text/html,x") == ""
    assert safe_url("https://x.example/a)b") == ""


# --- Jira wiki markup -------------------------------------------------------------------

WIKI_ENTITIES = re.compile(r"&(?:amp|#92|#46);")


def test_wiki_mentions_cannot_ping() -> None:
    assert escape_wiki("ping [~admin] and [~accountid:5b10ac8d82e05b22cc7d4ef5]") == (
        "ping \\[\\~admin\\] and \\[\\~accountid:5b10ac8d82e05b22cc7d4ef5\\]"
    )


def test_wiki_links_and_images_cannot_be_spoofed() -> None:
    assert escape_wiki("[docs|https://evil.example]") == "\\[docs\\|https://evil.example\\]"
    assert escape_wiki("!https://evil.example/x.png!") == "\\!https://evil.example/x.png\\!"
    # A bare URL stays text: Jira may link it, but it shows where it goes.
    assert escape_wiki("see https://x.example/a") == "see https://x.example/a"


@pytest.mark.parametrize("macro", ["html", "code", "noformat", "color:red", "panel", "quote"])
def test_wiki_macros_do_not_run(macro: str) -> None:
    escaped = escape_wiki(f"{{{macro}}}<b>x</b>{{{macro}}}")
    assert escaped == f"\\{{{macro}\\}}<b>x</b>\\{{{macro}\\}}"


def test_wiki_text_effects_are_literal() -> None:
    assert escape_wiki("*b* _i_ -s- +u+ ^sup^ ~sub~ ??cite?? {{mono}} a|b") == (
        "\\*b\\* \\_i\\_ \\-s\\- \\+u\\+ \\^sup\\^ \\~sub\\~ \\?\\?cite\\?\\? "
        "\\{\\{mono\\}\\} a\\|b"
    )


def test_wiki_line_starts_are_literal() -> None:
    assert escape_wiki("h1. Title") == "h1&#46; Title"
    assert escape_wiki("bq. quoted") == "bq&#46; quoted"
    assert escape_wiki("# one") == "\\# one"
    assert escape_wiki("* item") == "\\* item"
    assert escape_wiki("---- rule") == "\\-\\-\\-\\- rule"
    assert escape_wiki("|| head ||") == "\\|\\| head \\|\\|"
    # A heading needs the start of a line; newlines are gone, so only there.
    assert escape_wiki("a\nh2. b") == "a h2. b"


def test_wiki_backslash_cannot_cancel_an_escape() -> None:
    # "\\" is a forced line break, and "\\*" would leave the star unescaped.
    assert escape_wiki("a\\*b*") == "a&#92;\\*b\\*"
    assert escape_wiki("x\\\\y") == "x&#92;&#92;y"
    assert escape_wiki("&#91;~admin&#93; &lt;") == "&amp;\\#91;\\~admin&amp;\\#93; &amp;lt;"


def test_wiki_keys_and_plain_text() -> None:
    assert escape_wiki("EDU-10") == "EDU\\-10"
    assert escape_wiki("Plain words, numbers 12.5") == "Plain words, numbers 12.5"


@given(st.text())
def test_wiki_escaped_text_has_no_raw_specials(text: str) -> None:
    escaped = escape_wiki(text)
    assert "\n" not in escaped and "\\\\" not in escaped
    assert "[~" not in escaped and "{html}" not in escaped.lower()
    plain = WIKI_ENTITIES.sub("", escaped)
    assert "&" not in plain
    for position, char in enumerate(plain):
        if char in WIKI_SPECIAL:
            assert plain[position - 1] == "\\", (text, escaped)
        if char == "\\":
            assert plain[position + 1] in WIKI_SPECIAL, (text, escaped)
    assert not re.match(r"\s*(h[1-6]|bq)\.", escaped, re.IGNORECASE)


@given(st.lists(st.sampled_from(["[~", "{html}", "\\", "[", "~", "{", "html", "}", "x"])))
def test_wiki_hostile_fragments_stay_escaped(parts: list[str]) -> None:
    escaped = escape_wiki("".join(parts))
    assert "[~" not in escaped and "{html}" not in escaped
    assert re.search(r"(?<!\\)[\[{~]", escaped) is None
