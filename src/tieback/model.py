"""Frozen value types shared by every stage: impacts, outcomes, declarations, items, alignments.

``Item`` and ``Alignment`` are named tuples rather than frozen dataclasses: an audit
builds one of each per work item, and at a million items a frozen dataclass's
``__init__`` (one ``object.__setattr__`` per field) costs seconds that a tuple does
not. They are just as immutable; change one with ``item._replace(...)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class Kind(StrEnum):
    """Whether an outcome is a lagging business result or a leading product behaviour."""

    BUSINESS = "business"
    PRODUCT = "product"


class Focus(StrEnum):
    """Whether a team is moving a known metric or exploring a new opportunity space."""

    PERFORMANCE = "performance"
    LEARNING = "learning"


class OutcomeStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class Classification(StrEnum):
    ALIGNED = "aligned"
    EXEMPT = "exempt"
    UNALIGNED = "unaligned"


class Reason(StrEnum):
    """Why an item is unaligned."""

    UNKNOWN_TAG = "unknown-tag"
    RETIRED_OUTCOME = "retired-outcome"
    UNTAGGED = "untagged"


class TagOrigin(StrEnum):
    """Where an item's effective tags came from."""

    DIRECT = "direct"
    INHERITED = "inherited"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Impact:
    """A company-level result that outcomes drive."""

    id: str
    title: str
    metric: str = ""
    baseline: str = ""  # as declared; a number gives the impact progress (``tieback.metrics``)
    target: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A measurable change in customer or business behaviour, declared in outcomes.toml."""

    id: str
    title: str
    impact: str | None = None
    kind: Kind = Kind.PRODUCT
    focus: Focus = Focus.PERFORMANCE
    metric: str = ""
    baseline: str = ""
    target: str = ""
    team: str = ""
    status: OutcomeStatus = OutcomeStatus.ACTIVE
    aliases: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.status is OutcomeStatus.ACTIVE


class Item(NamedTuple):
    """One work item (an output): a Jira issue, a GitHub issue or pull request.

    Sources fill every field from the tracker's own data; nothing here depends on the
    tagging configuration except ``field_refs``, the raw values of the configured
    Jira outcome field or GitHub Projects field.
    """

    source: str  # "jira" | "github"
    key: str  # "EDU-12" | "owner/repo#123"
    title: str
    url: str = ""
    type: str = ""  # Jira issue type name, GitHub issue type name, "Pull Request"
    status: str = ""  # the tracker's status name ("In Progress", "open")
    done: bool = False  # Jira statusCategory "done"; GitHub state "closed"
    labels: tuple[str, ...] = ()
    field_refs: tuple[str, ...] = ()  # values of the configured outcome field, flattened
    body: str = ""  # plain text: ADF descriptions are flattened by the source
    parent: str | None = None  # key of the parent item (epic, story, parent issue)
    points: float | None = None
    team: str = ""
    author: str = ""
    updated: str = ""  # ISO 8601 timestamp as the tracker gave it
    # When the item was done: an ISO 8601 date-time (or date) as the tracker gave it,
    # "" when it is not done or the tracker did not say. Last, so that code building
    # items positionally keeps its order.
    done_at: str = ""


class TagsOnly(Item):
    """An export's entry that tags the item of the same key another source holds (a
    GitHub Projects export: the project's field, not the issue). Where a source has that
    item, only its ``field_refs`` are added to it; where none has, it is the item."""

    __slots__ = ()


class Alignment(NamedTuple):
    """How one item ties to the declared outcomes, under the normative rules."""

    item: Item
    classification: Classification
    reason: Reason | None = None  # set when unaligned
    refs: tuple[str, ...] = ()  # effective refs (direct or inherited), normalised
    outcomes: tuple[str, ...] = ()  # canonical ids of outcomes the refs resolve to
    origin: TagOrigin = TagOrigin.NONE
    inherited_from: str | None = None  # key of the ancestor whose tags were taken
    suggestion: str | None = None  # closest id or alias for an unknown ref
    unknown_refs: tuple[str, ...] = ()


def marker_lines(body: str, marker: str) -> str:
    """The lines of ``body`` that hold ``marker`` (lower case) once lower-cased, joined
    by newlines; "" if none does. Only a newline ends a line, as for the marker-line
    pattern (``re.MULTILINE``). Alignment reads tags in these lines alone, and the
    store keeps them beside each item, so both agree by construction."""
    if not body or marker not in body.lower():
        return ""
    return "\n".join(line for line in body.split("\n") if marker in line.lower())


@dataclass(frozen=True)
class Declarations:
    """Every declared impact and outcome, with an index from id or alias to outcome."""

    impacts: tuple[Impact, ...]
    outcomes: tuple[Outcome, ...]
    origin: str  # how errors and lint name where these came from
    lines: Mapping[str, int] = field(default_factory=dict)  # outcome/impact id → line

    def __post_init__(self) -> None:
        index: dict[str, Outcome] = {}
        for outcome in self.outcomes:
            index[outcome.id.lower()] = outcome
            for alias in outcome.aliases:
                index[alias.lower()] = outcome
        object.__setattr__(self, "_index", index)

    @property
    def index(self) -> Mapping[str, Outcome]:
        """Lower-cased id or alias → outcome."""
        index: dict[str, Outcome] = object.__getattribute__(self, "_index")
        return index

    def impact(self, impact_id: str | None) -> Impact | None:
        for impact in self.impacts:
            if impact.id == impact_id:
                return impact
        return None


def active_by_team(outcomes: Iterable[Outcome]) -> dict[str, list[str]]:
    """Team → ids of its active outcomes (teams left blank are not grouped)."""
    teams: dict[str, list[str]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.active and outcome.team:
            teams[outcome.team].append(outcome.id)
    return dict(teams)


def focus_warnings(declarations: Declarations) -> list[str]:
    """The report's warnings about teams spread over several active outcomes."""
    return [
        f"team {team} has {len(ids)} active outcomes ({', '.join(ids)})"
        for team, ids in sorted(active_by_team(declarations.outcomes).items())
        if len(ids) > 1
    ]
