"""The rules an audit applies, as frozen values built once from the configuration."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Weight = Literal["count", "points"]
Scope = Literal["open", "all"]


@dataclass(frozen=True, slots=True)
class TagRules:
    """How an item names the outcomes it serves (``[tagging]``): labels starting with
    ``prefix``, lines of its body starting with ``body_marker`` (both in any case), and
    whether an untagged item takes its parent's tags."""

    prefix: str = "outcome:"
    body_marker: str = "Outcome:"
    inherit: bool = True


@dataclass(frozen=True, slots=True)
class ExemptRules:
    """The labels, types and authors that exempt an item (``[exempt]``), lower-cased:
    each is matched in any case."""

    labels: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    authors: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, labels: Iterable[str] = (), types: Iterable[str] = (), authors: Iterable[str] = ()
    ) -> ExemptRules:
        """The rules exempting ``labels``, ``types`` and ``authors``, written in any case."""
        return cls(
            frozenset(label.lower() for label in labels),
            frozenset(kind.lower() for kind in types),
            frozenset(author.lower() for author in authors),
        )

    def matching_label(self, labels: Iterable[str]) -> str | None:
        """The first of ``labels`` that exempts, as written; None when none does."""
        exempt = self.labels
        return next((label for label in labels if label.lower() in exempt), None)

    def matches_type(self, kind: str) -> bool:
        return kind.lower() in self.types

    def matches_author(self, author: str) -> bool:
        # An unknown author ("") matches no author rule, not even a blank one.
        return bool(author) and author.lower() in self.authors


@dataclass(frozen=True, slots=True)
class CoverageRules:
    """How coverage is counted and judged (``[coverage]``): each item weighs 1 or its
    points (``default_points`` when unestimated), done items count with scope "all"
    only, and a coverage under ``fail_under`` fails; shown with ``precision`` decimals."""

    weight: Weight = "count"
    default_points: float = 0
    fail_under: float = 0
    precision: int = 1
    scope: Scope = "open"
