"""``tieback trend``: coverage over time from stored snapshots, overall, by team or outcome."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Literal

from tieback.coverage import display_coverage
from tieback.store import Snapshot

if TYPE_CHECKING:
    from tieback.progress import Progress

TrendBy = Literal["total", "team", "outcome", "source", "status", "type"]
SPARKS = "▁▂▃▄▅▆▇█"
TOTAL = "(all)"


@dataclass(frozen=True, slots=True)
class Point:
    taken_at: str
    coverage: float | None
    items: int
    aligned: float
    unaligned: float
    exempt: float


def series(snapshots: Sequence[Snapshot], by: TrendBy = "total") -> dict[str, list[Point]]:
    """One list of points per name, oldest first; a name absent from a snapshot has no
    point there (a team that did not exist yet is not a team at 0%)."""
    lines: dict[str, list[Point]] = {}
    for snapshot in snapshots:
        data = snapshot.data
        if by == "total":
            entries = {TOTAL: data.get("totals", {})}
        elif by == "team":
            entries = data.get("teams", {})
        elif by != "outcome":
            # Source, status and type: kept since schema 7's snapshots; none before.
            entries = data.get("groups", {}).get(by, {})
        else:
            # An outcome's line counts the items that serve it; coverage does not apply.
            entries = {
                name: {"items": value["items"] if isinstance(value, dict) else value}
                for name, value in data.get("outcomes", {}).items()
            }
        for name, numbers in entries.items():
            lines.setdefault(name, []).append(
                Point(
                    taken_at=snapshot.taken_at,
                    coverage=numbers.get("coverage"),
                    items=int(numbers.get("items", 0)),
                    aligned=numbers.get("aligned", 0),
                    unaligned=numbers.get("unaligned", 0),
                    exempt=numbers.get("exempt", 0),
                )
            )
    return dict(sorted(lines.items()))


def sparkline(values: Sequence[float | None]) -> str:
    """Block characters scaled between the smallest and largest value; gaps for n/a."""
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    span = high - low
    marks = []
    for value in values:
        if value is None:
            marks.append(" ")
        elif span == 0:
            marks.append(SPARKS[len(SPARKS) // 2])
        else:
            marks.append(SPARKS[round((value - low) / span * (len(SPARKS) - 1))])
    return "".join(marks)


def render(lines: dict[str, list[Point]], by: TrendBy, fmt: str, precision: int = 1) -> str:
    if fmt == "json":
        document = {
            "schema": "tieback.trend/1",
            "by": by,
            "series": {name: [asdict(p) for p in points] for name, points in lines.items()},
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        # Names are team names from the trackers: defused as the audit's CSV does; the
        # numbers are tieback's own.
        from tieback.formats.csv import cell

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(("taken_at", "name", "coverage", "items", "aligned", "unaligned", "exempt"))
        for name, points in lines.items():
            shown = cell(name)
            for p in points:
                coverage = "" if p.coverage is None else f"{p.coverage:.6g}"
                writer.writerow(
                    (cell(p.taken_at), shown, coverage, p.items, p.aligned, p.unaligned, p.exempt)
                )
        return buffer.getvalue()
    return _table(lines, by, precision)


def _table(lines: dict[str, list[Point]], by: TrendBy, precision: int) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    if not lines:
        return "No coverage history yet: every 'tieback audit' records a snapshot.\n"
    measure = "items" if by == "outcome" else "coverage"
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column(by.capitalize() if by != "total" else "Scope")
    table.add_column("Snapshots", justify="right")
    table.add_column("First", justify="right")
    table.add_column("Last", justify="right")
    table.add_column("Change", justify="right")
    table.add_column(f"Trend ({measure})")
    for name, points in lines.items():
        values: list[float | None] = (
            [float(p.items) for p in points] if by == "outcome" else [p.coverage for p in points]
        )
        first, last = values[0], values[-1]
        table.add_row(
            name,
            str(len(points)),
            _shown(first, by, precision),
            _shown(last, by, precision),
            _change(first, last, by, precision),
            sparkline(values[-40:]),
        )
    buffer = io.StringIO()
    Console(file=buffer, width=120, no_color=True, highlight=False).print(table)
    since = next(iter(lines.values()))[0].taken_at
    return f"Coverage history since {since}\n" + buffer.getvalue()


def _shown(value: float | None, by: TrendBy, precision: int) -> str:
    if by == "outcome":
        return "n/a" if value is None else f"{value:g}"
    text = display_coverage(value, precision)
    return text if value is None else text + "%"


def _change(first: float | None, last: float | None, by: TrendBy, precision: int) -> str:
    if first is None or last is None:
        return "n/a"
    delta = last - first
    unit = "" if by == "outcome" else " pt"
    return f"{delta:+.{0 if by == 'outcome' else precision}f}{unit}"


def render_readings(
    name: str, progress: Progress | None, fmt: str, since: date | None = None
) -> str:
    """The readings of ``name``'s metric (at or after ``since``), each with its percent
    of the way from the baseline to the target, in ``fmt`` (table, json or csv)."""
    readings = [r for r in (progress.readings if progress else ()) if not since or r.date >= since]
    rows = [(r.date.isoformat(), r.value, _way(progress, r.value)) for r in readings]
    if fmt == "json":
        document = {
            "schema": "tieback.readings/1",
            "id": name,
            "baseline": progress.baseline if progress else None,
            "target": progress.target if progress else None,
            "status": progress.status.value if progress and progress.status else None,
            "readings": [
                {"date": day, "value": value, "percent": percent} for day, value, percent in rows
            ],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(("date", "id", "value", "percent"))
        for day, value, percent in rows:
            shown = "" if percent is None else f"{percent:.6g}"
            writer.writerow((day, name, f"{value:.15g}", shown))
        return buffer.getvalue()
    if not rows:
        return (
            f"No readings of {name} yet: list a CSV file in [metrics] paths, or run "
            f"'tieback metric record {name} VALUE'.\n"
        )
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from tieback.report import display_measure

    assert progress is not None
    target = f", target {display_measure(progress.target)}" if progress.target is not None else ""
    status = f", {progress.status.value}" if progress.status else ""
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("Date")
    table.add_column("Value", justify="right")
    table.add_column("Of the way", justify="right")
    for day, value, percent in rows:
        # round first: -0.4% is shown as 0%, not -0%
        shown = "—" if percent is None else f"{round(percent) + 0:d}%"
        table.add_row(day, display_measure(value), shown)
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, no_color=True, highlight=False)
    console.print(f"{name}{target}{status}")
    console.print(table)
    return buffer.getvalue()


def _way(progress: Progress | None, value: float) -> float | None:
    if progress is None or progress.baseline is None or progress.target is None:
        return None
    span = progress.target - progress.baseline
    return None if span == 0 else (value - progress.baseline) / span * 100
