"""``tieback trend``: coverage over time from the snapshots in the store."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tieback.commands import EXIT_OK, load, write

if TYPE_CHECKING:
    from tieback.config import Config


def run(args: argparse.Namespace) -> int:
    from tieback.connectors import store_scope
    from tieback.errors import ConfigError
    from tieback.store import Store
    from tieback.trend import render, series

    config = load(args)
    if args.since and not _is_date(args.since):
        raise ConfigError(f"--since {args.since!r}: expected a date as YYYY-MM-DD")
    if args.outcome:
        return _readings(args, config)
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


def _readings(args: argparse.Namespace, config: Config) -> int:
    """``--outcome ID``: the readings of one outcome's or impact's metric."""
    from datetime import UTC, date, datetime

    from tieback.errors import ConfigError
    from tieback.metrics import load_readings, progress_for, reading_ids
    from tieback.outcomes import load_declarations
    from tieback.trend import render_readings

    declarations = load_declarations(config)
    canonical = reading_ids(declarations).get(args.outcome.strip().lower())
    if canonical is None:
        raise ConfigError(
            f"--outcome {args.outcome!r}: not a declared outcome or impact of "
            f"{declarations.origin}; give an outcome id, an alias or an impact id"
        )
    warnings: list[str] = []
    if config.store_exists:
        from tieback.store import Store

        with Store.open(config.store_location) as store:
            readings = load_readings(config, declarations, store, warnings)
    else:
        readings = load_readings(config, declarations, None, warnings)
    for line in warnings:
        print(f"tieback: warning: {line}", file=sys.stderr)
    today = datetime.now(UTC).date()
    progress = progress_for(declarations, readings, config.settings.metrics, today).get(canonical)
    since = date.fromisoformat(args.since[:10]) if args.since else None
    write(args.output, render_readings(canonical, progress, args.format, since))
    return EXIT_OK
