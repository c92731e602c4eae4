"""A self-contained HTML report for stakeholders: no scripts, fonts or CDNs; prints well."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tieback.coverage import display_coverage
from tieback.formats.chart import legend, outcome_chart
from tieback.formats.interface import Format, Options
from tieback.formats.templates import environment
from tieback.model import Alignment, Classification
from tieback.progress import Progress, Reading, Status, WeekDone
from tieback.report import Report, sort_key
from tieback.trend import Point

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 640, 160, 28


@dataclass(frozen=True)
class Chart:
    """An inline SVG line chart of coverage over time, drawn here (no library, no JS)."""

    points: str  # the polyline's "x,y x,y ..."
    dots: list[tuple[float, float, str]]  # x, y, tooltip
    first: str
    last: str
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


class HtmlFormat(Format):
    name = "html"

    def __init__(
        self,
        history: Sequence[Point] = (),
        lint: Sequence[str] = (),
        charts: Mapping[str, str] | None = None,
    ) -> None:
        """``charts`` maps an outcome id to its ``outcome_chart``, shown under the outcome;
        a chart that is a plain ``str`` rather than ``Markup`` is escaped, shown as text.
        Without ``charts``, each outcome's is drawn from the report's measures."""
        self.history = list(history)
        self.lint = list(lint)
        self.given = None if charts is None else dict(charts)

    @classmethod
    def from_options(cls, options: Options) -> Format:
        return cls(history=options.history, lint=options.lint)

    def render(self, report: Report) -> str:
        served: dict[str, list[Alignment]] = defaultdict(list)
        for alignment in sorted(report.alignments, key=sort_key):
            if alignment.classification is not Classification.EXEMPT:
                for outcome_id in alignment.outcomes:
                    served[outcome_id].append(alignment)
        charts = self.given if self.given is not None else outcome_charts(report.data)
        charts = {outcome_id: svg for outcome_id, svg in charts.items() if svg}
        template = environment().get_template("report.html.j2")
        return template.render(
            report=report.data,
            precision=report.precision,
            served=served,
            chart=chart(self.history, report.precision),
            lint=self.lint,
            charts=charts,
            legend=legend() if charts else "",
        )


def chart(history: Sequence[Point], precision: int) -> Chart | None:
    """Scale coverage (0-100) onto the chart; None when fewer than two points exist."""
    known = [p for p in history if p.coverage is not None]
    if len(known) < 2:
        return None
    inner_w = CHART_WIDTH - 2 * CHART_PAD
    inner_h = CHART_HEIGHT - 2 * CHART_PAD
    step = inner_w / (len(known) - 1)
    dots = []
    for index, point in enumerate(known):
        assert point.coverage is not None
        x = CHART_PAD + index * step
        y = CHART_PAD + inner_h * (1 - point.coverage / 100)
        label = f"{point.taken_at[:10]}: {display_coverage(point.coverage, precision)}%"
        dots.append((round(x, 1), round(y, 1), label))
    return Chart(
        points=" ".join(f"{x},{y}" for x, y, _ in dots),
        dots=dots,
        first=known[0].taken_at[:10],
        last=known[-1].taken_at[:10],
    )


def outcome_charts(data: Mapping[str, Any]) -> dict[str, str]:
    """Each outcome's chart of readings and outputs done a week, from the report's
    measures (``report.add_measures``); none for an outcome with neither."""
    charts: dict[str, str] = {}
    for outcome in data["outcomes"]:
        weeks = [
            WeekDone(date.fromisoformat(w["week"]), w["count"], w["weight"])
            for w in outcome.get("done_by_week", ())
        ]
        progress = _progress(outcome.get("progress"))
        if progress is not None and not progress.readings and not weeks:
            continue
        svg = outcome_chart(progress, weeks, outcome["id"])
        if svg:
            charts[outcome["id"]] = svg
    return charts


def _progress(shown: Mapping[str, Any] | None) -> Progress | None:
    if not shown:
        return None
    return Progress(
        baseline=shown["baseline"],
        target=shown["target"],
        current=shown["current"],
        at=date.fromisoformat(shown["at"]) if shown["at"] else None,
        percent=shown["percent"],
        status=Status(shown["status"]) if shown["status"] else None,
        readings=tuple(
            Reading(date.fromisoformat(r["date"]), float(r["value"])) for r in shown["readings"]
        ),
    )
