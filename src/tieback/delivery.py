"""Outputs done per outcome and ISO week, from each item's done date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from tieback.model import Alignment
from tieback.progress import WeekDone


def done_by_week(
    alignments: Iterable[Alignment], weights: Iterable[float]
) -> dict[str, list[WeekDone]]:
    """For each outcome a done item resolves to, the items done each ISO week (its
    Monday), counted and weighed; weeks in order. ``weights`` run parallel to
    ``alignments``.

    An item counts for every outcome in ``Alignment.outcomes``, aligned or not, as the
    report's ``done`` count does. Its day is the date part of ``done_at`` as the tracker
    gave it, in the tracker's own offset (no conversion to UTC): a week is the one the
    team saw, and it cannot move with the zone of whoever runs the audit. Items not done,
    or done without a date the tracker gave, are left out.
    """
    # outcome -> Monday -> [count, weight]
    tallies: dict[str, dict[date, list[float]]] = {}
    # Many items are done on the same day: each day's Monday is found once.
    mondays: dict[str, date | None] = {}
    for alignment, weight in zip(alignments, weights, strict=True):
        outcomes = alignment.outcomes
        if not outcomes:
            continue
        item = alignment.item
        done_at = item.done_at
        if not done_at or not item.done:
            continue
        day = done_at[:10]
        monday = mondays.get(day)
        if monday is None:
            if day in mondays:  # seen before, and no date
                continue
            monday = mondays[day] = _monday(day)
            if monday is None:
                continue
        for outcome in outcomes:
            weeks = tallies.get(outcome)
            if weeks is None:
                weeks = tallies[outcome] = {}
            tally = weeks.get(monday)
            if tally is None:
                weeks[monday] = [1, weight]
            else:
                tally[0] += 1
                tally[1] += weight
    return {
        outcome: [
            WeekDone(week=monday, count=int(tally[0]), weight=tally[1])
            for monday, tally in sorted(weeks.items())
        ]
        for outcome, weeks in tallies.items()
    }


def _monday(day: str) -> date | None:
    """The Monday of the ISO week of a ``YYYY-MM-DD`` date; None if it is no date."""
    try:
        found = date.fromisoformat(day)
    except ValueError:
        return None
    return found - timedelta(days=found.weekday())
