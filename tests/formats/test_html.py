"""The stakeholder HTML report: self-contained, escaped, and it renders in a browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from factories import HOSTILE, fixed_report
from tieback.formats.chart import outcome_chart
from tieback.formats.html import HtmlFormat
from tieback.progress import Progress, Reading, Status, WeekDone
from tieback.trend import Point

GOLD = Path(__file__).parent / "gold"

HISTORY = [
    Point("2026-11-01T10:00:00Z", 35.0, 7, 2, 4, 1),
    Point("2026-11-08T10:00:00Z", None, 0, 0, 0, 0),
    Point("2026-11-15T10:00:00Z", 40.0, 7, 2, 3, 2),
]


LINT = ["outcomes.toml:3: warning: <b>x</b>"]


def render(charts: dict[str, str] | None = None) -> str:
    return HtmlFormat(history=HISTORY, lint=LINT, charts=charts).render(fixed_report())


def results_chart() -> str:
    readings = (
        Reading(date(2026, 10, 5), 12.0),
        Reading(date(2026, 11, 2), 9.0),
        Reading(date(2026, 11, 16), 7.5),
    )
    progress = Progress(12.0, 1.0, 7.5, date(2026, 11, 16), 40.9, Status.MOVING, readings)
    weeks = [WeekDone(date(2026, 10, 19), 2, 2.0), WeekDone(date(2026, 11, 9), 1, 1.0)]
    return outcome_chart(progress, weeks, "results-in-a-minute")


def test_gold() -> None:
    rendered = render()
    gold = GOLD / "report.html"
    if os.environ.get("REGOLD"):
        gold.write_text(rendered, encoding="utf-8")
    assert rendered == gold.read_text(encoding="utf-8")


def test_without_charts_the_page_is_unchanged() -> None:
    gold = (GOLD / "report.html").read_text(encoding="utf-8")
    assert render(charts={}) == gold
    # an outcome with nothing to draw adds nothing, not even the legend
    assert render(charts={"results-in-a-minute": ""}) == gold


def test_each_outcome_shows_its_chart_under_one_legend() -> None:
    svg = results_chart()
    html = render(charts={"results-in-a-minute": svg})
    assert html.count(svg) == 1
    assert html.count('aria-label="Legend:') == 1
    assert html.index("Impacts, outcomes and outputs") < html.index('aria-label="Legend:')
    own = html.index("<code>results-in-a-minute</code>")
    assert own < html.index(svg) < html.index("<code>activation</code>")
    assert html.count("<svg") == 3  # the coverage trend, the legend, the outcome's chart


def test_a_chart_that_is_not_markup_is_shown_as_text() -> None:
    html = render(charts={"activation": '<svg onload="alert(1)"></svg>'})
    assert "<svg onload" not in html
    assert "&lt;svg onload=" in html


def test_untrusted_text_is_escaped() -> None:
    html = render()
    assert "<img" not in html and "<b>x</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html


def test_self_contained() -> None:
    html = render()
    assert "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//(?!github\.com/acme)""", html)
    assert "@import" not in html and "url(" not in html


def test_trend_chart_skips_unknown_points() -> None:
    html = render()
    assert html.count("<circle") == 2
    assert "Coverage over 2 audits" in html


def test_no_chart_without_history() -> None:
    assert "<svg" not in HtmlFormat().render(fixed_report())


def test_outcome_map_lists_outputs_with_inheritance() -> None:
    html = render()
    assert "Cache rubric lookups" in html and "(through EDU-1)" in html
    assert HOSTILE not in html


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    chromium() is None and not os.environ.get("CI"),
    reason="no chromium here (CI installs Debian's chromium)",
)
def test_renders_in_headless_chromium_without_console_errors(tmp_path: Path) -> None:
    browser = chromium()
    assert browser, "CI must install chromium"
    page = tmp_path / "report.html"
    page.write_text(render(charts={"results-in-a-minute": results_chart()}), encoding="utf-8")
    artifacts = Path(os.environ.get("ARTIFACTS_DIR", tmp_path))
    artifacts.mkdir(parents=True, exist_ok=True)
    screenshot = artifacts / "report.png"
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1100,1400",
            f"--screenshot={screenshot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
