"""The workflows users copy, tieback's own, and the Action: pinned, least privilege,
copyable as they are; and the Action's last step run as the runner runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.fake_github import TOKEN, FakeGithub, serve
from e2e.github_fixtures import Checkout

import tieback

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
# tieback's own CI and release; not in the sdist, which carries what users copy.
OWN = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# Where users read workflow snippets to copy.
PAGES = [ROOT / "README.md", ROOT / "docs" / "github.md"]
RELEASE = f"v{tieback.__version__}"
OUR_ACTION = f"tieback/tieback@{RELEASE}"

USES = re.compile(r"^[ \t-]*uses:[ \t]*(?P<ref>[^\s#]+)(?P<rest>.*)$", re.MULTILINE)
PINNED = re.compile(r"(?P<action>[\w.-]+/[\w.-]+)(?:/[\w./-]+)?@(?P<sha>[0-9a-f]{40})")
RELEASE_COMMENT = re.compile(r"^\s+# v\d+\.\d+\.\d+$")
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.MULTILINE | re.DOTALL)


def snippets() -> list[tuple[str, str]]:
    """Every YAML block of the pages, named page:n."""
    found = []
    for page in PAGES:
        blocks = YAML_BLOCK.findall(page.read_text(encoding="utf-8"))
        found += [(f"{page.name}:{n}", block) for n, block in enumerate(blocks, 1)]
    return found


def sources() -> list[tuple[str, str]]:
    """(name, text) of every file or snippet that uses actions."""
    files = [ACTION, *EXAMPLES, *OWN]
    named = [(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")) for path in files]
    return named + snippets()


def copyable() -> list[tuple[str, str]]:
    """What users copy into a repository of their own."""
    examples = [(path.name, path.read_text(encoding="utf-8")) for path in EXAMPLES]
    return examples + snippets()


def workflows() -> list[tuple[str, dict[str, Any]]]:
    documents = [(name, yaml.safe_load(text)) for name, text in sources()]
    return [(name, doc) for name, doc in documents if "jobs" in doc]


def steps(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if "runs" in document:
        yield from document["runs"]["steps"]
    for job in document.get("jobs", {}).values():
        yield from job.get("steps", [])


def by_name(pairs: list[tuple[str, Any]]) -> Any:
    return pytest.mark.parametrize(("name", "source"), pairs, ids=[name for name, _ in pairs])


@by_name(sources())
def test_every_action_is_pinned_to_a_commit_with_its_release_named(name: str, source: str) -> None:
    uses = list(USES.finditer(source))
    assert uses, name
    for use in uses:
        ref = use["ref"]
        if ref.startswith("tieback/tieback"):
            assert ref == OUR_ACTION, f"{name}: {ref}: name tieback's action by {OUR_ACTION}"
            continue
        assert PINNED.fullmatch(ref), f"{name}: {ref} is not pinned to a full commit SHA"
        assert RELEASE_COMMENT.match(use["rest"]), f"{name}: {ref}: no '# vX.Y.Z' after it"


def test_one_commit_per_action_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for _, source in sources():
        for use in USES.finditer(source):
            pinned = PINNED.fullmatch(use["ref"])
            if pinned:
                comment = use["rest"].strip()
                pins.setdefault(pinned["action"], set()).add(f"{pinned['sha']} {comment}")
    assert {"actions/checkout", "actions/setup-python", "actions/cache"} <= set(pins)
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}


@by_name(workflows())
def test_every_checkout_keeps_no_credentials(name: str, source: dict[str, Any]) -> None:
    for step in steps(source):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, name


@by_name(workflows())
def test_every_job_has_least_privilege_permissions_of_its_own(
    name: str, source: dict[str, Any]
) -> None:
    assert source.get("permissions") == {}, f"{name}: the workflow grants nothing itself"
    for job_name, job in source["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict) and permissions, f"{name}: {job_name}"
        assert set(permissions.values()) <= {"read", "write"}, f"{name}: {job_name}"
        if permissions.get("id-token") == "write":
            assert name.endswith("release.yml") and permissions == {"id-token": "write"}


@by_name(copyable())
def test_examples_work_when_copied_into_another_repository(name: str, source: str) -> None:
    assert "acme/tieback" not in source
    assert not re.search(r"pip install (\"|')?\.", source), f"{name}: installs the checkout"
    assert "cache-dependency-path" not in source
    for install in re.findall(r"pip install [^&\n]*tieback[^&\n]*", source):
        assert f'"tieback=={tieback.__version__}"' in install, f"{name}: {install}"


def test_every_pinned_tieback_is_this_version() -> None:
    pages = [*PAGES, ROOT / "docs" / "jira.md", *EXAMPLES]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for version in re.findall(r"tieback==(\d[\w.]*)", text):
            assert version == tieback.__version__, page.name
        for version in re.findall(r"tieback/tieback@(v\d[\w.]*)", text):
            assert version == RELEASE, page.name


def test_the_fork_workflow_runs_once_per_pull_request_without_its_code() -> None:
    text = (ROOT / "examples/workflows/pr-check-fork.yml").read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)
    group = workflow["concurrency"]["group"]
    assert "workflow_run.head_repository.full_name" in group
    assert "workflow_run.head_branch" in group
    assert workflow["concurrency"]["cancel-in-progress"] is False
    [job] = workflow["jobs"].values()
    assert job["if"] == "github.event.workflow_run.event == 'pull_request'"
    for step in job["steps"]:
        assert "ref" not in step.get("with", {}), "checks out the default branch only"
        assert "download-artifact" not in step.get("uses", "")
    # The one finding zizmor makes here is ignored on the trigger's line, with the reason.
    assert re.search(r"^  workflow_run: # zizmor: ignore\[dangerous-triggers\]$", text, re.M)


def test_the_action_leaves_the_callers_job_alone() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    all_steps = action["runs"]["steps"]
    [python] = [s for s in all_steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert python["with"]["update-environment"] is False
    scripts = "\n".join(s.get("run", "") for s in all_steps)
    assert "GITHUB_ENV" not in scripts and "GITHUB_PATH" not in scripts
    assert '"$RUNNER_TEMP/tieback-venv"' in scripts
    [check] = [s for s in all_steps if s.get("id") == "check"]
    assert '"$ACTION_PYTHON" -m tieback pr' in check["run"]
    # Only the environment's own Python runs pip or tieback.
    assert not re.search(r"^\s*(python|pip|tieback) ", scripts, re.MULTILINE)
    [cache] = [s for s in all_steps if s.get("uses", "").startswith("actions/cache@")]
    assert cache["with"]["path"] == "${{ runner.temp }}/tieback-pip-cache"


@pytest.mark.skipif(not OWN, reason="tieback's own workflows are not in the sdist")
def test_a_release_tag_builds_checks_and_publishes_with_trusted_publishing() -> None:
    release = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text("utf-8"))
    assert release[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads `on` as true
    build, publish = release["jobs"]["build"], release["jobs"]["publish"]
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert '"v$version"' in runs and "python -m build" in runs
    assert "twine check --strict dist/*" in runs
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in publish["steps"][-1], "no password: trusted publishing"


@pytest.fixture
def fake() -> Iterator[FakeGithub]:
    github = FakeGithub()
    with serve(github):
        github.add_issue(13, "Untagged work")
        github.add_pull(7, "Speed up grading", body="Makes grading faster.")
        yield github


def run_check_step(checkout: Checkout, token: str) -> tuple[int, str, str, dict[str, str]]:
    """The Action's `check` step as the runner runs a `shell: bash` step."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    [check] = [step for step in action["runs"]["steps"] if step.get("id") == "check"]
    script = checkout.root / "check.sh"
    script.write_text(check["run"], encoding="utf-8")
    summary, outputs = checkout.root / "summary.md", checkout.root / "outputs.txt"
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
        GITHUB_EVENT_PATH=str(checkout.event(7)),
        GITHUB_REPOSITORY=checkout.fake.repo,
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(outputs),
        RUNNER_TEMP=str(checkout.root),
        GITHUB_TOKEN=token,
        ACTION_PYTHON=sys.executable,
        ACTION_CONFIG="",
        ACTION_MODE="enforce",
    )
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=checkout.root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    values = dict(line.split("=", 1) for line in outputs.read_text("utf-8").splitlines() if line)
    return done.returncode, done.stderr, summary.read_text(encoding="utf-8"), values


def test_the_action_step_passes_tiebacks_verdict_and_outputs_through(
    tmp_path: Path, fake: FakeGithub
) -> None:
    code, stderr, summary, outputs = run_check_step(Checkout(tmp_path, fake), TOKEN)
    assert code == 2, stderr
    assert outputs["status"] == "unaligned"
    assert "names no outcome" in stderr  # tieback's own line, still on stderr
    assert "stopped with an error" not in summary


def test_when_tieback_stops_on_an_error_the_step_says_so_and_fails(
    tmp_path: Path, fake: FakeGithub
) -> None:
    code, stderr, summary, outputs = run_check_step(Checkout(tmp_path, fake), "not-the-token")
    [error] = [line for line in stderr.splitlines() if line.startswith("tieback: error:")]
    assert code == 1
    # tieback said it itself, once: the step adds nothing of its own.
    assert outputs["status"] == "error"
    said = error.removeprefix("tieback: error: ")
    assert f"tieback could not check this pull request: {said}" in summary
    assert "tieback pr stopped with an error" not in summary
    assert "not-the-token" not in summary


def test_when_tieback_cannot_start_the_step_says_so_and_fails(
    tmp_path: Path, fake: FakeGithub
) -> None:
    checkout = Checkout(tmp_path, fake)
    (checkout.root / "tieback.toml").write_text("[coverage]\nfail_undr = 3\n")
    code, stderr, summary, outputs = run_check_step(checkout, "not-the-token")
    [error] = [line for line in stderr.splitlines() if line.startswith("tieback: error:")]
    assert code == 1
    assert outputs == {"status": "error"}
    assert "tieback pr stopped with an error (exit 1)" in summary
    assert f"\n    {error}\n" in summary  # tieback's error line, as code: nothing rendered
