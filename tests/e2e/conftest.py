"""The fake Jira sites most end-to-end tests run against, serving the shared backlog.

A test file that needs other settings (a time zone, a context path) defines its own
``cloud`` or ``server``, which takes the place of these.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e.fake_jira import FakeJira, serve
from e2e.jira_fixtures import add_backlog


@pytest.fixture
def cloud() -> Iterator[FakeJira]:
    fake = FakeJira("cloud", page_cap=5)
    with serve(fake):
        add_backlog(fake)
        yield fake


@pytest.fixture
def server() -> Iterator[FakeJira]:
    fake = FakeJira("server", page_cap=4, context="/jira")
    with serve(fake):
        add_backlog(fake)
        yield fake
