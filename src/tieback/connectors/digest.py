"""The coverage digest a summary comment shows: what changed since the previous snapshot.

One ``Digest`` is computed from the report, the previous snapshot and the items that
get ``missing_label`` this run; each connector renders it in its tracker's formats
(``connectors.<name>.digest``), escaping every untrusted text for the format it lands
in and staying under its tracker's comment limit (``render_within``).

A summary comment is edited in place, and a run that changed nothing must not rewrite
it. The digest of such a run still differs from the last one posted ("no change since
the previous snapshot", a newer snapshot time), so ``fingerprint`` and ``is_current``
decide: a digest with no news whose backlog numbers match the posted one leaves the
comment as it is, still telling the last change that happened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jinja2

from tieback.coverage import display_change, display_percent, display_weight
from tieback.formats.templates import environment
from tieback.history import snapshot_of
from tieback.model import Alignment
from tieback.payload import mapping_of as _mapping
from tieback.report import Report, sort_key

if TYPE_CHECKING:
    from tieback.store import Snapshot

__all__ = [
    "Digest",
    "LostOutcome",
    "NewlyUnaligned",
    "OrphanOutcome",
    "TeamCoverage",
    "build_digest",
    "display_change",
    "display_percent",
    "fingerprint",
    "is_current",
    "render_within",
    "templates",
    "timeless",
    "when",
]

# Newly unaligned items listed before the rest are only counted.
NEWLY_LISTED = 20
# Entries of the other lists (teams, outcomes) shown while a rendering fits its
# tracker's limit; fewer are shown until it does.
LIST_LIMITS = (50, 20, 5, 0)
# Room left for what a tracker's comment limit counts differently (GitHub counts some
# characters twice).
MARGIN = 4_000


@dataclass(frozen=True)
class NewlyUnaligned:
    """An item that gets ``missing_label`` this run."""

    key: str
    title: str
    url: str
    reason: str
    suggestion: str | None = None


@dataclass(frozen=True)
class LostOutcome:
    """An outcome that some items served at the previous snapshot and none serve now."""

    id: str
    title: str
    items_before: int


@dataclass(frozen=True)
class OrphanOutcome:
    """An active outcome no item in scope serves."""

    id: str
    title: str


@dataclass(frozen=True)
class TeamCoverage:
    name: str
    items: int
    coverage: float | None
    previous: float | None = None  # None: null then, or the team was not there
    delta: float | None = None


@dataclass(frozen=True)
class Digest:
    """Coverage now, at the previous snapshot, and what changed in between.

    ``delta`` is None when either coverage is null, there is no previous snapshot, or
    it counted another scope or weight (``comparable`` is then False).
    """

    precision: int
    scope: str
    weight: str
    coverage: float | None
    items: int
    aligned: float
    unaligned: float
    exempt: float
    has_previous: bool = False
    comparable: bool = False
    previous_taken_at: str = ""  # "" when there is no previous snapshot
    previous_coverage: float | None = None
    delta: float | None = None
    newly_unaligned: tuple[NewlyUnaligned, ...] = ()
    more_unaligned: int = 0  # newly unaligned items beyond those listed
    lost_outcomes: tuple[LostOutcome, ...] = ()
    orphan_outcomes: tuple[OrphanOutcome, ...] = ()
    teams: tuple[TeamCoverage, ...] = ()

    @property
    def newly_unaligned_count(self) -> int:
        return len(self.newly_unaligned) + self.more_unaligned

    @property
    def has_news(self) -> bool:
        """Whether anything moved since the previous snapshot."""
        return bool(
            self.newly_unaligned
            or self.more_unaligned
            or self.lost_outcomes
            or self.delta
            or any(team.delta for team in self.teams)
        )

    @property
    def state(self) -> tuple[Any, ...]:
        """The backlog's numbers as the digest shows them, without what changed."""
        return (
            self.scope,
            self.weight,
            self.coverage,
            self.items,
            self.aligned,
            self.unaligned,
            self.exempt,
            tuple((t.name, t.items, t.coverage) for t in self.teams),
            tuple(o.id for o in self.orphan_outcomes),
        )


def build_digest(
    report: Report,
    previous: Snapshot | None,
    newly_unaligned: Sequence[Alignment],
    precision: int,
) -> Digest:
    """The digest of this run: ``newly_unaligned`` are the alignments that get
    ``missing_label`` now; ``previous`` is the latest snapshot before this run's."""
    data = report.data
    totals = data["totals"]
    coverage = _float(totals.get("coverage"))
    titles = {o["id"]: o["title"] for o in data["outcomes"]}
    before: Mapping[str, Any] = previous.data if previous is not None else {}
    same_scope = previous is not None and before.get("scope") == data["scope"]
    comparable = same_scope and before.get("weight") == data["weight"]
    previous_coverage = _float(_mapping(before.get("totals")).get("coverage"))

    listed = sorted(newly_unaligned, key=sort_key)
    teams_before = _mapping(before.get("teams"))
    teams = tuple(
        _team(name, numbers, _mapping(teams_before.get(name)), comparable)
        for name, numbers in snapshot_of(report)["teams"].items()
    )
    return Digest(
        precision=precision,
        scope=data["scope"],
        weight=data["weight"],
        coverage=coverage,
        items=totals["items"],
        aligned=totals["aligned"],
        unaligned=totals["unaligned"],
        exempt=totals["exempt"],
        has_previous=previous is not None,
        comparable=comparable,
        previous_taken_at=previous.taken_at if previous is not None else "",
        previous_coverage=previous_coverage,
        delta=_delta(previous_coverage, coverage) if comparable else None,
        newly_unaligned=tuple(_newly(a) for a in listed[:NEWLY_LISTED]),
        more_unaligned=max(0, len(listed) - NEWLY_LISTED),
        # Item counts per outcome depend on the scope, not on the weight.
        lost_outcomes=_lost(before, data["outcomes"]) if same_scope else (),
        orphan_outcomes=tuple(
            OrphanOutcome(id, titles.get(id, "")) for id in data["orphan_outcomes"]
        ),
        teams=teams,
    )


def _team(
    name: str, numbers: Mapping[str, Any], before: Mapping[str, Any], comparable: bool
) -> TeamCoverage:
    coverage = _float(numbers.get("coverage"))
    previous = _float(before.get("coverage")) if comparable else None
    return TeamCoverage(name, int(numbers["items"]), coverage, previous, _delta(previous, coverage))


def _lost(
    before: Mapping[str, Any], outcomes: Sequence[Mapping[str, Any]]
) -> tuple[LostOutcome, ...]:
    served = _mapping(before.get("outcomes"))
    lost: list[LostOutcome] = []
    for outcome in outcomes:
        items_before = _mapping(served.get(outcome["id"])).get("items")
        if isinstance(items_before, int) and items_before > 0 and not outcome["items"]:
            lost.append(LostOutcome(outcome["id"], outcome["title"], items_before))
    return tuple(lost)


def _newly(alignment: Alignment) -> NewlyUnaligned:
    item = alignment.item
    reason = alignment.reason.value if alignment.reason else "unaligned"
    return NewlyUnaligned(item.key, item.title, item.url, reason, alignment.suggestion)


def _delta(before: float | None, after: float | None) -> float | None:
    if before is None or after is None:
        return None
    return after - before


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


# --- what decides an edit --------------------------------------------------------------


def timeless(digest: Digest) -> Digest:
    """The digest without when the previous snapshot was taken, which every run moves."""
    return replace(digest, previous_taken_at="")


def fingerprint(digest: Digest, render: Callable[[Digest], object]) -> str:
    """What the store remembers of a posted digest: ``<numbers>:<text>`` digests.

    ``render`` is the renderer used to post it (its marker bound); a rendering that is
    not a string (ADF) is compared as canonical JSON.
    """
    rendered = render(timeless(digest))
    text = rendered if isinstance(rendered, str) else json.dumps(rendered, sort_keys=True)
    return f"{_hash(repr(digest.state))}:{_hash(text)}"


def is_current(digest: Digest, current: str, remembered: str) -> bool:
    """Whether the posted digest (``remembered``) can stay as it is.

    ``current`` is ``fingerprint(digest, ...)``. Unchanged text needs no edit, and
    neither does a digest with no news about the same numbers as the posted one: the
    comment then keeps telling the last change, which is still the latest.
    """
    if current == remembered:
        return True
    numbers, _, _ = current.partition(":")
    return not digest.has_news and remembered.partition(":")[0] == numbers


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- rendering -------------------------------------------------------------------------


def when(taken_at: str) -> str:
    """``2026-11-21T10:00:00Z`` as ``2026-11-21 10:00 UTC``."""
    try:
        moment = datetime.fromisoformat(taken_at)
    except ValueError:
        return taken_at
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def templates(package: str) -> jinja2.Environment:
    """A new environment for the digest templates in ``package``'s templates: the
    report's, with the digest's filters (a connector keeps it, and adds its own)."""
    env = environment(package).overlay()
    env.filters["percent"] = display_percent
    env.filters["change"] = display_change
    env.filters["when"] = when
    return env


def render_within(
    env: jinja2.Environment, template: str, digest: Digest, marker: str, budget: int
) -> str:
    """The template at the longest lists that fit ``budget``, else cut at a line."""
    body = ""
    for limit in LIST_LIMITS:
        body = env.get_template(template).render(
            digest=digest,
            marker=marker,
            limit=limit,
            precision=digest.precision,
            weight=display_weight,
        )
        if len(body) <= budget:
            return body
    # Even the shortest lists are too long (huge titles): cut, keeping the first line and
    # the last, where the templates put the marker that finds the comment again.
    last = body.rstrip("\n").rsplit("\n", 1)[-1]
    kept = body[: budget - len(last) - 40].rsplit("\n", 1)[0]
    return f"{kept}\n\n… (cut to the comment limit)\n\n{last}\n"
