"""Run the installed ``tieback`` command as a user would, on good and broken inputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import OUTCOMES_TOML

TIEBACK = shutil.which("tieback", path=str(Path(sys.executable).parent)) or shutil.which("tieback")


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    assert TIEBACK, "the tieback command is not installed"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TIEBACK_")}
    environment.pop("GITHUB_TOKEN", None)
    environment.pop("JIRA_API_TOKEN", None)
    environment.pop("PYTHONUNBUFFERED", None)  # a pipe buffers what is printed, as for users
    environment.update(env or {})
    return subprocess.run(
        [TIEBACK, *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=60
    )


def github_issue(number: int, labels: list[str], state: str = "open", **extra: object) -> dict:  # type: ignore[type-arg]
    issue = {
        "url": f"https://api.github.com/repos/acme/app/issues/{number}",
        "repository_url": "https://api.github.com/repos/acme/app",
        "html_url": f"https://github.com/acme/app/issues/{number}",
        "id": 1000 + number,
        "number": number,
        "title": f"Issue {number}",
        "user": {"login": "ann", "type": "User"},
        "labels": [{"id": i, "name": name, "color": "ededed"} for i, name in enumerate(labels)],
        "state": state,
        "body": None,
        "created_at": "2026-11-01T10:00:00Z",
        "updated_at": "2026-11-02T10:00:00Z",
    }
    issue.update(extra)
    return issue


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "outcomes.toml").write_text(OUTCOMES_TOML)
    issues = [
        github_issue(1, ["outcome:activation"]),
        github_issue(2, ["outcome:fast-results"]),
        github_issue(3, ["outcome:activaton"]),
        github_issue(4, []),
        github_issue(5, ["chore"]),
        github_issue(6, ["outcome:activation"], state="closed"),
    ]
    (tmp_path / "issues.json").write_text(json.dumps(issues))
    (tmp_path / "tieback.toml").write_text(
        '[files]\npaths = ["issues.json"]\n[exempt]\nlabels = ["chore"]\n'
    )
    return tmp_path


def test_audit_json_numbers(project: Path) -> None:
    result = run("audit", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["totals"] == {
        "items": 5,
        "aligned": 2,
        "unaligned": 2,
        "exempt": 1,
        "unestimated": 0,
        "coverage": 50.0,
    }
    assert [(u["key"], u["reason"], u["suggestion"]) for u in report["unaligned"]] == [
        ("acme/app#3", "unknown-tag", "activation"),
        ("acme/app#4", "untagged", None),
    ]


def test_audit_table_and_output_file(project: Path) -> None:
    result = run("audit", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "Outcome coverage 50.0%" in result.stdout
    assert "\x1b[" not in result.stdout  # no colour when not a terminal
    result = run("audit", "--format", "markdown", "--output", "out/report.md", cwd=project)
    assert result.returncode == 0 and result.stdout == ""
    assert "**50.0%**" in (project / "out/report.md").read_text()


def test_fail_under_exits_2(project: Path) -> None:
    result = run("audit", "--fail-under", "60", "--format", "json", cwd=project)
    assert result.returncode == 2
    assert "coverage 50.0% is under fail_under 60%" in result.stderr
    assert json.loads(result.stdout)["totals"]["coverage"] == 50.0
    assert run("audit", "--fail-under", "50", cwd=project).returncode == 0
    env = {"TIEBACK_COVERAGE__FAIL_UNDER": "75"}
    assert run("audit", cwd=project, env=env).returncode == 2


def test_scope_all_from_the_command_line(project: Path) -> None:
    result = run("audit", "--scope", "all", "--format", "json", cwd=project)
    assert json.loads(result.stdout)["totals"]["items"] == 6


def test_lint_strict(project: Path) -> None:
    (project / "outcomes.toml").write_text(
        OUTCOMES_TOML + '\n[[outcomes]]\nid = "ship-it"\ntitle = "Ship the new editor"\n'
    )
    result = run("lint", cwd=project)
    assert result.returncode == 0
    assert "outcomes.toml:" in result.stdout and "[output-as-outcome]" in result.stdout
    assert run("lint", "--strict", cwd=project).returncode == 2


def test_init_then_audit(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    assert run("lint", "--strict", cwd=tmp_path).returncode == 0
    # The starter names no source yet: the audit says where to add one.
    first = run("audit", cwd=tmp_path)
    assert first.returncode == 1
    assert first.stderr.startswith("tieback: error: tieback.toml: nothing to audit")
    assert "[files] paths" in first.stderr and "[github] repos" in first.stderr
    again = run("init", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("tieback: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_unknown_key(project: Path) -> None:
    (project / "tieback.toml").write_text("[coverage]\nfail_undr = 3\n")
    one_line_error(run("audit", cwd=project), "tieback.toml", "fail_undr")


def test_missing_outcomes_file(project: Path) -> None:
    (project / "outcomes.toml").unlink()
    one_line_error(run("audit", cwd=project), "outcomes.toml", "not found")


def test_duplicate_alias(project: Path) -> None:
    (project / "outcomes.toml").write_text(
        OUTCOMES_TOML + '\n[[outcomes]]\nid = "x"\ntitle = "y"\naliases = ["Fast-Results"]\n'
    )
    one_line_error(run("audit", cwd=project), "outcomes.toml", "'Fast-Results'", "already used")


def test_an_id_with_capitals_is_not_a_slug(project: Path) -> None:
    (project / "outcomes.toml").write_text(
        OUTCOMES_TOML + '\n[[outcomes]]\nid = "Build-Search"\ntitle = "Find lessons"\n'
    )
    one_line_error(run("audit", cwd=project), "outcomes.toml", "'Build-Search' is not a slug")


def test_lint_shows_every_error_and_warning_in_one_run(project: Path) -> None:
    (project / "outcomes.toml").write_text(
        OUTCOMES_TOML
        + '\n[[outcomes]]\nid = "search"\ntitle = "Find lessons"\nimpact = "nope"\n'
        + '\n[[outcomes]]\nid = "Build-Search"\ntitle = "Launch search"\n'
        + '\n[[outcomes]]\nid = "x"\ntitle = "y"\naliases = ["fast-results"]\n'
        + '\n[[outcomes]]\nid = "launch-ocr"\ntitle = "Launch the OCR engine"\n'
    )
    result = run("lint", cwd=project)
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, result.stdout
    assert "impact 'nope' is not a declared impact" in errors[2]
    assert any("'Build-Search' is not a slug" in line for line in errors)
    assert any("'fast-results' is already used" in line for line in errors)
    # The declarations that are fine are still checked.
    assert "Launch the OCR engine" in result.stdout or "launch-ocr" in result.stdout
    assert result.stderr.strip().startswith("tieback lint: 3 errors, ")


def test_malformed_export(project: Path) -> None:
    (project / "issues.json").write_text('{"not": "an export"')
    one_line_error(run("audit", cwd=project), "issues.json")


def test_fail_under_out_of_range(project: Path) -> None:
    one_line_error(run("audit", "--fail-under", "150", cwd=project), "150", "between 0 and 100")


def test_unknown_option_is_an_error(project: Path) -> None:
    one_line_error(run("audit", "--formt", "json", cwd=project), "--formt")


def test_missing_config_flag_file(project: Path) -> None:
    one_line_error(run("audit", "--config", "nope.toml", cwd=project), "nope.toml")


def test_debug_shows_the_traceback(project: Path) -> None:
    (project / "outcomes.toml").unlink()
    result = run("--debug", "audit", cwd=project)
    assert result.returncode == 1 and "Traceback" in result.stderr
    result = run("audit", "--debug", cwd=project)
    assert "Traceback" in result.stderr


def test_help_and_version(project: Path) -> None:
    result = run("--help", cwd=project)
    assert result.returncode == 0 and "audit" in result.stdout and "exit codes" in result.stdout
    assert run("--version", cwd=project).stdout.startswith("tieback ")
    assert run("audit", "--help", cwd=project).returncode == 0


def test_python_dash_m(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tieback", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("tieback ")


def test_trend_after_audits_over_a_changing_backlog(project: Path) -> None:
    assert run("audit", cwd=project).returncode == 0
    issues = json.loads((project / "issues.json").read_text())
    issues[3]["labels"] = [{"id": 9, "name": "outcome:activation", "color": "ededed"}]
    (project / "issues.json").write_text(json.dumps(issues))
    assert run("audit", cwd=project).returncode == 0
    result = run("trend", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    points = json.loads(result.stdout)["series"]["(all)"]
    assert [p["coverage"] for p in points] == [50.0, 75.0]
    table = run("trend", cwd=project).stdout
    assert "+25.0 pt" in table
    by_team = json.loads(run("trend", "--by", "team", "--format", "json", cwd=project).stdout)
    assert [p["coverage"] for p in by_team["series"]["acme/app"]] == [50.0, 75.0]
    assert run("trend", "--since", "yesterday", cwd=project).returncode == 1


def test_an_offline_audit_finds_description_tags_under_the_marker_it_is_given(
    project: Path,
) -> None:
    issues = [
        github_issue(1, [], body="Context.\nGoal: activation\nAim: fast-results"),
        github_issue(2, [], body="Aim: activation"),
        github_issue(3, [], body="No tag here"),
    ]
    (project / "issues.json").write_text(json.dumps(issues))
    config = '[files]\npaths = ["issues.json"]\n[tagging]\nbody_marker = "{}"\n'
    (project / "tieback.toml").write_text(config.format("Goal:"))
    assert run("sync", cwd=project).returncode == 0  # the export, copied into the store
    (project / "issues.json").write_text("[]")  # from now on, only the store holds them

    def audit(marker: str) -> tuple[dict[str, int], list[str]]:
        (project / "tieback.toml").write_text(config.format(marker))
        result = run("audit", "--offline", "--format", "json", cwd=project)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        served = {o["id"]: o["items"] for o in report["outcomes"] if o["items"]}
        return served, sorted(u["key"] for u in report["unaligned"])

    # The store kept the lines that hold the marker the sync was given ...
    assert audit("Goal:") == ({"activation": 1}, ["acme/app#2", "acme/app#3"])
    # ... and reads the descriptions themselves under any other.
    assert audit("Aim:") == ({"results-in-a-minute": 1, "activation": 1}, ["acme/app#3"])


def test_half_a_surrogate_pair_in_an_export_is_kept_as_a_replacement_character(
    project: Path,
) -> None:
    # JSON may escape half of a pair (a tracker that cut a title mid-emoji); UTF-8, and
    # so the store and the report, cannot hold it.
    issues = [github_issue(1, [], title="Cut short \ud83d"), github_issue(2, [], title="🚀 ok")]
    (project / "issues.json").write_text(json.dumps(issues))  # ASCII, with the escapes
    assert "\\ud83d" in (project / "issues.json").read_text()
    result = run("sync", cwd=project)
    assert result.returncode == 0, result.stderr
    (project / "issues.json").write_text("[]")  # only the store holds them now
    result = run("audit", "--offline", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    titles = [u["title"] for u in json.loads(result.stdout)["unaligned"]]
    assert titles == ["Cut short \ufffd", "🚀 ok"]


def test_a_shared_postgresql_store_keeps_history_across_machines(
    project: Path, tmp_path_factory: pytest.TempPathFactory, postgres_server: str
) -> None:
    import postgres

    url = postgres.fresh_database(postgres_server, "shared_history")
    env = {"TIEBACK_STORE__URL": url}
    other_machine = tmp_path_factory.mktemp("second-runner")
    for name in ("outcomes.toml", "issues.json", "tieback.toml"):
        (other_machine / name).write_text((project / name).read_text())
    # A day later the backlog has one more issue (an unchanged one records no new point).
    issues = json.loads((project / "issues.json").read_text())
    issues.append(github_issue(99, []))
    (other_machine / "issues.json").write_text(json.dumps(issues))
    assert run("audit", cwd=project, env=env).returncode == 0
    assert run("audit", cwd=other_machine, env=env).returncode == 0
    assert not (other_machine / ".tieback").exists()  # nothing written locally
    result = run("trend", "--format", "json", cwd=other_machine, env=env)
    assert len(json.loads(result.stdout)["series"]["(all)"]) == 2


def test_bare_tieback_prints_help_and_exits_2(tmp_path: Path) -> None:
    result = run(cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: tieback")
    assert "audit" in result.stderr and "exit codes" in result.stderr


def test_init_keeps_the_store_out_of_git_and_names_each_source(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc")  # a project's own, without a final newline
    result = run("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\n.tieback/\n"
    assert "added .tieback/ to .gitignore" in result.stdout
    starter = (tmp_path / "tieback.toml").read_text()
    for example in ("[files]", "# [jira]", "# url = ", "# jql = ", "# [github]", "# repos = "):
        assert example in starter
    # Again, with --force: the line is not added twice.
    assert run("init", "--force", cwd=tmp_path).returncode == 0
    assert (tmp_path / ".gitignore").read_text().count(".tieback/") == 1


def test_init_offers_no_config_option(tmp_path: Path) -> None:
    result = run("init", "--help", cwd=tmp_path)
    assert "--config" not in result.stdout and "--dir" in result.stdout
    refused = run("init", "--config", "x.toml", cwd=tmp_path)
    assert refused.returncode == 1 and "unrecognized arguments: --config" in refused.stderr


def test_a_jira_site_named_only_for_links_is_no_source_to_sync(project: Path) -> None:
    # Exports only: [jira] url gives their links, with no query to sync from Jira.
    (project / "tieback.toml").write_text(
        '[files]\npaths = ["issues.json"]\n[exempt]\nlabels = ["chore"]\n'
        '[jira]\nurl = "https://acme.atlassian.net"\n'
    )
    audit = run("audit", "--format", "json", "--fail-under", "10", cwd=project)
    assert audit.returncode == 0, audit.stderr
    assert json.loads(audit.stdout)["warnings"] == []
    lint = run("lint", cwd=project)
    assert "[jira] jql is empty: Jira is read only through [files] exports" in lint.stdout
    sync = run("sync", "--source", "jira", cwd=project)
    assert sync.returncode == 1
    assert "nothing to sync for jira: set [jira] url and jql" in sync.stderr
