"""``tieback init``: write a starter configuration and outcomes file."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from tieback.errors import ConfigError

STARTERS = {"tieback.toml": "starter-tieback.toml", "outcomes.toml": "starter-outcomes.toml"}


def write_starter(directory: Path, force: bool = False) -> list[Path]:
    """Write both files; refuse to overwrite either unless ``force``."""
    targets = {directory / name: template for name, template in STARTERS.items()}
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        raise ConfigError(f"{existing[0]}: already exists (use --force to overwrite)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for path, template in targets.items():
            text = files("tieback").joinpath("templates", template).read_text(encoding="utf-8")
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{directory}: cannot write the starter files: {exc.strerror}") from None
    return list(targets)
