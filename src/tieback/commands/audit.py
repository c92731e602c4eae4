"""``tieback audit``: sync (unless offline), this configuration's items, the report in
each format asked for, the history, and the coverage gate."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tieback.commands import (
    EXIT_OK,
    EXIT_POLICY,
    collector_paused,
    keep_until_exit,
    load,
    page_progress,
    skip_last_collection,
    write,
)

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.outcomes import Declarations
    from tieback.report import Grouping, Report
    from tieback.rules import CoverageRules
    from tieback.sync import ProgressCallback
    from tieback.trend import Point

# Formats whose document has no place for the report's warnings: they go to stderr.
WARNINGLESS_FORMATS = ("csv", "badge", "mermaid")

# The format an --output path's extension asks for, when --format is not given.
_EXTENSIONS = {
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
    ".mmd": "mermaid",
    ".mermaid": "mermaid",
}


def run(args: argparse.Namespace) -> int:
    # Paused before the configuration loads: importing pydantic, rich and requests
    # builds tens of thousands of objects the collector would otherwise keep walking.
    with collector_paused():
        from tieback.formats import get_format
        from tieback.history import record_snapshot

        config = load(args)
        coverage = config.settings.coverage.rules()
        overrides = {
            key: value
            for key, value in (
                ("fail_under", args.fail_under),
                ("scope", args.scope),
                ("weight", args.weight),
            )
            if value is not None
        }
        coverage = replace(coverage, **overrides)
        outputs = renderings(args.format, args.output)
        report = run_audit(
            config, coverage=coverage, by=args.by, offline=args.offline, progress=page_progress()
        )

        formats = [name for name, _ in outputs]
        for name, destination in outputs:
            terminal = destination == "-" and sys.stdout.isatty()
            color = terminal and "NO_COLOR" not in os.environ
            width = shutil.get_terminal_size().columns if terminal else None
            history, lint = _html_extras(config, report) if name == "html" else ([], [])
            renderer = get_format(
                name,
                color=color,
                width=width,
                max_outputs=args.max_outputs,
                history=history,
                lint=lint,
            )
            write(destination, renderer.render(report))
        if all(name in WARNINGLESS_FORMATS for name in formats):
            for line in report.data["warnings"]:
                print(f"tieback: warning: {line}", file=sys.stderr)
        # History holds the runs a team means: the configured scope and weight, once a
        # run however many formats it writes, and not when asked to keep none.
        configured = config.settings.coverage
        intended = (coverage.scope, coverage.weight) == (configured.scope, configured.weight)
        warning = None
        if intended and not args.no_record:
            warning = record_snapshot(config, report)
        totals = report.totals
        incomplete = report.incomplete
        keep_until_exit(report)  # freed by the process's exit (see tieback.cli.run)
        del report  # else freed while the collector is paused (see collector_paused)
        skip_last_collection()
    if warning:
        print(f"tieback: warning: {warning}", file=sys.stderr)

    if incomplete and coverage.fail_under and not args.allow_incomplete:
        from tieback.errors import TiebackError

        raise TiebackError(
            f"coverage not checked against fail_under {coverage.fail_under:g}%: "
            f"{incomplete[0]} (or pass --allow-incomplete to check the partial backlog)"
        )
    if totals.should_fail_under(coverage.fail_under):
        from tieback.coverage import display_coverage

        shown = display_coverage(totals.coverage, coverage.precision)
        print(
            f"tieback: coverage {shown}% is under fail_under {coverage.fail_under:g}%",
            file=sys.stderr,
        )
        return EXIT_POLICY
    return EXIT_OK


def renderings(formats: list[str] | None, outputs: list[str]) -> list[tuple[str, str]]:
    """(format, destination) pairs: --format's names paired in order with --output's
    paths, or each path's format read from its extension (table when it says none)."""
    from tieback.errors import TiebackError

    if formats is None:
        return [(_EXTENSIONS.get(Path(path).suffix.lower(), "table"), path) for path in outputs]
    if len(formats) > 1 and len(outputs) != len(formats):
        raise TiebackError(
            f"--format names {len(formats)} formats but --output {len(outputs)} paths: give "
            "one path a format, e.g. --format markdown,json -o summary.md,report.json"
        )
    if len(formats) == 1 and len(outputs) > 1:
        raise TiebackError("--output names several paths: give as many --format names")
    if outputs.count("-") > 1:
        raise TiebackError("--output names stdout (-) more than once")
    return list(zip(formats, outputs, strict=True))


def _html_extras(config: Config, report: Report) -> tuple[list[Point], list[str]]:
    """The coverage history (this audit last) and lint findings the HTML report shows."""
    from tieback.commands.lint import lint_config
    from tieback.connectors import store_scope
    from tieback.store import Snapshot, Store
    from tieback.trend import TOTAL, series

    snapshots: list[Snapshot] = []
    if config.store_exists:
        with Store.open(config.store_location) as store:
            snapshots = store.snapshots(scope=store_scope(config))
    current = Snapshot(0, report.data["generated_at"], "audit", {"totals": report.data["totals"]})
    history = series([*snapshots, current]).get(TOTAL, [])
    return history, lint_config(config)


def run_audit(
    config: Config,
    coverage: CoverageRules | None = None,
    by: Grouping = "team",
    offline: bool = True,
    declarations: Declarations | None = None,
    progress: ProgressCallback | None = None,
) -> Report:
    from tieback.backlog import incomplete_syncs, read_items, sync_trackers
    from tieback.connectors import source_hints, tracker_queries
    from tieback.evaluate import evaluate
    from tieback.outcomes import load_declarations

    settings = config.settings
    if not (settings.files.paths or tracker_queries(config)):
        from tieback.errors import ConfigError

        hints = source_hints(config)
        also = f", or set {', or '.join(hints)}" if hints else ""
        raise ConfigError(
            f"{config.label}: nothing to audit: no source is configured; list export files "
            f"in [files] paths{also} ('tieback init --full' writes an example "
            "configuration with every key)"
        )
    declarations = declarations or load_declarations(config)
    if not offline:
        sync_trackers(config, progress=progress)
    items, source_warnings = read_items(config, lean=True)
    return evaluate(
        config,
        items,
        declarations,
        coverage=coverage,
        by=by,
        warnings=source_warnings,
        incomplete=incomplete_syncs(config),
        measures=True,
    )
