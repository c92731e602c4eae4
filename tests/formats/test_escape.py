"""Untrusted text cannot ping, inject HTML, spoof links or start Markdown blocks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tieback.formats.escape import ZERO_WIDTH_SPACE, escape_markdown, safe_url


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
