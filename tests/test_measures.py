"""Measures in the report: each outcome's and impact's progress and outputs done a week,
in the JSON and beside each other (impact, then its outcomes) in the table and Markdown."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from conftest import OUTCOMES_TOML

from factories import fixed_report
from tieback.config import Config
from tieback.formats import get_format
from tieback.outcomes import load_declarations
from tieback.progress import Progress, Reading, Status, WeekDone
from tieback.report import Report, add_measures, measure_rows

FASTER = Progress(
    baseline=12.0,
    target=1.0,
    current=7.5,
    at=date(2026, 11, 30),
    percent=40.909,
    status=Status.MOVING,
    readings=(Reading(date(2026, 11, 2), 9.0), Reading(date(2026, 11, 30), 7.5)),
)
ENGAGEMENT = Progress(
    baseline=1000.0,
    target=1500.0,
    current=None,
    at=None,
    percent=None,
    status=Status.UNMEASURED,
)


def measured() -> Report:
    report = fixed_report()
    weeks = {"results-in-a-minute": [WeekDone(date(2026, 11, 23), 2, 5.0)]}
    add_measures(report.data, {"results-in-a-minute": FASTER, "engagement": ENGAGEMENT}, weeks)
    return report


def test_each_outcome_and_impact_gets_its_progress_and_weeks_in_the_json() -> None:
    data = json.loads(get_format("json").render(measured()))
    outcomes = {o["id"]: o for o in data["outcomes"]}
    assert outcomes["results-in-a-minute"]["progress"] == {
        "baseline": 12,
        "target": 1,
        "current": 7.5,
        "at": "2026-11-30",
        "percent": 40.9,
        "status": "moving",
        "readings": [{"date": "2026-11-02", "value": 9}, {"date": "2026-11-30", "value": 7.5}],
    }
    assert outcomes["results-in-a-minute"]["done_by_week"] == [
        {"week": "2026-11-23", "count": 2, "weight": 5}
    ]
    # Every outcome has both keys, with nothing to show as null and an empty list.
    assert outcomes["activation"]["progress"] is None
    assert outcomes["activation"]["done_by_week"] == []
    assert data["impacts"][0]["progress"]["status"] == "unmeasured"
    assert data["impacts"][0]["progress"]["current"] is None


def test_measures_put_each_impact_before_its_outcomes() -> None:
    rows = measure_rows(measured().data)
    assert [(r["id"], r["impact"]) for r in rows] == [
        ("engagement", True),
        ("results-in-a-minute", False),
    ]


def test_the_table_and_markdown_show_the_measures_beside_each_other() -> None:
    table = get_format("table", width=120).render(measured())
    assert "Measures" in table
    line = next(
        line for line in table.splitlines() if "results-in-a-minute" in line and "%" in line
    )
    assert "7.5" in line and "41%" in line and "moving" in line and "2026-11-30" in line
    markdown = get_format("markdown").render(measured())
    assert "## Measures" in markdown
    assert "| **engagement** | — | 1,500 | — | unmeasured | — |" in markdown
    assert "| `results-in-a-minute` | 7.5 | 1 | 41% | moving | 2026-11-30 |" in markdown
    assert markdown.index("**engagement**") < markdown.index("`results-in-a-minute` | 7.5")


def test_a_report_without_measures_shows_no_measures_section() -> None:
    report = fixed_report()
    add_measures(report.data, {}, {})
    assert "Measures" not in get_format("table").render(report)
    assert "## Measures" not in get_format("markdown").render(report)


def test_the_pull_request_comment_gives_its_outcomes_progress_in_one_line(
    write_config: Callable[..., Config], tmp_path: Path
) -> None:
    from tieback.connectors.github.pr import _measures
    from tieback.connectors.github.pr.comment import render_comment

    (tmp_path / "metrics.csv").write_text(
        "outcome,date,value\nfast-results,2026-11-02,9\nfast-results,2026-11-30,7.5\n",
        encoding="utf-8",
    )
    outcomes = OUTCOMES_TOML.replace('target = "1"', 'baseline = "12"\ntarget = "1"')
    config = write_config('[metrics]\npaths = ["metrics.csv"]\n', outcomes)
    declarations = load_declarations(config)
    lines = _measures(config, declarations, ("results-in-a-minute", "activation"))
    # activation has no reading: no line for it.
    assert lines == [
        (
            "results-in-a-minute",
            "now 7.5 on 2026-11-30, target 1, 41% of the way, " + lines[0][1].rsplit(", ", 1)[1],
        )
    ]
    assert lines[0][1].rsplit(", ", 1)[1] in ("moving", "stale")
    context = {
        "marker": "<!-- tieback:pr -->",
        "version": "0",
        "mode": "warn",
        "pr": {"key": "acme/app#1", "title": "t", "url": ""},
        "verdict": type("V", (), {"status": "aligned"})(),
        "chain": [],
        "evidence": [],
        "backlog": None,
        "move": None,
        "measures": lines,
    }
    body = render_comment(context)
    assert "📈 **results-in-a-minute**: now 7.5 on 2026-11-30, target 1, 41% of the way" in body
