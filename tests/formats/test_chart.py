"""The per-outcome chart: readings toward the target over the outputs done each week."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from tieback.formats.chart import outcome_chart
from tieback.progress import Progress, Reading, Status, WeekDone

GOLD = Path(__file__).parent / "gold"
SVG = "{http://www.w3.org/2000/svg}"
HEIGHT = 160
WIDTH = 480

READINGS = (
    Reading(date(2026, 10, 5), 12.0),
    Reading(date(2026, 10, 19), 11.0),
    Reading(date(2026, 11, 2), 9.5),
    Reading(date(2026, 11, 16), 8.0),
    Reading(date(2026, 11, 30), 7.5),
)
# lower is better: the target (1) is below the baseline (12)
FASTER = Progress(
    baseline=12.0,
    target=1.0,
    current=7.5,
    at=date(2026, 11, 30),
    percent=(7.5 - 12) / (1 - 12) * 100,
    status=Status.MOVING,
    readings=READINGS,
)
WEEKS = [
    WeekDone(date(2026, 10, 12), 1, 1.0),
    WeekDone(date(2026, 10, 19), 3, 5.0),
    WeekDone(date(2026, 10, 26), 2, 2.0),
    WeekDone(date(2026, 11, 2), 4, 8.0),
    WeekDone(date(2026, 11, 9), 1, 3.0),
    WeekDone(date(2026, 11, 16), 1, 1.0),
]


def progress(
    values: list[float],
    baseline: float | None = None,
    target: float | None = None,
    start: date = date(2026, 11, 2),
) -> Progress:
    readings = tuple(
        Reading(date.fromordinal(start.toordinal() + 7 * i), v) for i, v in enumerate(values)
    )
    return Progress(
        baseline=baseline,
        target=target,
        current=values[-1] if values else None,
        at=readings[-1].date if readings else None,
        percent=None,
        status=None,
        readings=readings,
    )


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def every(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(f"{SVG}{tag}"))


def target_lines(root: ET.Element) -> list[ET.Element]:
    return [e for e in every(root, "line") if e.get("stroke-dasharray")]


def ys(root: ET.Element) -> list[float]:
    """Every vertical coordinate drawn, so a test can check it lies in the view."""
    found = []
    for element in root.iter():
        for name in ("y", "y1", "y2", "cy"):
            if element.get(name) is not None:
                found.append(float(element.get(name, "")))
        if element.get("points"):
            found += [float(pair.split(",")[1]) for pair in element.get("points", "").split()]
    return found


def test_gold_lower_is_better_with_six_weeks_of_bars() -> None:
    svg = outcome_chart(FASTER, WEEKS, "faster-feedback")
    gold = GOLD / "chart-lower-is-better.svg"
    if os.environ.get("REGOLD"):
        gold.write_text(svg + "\n", encoding="utf-8")
    assert svg + "\n" == gold.read_text(encoding="utf-8")


def test_typical_chart_structure_and_summary() -> None:
    svg = outcome_chart(FASTER, WEEKS, "faster-feedback")
    root = parse(svg)
    summary = (
        "faster-feedback: 7.5 on 2026-11-30, target 1, 41% of the way, moving; "
        "12 outputs done in 6 weeks"
    )
    assert root.get("role") == "img"
    assert root.get("aria-label") == summary
    assert root.find(f"{SVG}title") is not None
    assert root.findtext(f"{SVG}title") == summary
    assert root.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"
    assert len(every(root, "circle")) == 5
    assert len(every(root, "polyline")) == 1
    assert len(every(root, "rect")) == 6
    assert len(target_lines(root)) == 1
    texts = [t.text for t in every(root, "text")]
    assert "2026-10-05" in texts and "2026-11-30" in texts
    assert "target 1" in texts and "baseline 12" in texts
    assert "<script" not in svg and "href" not in svg and "url(" not in svg


def test_coordinates_are_rounded_to_one_decimal() -> None:
    svg = outcome_chart(FASTER, WEEKS, "faster-feedback")
    for element in parse(svg).iter():
        for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height"):
            value = element.get(name)
            if value is not None and element.tag != f"{SVG}svg":
                assert re.fullmatch(r"\d+(\.\d)?", value), (name, value)
        for pair in element.get("points", "").split():
            assert re.fullmatch(r"\d+(\.\d)?,\d+(\.\d)?", pair), pair


def test_nothing_to_draw_is_no_chart() -> None:
    assert outcome_chart(None, [], "faster-feedback") == ""
    assert outcome_chart(progress([], baseline=12, target=1), [], "faster-feedback") == ""
    assert outcome_chart(None, [WeekDone(date(2026, 11, 2), 0, 0.0)], "x") == ""


def test_learning_outcome_has_readings_and_no_target_line() -> None:
    root = parse(outcome_chart(progress([3, 5, 4]), [], "explore-ocr"))
    assert len(every(root, "circle")) == 3
    assert target_lines(root) == []
    assert len(every(root, "rect")) == 0
    texts = [t.text for t in every(root, "text")]
    # without baseline or target, the readings' range labels the value axis
    assert "3" in texts and "5" in texts
    assert root.get("aria-label") == "explore-ocr: 4 on 2026-11-16; no outputs done"


def test_one_reading_is_a_point_and_one_date() -> None:
    root = parse(outcome_chart(progress([7.5], baseline=12, target=1), [], "faster-feedback"))
    assert len(every(root, "circle")) == 1
    assert every(root, "polyline") == []
    assert len(target_lines(root)) == 1
    dates = [t.text for t in every(root, "text") if t.text and t.text.startswith("2026")]
    assert dates == ["2026-11-02"]
    assert all(0 <= y <= HEIGHT for y in ys(root))


def test_equal_readings_draw_a_flat_line_in_view() -> None:
    svg = outcome_chart(progress([5, 5, 5], baseline=5, target=5), [], "flat")
    root = parse(svg)
    assert "nan" not in svg and "inf" not in svg
    cys = {c.get("cy") for c in every(root, "circle")}
    assert len(cys) == 1
    assert all(0 <= y <= HEIGHT for y in ys(root))


@pytest.mark.parametrize(("baseline", "target"), [(12.0, 1.0), (12.0, 100.0), (-5.0, -400.0)])
def test_target_outside_the_readings_stays_in_view(baseline: float, target: float) -> None:
    root = parse(outcome_chart(progress([11, 10.5, 12], baseline, target), [], "far"))
    assert all(0 < y < HEIGHT for y in ys(root))
    assert len(target_lines(root)) == 1


def test_lower_is_better_draws_the_same_way_as_higher_is_better() -> None:
    def lines(baseline: float, target: float) -> tuple[float, float]:
        root = parse(outcome_chart(progress([8, 6], baseline, target), [], "m"))
        (target_line,) = target_lines(root)
        (baseline_line,) = [e for e in every(root, "line") if e.get("data-line") == "baseline"]
        return float(baseline_line.get("y1", "")), float(target_line.get("y1", ""))

    baseline_y, target_y = lines(12, 1)
    assert target_y > baseline_y  # the target is lower on the page, as its value is
    baseline_y, target_y = lines(1, 12)
    assert target_y < baseline_y


def test_weeks_only_draws_only_bars() -> None:
    weeks = [WeekDone(date(2026, 11, 2), 2, 2.0), WeekDone(date(2026, 11, 16), 5, 5.0)]
    root = parse(outcome_chart(progress([], baseline=12, target=1), weeks, "faster-feedback"))
    assert len(every(root, "rect")) == 2
    assert every(root, "circle") == [] and every(root, "polyline") == []
    assert target_lines(root) == []
    assert root.get("aria-label") == (
        "faster-feedback: no reading, target 1; 7 outputs done in 2 weeks"
    )


def test_weeks_without_outputs_have_no_bar_but_stay_on_the_axis() -> None:
    weeks = [WeekDone(date(2026, 10, 26), 0, 0.0), WeekDone(date(2026, 11, 2), 1, 1.0)]
    root = parse(outcome_chart(progress([3, 4]), weeks, "m"))
    assert len(every(root, "rect")) == 1
    dates = [t.text for t in every(root, "text") if t.text and t.text.startswith("2026")]
    assert dates == ["2026-10-26", "2026-11-09"]
    assert root.get("aria-label") == "m: 4 on 2026-11-09; 1 output done in 1 week"


def test_a_week_bar_and_a_reading_on_its_monday_share_the_time_axis() -> None:
    weeks = [WeekDone(date(2026, 10, 19), 1, 1.0), WeekDone(date(2026, 11, 9), 3, 3.0)]
    root = parse(outcome_chart(progress([9, 8, 7]), weeks, "m"))
    circles = {float(c.get("cx", "")) for c in every(root, "circle")}
    bars = [float(r.get("x", "")) + float(r.get("width", "")) / 2 for r in every(root, "rect")]
    # the readings are on 2026-11-02, -09 and -16: the second sits on the second bar
    assert any(abs(bar - cx) <= 0.1 for bar in bars for cx in circles)
    first = min(bars)
    assert first < min(circles)  # the week before the first reading widens the axis


def test_a_reading_that_is_not_a_number_is_not_drawn() -> None:
    svg = outcome_chart(progress([3, float("nan"), 4]), [], "m")
    root = parse(svg)
    assert len(every(root, "circle")) == 2
    assert "nan" not in svg.lower()


def test_title_is_escaped() -> None:
    title = '<b onload="x">&amp;"'
    svg = outcome_chart(progress([1, 2], baseline=0, target=4), [], title)
    assert "<b" not in svg and 'onload="' not in svg
    root = parse(svg)
    assert root.get("aria-label", "").startswith(title + ": 2 on")
    assert root.findtext(f"{SVG}title", "").startswith(title)
