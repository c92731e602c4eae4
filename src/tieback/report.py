"""Compute the report once (schema ``tieback.report/1``); every format renders from it."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from tieback.coverage import Numbers
from tieback.model import Alignment, Classification, Declarations, Reason, TagOrigin
from tieback.rules import CoverageRules

if TYPE_CHECKING:
    from tieback.progress import Progress, WeekDone

SCHEMA = "tieback.report/1"
GROUPINGS = ("team", "source", "outcome", "status", "type")
Grouping = Literal["team", "source", "outcome", "status", "type"]
NO_OUTCOME = "(none)"


@dataclass(frozen=True)
class Report:
    """The report data plus what renderers need beside it; made by ``build_report``."""

    data: dict[str, Any]
    alignments: Sequence[Alignment]  # the items in scope, in the sources' order
    weights: Sequence[float] = field(default=())  # parallel to ``alignments``
    precision: int = 1
    teams: Mapping[str, Numbers] = field(default_factory=dict)  # what history keeps
    # A line for each source whose items in the store are partial (also in warnings):
    # such a report passes no gate and is kept in no history.
    incomplete: Sequence[str] = ()

    @property
    def totals(self) -> Numbers:
        t = self.data["totals"]
        return Numbers(t["items"], t["aligned"], t["unaligned"], t["exempt"], t["unestimated"])


# Where each classification's weight goes in a tally: [items, aligned, unaligned,
# exempt, unestimated], the fields of Numbers in order.
_SLOT = {Classification.ALIGNED: 1, Classification.UNALIGNED: 2, Classification.EXEMPT: 3}


def build_report(
    alignments: Iterable[Alignment],
    declarations: Declarations,
    coverage: CoverageRules,
    by: Grouping = "team",
    warnings: Sequence[str] = (),
    generated_at: datetime | None = None,
    incomplete: Sequence[str] = (),
) -> Report:
    """Totals, per-outcome counts, groups, the unaligned list, orphans and warnings.

    One pass over the alignments, shaped for a million of them: numbers are tallied in
    plain lists (adding Numbers values would build three objects an item) and turned
    into Numbers at the end. Each weight is added in the items' order, as ``+`` would,
    so fractional points sum to the very same floats.
    """
    by_points = coverage.weight == "points"
    default_points = coverage.default_points
    everything = coverage.scope == "all"
    scoped: list[Alignment] = []
    weights: list[float] = []
    unaligned: list[tuple[Alignment, float]] = []
    totals = _tally()
    groups: dict[str, list[Any]] = defaultdict(_tally)
    # The snapshot keeps numbers per team; grouped by team, those are the groups.
    teams: dict[str, list[Any]] = groups if by == "team" else defaultdict(_tally)
    outcome_items: dict[str, int] = defaultdict(int)
    outcome_weight: dict[str, float] = defaultdict(float)
    outcome_done: dict[str, int] = defaultdict(int)
    by_team = by == "team"
    grouper = _grouper(by)

    def group_tallies(alignment: Alignment) -> list[list[Any]]:
        return [groups[name] for name in grouper(alignment)]

    slot_of = _SLOT
    unaligned_slot = _SLOT[Classification.UNALIGNED]

    for alignment in alignments:
        item = alignment.item
        outcome_ids = alignment.outcomes
        if item.done:
            for outcome_id in outcome_ids:
                outcome_done[outcome_id] += 1
            if not everything:  # rule 5: scope "open" counts no done item
                continue
        weight = 1.0
        unestimated = False
        if by_points:  # rule 6
            points = item.points
            weight, unestimated = (default_points, True) if points is None else (points, False)
        slot = slot_of[alignment.classification]
        scoped.append(alignment)
        weights.append(weight)
        if slot == unaligned_slot:
            unaligned.append((alignment, weight))
        team = teams[item.team or "(none)"]
        if by_team:  # the default, spelt out: no tuple of tallies to build and walk
            totals[0] += 1
            totals[slot] += weight
            team[0] += 1
            team[slot] += weight
            if unestimated:
                totals[4] += 1
                team[4] += 1
        else:
            for tally in (totals, team, *group_tallies(alignment)):
                tally[0] += 1
                tally[slot] += weight
                if unestimated:
                    tally[4] += 1
        for outcome_id in outcome_ids:
            outcome_items[outcome_id] += 1
            outcome_weight[outcome_id] += weight

    unaligned.sort(key=lambda pair: sort_key(pair[0]))
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "generated_at": _timestamp(generated_at),
        "weight": coverage.weight,
        "scope": coverage.scope,
        "fail_under": _number(coverage.fail_under),
        "totals": _numbers_json(Numbers(*totals), with_unestimated=True),
        "impacts": [
            {"id": i.id, "title": i.title, "metric": i.metric, "progress": None}
            for i in declarations.impacts
        ],
        "outcomes": [
            {
                "id": o.id,
                "title": o.title,
                "impact": o.impact,
                "team": o.team,
                "status": o.status.value,
                "kind": o.kind.value,
                "focus": o.focus.value,
                "metric": o.metric,
                "baseline": o.baseline,
                "target": o.target,
                "items": outcome_items.get(o.id, 0),
                "weight": _number(outcome_weight.get(o.id, 0)),
                "done": outcome_done.get(o.id, 0),
                "progress": None,  # these two are filled by add_measures
                "done_by_week": [],
            }
            for o in declarations.outcomes
        ],
        "groups": [
            {"by": by, "name": name, **_numbers_json(Numbers(*groups[name]), False)}
            for name in sorted(groups, key=_natural)
        ],
        "unaligned": [_unaligned_json(a, w) for a, w in unaligned],
        "orphan_outcomes": [
            o.id for o in declarations.outcomes if o.active and not outcome_items.get(o.id)
        ],
        "warnings": [*incomplete, *warnings],
    }
    if incomplete:
        data["incomplete"] = list(incomplete)
    return Report(
        data=data,
        alignments=scoped,
        weights=weights,
        precision=coverage.precision,
        teams={name: Numbers(*tally) for name, tally in teams.items()},
        incomplete=tuple(incomplete),
    )


def _tally() -> list[Any]:
    """Zeroed [items, aligned, unaligned, exempt, unestimated], as ``Numbers()`` starts."""
    return [0, 0, 0, 0, 0]


def _grouper(by: Grouping) -> Callable[[Alignment], Sequence[str]]:
    if by == "outcome":
        return lambda a: a.outcomes or (NO_OUTCOME,)
    if by == "source":
        return lambda a: (a.item.source,)
    if by == "status":
        return lambda a: (a.item.status or "(none)",)
    if by == "type":
        return lambda a: (a.item.type or "(none)",)
    return lambda a: (a.item.team or "(none)",)


_NUMBERS = re.compile(r"(\d+)")
_TRAILING_NUMBER = re.compile(r"(\D*)(\d+)")


def _natural(text: str) -> tuple[Any, ...]:
    """Sort EDU-2 before EDU-10."""
    # Most keys are a prefix and a number (EDU-12, owner/repo#12): one match gives the
    # same tuple as the general split below, at a fraction of its cost.
    simple = _TRAILING_NUMBER.fullmatch(text)
    if simple is not None and not simple[1].isdigit():
        return (simple[1].lower(), int(simple[2]), "")
    return tuple(int(part) if part.isdigit() else part.lower() for part in _NUMBERS.split(text))


def sort_key(alignment: Alignment) -> tuple[Any, ...]:
    """Report order: by source, then naturally by key."""
    return (alignment.item.source, _natural(alignment.item.key))


def _timestamp(moment: datetime | None) -> str:
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _numbers_json(numbers: Numbers, with_unestimated: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "items": numbers.items,
        "aligned": _number(numbers.aligned),
        "unaligned": _number(numbers.unaligned),
        "exempt": _number(numbers.exempt),
    }
    if with_unestimated:
        result["unestimated"] = numbers.unestimated
    result["coverage"] = numbers.coverage
    return result


# Enum.value is a property lookup; a dict lookup is several times cheaper, and this
# runs for every unaligned item.
_REASONS = {reason: reason.value for reason in Reason}
_ORIGINS = {origin: origin.value for origin in TagOrigin}


def _unaligned_json(alignment: Alignment, weight: float) -> dict[str, Any]:
    item = alignment.item
    reason = _REASONS[alignment.reason] if alignment.reason else None
    return {
        "key": item.key,
        "source": item.source,
        "title": item.title,
        "url": item.url,
        "reason": reason,
        "refs": list(alignment.refs),
        "suggestion": alignment.suggestion,
        "origin": _ORIGINS[alignment.origin],
        "inherited_from": alignment.inherited_from,
        "team": item.team,
        "type": item.type,
        "status": item.status,
        "weight": _number(weight),
    }


# --- measuring outcomes ----------------------------------------------------------------


def add_measures(
    data: dict[str, Any],
    progress: Mapping[str, Progress],
    weeks: Mapping[str, Sequence[WeekDone]],
) -> None:
    """Give each outcome in ``data`` its ``progress`` (None when it has nothing to show)
    and ``done_by_week``, and each impact its ``progress``: additions to the schema,
    present in every report so a reader finds the same keys whether or not readings
    exist."""
    for outcome in data["outcomes"]:
        outcome["progress"] = progress_json(progress.get(outcome["id"]))
        outcome["done_by_week"] = [
            {"week": week.week.isoformat(), "count": week.count, "weight": _number(week.weight)}
            for week in weeks.get(outcome["id"], ())
        ]
    for impact in data["impacts"]:
        impact["progress"] = progress_json(progress.get(impact["id"]))


def progress_json(progress: Progress | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    return {
        "baseline": _maybe_number(progress.baseline),
        "target": _maybe_number(progress.target),
        "current": _maybe_number(progress.current),
        "at": progress.at.isoformat() if progress.at else None,
        "percent": None if progress.percent is None else round(progress.percent, 1),
        "status": progress.status.value if progress.status else None,
        "readings": [
            {"date": reading.date.isoformat(), "value": _number(reading.value)}
            for reading in progress.readings
        ],
    }


def _maybe_number(value: float | None) -> int | float | None:
    return None if value is None else _number(value)


def measure_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows a report shows of its measures: each impact (lagging) followed by its
    outcomes (leading), then the outcomes under no impact, only those with a
    ``progress`` (a retired outcome only with readings); each row is the entry's
    ``progress`` plus its ``id``, whether it is an ``impact`` and, for an outcome, its
    ``focus``."""
    outcomes = [
        o
        for o in data["outcomes"]
        if o.get("progress") and (o["status"] == "active" or o["progress"]["readings"])
    ]
    rows: list[dict[str, Any]] = []
    placed: set[str] = set()
    for impact in data["impacts"]:
        under = [o for o in outcomes if o["impact"] == impact["id"]]
        if impact.get("progress"):
            rows.append({**impact["progress"], "id": impact["id"], "impact": True, "focus": ""})
        for outcome in under:
            rows.append(_outcome_row(outcome))
            placed.add(outcome["id"])
    rows.extend(_outcome_row(o) for o in outcomes if o["id"] not in placed)
    return rows


def _outcome_row(outcome: Mapping[str, Any]) -> dict[str, Any]:
    return {**outcome["progress"], "id": outcome["id"], "impact": False, "focus": outcome["focus"]}


def measure_line(progress: Mapping[str, Any]) -> str:
    """One line of a measure's ``progress`` (its JSON form): "now 6.4 on 2026-11-30,
    target 1, 52% of the way, moving"."""
    parts = []
    if progress["current"] is not None:
        parts.append(f"now {display_measure(progress['current'])} on {progress['at']}")
    if progress["target"] is not None:
        parts.append(f"target {display_measure(progress['target'])}")
    if progress["percent"] is not None:
        parts.append(f"{progress['percent']:.0f}% of the way")
    if progress["status"]:
        parts.append(progress["status"])
    return ", ".join(parts)


def display_measure(value: float | None) -> str:
    """A metric's value as a reader writes it: 2,180,000, 6.4, 0.125; "—" for none."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")
