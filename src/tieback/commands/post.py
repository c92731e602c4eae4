"""``tieback post``: plan and write labels and comments back to each tracker, one run
at a time per tracker."""

from __future__ import annotations

import argparse
import contextlib
import sys

from tieback.commands import EXIT_ERROR, EXIT_OK, fail, load, paused


@paused
def run(args: argparse.Namespace) -> int:
    from tieback.meter import metering

    # Each tracker's writes said on stderr, as a sync's pages are (tieback.meter).
    with metering(sys.stderr), contextlib.ExitStack() as turns:
        return _post_in_turn(args, turns)


def _post_in_turn(args: argparse.Namespace, turns: contextlib.ExitStack) -> int:
    from tieback.backlog import incomplete_syncs, read_items
    from tieback.connectors import sink_hints, sinks
    from tieback.errors import ConfigError
    from tieback.evaluate import evaluate
    from tieback.outcomes import load_declarations
    from tieback.store.lease import post_lease

    config = load(args)
    targets = sinks(config)
    if not targets:
        raise ConfigError(
            f"{config.label}: nothing to post to: set {' or '.join(sink_hints(config))}"
        )
    if not args.dry_run:
        # One run at a time writes to a tracker, and reads the store only once the run
        # before it has recorded what it wrote; a dry run writes nothing and waits for none.
        for sink in targets:
            turns.enter_context(post_lease(config, sink.name))
    declarations = load_declarations(config)
    items, warnings = read_items(config, lean=True)  # alignment reads no more
    incomplete = incomplete_syncs(config)
    for line in incomplete:
        print(f"tieback: warning: {line}", file=sys.stderr)
    report = evaluate(config, items, declarations, warnings=warnings, incomplete=incomplete)
    planned = written = failed = 0
    for sink in targets:
        actions = sink.plan(report)
        planned += len(actions)
        for action in actions:
            print(f"{sink.name}: {action.describe()}")
        if actions and not args.dry_run:
            written += len(sink.apply(actions))
        for skipped in sink.warnings:
            print(f"tieback: warning: {skipped}", file=sys.stderr)
        for failure in sink.failures:
            fail(f"{sink.name}: {failure}")
        failed += len(sink.failures)
    if args.dry_run:
        print(f"tieback post: {_changes(planned)} planned; dry run, nothing written")
    else:
        print(f"tieback post: {_changes(written)} written")
        from tieback.history import record_snapshot

        warning = record_snapshot(config, report, kind="post")
        if warning:
            print(f"tieback: warning: {warning}", file=sys.stderr)
    if failed:
        fail(f"post: {_changes(failed)} failed (each named above); the rest were written")
        return EXIT_ERROR
    return EXIT_OK


def _changes(count: int) -> str:
    return f"{count} change{'' if count == 1 else 's'}"
