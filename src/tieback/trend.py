"""``tieback trend``: coverage over time from stored snapshots, overall, by team or outcome."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from tieback.coverage import display_coverage
from tieback.store import Snapshot

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
