"""What a run must never show or leave behind: a secret in any of the forms a message,
a URL or an Authorization header would carry it."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote, quote_plus


def forms(secret: str) -> list[str]:
    """The secret plain, URL-encoded and in base64."""
    return [
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        base64.urlsafe_b64encode(secret.encode()).decode(),
    ]


def assert_never_shown(root: Path, output: str, *secrets: str) -> None:
    """Neither ``output`` (stdout and stderr) nor any file under ``root`` (the store)
    holds a secret."""
    written = b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())
    for secret in secrets:
        for form in forms(secret):
            assert form not in output, form
            assert form.encode() not in written, form
