"""The configuration's core tables as typed models; each connector brings its own table."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tieback.rules import CoverageRules, ExemptRules, Scope, TagRules, Weight


class Section(BaseModel):
    # inf and nan would reach the reports as Infinity and NaN, which no JSON reader takes.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Tagging(Section):
    prefix: str = Field("outcome:", min_length=1)
    jira_field: str = ""
    # A GitHub Projects field (by name, as the project shows it) of [github] project.
    github_project_field: str = ""
    body_marker: str = Field("Outcome:", min_length=1)
    inherit: bool = True

    @field_validator("body_marker")
    @classmethod
    def _one_line(cls, marker: str) -> str:
        if "\n" in marker or "\r" in marker:
            raise ValueError("expected the start of one line, e.g. 'Outcome:'")
        return marker

    def rules(self) -> TagRules:
        return TagRules(self.prefix, self.body_marker, self.inherit)


class Exempt(Section):
    labels: list[str] = []
    types: list[str] = []
    authors: list[str] = []

    def rules(self) -> ExemptRules:
        return ExemptRules.of(self.labels, self.types, self.authors)


class Coverage(Section):
    weight: Weight = "count"
    default_points: float = Field(0, ge=0)
    fail_under: float = Field(0, ge=0, le=100)
    precision: int = Field(1, ge=0, le=6)
    scope: Scope = "open"

    def rules(self) -> CoverageRules:
        return CoverageRules(
            self.weight, self.default_points, self.fail_under, self.precision, self.scope
        )


class Store(Section):
    path: Path = Path(".tieback/tieback.db")
    url: str = ""  # postgresql://user@host/db: a shared store instead of the SQLite file
    # Names this configuration's exports and history in a shared store; empty: a name
    # made from its sources (the Jira site and query, the repositories, the export paths).
    scope: str = ""
    # Seconds a post-back waits for another run's post-back to the same tracker to end.
    lock_timeout: float = Field(120, ge=0)

    @field_validator("url")
    @classmethod
    def _postgresql(cls, url: str) -> str:
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("expected a postgresql://user@host:port/database URL")
        return url


class Files(Section):
    paths: list[Path] = []


class Metrics(Section):
    paths: list[Path] = []  # CSV files of readings: outcome,date,value
    # A reading older than this many days says nothing about now: the outcome is stale.
    stale_after_days: int = Field(30, gt=0)


def check_url(url: str, example: str, token_variable: str) -> str:
    """``url`` if it is an http(s) base URL a request can start from; else ValueError
    saying what is wrong, without the URL, which may hold a password."""
    if any(character.isspace() or not character.isprintable() for character in url):
        raise ValueError("has a space or control character; remove it (a space in a path is %20)")
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed [ of an IPv6 address
        raise ValueError(f"is not a URL; expected e.g. {example}") from None
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = 0
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"expected an http:// or https:// URL, e.g. {example}")
    if "@" in parts.netloc:
        raise ValueError(
            f"a user name or password never lives in the URL; remove it and set "
            f"{token_variable} instead"
        )
    if not parts.hostname:
        raise ValueError(f"has no host; expected e.g. {example}")
    if port == 0:
        raise ValueError("has a port that is not a number from 1 to 65535")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError("has a query or fragment; give the base URL only")
    return url


class Settings(Section):
    """The core configuration. A configuration is validated by a subclass with a field
    for each connector's table besides (``registry.settings_model``): ``settings.jira``."""

    outcomes_file: Path = Path("outcomes.toml")
    impacts: list[dict[str, Any]] = []
    outcomes: list[dict[str, Any]] = []
    tagging: Tagging = Tagging()
    exempt: Exempt = Exempt()
    coverage: Coverage = Coverage()
    store: Store = Store()
    files: Files = Files()
    metrics: Metrics = Metrics()
