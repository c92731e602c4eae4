"""Numbers that add up: weights per classification, coverage, fail_under and display."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Numbers:
    """Counts and weights of one set of items; ``+`` sums two sets.

    ``aligned``, ``unaligned`` and ``exempt`` are weights (equal to counts when
    weighting by count); ``items`` and ``unestimated`` are always counts.
    """

    items: int = 0
    aligned: float = 0
    unaligned: float = 0
    exempt: float = 0
    unestimated: int = 0

    def __add__(self, other: Numbers) -> Numbers:
        return Numbers(
            self.items + other.items,
            self.aligned + other.aligned,
            self.unaligned + other.unaligned,
            self.exempt + other.exempt,
            self.unestimated + other.unestimated,
        )

    @property
    def total(self) -> float:
        return self.aligned + self.unaligned + self.exempt

    @property
    def coverage(self) -> float | None:
        """100 * aligned / (total - exempt); None when nothing counts."""
        denominator = self.aligned + self.unaligned
        if denominator <= 0:
            return None
        return 100.0 * self.aligned / denominator

    def should_fail_under(self, fail_under: float) -> bool:
        """Compare the unrounded coverage; n/a never fails (there is nothing to measure)."""
        coverage = self.coverage
        return coverage is not None and coverage < fail_under


def display_coverage(coverage: float | None, precision: int) -> str:
    """Round for display, but never show 100 unless it is 100, nor 0 unless it is 0."""
    if coverage is None:
        return "n/a"
    step = 10.0**-precision
    shown = round(coverage, precision)
    if shown >= 100 and coverage < 100:
        shown = 100 - step
    elif shown <= 0 < coverage:
        shown = step
    return f"{shown:.{precision}f}"


def display_weight(weight: float) -> str:
    """Whole weights without decimals, fractional ones (story points) trimmed."""
    if float(weight).is_integer():
        return str(int(weight))
    return f"{weight:.2f}".rstrip("0").rstrip(".")


def display_change(delta: float, precision: int) -> str:
    """A change in coverage points: never "no change" unless it is exactly none."""
    shown = f"{abs(delta):.{precision}f}"
    if float(shown) == 0:
        return "no change" if delta == 0 else f"under {10.0**-precision:g} points of change"
    arrow = "▲ +" if delta > 0 else "▼ -"
    return f"{arrow}{shown} points"


def display_percent(coverage: float | None, precision: int) -> str:
    """Coverage as shown beside text: ``40.0%``, or ``n/a`` with no sign."""
    shown = display_coverage(coverage, precision)
    return shown if coverage is None else f"{shown}%"
