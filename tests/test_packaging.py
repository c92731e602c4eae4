"""What the package carries on its own: the full configuration, its metadata, its sdist."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

import tieback
from tieback.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
REPOSITORY = "https://github.com/tieback/tieback"
# Lines of config.example.toml about running the bundled example itself.
ABOUT_THE_EXAMPLE = re.compile(r"examples/acme|config\.example\.toml")


def shipped(name: str) -> str:
    return files("tieback").joinpath("templates", name).read_text(encoding="utf-8")


def test_the_shipped_full_configuration_is_config_example_toml() -> None:
    # One file to edit: change config.example.toml, then copy it over the shipped one.
    assert shipped("config.example.toml") == EXAMPLE.read_text(encoding="utf-8"), (
        "copy config.example.toml to src/tieback/templates/config.example.toml"
    )


def test_init_full_writes_every_key_and_comment_for_a_project_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--full", "--dir", str(tmp_path)]) == 0
    written = (tmp_path / "tieback.toml").read_text(encoding="utf-8")
    example = EXAMPLE.read_text(encoding="utf-8")

    # The same keys and values as config.example.toml, except those that point into
    # the bundled example: a new project has its own outcomes, no exports, no metrics.
    expected = tomllib.loads(example)
    expected["outcomes_file"] = "outcomes.toml"
    expected["files"]["paths"] = []
    expected["metrics"]["paths"] = []
    assert tomllib.loads(written) == expected
    assert "examples/acme" not in written
    # Every other line, comments included, is kept as it is.
    lines = written.splitlines()
    kept = [line for line in example.splitlines() if not ABOUT_THE_EXAMPLE.search(line)]
    assert [line for line in kept if line not in lines] == ["paths = [", "]"]
    # outcomes.toml is the starter's, as with a plain `tieback init`.
    assert (tmp_path / "outcomes.toml").read_text(encoding="utf-8") == shipped(
        "starter-outcomes.toml"
    )
    assert f"wrote {tmp_path / 'tieback.toml'}" in capsys.readouterr().out


def test_init_full_then_lint_passes_and_audit_asks_for_a_source(tmp_path: Path) -> None:
    assert main(["init", "--full", "--dir", str(tmp_path)]) == 0

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tieback", *command],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    linted = run("lint", "--strict")
    assert linted.returncode == 0, (linted.stdout, linted.stderr)
    # Every source is commented out until the user names theirs.
    audited = run("audit", "--offline")
    assert audited.returncode == 1
    assert "nothing to audit" in audited.stderr and "[files] paths" in audited.stderr


def test_plain_init_still_writes_the_short_starter(tmp_path: Path) -> None:
    assert main(["init", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "tieback.toml").read_text(encoding="utf-8") == shipped(
        "starter-tieback.toml"
    )


def test_init_full_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tieback.toml").write_text("# mine\n", encoding="utf-8")
    assert main(["init", "--full", "--dir", str(tmp_path)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "tieback.toml").read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", "--full", "--force", "--dir", str(tmp_path)]) == 0
    assert "[github.pull_request]" in (tmp_path / "tieback.toml").read_text(encoding="utf-8")


def project() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_index_page_links_to_the_repository() -> None:
    urls = project()["urls"]
    assert set(urls) >= {"Homepage", "Documentation", "Issues", "Changelog"}
    for url in urls.values():
        assert url.startswith(REPOSITORY), url
    assert urls["Changelog"] == f"{REPOSITORY}/blob/main/CHANGELOG.md"
    classifiers = project()["classifiers"]
    assert "Typing :: Typed" in classifiers
    assert any(c.startswith("Development Status :: ") for c in classifiers)


def test_readme_links_are_absolute_for_the_package_index() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert targets
    relative = [t for t in targets if not t.startswith(("https://", "http://", "#"))]
    assert relative == []
    for target in targets:
        inside = re.match(rf"{REPOSITORY}/(blob|tree)/main/([^#]+)", target)
        if inside:
            assert (ROOT / inside[2]).exists(), target
    images = re.findall(r"!\[[^]]*\]\(([^)]+)\)", readme)
    raw = "https://raw.githubusercontent.com/tieback/tieback/main/"
    for image in images:
        if "tieback/tieback" in image:
            assert image.startswith(raw) and (ROOT / image.removeprefix(raw)).is_file(), image


def test_the_version_is_one_release_tag() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", tieback.__version__)
    releasing = (ROOT / "RELEASING.md").read_text(encoding="utf-8")
    assert "tieback/tieback@vX.Y.Z" in releasing


MANIFEST_NEEDS = (
    "config.example.toml",
    "tests/conftest.py",
    "tests/data/acme_oracle.json",
    "tests/data/github-schema.graphql.gz",
    "tests/formats/gold",
    "tests/connectors/gold",
    "tests/connectors/data",
    "tests/e2e/fake_github.py",
    "docs/github.md",
    "docs/images/report.png",
    "examples/acme/outcomes.toml",
    "examples/workflows/pr-check.yml",
    "bench/run.py",
)


def test_the_sdist_manifest_carries_the_tests_docs_and_examples() -> None:
    # The whole check builds the sdist and runs this suite from it (.ci/run); this is
    # the quick one: every file the suite reads is named by a MANIFEST.in rule.
    rules = (ROOT / "MANIFEST.in").read_text(encoding="utf-8").split("\n")
    grafted = [line.split()[1] for line in rules if line.startswith("graft ")]
    included = [word for line in rules if line.startswith("include ") for word in line.split()[1:]]
    for path in MANIFEST_NEEDS:
        assert (ROOT / path).exists(), path
        assert path in included or any(path.startswith(f"{g}/") for g in grafted), path
