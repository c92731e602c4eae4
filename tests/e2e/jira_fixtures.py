"""A backlog in a fake Jira, a project directory configured for it, and ``tieback`` run there."""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from e2e.fake_jira import FakeJira, natural_key
from e2e.github_fixtures import tieback_command

OUTCOMES = """
[[impacts]]
id = "engagement"
title = "Increase active learner engagement"

[[outcomes]]
id = "results-in-a-minute"
title = "Learners see results within one minute"
impact = "engagement"
metric = "p90 minutes to result"
team = "Grading squad"
aliases = ["fast-results"]

[[outcomes]]
id = "activation"
title = "New teachers assign a first quiz in week one"
impact = "engagement"
metric = "share of new teachers"
team = "Onboarding"

[[outcomes]]
id = "old-reports"
title = "Teachers read weekly reports"
impact = "engagement"
metric = "weekly readers"
status = "retired"
"""

# What the backlog below adds up to, scope "open" (EDU-7 and GRD-2 are done).
ALIGNED = ["EDU-1", "EDU-2", "EDU-8", "EDU-10", "GRD-1"]
UNALIGNED = ["EDU-3", "EDU-4", "EDU-9", "EDU-11"]
EXEMPT = ["EDU-5", "EDU-6"]
DONE = ["EDU-7", "GRD-2"]
ALL_KEYS = sorted([*ALIGNED, *UNALIGNED, *EXEMPT, *DONE], key=natural_key)
TOTALS = {"items": 11, "aligned": 5, "unaligned": 4, "exempt": 2}
COVERAGE = 100 * 5 / 9
# With weight = "points" (the numeric "Story Points"; the decoys would give other sums).
POINT_TOTALS = {"items": 11, "aligned": 11, "unaligned": 6, "exempt": 3, "unestimated": 2}
POINT_COVERAGE = 100 * 11 / 17


def add_backlog(fake: FakeJira) -> None:
    """Thirteen issues in EDU and GRD, last changed a month ago.

    Every rule shows up once: a direct label, inheritance through an epic (Cloud:
    ``parent``; Data Center: "Epic Link") and a sub-task, an ``Outcome:`` line in the
    description by alias, a misspelt tag, a retired outcome, exempt by label and by
    type, done items, and decoy values in the fields that share the name "Story Points".
    """
    month_ago = fake.clock() - timedelta(days=30)

    def add(key: str, summary: str, **values: Any) -> None:
        values.setdefault("updated", month_ago)
        fake.add_issue(key, summary, **values)

    decoys = {
        "customfield_10035": "13",  # "Story Points" as text
        "customfield_10041": {"value": "8", "id": "10400"},  # "Story Points" as an option
    }
    if fake.mode == "cloud":
        decoys["customfield_10016"] = 40.0  # "Story point estimate"
    grading = "Grading squad"
    add(
        "EDU-1",
        "Results in a minute",
        type="Epic",
        team=grading,
        labels=["outcome:results-in-a-minute"],
    )
    add("EDU-2", "Cache grades", parent="EDU-1", points=3, team=grading, custom=dict(decoys))
    add(
        "EDU-3",
        "Guided tour for new teachers",
        labels=["outcome:activaton"],
        points=3,
        team="Onboarding",
    )
    add("EDU-4", "Polish the dashboard", points=2, status="In Progress")
    add("EDU-5", "Upgrade the build image", type="Task", labels=["chore"], points=1)
    add("EDU-6", "Quiz timer drifts", type="Bug", points=2)
    add("EDU-7", "First quiz wizard", labels=["outcome:activation"], status="Done", points=5)
    add(
        "EDU-8",
        "Stream grades to the browser",
        points=5,
        team=grading,
        custom=dict(decoys),
        description="Learners wait twelve minutes for a grade.\nOutcome: fast-results",
    )
    add("EDU-9", "Weekly report email", labels=["outcome:old-reports"], points=1)
    add("EDU-10", "Index the grades table", type="Sub-task", parent="EDU-2", points=1, team=grading)
    add("EDU-11", "Dark mode")
    add(
        "GRD-1",
        "Teacher onboarding checklist",
        labels=["outcome:activation"],
        points=2,
        team="Onboarding",
    )
    add("GRD-2", "Old CSV export", status="Done", points=8)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("tieback: error:")]

    def plan(self, kind: str) -> dict[str, str]:
        """``tieback post`` plan lines of one kind: issue key → detail."""
        pattern = re.compile(rf"^jira: {re.escape(kind)}\s+(\S+): (.*)$")
        return {
            found[1]: found[2]
            for line in self.stdout.splitlines()
            if (found := pattern.match(line))
        }


class Project:
    """A directory with tieback.toml and outcomes.toml pointing at the fake Jira."""

    def __init__(self, root: Path, fake: FakeJira, **jira: Any) -> None:
        self.root = root
        self.fake = fake
        self.token = fake.token
        self.store: dict[str, str] = {"path": ".tieback/tieback.db"}
        self._jira = jira
        root.mkdir(parents=True, exist_ok=True)
        (root / "outcomes.toml").write_text(textwrap.dedent(OUTCOMES), encoding="utf-8")
        self.configure(**jira)

    def configure(self, post_back: dict[str, Any] | None = None, **jira: Any) -> None:
        """Write tieback.toml; ``jira`` overrides the ``[jira]`` keys (None drops one)."""
        keys: dict[str, Any] = {
            "url": self.fake.url,
            "email": self.fake.email if self.fake.mode == "cloud" else None,
            "jql": "project in (EDU, GRD) ORDER BY created DESC",
            "deployment": "auto",
            "points_field": "Story Points",
            "team_field": "Team",
            "timeout": 5,
        }
        keys.update(jira)
        post = {"missing_label": "needs-outcome", "comment": True, **(post_back or {})}
        text = textwrap.dedent(
            """
            [exempt]
            labels = ["chore"]
            types = ["Bug"]

            [coverage]
            scope = "open"

            """
        )
        text += "[store]\n" + _toml_table(self.store) + "\n"
        text += "[jira]\n" + _toml_table(keys) + "\n[jira.post_back]\n" + _toml_table(post)
        (self.root / "tieback.toml").write_text(text, encoding="utf-8")

    def use_store(self, **store: str) -> None:
        """Point ``[store]`` elsewhere (a shared file, or ``url`` for PostgreSQL)."""
        self.store = store
        self.configure(**self._jira)

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
        """The installed command, with only the environment a user would set."""
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TIEBACK_", "GITHUB_", "JIRA_", "RUNNER_"))
        }
        environment.update(JIRA_API_TOKEN=self.token, NO_COLOR="1", CI="true")
        environment.update(env or {})
        done = subprocess.run(
            [tieback_command(), *args],
            cwd=self.root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def sync(self, *args: str) -> Run:
        """``tieback sync --source jira``, which must succeed."""
        run = self.run("sync", "--source", "jira", *args)
        assert run.code == 0, run.stderr
        return run

    def audit(self, *args: str) -> dict[str, Any]:
        """The offline JSON report of what the store holds."""
        run = self.run("audit", "--offline", "--format", "json", *args)
        assert run.code == 0, run.stderr
        report: dict[str, Any] = json.loads(run.stdout)
        return report


def sync_line(mode: str, fetched: int, pages: int, removed: int = 0) -> str:
    return f"jira: {mode} sync, {fetched} items fetched in {pages} pages, {removed} removed"


def totals_of(report: dict[str, Any]) -> dict[str, Any]:
    """The counted part of ``totals``, coverage left out (compare it approximately)."""
    return {k: v for k, v in report["totals"].items() if k not in ("coverage", "unestimated")}


def jql_since(jql: str, zone: str) -> datetime | None:
    """The moment in an ``updated >= "yyyy/MM/dd HH:mm"`` clause, read in ``zone``."""
    from zoneinfo import ZoneInfo

    found = re.search(r"updated\s*>=\s*[\"']([^\"']+)[\"']", jql)
    if found is None:
        return None
    moment = datetime.strptime(found[1], "%Y/%m/%d %H:%M").replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


def normal(jql: str) -> str:
    """JQL with runs of whitespace made one space, for comparing."""
    return " ".join(jql.split())


def _toml_table(values: dict[str, Any]) -> str:
    lines = []
    for key, value in values.items():
        if value is None:
            continue
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"
