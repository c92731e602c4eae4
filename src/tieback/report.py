"""Compute the report once (schema ``tieback.report/1``); every format renders from it."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from tieback.config import Coverage
from tieback.coverage import Numbers, numbers_of, weigh
from tieback.model import Alignment, Classification
from tieback.outcomes import Declarations

SCHEMA = "tieback.report/1"
GROUPINGS = ("team", "source", "outcome", "status", "type")
Grouping = Literal["team", "source", "outcome", "status", "type"]
NO_OUTCOME = "(none)"


@dataclass(frozen=True)
class Report:
    """The report data plus what renderers need beside it."""

    data: dict[str, Any]
    alignments: Sequence[Alignment]  # the items in scope, in the sources' order
    weights: Sequence[float] = field(default=())  # parallel to ``alignments``
    precision: int = 1

    @property
    def totals(self) -> Numbers:
        t = self.data["totals"]
        return Numbers(t["items"], t["aligned"], t["unaligned"], t["exempt"], t["unestimated"])


def in_scope(alignment: Alignment, scope: str) -> bool:
    return scope == "all" or not alignment.item.done


def build_report(
    alignments: Iterable[Alignment],
    declarations: Declarations,
    coverage: Coverage,
    by: Grouping = "team",
    warnings: Sequence[str] = (),
    generated_at: datetime | None = None,
) -> Report:
    """Totals, per-outcome counts, groups, the unaligned list, orphans and warnings."""
    by_points = coverage.weight == "points"
    scoped: list[Alignment] = []
    weights: list[float] = []
    totals = Numbers()
    groups: dict[str, Numbers] = defaultdict(Numbers)
    outcome_items: dict[str, int] = defaultdict(int)
    outcome_weight: dict[str, float] = defaultdict(float)
    outcome_done: dict[str, int] = defaultdict(int)
    group_names = _grouper(by)

    for alignment in alignments:
        if alignment.item.done:
            for outcome_id in alignment.outcomes:
                outcome_done[outcome_id] += 1
        if not in_scope(alignment, coverage.scope):
            continue
        weight, unestimated = weigh(alignment, by_points, coverage.default_points)
        numbers = numbers_of(alignment, weight, unestimated)
        scoped.append(alignment)
        weights.append(weight)
        totals += numbers
        for name in group_names(alignment):
            groups[name] += numbers
        for outcome_id in alignment.outcomes:
            outcome_items[outcome_id] += 1
            outcome_weight[outcome_id] += weight

    unaligned = sorted(
        (
            (a, w)
            for a, w in zip(scoped, weights, strict=True)
            if a.classification is Classification.UNALIGNED
        ),
        key=lambda pair: sort_key(pair[0]),
    )
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "generated_at": _timestamp(generated_at),
        "weight": coverage.weight,
        "scope": coverage.scope,
        "fail_under": _number(coverage.fail_under),
        "totals": _numbers_json(totals, with_unestimated=True),
        "impacts": [
            {"id": i.id, "title": i.title, "metric": i.metric} for i in declarations.impacts
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
            }
            for o in declarations.outcomes
        ],
        "groups": [
            {"by": by, "name": name, **_numbers_json(groups[name], with_unestimated=False)}
            for name in sorted(groups, key=_natural)
        ],
        "unaligned": [_unaligned_json(a, w) for a, w in unaligned],
        "orphan_outcomes": [
            o.id for o in declarations.outcomes if o.active and not outcome_items.get(o.id)
        ],
        "warnings": list(warnings),
    }
    return Report(data=data, alignments=scoped, weights=weights, precision=coverage.precision)


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


def _natural(text: str) -> tuple[Any, ...]:
    """Sort EDU-2 before EDU-10."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text))


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


def _unaligned_json(alignment: Alignment, weight: float) -> dict[str, Any]:
    item = alignment.item
    reason = alignment.reason.value if alignment.reason else None
    return {
        "key": item.key,
        "source": item.source,
        "title": item.title,
        "url": item.url,
        "reason": reason,
        "refs": list(alignment.refs),
        "suggestion": alignment.suggestion,
        "origin": alignment.origin.value,
        "inherited_from": alignment.inherited_from,
        "team": item.team,
        "type": item.type,
        "status": item.status,
        "weight": _number(weight),
    }
