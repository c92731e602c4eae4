"""An outcome's chart in inline SVG: metric readings toward the target over outputs done a week."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from tieback.progress import Progress, Reading, WeekDone

WIDTH, HEIGHT = 480, 160
LEFT, RIGHT = 84, 472  # the plot; the gutter left of it holds the value labels
INSET = 8  # half the widest bar: a bar at either end of the time axis stays in the plot
TOP, AXIS, DATES = 10, 140, 154
METRIC_BOTTOM, BARS_TOP = 96, 108  # where both are drawn, readings above and bars below
LABEL_GAP = 11  # the height of a value label; closer labels are moved apart
BAR_WIDTH = 2 * INSET

# Greys and black only: the chart prints in black and white, and dashes, not hue, tell
# the target from the readings.
INK = "#1f2328"  # readings and target
TEXT = "#59636e"
FAINT = "#8c959f"  # baseline
BAR = "#c4cbd3"  # outputs done
RULE = "#d1d9e0"  # the time axis


def outcome_chart(progress: Progress | None, weeks: Sequence[WeekDone], title: str) -> Markup:
    """The outcome's readings, baseline and target over the outputs done each week, on one
    time axis; empty when there is neither a reading nor an output done.

    ``title`` names the chart in its text summary (``role="img"``), for screen readers
    and as a tooltip. Weeks without an output done draw no bar but widen the time axis.
    """
    readings = [r for r in progress.readings if math.isfinite(r.value)] if progress else []
    done = [w for w in weeks if w.count > 0]
    if not readings and not done:
        return Markup("")
    days = [r.date for r in readings] + [w.week for w in weeks]
    axis = TimeAxis(min(days), max(days))
    if readings and done:
        metric, bars = (TOP, METRIC_BOTTOM), (BARS_TOP, AXIS)
    elif readings:
        metric, bars = (TOP, AXIS - 12), (AXIS, AXIS)
    else:
        metric, bars = (TOP, TOP), (TOP, AXIS)
    text = summary(progress, weeks, title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" style="max-width:100%;height:auto"'
        f' role="img" aria-label="{escape(text)}"'
        ' font-family="system-ui, sans-serif" font-size="10">',
        f"<title>{escape(text)}</title>",
    ]
    parts += _bars(done, axis, bars)
    parts.append(_line(LEFT, AXIS, RIGHT, AXIS, f'stroke="{RULE}"'))
    if readings and progress is not None:
        parts += _metric(progress, readings, axis, metric)
    if axis.start == axis.end:
        parts.append(_text((LEFT + RIGHT) / 2, DATES, axis.start.isoformat(), "middle"))
    else:
        parts.append(_text(LEFT, DATES, axis.start.isoformat(), "start"))
        parts.append(_text(RIGHT, DATES, axis.end.isoformat(), "end"))
    parts.append("</svg>")
    return Markup("\n".join(parts))


def legend() -> Markup:
    """What the lines and bars of ``outcome_chart`` mean, drawn once above the charts."""
    y = 8
    return Markup(
        "\n".join(
            [
                '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 16" width="400"'
                ' height="16" style="max-width:100%;height:auto" role="img"'
                ' aria-label="Legend: solid line and points, readings; dashed line, target;'
                ' faint line, baseline; bars, outputs done a week"'
                ' font-family="system-ui, sans-serif" font-size="10">',
                _line(0, y, 20, y, f'stroke="{INK}" stroke-width="2"'),
                f'<circle cx="10" cy="{y}" r="2.5" fill="{INK}"/>',
                _text(24, y + 3.5, "readings", "start"),
                _line(80, y, 100, y, f'stroke="{INK}" stroke-dasharray="5 3"'),
                _text(104, y + 3.5, "target", "start"),
                _line(150, y, 170, y, f'stroke="{FAINT}"'),
                _text(174, y + 3.5, "baseline", "start"),
                f'<rect x="234" y="2" width="8" height="12" fill="{BAR}"/>',
                _text(246, y + 3.5, "outputs done a week", "start"),
                "</svg>",
            ]
        )
    )


def summary(progress: Progress | None, weeks: Sequence[WeekDone], title: str) -> str:
    """One sentence of what the chart shows: "faster-feedback: 7.5 on 2026-11-30, target 1,
    41% of the way, moving; 12 outputs done in 9 weeks"."""
    facts = []
    if progress is not None and progress.current is not None and progress.at is not None:
        facts.append(f"{number(progress.current)} on {progress.at.isoformat()}")
    else:
        facts.append("no reading")
    if progress is not None and progress.target is not None:
        facts.append(f"target {number(progress.target)}")
    if progress is not None and progress.percent is not None:
        facts.append(f"{number(progress.percent, 0)}% of the way")
    if progress is not None and progress.status is not None:
        facts.append(progress.status.value)
    outputs = sum(w.count for w in weeks)
    active = sum(1 for w in weeks if w.count > 0)
    if outputs:
        delivery = (
            f"{outputs} output{'s' * (outputs != 1)} done in {active} week{'s' * (active != 1)}"
        )
    else:
        delivery = "no outputs done"
    return f"{title}: {', '.join(facts)}; {delivery}"


def number(value: float, decimals: int = 3) -> str:
    """A metric's value as people write it: 12, 7.5, 0.035, never 7.500 or -0."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class TimeAxis:
    """Days onto the plot's width; a lone day sits in the middle."""

    def __init__(self, start: date, end: date) -> None:
        self.start, self.end = start, end
        self.days = (end - start).days

    def x(self, day: date) -> float:
        if self.days == 0:
            return (LEFT + RIGHT) / 2
        return LEFT + INSET + (day - self.start).days / self.days * (RIGHT - LEFT - 2 * INSET)


def _metric(
    progress: Progress, readings: list[Reading], axis: TimeAxis, zone: tuple[float, float]
) -> list[str]:
    baseline = progress.baseline if _finite(progress.baseline) else None
    target = progress.target if _finite(progress.target) else None
    values = [r.value for r in readings] + [v for v in (baseline, target) if v is not None]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    top, bottom = zone

    def y(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    parts = []
    labels: list[tuple[float, str]] = []
    if baseline is not None:
        parts.append(
            _line(LEFT, y(baseline), RIGHT, y(baseline), f'stroke="{FAINT}" data-line="baseline"')
        )
        labels.append((y(baseline), f"baseline {number(baseline)}"))
    if target is not None:
        parts.append(
            _line(
                LEFT,
                y(target),
                RIGHT,
                y(target),
                f'stroke="{INK}" stroke-dasharray="5 3" data-line="target"',
            )
        )
        labels.append((y(target), f"target {number(target)}"))
    if not labels:
        # nothing to measure against: the readings' range gives the scale instead
        lowest = min(r.value for r in readings)
        highest = max(r.value for r in readings)
        labels.append((y(lowest), number(lowest)))
        if highest != lowest:
            labels.append((y(highest), number(highest)))
    points = [(axis.x(r.date), y(r.value), r) for r in readings]
    if len(points) > 1:
        coordinates = " ".join(f"{_c(x)},{_c(y_)}" for x, y_, _ in points)
        parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{INK}" stroke-width="2"'
            ' stroke-linejoin="round"/>'
        )
    for x, y_, reading in points:
        tip = f"{reading.date.isoformat()}: {number(reading.value)}"
        parts.append(
            f'<circle cx="{_c(x)}" cy="{_c(y_)}" r="2.5" fill="{INK}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    for label_y, label in _apart(labels):
        parts.append(_text(LEFT - 4, label_y + 3.5, label, "end"))
    return parts


def _bars(done: list[WeekDone], axis: TimeAxis, zone: tuple[float, float]) -> list[str]:
    if not done:
        return []
    top, bottom = zone
    most = max(w.count for w in done)
    if axis.days:
        width = min(BAR_WIDTH, max(2.0, 7 * (RIGHT - LEFT - 2 * INSET) / axis.days * 0.6))
    else:
        width = BAR_WIDTH
    parts = []
    for week in done:
        height = max(1.0, week.count / most * (bottom - top))
        tip = f"week of {week.week.isoformat()}: {week.count} done"
        parts.append(
            f'<rect x="{_c(axis.x(week.week) - width / 2)}" y="{_c(bottom - height)}"'
            f' width="{_c(width)}" height="{_c(height)}" fill="{BAR}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    parts.append(_text(LEFT - 4, top + 7, f"{most} done", "end"))
    return parts


def _apart(labels: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Two value labels closer than a line of text, moved apart around their middle."""
    labels = sorted(labels)
    if len(labels) == 2 and labels[1][0] - labels[0][0] < LABEL_GAP:
        middle = (labels[0][0] + labels[1][0]) / 2
        labels = [
            (middle - LABEL_GAP / 2, labels[0][1]),
            (middle + LABEL_GAP / 2, labels[1][1]),
        ]
    return labels


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _c(value: float) -> str:
    """A coordinate, to a tenth of a unit: small, and the same on every machine."""
    return f"{round(value, 1):g}"


def _line(x1: float, y1: float, x2: float, y2: float, paint: str) -> str:
    return f'<line x1="{_c(x1)}" y1="{_c(y1)}" x2="{_c(x2)}" y2="{_c(y2)}" {paint}/>'


def _text(x: float, y: float, text: str, anchor: str) -> str:
    place = f'x="{_c(x)}" y="{_c(y)}" fill="{TEXT}" text-anchor="{anchor}"'
    return f"<text {place}>{escape(text)}</text>"
