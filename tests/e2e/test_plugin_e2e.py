"""A connector from another distribution, found through its entry point, run by the CLI.

``tests/plugins/tieback_demo`` is such a distribution: its items are listed in its own
``[demo]`` table. The fixture makes it installed as far as ``importlib.metadata`` can
tell (its ``.dist-info`` with the entry points its ``pyproject.toml`` declares, on the
path of the commands run), without pip. Without it, ``[demo]`` is an unknown table.
"""

from __future__ import annotations

import json
import os
import textwrap
import tomllib
from pathlib import Path

import pytest
from e2e.command import tieback

PLUGIN = Path(__file__).resolve().parent.parent / "plugins" / "tieback_demo"

OUTCOMES = """
[[impacts]]
id = "reach"
title = "Reach more teams"

[[outcomes]]
id = "faster-onboarding"
title = "New teams onboard in a day"
impact = "reach"
metric = "median hours to first audit"
target = "8"
team = "platform"
"""

DEMO = """
[demo]
team = "platform"

[[demo.items]]
key = "DEMO-1"
title = "Write the quick start"
labels = ["outcome:faster-onboarding"]

[[demo.items]]
key = "DEMO-2"
title = "Rename the settings page"
"""


def installed(site: Path) -> dict[str, str]:
    """The environment of a command that sees the demo connector installed in ``site``."""
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    info = site / f"tieback_demo-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
        encoding="utf-8",
    )
    groups = [
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items())
        for group, points in project["entry-points"].items()
    ]
    (info / "entry_points.txt").write_text("\n".join(groups), encoding="utf-8")
    paths = [str(site), str(PLUGIN), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "outcomes.toml").write_text(textwrap.dedent(OUTCOMES), encoding="utf-8")
    (root / "tieback.toml").write_text(textwrap.dedent(DEMO), encoding="utf-8")
    return root


@pytest.fixture
def with_demo(tmp_path: Path) -> dict[str, str]:
    return installed(tmp_path / "site")


def test_sync_and_audit_read_the_installed_connector(
    project: Path, with_demo: dict[str, str]
) -> None:
    sync = tieback(project, "sync", env=with_demo)
    assert sync.code == 0, sync.stderr
    assert sync.stdout.splitlines() == ["demo: full sync, 2 items fetched in 1 pages, 0 removed"]

    audit = tieback(project, "audit", "--offline", "--format", "json", env=with_demo)
    assert audit.code == 0, audit.stderr
    report = json.loads(audit.stdout)
    assert report["totals"]["items"] == 2
    assert report["totals"]["aligned"] == 1
    assert [(row["key"], row["source"], row["team"]) for row in report["unaligned"]] == [
        ("DEMO-2", "demo", "platform")
    ]
    assert report["outcomes"][0]["items"] == 1
    assert "never synced" not in audit.stderr

    # Online, the audit syncs the connector itself first.
    live = tieback(project, "audit", "--by", "source", env=with_demo)
    assert live.code == 0, live.stderr
    assert "tieback: demo: 2 of 2 items (page 1)" in live.stderr
    assert "demo" in live.stdout


def test_sync_source_takes_the_installed_connector_by_name(
    project: Path, with_demo: dict[str, str]
) -> None:
    run = tieback(project, "sync", "--source", "demo", env=with_demo)
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("demo: full sync, 2 items")


def test_its_table_is_validated_by_its_own_model(project: Path, with_demo: dict[str, str]) -> None:
    (project / "tieback.toml").write_text("[demo]\nteem = 'platform'\n", encoding="utf-8")
    run = tieback(project, "audit", "--offline", env=with_demo)
    assert run.code == 1
    assert run.stderr.splitlines() == [
        f"tieback: error: {project / 'tieback.toml'}: unknown key [demo] teem "
        "(check the spelling; see config.example.toml)"
    ]

    (project / "tieback.toml").write_text(
        '[[demo.items]]\nkey = "ACME-1"\ntitle = "x"\n', encoding="utf-8"
    )
    run = tieback(project, "audit", "--offline", env=with_demo)
    assert run.code == 1
    assert run.stderr.splitlines() == [
        f"tieback: error: {project / 'tieback.toml'}: [demo.items] key: "
        "expected DEMO-<number>, e.g. DEMO-1 (got 'ACME-1')"
    ]


def test_an_environment_variable_alone_names_the_installed_connector(
    project: Path, with_demo: dict[str, str]
) -> None:
    (project / "tieback.toml").write_text("", encoding="utf-8")
    items = '[{"key": "DEMO-7", "title": "From the environment"}]'
    env = {**with_demo, "TIEBACK_DEMO__ITEMS": items, "TIEBACK_DEMO__TEAM": "platform"}
    run = tieback(project, "sync", env=env)
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("demo: full sync, 1 items fetched")


def test_lint_runs_the_connectors_checks(project: Path, with_demo: dict[str, str]) -> None:
    (project / "tieback.toml").write_text("[demo]\nteam = 'platform'\n", encoding="utf-8")
    run = tieback(project, "lint", env=with_demo)
    assert "warning: [demo] lists no items [no-items]" in run.stdout


def test_without_the_connector_its_table_is_unknown_again(project: Path) -> None:
    run = tieback(project, "audit", "--offline")
    assert run.code == 1
    assert run.stderr.splitlines() == [
        f"tieback: error: {project / 'tieback.toml'}: unknown key demo (check the spelling; see "
        "config.example.toml)"
    ]
    sync = tieback(project, "sync", "--source", "demo")
    assert sync.code == 1
    assert "invalid choice: 'demo'" in sync.stderr
