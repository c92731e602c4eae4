"""``tieback pr``: the pull-request check (see ``tieback.connectors.github.pr``)."""

from __future__ import annotations

import argparse
import os

from tieback.commands import load, paused


@paused
def run(args: argparse.Namespace) -> int:
    from tieback.connectors.github.pr import run_pr

    return run_pr(load(args), os.environ, mode=args.mode)
