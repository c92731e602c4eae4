"""``tieback init``: write a starter configuration and outcomes file."""

from __future__ import annotations

import argparse
from pathlib import Path

from tieback.commands import EXIT_OK


def run(args: argparse.Namespace) -> int:
    from tieback.starter import IGNORED, write_starter

    for path in write_starter(Path(args.dir), force=args.force, full=args.full):
        print(f"added {IGNORED} to {path}" if path.name == ".gitignore" else f"wrote {path}")
    print(
        "next: declare your outcomes in outcomes.toml, name your sources in tieback.toml, "
        "then run 'tieback lint' and 'tieback audit'"
    )
    return EXIT_OK
