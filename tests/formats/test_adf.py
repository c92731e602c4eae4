"""ADF nodes have the shapes Jira Cloud validates: marks, list items, links."""

from __future__ import annotations

import pytest

from factories import HOSTILE
from tieback.connectors.jira import adf


def test_text_marks() -> None:
    assert adf.text("plain") == {"type": "text", "text": "plain"}
    assert adf.text("bold", strong=True) == {
        "type": "text",
        "text": "bold",
        "marks": [{"type": "strong"}],
    }
    assert adf.text("id", code=True, link="https://x.example/o") == {
        "type": "text",
        "text": "id",
        "marks": [{"type": "code"}, {"type": "link", "attrs": {"href": "https://x.example/o"}}],
    }


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,x", "ftp://x.example/f", "/relative", ""]
)
def test_only_http_links_become_link_marks(link: str) -> None:
    assert adf.text("EDU-1", link=link) == {"type": "text", "text": "EDU-1"}


def test_text_cannot_be_empty_nor_code_and_strong() -> None:
    with pytest.raises(ValueError, match="empty"):
        adf.text("")
    with pytest.raises(ValueError, match="strong and code"):
        adf.text("x", strong=True, code=True)


def test_untrusted_text_is_data_not_markup() -> None:
    node = adf.paragraph(HOSTILE)
    assert node == {"type": "paragraph", "content": [{"type": "text", "text": HOSTILE}]}


def test_paragraph_and_heading() -> None:
    assert adf.paragraph("a ", adf.text("b", strong=True), "") == {
        "type": "paragraph",
        "content": [
            {"type": "text", "text": "a "},
            {"type": "text", "text": "b", "marks": [{"type": "strong"}]},
        ],
    }
    assert adf.paragraph() == {"type": "paragraph", "content": []}
    assert adf.heading(3, "Coverage") == {
        "type": "heading",
        "attrs": {"level": 3},
        "content": [{"type": "text", "text": "Coverage"}],
    }
    with pytest.raises(ValueError, match="1 to 6"):
        adf.heading(7, "x")


def test_bullet_list_wraps_items_as_adf_requires() -> None:
    nested = adf.bullet_list("inner")
    got = adf.bullet_list("one", adf.text("two"), adf.paragraph("three"), [nested])
    items = got["content"]
    assert got["type"] == "bulletList"
    assert [item["type"] for item in items] == ["listItem"] * 4
    assert items[0]["content"] == [adf.paragraph("one")]
    assert items[1]["content"] == [adf.paragraph("two")]
    assert items[2]["content"] == [adf.paragraph("three")]
    # A list item may not open with a nested list: an empty paragraph goes first.
    assert items[3]["content"] == [adf.paragraph(), nested]
    with pytest.raises(ValueError, match="at least one item"):
        adf.bullet_list()


def test_doc() -> None:
    assert adf.doc(adf.paragraph("hi")) == {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "hi"}]}],
    }
