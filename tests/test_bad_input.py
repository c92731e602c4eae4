"""Broken input, end to end: one ``tieback: error:`` line naming the file, key or variable,
exit 1, no traceback; and nothing a tracker sends puts NaN or a formula into a report."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import OUTCOMES_TOML

from tieback.cli import main

DEEP_JSON = "[" * 100_000
DEEP_TOML = "a = " + "[" * 100_000


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project reading one GitHub export, as the working directory, with a clean
    environment."""
    for name in list(os.environ):
        if name.upper().startswith("TIEBACK_") or name in ("GITHUB_TOKEN", "JIRA_API_TOKEN"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outcomes.toml").write_text(OUTCOMES_TOML)
    (tmp_path / "issues.json").write_text("[]")
    (tmp_path / "tieback.toml").write_text('[files]\npaths = ["issues.json"]\n')
    return tmp_path


def error_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command in-process; return its one error line."""
    assert main(list(argv)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tieback: error: ")
    assert "unexpected" not in lines[0]
    # A configuration found by discovery is named by its full path.
    return lines[0].removeprefix("tieback: error: ").replace(f"{Path.cwd()}{os.sep}", "")


# --- nesting deep enough to exhaust the parsers' recursion ------------------------------


def test_a_deeply_nested_config_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "tieback.toml").write_text(DEEP_TOML)
    message = error_line(capsys, "audit", "--offline")
    assert message.startswith("tieback.toml: not valid TOML: nested too deeply")


def test_a_deeply_nested_pyproject_is_named_too(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "tieback.toml").unlink()
    (project / "pyproject.toml").write_text(DEEP_TOML)
    assert "pyproject.toml: not valid TOML: nested too deeply" in error_line(capsys, "lint")


def test_a_deeply_nested_outcomes_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "outcomes.toml").write_text(DEEP_TOML)
    message = error_line(capsys, "lint")
    assert message.startswith("outcomes.toml: not valid TOML: nested too deeply")


@pytest.mark.parametrize("text", [DEEP_JSON, '{"issues": ' * 100_000])
def test_a_deeply_nested_export(
    project: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    (project / "issues.json").write_text(text)
    message = error_line(capsys, "audit", "--offline")
    assert message.startswith("issues.json: not valid JSON: nested too deeply")


# --- list-valued environment variables --------------------------------------------------


@pytest.mark.parametrize(
    ("value", "example"),
    [
        ("acme/app", '["acme/app"]'),
        ("[acme/app", '["acme/app"]'),
        ('"acme/app"', '["acme/app"]'),
        ("[acme/app, 'acme/web']", '["acme/app", "acme/web"]'),
        ("", '["first", "second"]'),
        ("[", '["first", "second"]'),
    ],
)
def test_a_list_variable_that_is_not_a_json_list(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    example: str,
) -> None:
    monkeypatch.setenv("TIEBACK_GITHUB__REPOS", value)
    message = error_line(capsys, "lint")
    assert message == (
        "environment variable TIEBACK_GITHUB__REPOS: expected a JSON list, e.g. "
        f"TIEBACK_GITHUB__REPOS='{example}'"
    )


def test_a_list_of_tables_variable_that_is_not_json(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEBACK_OUTCOMES", "activation")
    message = error_line(capsys, "lint")
    assert message == (
        "environment variable TIEBACK_OUTCOMES: expected a JSON list, e.g. "
        """TIEBACK_OUTCOMES='[{"id": "...", "title": "..."}]'"""
    )


def test_a_deeply_nested_list_variable(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEBACK_EXEMPT__LABELS", DEEP_JSON)
    message = error_line(capsys, "lint")
    assert message.startswith("environment variable TIEBACK_EXEMPT__LABELS: expected a JSON list")


def test_a_whole_section_variable_that_is_not_a_json_object(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEBACK_COVERAGE", "points")
    message = error_line(capsys, "lint")
    assert message.startswith("environment variable TIEBACK_COVERAGE: expected a JSON object")
    assert "TIEBACK_COVERAGE__<KEY>" in message


def test_a_bad_entry_in_a_list_variable_names_the_variable(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEBACK_GITHUB__REPOS", '["acme/app", 7]')
    message = error_line(capsys, "lint")
    assert message.startswith("environment variable TIEBACK_GITHUB__REPOS: [github] repos: ")


# --- URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("api.github.com", "expected an http:// or https:// URL"),
        ("ftp://api.github.com", "expected an http:// or https:// URL"),
        ("javascript:alert(1)", "expected an http:// or https:// URL"),
        ("https://", "has no host"),
        ("https:///api/v3", "has no host"),
        ("https://ghe.acme.example/api v3", "has a space"),
        ("https://ghe.acme.example:http/", "has a port that is not a number"),
        ("https://ghe.acme.example/api/v3?per_page=1", "has a query or fragment"),
    ],
)
def test_a_garbage_github_api_url(
    project: Path, capsys: pytest.CaptureFixture[str], url: str, problem: str
) -> None:
    (project / "tieback.toml").write_text(f"[github]\napi_url = {json.dumps(url)}\n")
    message = error_line(capsys, "lint")
    assert message.startswith(f"tieback.toml: [github] api_url: {problem}")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("acme.atlassian.net", "expected an http:// or https:// URL"),
        ("https://acme.atlassian.net\t", "has a space"),
        ("https://acme atlassian.net", "has a space"),
        ("http://[::1", "is not a URL"),
    ],
)
def test_a_garbage_jira_url(
    project: Path, capsys: pytest.CaptureFixture[str], url: str, problem: str
) -> None:
    (project / "tieback.toml").write_text(f"[jira]\nurl = {json.dumps(url)}\n")
    message = error_line(capsys, "lint")
    assert message.startswith(f"tieback.toml: [jira] url: {problem}")


def test_good_urls_are_kept(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "tieback.toml").write_text(
        '[jira]\nurl = "http://127.0.0.1:8080/jira/"\njql = "project = EDU"\n'
        '[github]\napi_url = "https://ghe.acme.example/api/v3"\n'
    )
    assert main(["lint"]) == 0
    assert "error" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("section", "key", "variable"),
    [("jira", "url", "TIEBACK_JIRA__TOKEN"), ("github", "api_url", "TIEBACK_GITHUB__TOKEN")],
)
@pytest.mark.parametrize("userinfo", ["ann:hunter2-secret@", "ann:hunter2-secret:x@", "ann@"])
def test_credentials_in_a_tracker_url_are_refused_unechoed(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    section: str,
    key: str,
    variable: str,
    userinfo: str,
) -> None:
    url = f"https://{userinfo}acme.example/api"
    (project / "tieback.toml").write_text(f"[{section}]\n{key} = {json.dumps(url)}\n")
    message = error_line(capsys, "lint")
    assert message.startswith(f"tieback.toml: [{section}] {key}: ")
    assert f"set {variable}" in message
    assert "hunter2" not in message and "ann" not in message


def test_credentials_in_a_url_variable_are_refused_unechoed(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEBACK_JIRA__URL", "https://ann:hunter2-secret@acme.atlassian.net")
    message = error_line(capsys, "lint")
    assert message.startswith("environment variable TIEBACK_JIRA__URL: [jira] url: ")
    assert "hunter2" not in message


def test_a_bad_store_url_variable_does_not_echo_its_password(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEBACK_STORE__URL", "mysql://ci:hunter2-secret@db/tieback")
    message = error_line(capsys, "lint")
    assert message.startswith("environment variable TIEBACK_STORE__URL: [store] url: expected")
    assert "hunter2" not in message


# --- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("default_points = inf", "[coverage] default_points: Input should be a finite number"),
        ("default_points = nan", "[coverage] default_points: Input should be a finite number"),
        ("default_points = -1", "[coverage] default_points: Input should be greater than"),
        ("fail_under = nan", "[coverage] fail_under: Input should be a finite number"),
    ],
)
def test_non_finite_or_negative_numbers_are_refused(
    project: Path, capsys: pytest.CaptureFixture[str], line: str, problem: str
) -> None:
    (project / "tieback.toml").write_text(f"[coverage]\n{line}\n")
    assert error_line(capsys, "audit", "--offline").startswith(f"tieback.toml: {problem}")


def test_a_non_finite_number_variable_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIEBACK_COVERAGE__DEFAULT_POINTS", "Infinity")
    message = error_line(capsys, "audit", "--offline")
    assert message.startswith(
        "environment variable TIEBACK_COVERAGE__DEFAULT_POINTS: [coverage] default_points: "
    )


JIRA_CSV = """\
Summary,Issue key,Issue id,Issue Type,Status,Project key,Labels,Custom field (Story Points)
Grade on submit,EDU-1,1,Story,To Do,EDU,outcome:activation,inf
Grade faster,EDU-2,2,Story,To Do,EDU,,nan
Grade well,EDU-3,3,Story,To Do,EDU,outcome:activation,-Infinity
Grade at all,EDU-4,4,Story,To Do,EDU,,3
"""


def jira_page(points: list[str]) -> str:
    """A Jira REST v2 search page whose story points are the JSON texts ``points``
    (``NaN`` and ``Infinity`` are what Python's json module writes for such floats)."""
    issues = [
        {
            "id": str(10_000 + number),
            "key": f"EDU-{number}",
            "self": f"https://acme.atlassian.net/rest/api/2/issue/{10_000 + number}",
            "fields": {
                "summary": f"Story {number}",
                "issuetype": {"name": "Story"},
                "status": {"name": "To Do", "statusCategory": {"key": "new"}},
                "project": {"key": "EDU"},
                "labels": ["outcome:activation"] if number % 2 else [],
                "customfield_10016": f"@points{number}@",
            },
        }
        for number in range(1, len(points) + 1)
    ]
    page = {"startAt": 0, "maxResults": 50, "total": len(issues), "issues": issues}
    text = json.dumps({**page, "names": {"customfield_10016": "Story Points"}})
    for number, value in enumerate(points, start=1):
        text = text.replace(f'"@points{number}@"', value)
    return text


NOT_FINITE = re.compile(r"\b(nan|-?inf(inity)?)\b", re.IGNORECASE)


def refuse(constant: str) -> None:
    raise AssertionError(f"{constant} in a report")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("export.csv", JIRA_CSV),
        ("export.json", jira_page(["Infinity", "NaN", '"-inf"', "3"])),
        ("export.json", jira_page(["1e999", '"NaN"', '"Infinity"', "3.0"])),
        ("export.json", jira_page(["-5", '"-2"', "NaN", "3"])),
    ],
)
def test_non_finite_points_in_an_export_count_as_unestimated(
    project: Path, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    (project / name).write_text(text)
    (project / "tieback.toml").write_text(
        f'[files]\npaths = ["{name}"]\n[coverage]\nweight = "points"\ndefault_points = 2\n'
    )
    assert main(["audit", "--offline", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out, parse_constant=refuse)
    totals = report["totals"]
    assert totals["unestimated"] == 3
    assert (totals["aligned"], totals["unaligned"]) == (4, 5)  # 2 + 2, and 2 + 3
    assert (
        f"{name}: 3 items have story points that are not a finite number of 0 or more "
        "(e.g. EDU-1); counted as unestimated"
    ) in report["warnings"]
    for fmt in ("table", "markdown", "csv", "html", "mermaid", "badge"):
        assert main(["audit", "--offline", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert not NOT_FINITE.search(out), (fmt, NOT_FINITE.search(out))


# --- the command line and lint ----------------------------------------------------------


@pytest.mark.parametrize("value", ["-5", "-1", "x"])
def test_max_outputs_must_be_a_count(
    project: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["audit", "--offline", "--max-outputs", value])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"tieback: error: argument --max-outputs: {value!r} is not a whole number of 0 or "
        "more (see 'tieback audit --help')"
    )


def test_max_outputs_of_zero_collapses_every_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--offline", "--format", "mermaid", "--max-outputs", "0"]) == 0


@pytest.mark.parametrize(
    "outcomes",
    ["", "# outcomes go here\n", '[[impacts]]\nid = "engagement"\ntitle = "Engagement"\n'],
)
def test_lint_warns_when_no_outcome_is_declared(
    project: Path, capsys: pytest.CaptureFixture[str], outcomes: str
) -> None:
    (project / "outcomes.toml").write_text(outcomes)
    assert main(["lint", "--strict"]) == 2
    out, err = capsys.readouterr()
    assert out.startswith("outcomes.toml: warning: no outcomes are declared; add one as")
    assert "[[outcomes]]" in out and "[no-outcomes]" in out
    assert "no problems found" not in err
