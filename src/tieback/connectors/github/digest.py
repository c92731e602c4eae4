"""The coverage digest in GitHub Markdown, within GitHub's comment limit."""

from __future__ import annotations

from functools import cache

import jinja2

from tieback.connectors.digest import MARGIN, Digest, render_within, templates

GITHUB_LIMIT = 65_536  # characters in a GitHub comment


def digest_markdown(digest: Digest, marker: str) -> str:
    """GitHub Markdown that opens with the hidden ``marker`` (``<!-- tieback:... -->``)."""
    body = render_within(_templates(), "digest.md.j2", digest, marker, GITHUB_LIMIT - MARGIN)
    if not body.startswith(marker):
        raise AssertionError("the digest template must open with its marker")  # pragma: no cover
    return body


@cache
def _templates() -> jinja2.Environment:
    return templates("tieback.connectors.github")
