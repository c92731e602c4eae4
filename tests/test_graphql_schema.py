"""Every GraphQL query and mutation tieback sends names only what GitHub's schema has.

The queries are found, not listed: each module-level string named ``*_QUERY`` or
``*_MUTATION`` (or a dict of them named ``*_QUERIES``) in tieback's modules, and each
call of ``.graphql(`` in the source must send one of those (or a ``*_query(...)``
function's answer), so a query added another way fails here.
"""

from __future__ import annotations

import gzip
import importlib
import pkgutil
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

import tieback
from tieback.connectors.github.source import counts_query

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests/data/github-schema.graphql.gz"
_NAME = re.compile(r"_?[A-Z][A-Z0-9_]*_(QUERY|MUTATION|QUERIES)")
# Constants named like queries that are something else: the store's name for the
# query (scope) its copied exports are kept under.
NOT_GRAPHQL = {"tieback.store.api.FILES_QUERY", "tieback.store.FILES_QUERY"}
EXPECTED = {
    "tieback.connectors.github.client.VIEWER_QUERY",
    "tieback.connectors.github.pr.fetch._PULL_QUERY",
    "tieback.connectors.github.source.NUMBERS_QUERIES[issues]",
    "tieback.connectors.github.source.NUMBERS_QUERIES[pullRequests]",
    "tieback.connectors.github.projects.ORG_PROJECT_ITEMS_QUERY",
    "tieback.connectors.github.projects.USER_PROJECT_ITEMS_QUERY",
    "tieback.connectors.github.projects.SET_PROJECT_FIELD_MUTATION",
}


@cache
def schema() -> GraphQLSchema:
    text = gzip.decompress(SCHEMA.read_bytes()).decode("utf-8")
    # The published file repeats a few field definitions, and deprecates some fields an
    # interface does not: taken as valid, as GitHub serves it.
    return build_schema(text, assume_valid_sdl=True, assume_valid=True)


def constants() -> Iterator[tuple[str, object]]:
    """Every module-level value of tieback named like a query, by its full name."""
    for found in pkgutil.walk_packages(tieback.__path__, "tieback."):
        if found.name.endswith("__main__"):  # runs the command when imported
            continue
        module = importlib.import_module(found.name)
        for name, value in vars(module).items():
            if not _NAME.fullmatch(name):
                continue
            where = f"{found.name}.{name}"
            if isinstance(value, dict):
                for key, entry in value.items():
                    yield f"{where}[{key}]", entry
            else:
                yield where, value


@cache
def queries() -> dict[str, str]:
    found = {where: value for where, value in constants() if where not in NOT_GRAPHQL}
    # Aliased per repository, so made by a function: asked for two repositories.
    found["counts_query"] = counts_query(["acme/app", "acme/web.site"])
    return {where: value for where, value in found.items() if isinstance(value, str)}


def test_every_query_tieback_sends_is_found() -> None:
    found = queries()
    assert set(found) >= EXPECTED
    named = {where for where, _ in constants()}
    assert named - set(found) <= NOT_GRAPHQL  # nothing named like a query is left out


def test_every_graphql_call_sends_a_found_query() -> None:
    call = re.compile(r"\.graphql(?:_partial)?\(\s*([^,]+),")
    sent = [
        (path.relative_to(ROOT), match[1].strip())
        for path in (ROOT / "src/tieback").rglob("*.py")
        for match in call.finditer(path.read_text(encoding="utf-8"))
    ]
    assert len(sent) >= 5
    for path, argument in sent:
        assert _NAME.match(argument) or re.match(r"\w+_query\(", argument), (path, argument)


@pytest.mark.parametrize("where", sorted(queries()))
def test_the_query_is_valid_against_github_s_schema(where: str) -> None:
    errors = validate(schema(), parse(queries()[where]))
    assert not errors, [error.message for error in errors]


def test_a_query_github_does_not_have_fails_validation() -> None:
    wrong = "query { viewer { login projectsV3 { totalCount } } }"
    assert validate(schema(), parse(wrong))
