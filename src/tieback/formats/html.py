"""A self-contained HTML report for stakeholders: no scripts, fonts or CDNs; prints well."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tieback.coverage import display_coverage
from tieback.formats.chart import legend
from tieback.formats.interface import Format, Options
from tieback.formats.templates import environment
from tieback.model import Alignment, Classification
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
        a chart that is a plain ``str`` rather than ``Markup`` is escaped, shown as text."""
        self.history = list(history)
        self.lint = list(lint)
        self.charts = {outcome_id: svg for outcome_id, svg in (charts or {}).items() if svg}

    @classmethod
    def from_options(cls, options: Options) -> Format:
        return cls(history=options.history, lint=options.lint)

    def render(self, report: Report) -> str:
        served: dict[str, list[Alignment]] = defaultdict(list)
        for alignment in sorted(report.alignments, key=sort_key):
            if alignment.classification is not Classification.EXEMPT:
                for outcome_id in alignment.outcomes:
                    served[outcome_id].append(alignment)
        template = environment().get_template("report.html.j2")
        return template.render(
            report=report.data,
            precision=report.precision,
            served=served,
            chart=chart(self.history, report.precision),
            lint=self.lint,
            charts=self.charts,
            legend=legend() if self.charts else "",
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
