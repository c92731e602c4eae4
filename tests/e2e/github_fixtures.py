"""A repository on disk as the Action sees it, and ``tieback pr`` run as the Action runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e.fake_github import TOKEN, FakeGithub

OUTCOMES = """
[[impacts]]
id = "engagement"
title = "Increase active learner engagement"

[[outcomes]]
id = "results-in-a-minute"
title = "Learners see results within one minute"
impact = "engagement"
metric = "p90 minutes to result"
team = "grading"

[[outcomes]]
id = "activation"
title = "New teachers assign a first quiz in week one"
impact = "engagement"
metric = "share of new teachers"
team = "onboarding"
"""


def tieback_command() -> str:
    """The installed console script next to this interpreter, as the Action runs it."""
    found = shutil.which("tieback", path=str(Path(sys.executable).parent))
    assert found, "tieback is not installed next to this Python"
    return found


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


class Checkout:
    """A working copy with tieback.toml, outcomes.toml and an event payload."""

    def __init__(self, root: Path, fake: FakeGithub, extra_config: str = "") -> None:
        self.root = root
        self.fake = fake
        (root / "outcomes.toml").write_text(textwrap.dedent(OUTCOMES), encoding="utf-8")
        (root / "tieback.toml").write_text(
            textwrap.dedent(
                f"""
                [exempt]
                labels = ["chore"]
                authors = ["dependabot[bot]"]

                [github]
                api_url = "{fake.url}"
                repos = ["{fake.repo}"]

                [github.pull_request]
                jira_keys = ["EDU"]
                """
            )
            + textwrap.dedent(extra_config),
            encoding="utf-8",
        )

    def event(self, number: int, name: str = "pull_request", fork: bool = False) -> Path:
        """A pull_request payload as GitHub writes it (labels as of the event: stale)."""
        pull = self.fake.issues[number]
        head_repo = "someone/app" if fork else self.fake.repo
        payload: dict[str, Any] = {
            "action": "synchronize",
            "number": number,
            "pull_request": {
                "url": f"https://api.github.com/repos/{self.fake.repo}/pulls/{number}",
                "html_url": pull["html_url"],
                "number": number,
                "state": "open",
                "title": pull["title"],
                "body": pull["body"],
                "user": pull["user"],
                "labels": [],
                "head": {
                    "ref": pull["head"]["ref"],
                    "sha": pull["head"]["sha"],
                    "repo": {"full_name": head_repo, "fork": fork},
                },
                "base": {
                    "ref": "main",
                    "sha": pull["base"]["sha"],
                    "repo": {"full_name": self.fake.repo},
                },
            },
            "repository": {"full_name": self.fake.repo, "default_branch": "main"},
            "sender": {"login": pull["user"]["login"]},
        }
        path = self.root / f"event-{name}-{number}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        return path

    def workflow_run(self, pulls: list[dict[str, Any]], head_owner: str, head_branch: str) -> Path:
        """A workflow_run payload in the shape of GitHub's own example (octokit/webhooks,
        workflow_run/completed.with-pull-requests), for a run in this repository."""
        owner, name = self.fake.repo.split("/")
        repository = {
            "id": 300029405,
            "name": name,
            "full_name": self.fake.repo,
            "owner": {"login": owner, "type": "Organization"},
            "url": f"https://api.github.com/repos/{self.fake.repo}",
        }
        payload = {
            "action": "completed",
            "repository": repository,
            "sender": {"login": "Codertocat", "type": "User"},
            "workflow": {"id": 2823525, "name": "tieback", "path": ".github/workflows/pr.yml"},
            "workflow_run": {
                "id": 289782451,
                "event": "pull_request",
                "status": "completed",
                "conclusion": "failure",
                "head_branch": head_branch,
                "head_sha": "c" * 40,
                "head_repository": {
                    "id": 300029406,
                    "full_name": f"{head_owner}/{name}",
                    "owner": {"login": head_owner, "type": "User"},
                },
                "repository": repository,
                "pull_requests": pulls,
            },
        }
        path = self.root / f"event-workflow_run-{head_owner}-{len(pulls)}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        return path

    def run(
        self,
        *args: str,
        event: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Run:
        summary = self.root / "summary.md"
        outputs = self.root / "outputs.txt"
        summary.write_text("", encoding="utf-8")
        outputs.write_text("", encoding="utf-8")
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("GITHUB_", "TIEBACK_", "RUNNER_", "JIRA_"))
        }
        environment.update(
            GITHUB_ACTIONS="true",
            GITHUB_EVENT_NAME="pull_request",
            GITHUB_REPOSITORY=self.fake.repo,
            GITHUB_TOKEN=TOKEN,
            GITHUB_WORKSPACE=str(self.root),
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_OUTPUT=str(outputs),
            RUNNER_TEMP=str(self.root),
        )
        if event is not None:
            environment["GITHUB_EVENT_PATH"] = str(event)
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
        values = dict(
            line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines() if line
        )
        return Run(
            done.returncode, done.stdout, done.stderr, summary.read_text(encoding="utf-8"), values
        )
