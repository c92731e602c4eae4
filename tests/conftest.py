"""Shared helpers: build items, declarations and configs the way the sources do."""

from __future__ import annotations

import itertools
import os
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tieback.config import Config, load_config
from tieback.outcomes import Declarations, load_declarations

ROOT = Path(__file__).resolve().parent.parent

OUTCOMES_TOML = """
[[impacts]]
id = "engagement"
title = "Increase active learner engagement"

[[outcomes]]
id = "results-in-a-minute"
title = "Learners see results within one minute"
impact = "engagement"
metric = "p90 minutes to result"
target = "1"
team = "grading"
aliases = ["fast-results"]

[[outcomes]]
id = "activation"
title = "New teachers assign a first quiz in week one"
impact = "engagement"
metric = "share of new teachers"
target = "40%"
team = "onboarding"

[[outcomes]]
id = "old-reports"
title = "Teachers read weekly reports"
impact = "engagement"
metric = "weekly readers"
target = "10"
status = "retired"
"""


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Config]:
    """Write tieback.toml (and outcomes.toml) into tmp_path and load them."""

    def write(config: str = "", outcomes: str | None = OUTCOMES_TOML) -> Config:
        if outcomes is not None:
            (tmp_path / "outcomes.toml").write_text(textwrap.dedent(outcomes))
        path = tmp_path / "tieback.toml"
        path.write_text(textwrap.dedent(config))
        return load_config(path)

    return write


@pytest.fixture
def declarations(write_config: Callable[..., Config]) -> Declarations:
    return load_declarations(write_config())


_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for the whole run; skipped only off CI when none is installed."""
    import postgres

    if postgres.binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install PostgreSQL (Debian's postgresql package)")
        pytest.skip("no PostgreSQL server binaries here")
    with postgres.server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's store lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "store.db"
    import postgres

    server = request.getfixturevalue("postgres_server")
    return postgres.fresh_database(server, f"t{next(_databases)}")


def pytest_configure(config: pytest.Config) -> None:
    """Tests see only the environment they set: a developer's TIEBACK_* or tokens stay out."""
    for name in list(os.environ):
        if name.upper().startswith("TIEBACK_") or name in ("JIRA_API_TOKEN", "GITHUB_TOKEN"):
            del os.environ[name]


@pytest.fixture(autouse=True)
def no_request_outlives_its_test() -> Iterator[None]:
    """A page read ahead or a count asked in the background may still be in flight when
    its test ends (the sync stopped early): let it finish before the next test begins,
    so that it cannot take an answer the next test's mocked tracker queued for itself."""
    before = set(threading.enumerate())
    yield
    for thread in threading.enumerate():
        if thread in before or thread is threading.current_thread():
            continue
        # tieback's own, and any pool a library started for a request
        if thread.name.startswith(("tieback-", "ThreadPoolExecutor")):
            thread.join(timeout=10)
