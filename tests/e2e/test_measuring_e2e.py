"""Measuring outcomes as a new user tries it: the bundled example's exports and its
metrics.csv beside outcomes.toml, ``tieback audit``, ``metric record`` and ``trend``,
each run as a command."""

from __future__ import annotations

import json
import shutil
import textwrap
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from e2e.command import tieback

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme"

CONFIG = """
outcomes_file = "outcomes.toml"

[files]
paths = ["jira-search.json", "jira-export.csv", "github-issues.json"]

[metrics]
paths = ["metrics.csv"]

[jira]
points_field = "Story Points"
team_field = "Team"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The example's outcomes, exports and metrics.csv, and a configuration naming them."""
    root = tmp_path / "acme"
    shutil.copytree(EXAMPLE, root)
    (root / "tieback.toml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    return root


def audit_json(root: Path) -> dict[str, object]:
    run = tieback(root, "audit", "--by", "outcome", "--format", "json")
    assert run.code == 0, run.stderr
    document: dict[str, object] = json.loads(run.stdout)
    return document


def test_each_numeric_outcome_has_its_current_value_percent_and_status(project: Path) -> None:
    data = audit_json(project)
    outcomes = {o["id"]: o for o in data["outcomes"]}  # type: ignore[attr-defined]
    faster = outcomes["results-in-a-minute"]["progress"]
    assert (faster["baseline"], faster["target"], faster["current"]) == (12, 1, 6.4)
    assert faster["at"] == "2026-11-30"
    assert faster["percent"] == pytest.approx(50.9, abs=0.1)  # (6.4 - 12) / (1 - 12)
    assert [r["value"] for r in faster["readings"]] == [12, 11.2, 9.5, 8.1, 6.4]
    # Lower on the dashboard than its baseline of 18%.
    assert outcomes["teacher-dashboard"]["progress"]["current"] == 16.5
    assert outcomes["teacher-dashboard"]["progress"]["percent"] == pytest.approx(-4.7, abs=0.1)
    # Its last reading is from 2025: stale, and warned of.
    assert outcomes["activation"]["progress"]["status"] == "stale"
    warnings = data["warnings"]
    assert any("'activation'" in w and "no reading in the last 30 days" in w for w in warnings)  # type: ignore[attr-defined]
    # A learning outcome shows its readings with no status.
    streaks = outcomes["practice-streaks"]["progress"]
    assert streaks["status"] is None and streaks["current"] == 7.9
    impacts = {i["id"]: i for i in data["impacts"]}  # type: ignore[attr-defined]
    assert impacts["learner-engagement"]["progress"]["current"] == 50300
    # Outputs done, by the week they were resolved: GRD-6 ("Outcome:Fast-Results"),
    # resolved on Tuesday 2026-11-10, is in the week of Monday 2026-11-09.
    weeks = {w["week"]: w for w in outcomes["results-in-a-minute"]["done_by_week"]}
    assert weeks["2026-11-09"]["count"] >= 1


def test_the_html_report_draws_each_measured_outcomes_chart(project: Path) -> None:
    run = tieback(project, "audit", "-o", "report.html")
    assert run.code == 0, run.stderr
    page = (project / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page
    charts = {}
    for figure in page.split('<figure class="outcome-chart">')[1:]:
        svg = figure[figure.index("<svg") : figure.index("</svg>") + len("</svg>")]
        chart = ElementTree.fromstring(svg)
        assert chart.get("role") == "img"
        charts[chart.get("aria-label", "").partition(":")[0]] = chart
    # Every outcome with readings or outputs done has one; the readings are its points.
    assert {"results-in-a-minute", "teacher-dashboard", "activation"} <= set(charts)
    svg_ns = "{http://www.w3.org/2000/svg}"
    points = charts["results-in-a-minute"].iter(f"{svg_ns}circle")
    assert len(list(points)) == 5
    assert "<h2>Measures</h2>" in page


def test_a_recorded_reading_moves_the_outcome_and_a_bad_id_writes_nothing(project: Path) -> None:
    bad = tieback(project, "metric", "record", "fast-resutls", "5")
    assert bad.code == 1
    assert bad.stderr.count("\n") == 1 and "did you mean 'fast-results'" in bad.stderr
    assert not (project / ".tieback").exists()

    good = tieback(project, "metric", "record", "fast-results", "5.5", "--at", "2026-12-01")
    assert good.code == 0, good.stderr
    assert good.stdout == "recorded 5.5 for outcome results-in-a-minute on 2026-12-01\n"
    data = audit_json(project)
    outcomes = {o["id"]: o for o in data["outcomes"]}  # type: ignore[attr-defined]
    assert outcomes["results-in-a-minute"]["progress"]["current"] == 5.5
    assert outcomes["results-in-a-minute"]["progress"]["at"] == "2026-12-01"

    trend = tieback(project, "trend", "--outcome", "results-in-a-minute", "--format", "csv")
    assert trend.code == 0, trend.stderr
    assert trend.stdout.splitlines()[-1].startswith("2026-12-01,results-in-a-minute,5.5,")


PROJECT_CONFIG = """
[files]
paths = ["issues.json", "project.json"]

[tagging]
github_project_field = "Outcome"
"""

OUTCOMES = """
[[impacts]]
id = "engagement"
title = "Engagement"

[[outcomes]]
id = "activation"
title = "New teachers assign a first quiz in week one"
impact = "engagement"
"""


def test_unlabelled_issues_in_a_project_export_audit_as_aligned_through_its_field(
    tmp_path: Path,
) -> None:
    """A GitHub backlog with no labels, its outcome kept in a project's field, exported
    with ``gh api`` and ``gh project item-list``: the field's value is its tag."""
    issues = [
        {
            "number": number,
            "title": title,
            "state": "open",
            "labels": [],
            "html_url": f"https://github.com/acme/app/issues/{number}",
            "repository_url": "https://api.github.com/repos/acme/app",
            "user": {"login": "ann", "type": "User"},
            "body": None,
            "updated_at": "2026-11-20T10:00:00Z",
        }
        for number, title in ((1, "Quiz wizard"), (2, "Dark mode"))
    ]
    project = {
        "items": [
            {
                "content": {
                    "type": "Issue",
                    "body": "",
                    "title": "Quiz wizard",
                    "number": 1,
                    "repository": "acme/app",
                    "url": "https://github.com/acme/app/issues/1",
                },
                "id": "PVTI_1",
                "outcome": "activation",
                "repository": "https://github.com/acme/app",
                "status": "In Progress",
                "title": "Quiz wizard",
            }
        ],
        "totalCount": 1,
    }
    (tmp_path / "issues.json").write_text(json.dumps(issues), encoding="utf-8")
    (tmp_path / "project.json").write_text(json.dumps(project), encoding="utf-8")
    (tmp_path / "outcomes.toml").write_text(textwrap.dedent(OUTCOMES), encoding="utf-8")
    (tmp_path / "tieback.toml").write_text(textwrap.dedent(PROJECT_CONFIG), encoding="utf-8")
    run = tieback(tmp_path, "audit", "--format", "json")
    assert run.code == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["totals"]["aligned"] == 1 and report["totals"]["unaligned"] == 1
    assert [u["key"] for u in report["unaligned"]] == ["acme/app#2"]
    served = {o["id"]: o["items"] for o in report["outcomes"]}
    assert served == {"activation": 1}
