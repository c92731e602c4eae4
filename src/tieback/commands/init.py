"""``tieback init``: write a starter configuration and outcomes file.

``--full`` writes the fully commented configuration instead of the short starter: the
repository's config.example.toml, shipped inside the package so that it works from an
installed wheel.
"""

from __future__ import annotations

import argparse
from importlib.resources import files
from pathlib import Path

from tieback.commands import EXIT_OK
from tieback.errors import ConfigError

STARTERS = {"tieback.toml": "starter-tieback.toml", "outcomes.toml": "starter-outcomes.toml"}
FULL_CONFIGURATION = "config.example.toml"

# config.example.toml runs on the bundled example backlog (examples/acme/). In a project
# of its own the outcomes are the starter outcomes.toml beside it, and there are no
# exports yet; every other key, value and comment is written as it is.
_FOR_A_PROJECT = (
    (
        "# This file runs as it is on the bundled example (examples/acme/):\n"
        "#     tieback audit --config config.example.toml\n",
        "# Written by `tieback init --full`: its outcomes are in outcomes.toml beside it.\n",
    ),
    ('outcomes_file = "examples/acme/outcomes.toml"', 'outcomes_file = "outcomes.toml"'),
    (
        "paths = [\n"
        '  "examples/acme/jira-search.json",\n'
        '  "examples/acme/jira-export.csv",\n'
        '  "examples/acme/github-issues.json",\n'
        "]",
        'paths = []                            # e.g. ["exports/jira-search.json"]',
    ),
    (
        'paths = ["examples/acme/metrics.csv"]',
        'paths = []                            # e.g. ["metrics.csv"]',
    ),
)


def _template(name: str) -> str:
    return files("tieback").joinpath("templates", name).read_text(encoding="utf-8")


def full_configuration() -> str:
    """config.example.toml, pointed at the project's own outcomes.toml instead of the example."""
    text = _template(FULL_CONFIGURATION)
    for example, own in _FOR_A_PROJECT:
        text = text.replace(example, own, 1)
    return text


# The store's default folder: synced items and history, never to be committed.
IGNORED = ".tieback/"


def write_starter(directory: Path, force: bool = False, full: bool = False) -> list[Path]:
    """Write both files, and keep the store's folder out of git through ``.gitignore``
    (added to, or written); refuse to overwrite either file unless ``force``.

    ``full``: tieback.toml is the fully commented configuration, every key with its default.
    """
    targets = {directory / name: template for name, template in STARTERS.items()}
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        raise ConfigError(f"{existing[0]}: already exists (use --force to overwrite)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for path, template in targets.items():
            if full and path.name == "tieback.toml":
                text = full_configuration()
            else:
                text = _template(template)
            path.write_text(text, encoding="utf-8")
        ignore = directory / ".gitignore"
        kept = ignore.read_text(encoding="utf-8") if ignore.is_file() else ""
        if not any(line.strip().strip("/") == ".tieback" for line in kept.splitlines()):
            separator = "" if not kept or kept.endswith("\n") else "\n"
            ignore.write_text(f"{kept}{separator}{IGNORED}\n", encoding="utf-8")
            targets[ignore] = ""
    except OSError as exc:
        raise ConfigError(f"{directory}: cannot write the starter files: {exc.strerror}") from None
    return list(targets)


def run(args: argparse.Namespace) -> int:
    for path in write_starter(Path(args.dir), force=args.force, full=args.full):
        print(f"added {IGNORED} to {path}" if path.name == ".gitignore" else f"wrote {path}")
    print(
        "next: declare your outcomes in outcomes.toml, name your sources in tieback.toml, "
        "then run 'tieback lint' and 'tieback audit'"
    )
    return EXIT_OK
