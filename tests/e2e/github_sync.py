"""``tieback sync --source github`` run as a user runs it, from a directory configured for
a fake GitHub."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from e2e.fake_github import FakeGithub
from e2e.github_fixtures import tieback_command
from e2e.jira_fixtures import Run


def sync_github(root: Path, fake: FakeGithub, env: dict[str, str], extra: str = "") -> Run:
    """Write tieback.toml (``[github]`` keys, plus ``extra`` lines) and outcomes.toml into
    ``root`` and run the sync there with only ``env`` set besides the system's."""
    (root / "outcomes.toml").write_text("", encoding="utf-8")
    (root / "tieback.toml").write_text(
        textwrap.dedent(
            f"""
            [github]
            api_url = "{fake.url}"
            repos = ["{fake.repo}"]
            """
        )
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TIEBACK_", "GITHUB_", "JIRA_", "RUNNER_"))
    }
    environment.update(env)
    done = subprocess.run(
        [tieback_command(), "sync", "--source", "github"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)
