"""What the coverage history keeps: the runs a team means, once each, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import github_issue, project, run

__all__ = ["project"]  # the fixture, used by name below


def points(cwd: Path) -> list[dict[str, object]]:
    result = run("trend", "--format", "json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    series: dict[str, list[dict[str, object]]] = json.loads(result.stdout)["series"]
    return series.get("(all)", [])


def test_trying_things_out_leaves_only_the_intended_points(project: Path) -> None:
    for args in (
        ("audit",),
        ("audit", "--format", "json"),  # the same numbers again: no copy
        ("audit", "--format", "csv", "--scope", "all"),  # another scope: not the trend's
        ("audit", "--weight", "points"),  # another weight
        ("audit", "--format", "markdown", "--no-record"),
        ("audit", "--by", "outcome"),  # another view, the same numbers
    ):
        assert run(*args, cwd=project).returncode == 0, args
    assert [p["items"] for p in points(project)] == [5]

    issues = json.loads((project / "issues.json").read_text())
    issues.append(github_issue(7, []))
    (project / "issues.json").write_text(json.dumps(issues))
    assert run("audit", cwd=project).returncode == 0
    assert [p["items"] for p in points(project)] == [5, 6]


def test_an_audit_with_nothing_to_count_records_nothing(tmp_path: Path, project: Path) -> None:
    (project / "issues.json").write_text("[]")
    assert run("audit", cwd=project).returncode == 0
    assert points(project) == []


def test_one_run_writes_several_formats_and_records_one_point(project: Path) -> None:
    result = run(
        "audit",
        "--format",
        "markdown,json,badge",
        "-o",
        "out/summary.md,out/report.json,out/badge.json",
        cwd=project,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    out = project / "out"
    assert (out / "summary.md").read_text().startswith("#")
    assert json.loads((out / "report.json").read_text())["schema"] == "tieback.report/1"
    assert json.loads((out / "badge.json").read_text())["label"] == "outcome coverage"
    assert len(points(project)) == 1


def test_the_format_follows_the_outputs_extension(project: Path) -> None:
    result = run("audit", "-o", "report.json,report.html,report.txt", cwd=project)
    assert result.returncode == 0, result.stderr
    assert json.loads((project / "report.json").read_text())["totals"]["items"] == 5
    assert (project / "report.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert "Outcome coverage" in (project / "report.txt").read_text()


def test_formats_and_outputs_that_do_not_pair_are_one_line(project: Path) -> None:
    result = run("audit", "--format", "json,csv", "-o", "a.json", cwd=project)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "tieback: error: --format names 2 formats but --output 1 paths: give one path a "
        "format, e.g. --format markdown,json -o summary.md,report.json"
    )
    unknown = run("audit", "--format", "json,xml", cwd=project)
    assert unknown.returncode == 1
    assert "unknown format 'xml'" in unknown.stderr


def test_trend_since_a_future_date_says_the_range_is_empty(project: Path) -> None:
    assert run("audit", cwd=project).returncode == 0
    result = run("trend", "--since", "2999-01-01", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No snapshots at or after 2999-01-01 (1 taken before it).\n"
    assert "No coverage history yet" not in result.stdout


def test_trend_follows_every_grouping_the_audit_shows(project: Path) -> None:
    assert run("audit", cwd=project).returncode == 0
    issues = json.loads((project / "issues.json").read_text())
    issues.append(github_issue(7, ["outcome:activation"]))
    (project / "issues.json").write_text(json.dumps(issues))
    assert run("audit", cwd=project).returncode == 0
    for by, name in (("source", "github"), ("status", "open"), ("type", "Issue")):
        result = run("trend", "--by", by, "--format", "json", cwd=project)
        assert result.returncode == 0, (by, result.stderr)
        series = json.loads(result.stdout)["series"]
        assert [p["items"] for p in series[name]] == [5, 6], (by, series)
        assert [p["coverage"] for p in series[name]] == [50.0, 60.0]


def test_a_snapshot_keeps_each_facet_by_weight_as_the_report_counts_it() -> None:
    from factories import HOSTILE, item, sample_declarations
    from tieback.alignment import align
    from tieback.history import snapshot_of
    from tieback.report import build_report
    from tieback.rules import CoverageRules, ExemptRules, TagRules

    items = [
        item("EDU-1", labels=("outcome:fast-results",), type="Story", points=3),
        item("EDU-2", title=HOSTILE, type="Story", points=5),
        item("EDU-3", type="Bug", points=1),
        item("acme/app#8", source="github", type="Issue", team="acme/app"),
    ]
    alignments = align(
        items, sample_declarations(), TagRules(), ExemptRules.of(types=["Bug"])
    ).alignments
    report = build_report(
        alignments, sample_declarations(), CoverageRules(weight="points", default_points=2)
    )
    groups = snapshot_of(report)["groups"]
    assert groups["source"]["jira"] == {
        "items": 3,
        "aligned": 3,
        "unaligned": 5,
        "exempt": 1,
        "coverage": 100 * 3 / 8,
    }
    assert groups["source"]["github"]["unaligned"] == 2  # unestimated: default_points
    assert groups["type"]["Story"]["items"] == 2 and groups["type"]["Bug"]["exempt"] == 1
    totals = report.data["totals"]
    assert sum(g["aligned"] for g in groups["status"].values()) == totals["aligned"]
