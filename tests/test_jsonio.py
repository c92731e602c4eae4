"""tieback.jsonio reads and writes what the standard library's json would, but for half
a surrogate pair, which it reads as U+FFFD."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tieback.jsonio import dumps, loads


def _values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(10**30), max_value=10**30)
        | st.floats(allow_nan=False)
        | text
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5),
        max_leaves=25,
    )


_whole_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)))


@given(_values(_whole_text), st.booleans())
def test_reads_every_document_as_json_does(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert loads(text.encode("utf-8")) == loads(text) == json.loads(text)


@given(_values(st.text()))  # lone surrogates included
def test_writes_what_json_reads_back_the_same(value: Any) -> None:
    written = dumps(value)
    assert written.decode("utf-8")  # always valid UTF-8, lone surrogates escaped
    assert json.loads(written) == value


@pytest.mark.parametrize(
    ("document", "value"),
    [
        # Half a surrogate pair, which nothing written in UTF-8 can hold; a whole pair.
        (b'{"t": "half \\ud83d, whole \\ud83d\\ude80"}', {"t": "half \ufffd, whole 🚀"}),
        (b'{"\\udc00": ["\\ud800x"]}', {"\ufffd": ["\ufffdx"]}),
        (b'\xef\xbb\xbf{"bom": 1}', {"bom": 1}),  # a byte order mark before the text
        ('{"utf16": "é"}'.encode("utf-16"), {"utf16": "é"}),
        (b'{"a": 1, "a": 2}', {"a": 2}),  # the last of a repeated key
        (b"[NaN, Infinity, -Infinity, 1e400]", None),
        (b'{"n": 123456789012345678901234567890}', {"n": 123456789012345678901234567890}),
    ],
)
def test_reads_what_the_fast_parser_refuses(document: bytes, value: Any) -> None:
    if value is None:
        nan, inf, minus, big = loads(document)
        assert math.isnan(nan) and inf == big == math.inf and minus == -math.inf
    else:
        assert loads(document) == value


@pytest.mark.parametrize("document", [b"", b"<html>", b'{"a": 1', b"\xff"])
def test_bad_documents_raise_value_errors(document: bytes) -> None:
    with pytest.raises(ValueError):
        loads(document)


def test_writes_compact_utf8_and_escapes_a_lone_surrogate() -> None:
    written = dumps({"t": "é", "n": [1, 2.5, None, True]})
    assert written == '{"t":"é","n":[1,2.5,null,true]}'.encode()
    assert dumps({"t": "a\ud800b"}) == b'{"t":"a\\ud800b"}'
