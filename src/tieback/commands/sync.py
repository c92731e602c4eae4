"""``tieback sync``: each configured tracker, and the export files, into the store."""

from __future__ import annotations

import argparse
import sys

from tieback.commands import EXIT_OK, load, page_progress, paused


def run(args: argparse.Namespace) -> int:
    from tieback.meter import metering

    # Each tracker's work said on stderr: a line redrawn on a terminal, a summary line
    # elsewhere (tieback.meter).
    with metering(sys.stderr):
        return _sync(args)


@paused
def _sync(args: argparse.Namespace) -> int:
    from tieback.backlog import sync_files, sync_trackers
    from tieback.errors import ConfigError

    config = load(args)
    synced = False
    if args.source in (None, "files") and config.settings.files.paths:
        count = sync_files(config)
        from tieback.store import safe_location

        print(f"files: {count} items copied into {safe_location(config.store_location)}")
        synced = True
    if args.source != "files":
        for result in sync_trackers(config, args.source, args.full, page_progress()):
            mode = "full" if result.full else "incremental"
            print(
                f"{result.source}: {mode} sync, {result.fetched} items fetched in "
                f"{result.pages} pages, {result.removed} removed"
            )
            for warning in result.warnings:
                print(f"tieback: warning: {warning}", file=sys.stderr)
            synced = True
    if not synced:
        from tieback.connectors import source_hints

        wanted = args.source or "any source"
        raise ConfigError(
            f"{config.label}: nothing to sync for {wanted}: set "
            f"{', '.join(source_hints(config))} or [files] paths"
        )
    return EXIT_OK
