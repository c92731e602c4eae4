"""``tieback trend``: coverage over time from the snapshots in the store."""

from __future__ import annotations

import argparse
import sys

from tieback.commands import EXIT_OK, load, write


def run(args: argparse.Namespace) -> int:
    from tieback.connectors import store_scope
    from tieback.errors import ConfigError
    from tieback.store import Store
    from tieback.trend import render, series

    config = load(args)
    if args.since and not _is_date(args.since):
        raise ConfigError(f"--since {args.since!r}: expected a date as YYYY-MM-DD")
    snapshots = []
    earlier = 0
    if config.store_exists:
        with Store.open(config.store_location) as store:
            scope = store_scope(config)
            snapshots = store.snapshots(since=args.since, scope=scope)
            if args.since and not snapshots:
                earlier = len(store.snapshots(scope=scope))
    if earlier:
        # History exists, just not in the range asked for.
        empty = f"No snapshots at or after {args.since} ({earlier} taken before it).\n"
        if args.format == "table":
            write(args.output, empty)
            return EXIT_OK
        print(f"tieback: {empty.strip()}", file=sys.stderr)
    lines = series(snapshots, args.by)
    write(args.output, render(lines, args.by, args.format, config.settings.coverage.precision))
    return EXIT_OK


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True
