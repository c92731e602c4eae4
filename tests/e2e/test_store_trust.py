"""What the store promises when a sync fails half-way or two configurations share it,
checked as a user would see it: the ``tieback`` command against a fake Jira on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from e2e.fake_jira import FakeJira
from e2e.github_fixtures import tieback_command
from e2e.jira_fixtures import TOTALS, Project, totals_of

FORMATS = ("table", "json", "markdown", "csv", "html", "mermaid", "badge")


def snapshots(project: Project) -> int:
    with sqlite3.connect(project.root / ".tieback" / "tieback.db") as db:
        return int(db.execute("SELECT count(*) FROM snapshots").fetchone()[0])


def test_a_sync_that_fails_half_way_never_passes_a_gate(tmp_path: Path, cloud: FakeJira) -> None:
    project = Project(tmp_path, cloud)
    cloud.interrupt_after(1)  # page 2 answers 500, which is not retried
    failed = project.run("sync", "--source", "jira")
    assert failed.code == 1, failed.stderr

    # Every format says the backlog is partial, naming the source.
    for name in FORMATS:
        run = project.run("audit", "--offline", "--format", name)
        assert run.code == 0, (name, run.stderr)
        shown = " ".join((run.stdout + run.stderr).split())  # the table wraps long lines
        assert "jira: the store holds a partial backlog" in shown, name
        assert "failed (Jira answered HTTP 500" in shown, name
        assert "no sync of it ever completed" in shown, name
    report = json.loads(project.run("audit", "--offline", "--format", "json").stdout)
    assert report["totals"]["items"] < TOTALS["items"]
    assert report["incomplete"] and report["warnings"][0] == report["incomplete"][0]

    # A gate is not checked on a part of the backlog, whatever the part's figure.
    gated = project.run("audit", "--offline", "--fail-under", "1")
    assert gated.code == 1
    [line] = gated.stderr.strip().splitlines()[-1:]
    assert line.startswith("tieback: error: coverage not checked against fail_under 1%: jira:")
    assert line.endswith("(or pass --allow-incomplete to check the partial backlog)")
    assert "Traceback" not in gated.stderr
    asked = project.run("audit", "--offline", "--fail-under", "1", "--allow-incomplete")
    assert asked.code == 0, asked.stderr

    # Nothing above went into the history.
    assert snapshots(project) == 0
    cloud.interrupt_after(None)
    assert project.run("sync", "--source", "jira").code == 0
    whole = project.run("audit", "--offline", "--format", "json", "--fail-under", "1")
    assert whole.code == 0, whole.stderr
    assert "incomplete" not in json.loads(whole.stdout)
    assert snapshots(project) == 1


def test_an_audit_of_a_tracker_never_synced_says_so(tmp_path: Path, cloud: FakeJira) -> None:
    project = Project(tmp_path, cloud)
    run = project.run("audit", "--offline", "--format", "json")
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["warnings"][0] == (
        "jira: never synced into this store; run 'tieback sync'"
    )
    assert project.run("audit", "--offline", "--fail-under", "50").code == 1


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_two_configurations_sharing_a_store_keep_each_others_items(
    tmp_path: Path, cloud: FakeJira, engine: str, request: pytest.FixtureRequest
) -> None:
    cloud.reads_projects = True
    store = {"path": str(tmp_path / "shared.db")}
    if engine == "postgresql":
        import postgres

        server = request.getfixturevalue("postgres_server")
        store = {"url": postgres.fresh_database(server, f"shared{id(tmp_path) % 100000}")}
    education = Project(tmp_path / "edu", cloud, jql="project = EDU")
    grading = Project(tmp_path / "grd", cloud, jql="project = GRD")
    for project in (education, grading):
        project.use_store(**store)

    assert education.run("sync", "--source", "jira").code == 0
    edu_report = education.audit()
    edu_keys = {u["key"] for u in edu_report["unaligned"]}
    assert edu_keys and all(key.startswith("EDU-") for key in edu_keys)

    # The second configuration's first (full) sync removes nothing of the first's ...
    assert grading.run("sync", "--source", "jira", "--full").code == 0
    grd_report = grading.audit()
    assert grd_report["totals"]["items"] > 0
    assert {u["key"][:4] for u in grd_report["unaligned"]} <= {"GRD-"}, grd_report["unaligned"]
    assert totals_of(education.audit()) == totals_of(edu_report)

    # ... nor does a removal in one query touch the other's copy of the backlog.
    cloud.remove("EDU-3")
    assert education.run("sync", "--source", "jira", "--full").code == 0
    assert "EDU-3" not in {u["key"] for u in education.audit()["unaligned"]}
    assert totals_of(grading.audit()) == totals_of(grd_report)


def test_two_posts_at_once_write_one_comment_per_item_and_one_summary(
    tmp_path: Path, cloud: FakeJira
) -> None:
    for number in range(20, 220):
        cloud.add_issue(f"EDU-{number}", f"Untagged work {number}")
    project = Project(tmp_path, cloud, post_back={"summary_issue": "EDU-1"})
    assert project.run("sync", "--source", "jira").code == 0
    cloud.latency = 0.002  # long enough for the two runs to overlap all the way

    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TIEBACK_", "GITHUB_", "JIRA_", "RUNNER_"))
    }
    environment.update(JIRA_API_TOKEN=project.token, NO_COLOR="1", CI="true")
    runs = [
        subprocess.Popen(
            [tieback_command(), "post"],
            cwd=project.root,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    # One run waited for the other, then found nothing left to write.
    assert any("waiting for another tieback post" in err for _, err in outputs), outputs
    assert any(out.strip().endswith("tieback post: 0 changes written") for out, _ in outputs)

    unaligned = [f"EDU-{n}" for n in range(20, 220)]
    assert all(len(cloud.tieback_comments(key, "explain")) == 1 for key in unaligned)
    assert len(cloud.tieback_comments("EDU-1", "summary")) == 1
