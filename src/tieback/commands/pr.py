"""``tieback pr``: the pull-request check, run by the connector that holds pull requests."""

from __future__ import annotations

import argparse
import os

from tieback.commands import load, paused


@paused
def run(args: argparse.Namespace) -> int:
    from tieback.connectors.registry import pull_request_check

    code: int = pull_request_check()(load(args), os.environ, mode=args.mode)
    return code
