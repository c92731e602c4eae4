"""The value types of measuring outcomes: metric readings, progress toward a target,
and outputs done per week.

Readings come from CSV files (``[metrics] paths``) and from the store (``tieback metric
record``); ``tieback.metrics`` reads and merges them and computes each outcome's
``Progress``; ``tieback.delivery`` counts the outputs done each week. Reports render
these types; nothing here reads a file or a tracker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Status(StrEnum):
    """Where a measured outcome stands against its target."""

    MET = "met"  # the latest reading reached the target
    MOVING = "moving"  # better than the baseline and than the reading before it
    FLAT = "flat"  # neither met, moving nor worse
    WORSE = "worse"  # the latest reading is on the wrong side of the baseline
    STALE = "stale"  # no reading within [metrics] stale_after_days
    UNMEASURED = "unmeasured"  # no reading at all


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of an outcome's (or impact's) metric, on one day."""

    date: date
    value: float


@dataclass(frozen=True, slots=True)
class Progress:
    """An outcome's or impact's readings and where they stand.

    ``baseline`` and ``target`` are None when not numbers. ``percent`` is
    (current - baseline) / (target - baseline) * 100, unclamped, and None without a
    numeric baseline, target and current. ``status`` is None for a learning outcome
    (it has no target to reach) and when baseline or target is not a number.
    ``readings`` are in date order, one a date.
    """

    baseline: float | None
    target: float | None
    current: float | None
    at: date | None
    percent: float | None
    status: Status | None
    readings: tuple[Reading, ...] = ()


@dataclass(frozen=True, slots=True)
class WeekDone:
    """The outputs of one outcome done in one ISO week (``week`` is its Monday)."""

    week: date
    count: int
    weight: float
