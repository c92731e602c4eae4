"""Argument parsing, wiring and exit codes: 0 success, 1 error, 2 policy failure.

Heavy modules are imported inside the commands so ``tieback --help`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tieback import __version__
from tieback.connectors.registry import BUILTIN_FORMATS

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.report import Report
    from tieback.sources.interface import Page
    from tieback.trend import Point

EXIT_OK, EXIT_ERROR, EXIT_POLICY = 0, 1, 2
FORMATS = tuple(BUILTIN_FORMATS)
GROUPINGS = ("team", "source", "outcome", "status", "type")
# Formats whose document has no place for the report's warnings: they go to stderr.
_WARNINGLESS_FORMATS = ("csv", "badge", "mermaid")

DESCRIPTION = """\
Tie the backlog back to outcomes: read work items from Jira and GitHub (or their
export files), check that each names a declared outcome, and report coverage.

exit codes: 0 success, 1 error, 2 policy failure (coverage under fail_under,
an unaligned pull request in enforce mode, lint --strict warnings)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors are errors like any other: one line, exit 1."""
        self.print_usage(sys.stderr)
        _fail(f"{message} (see '{self.prog} --help')")
        raise SystemExit(EXIT_ERROR)


def _fail(message: str) -> None:
    print(f"tieback: error: {message}", file=sys.stderr)


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage between 0 and 100")
    return value


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


def _formats(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    for name in names:
        if name not in FORMATS and not _installed_format(name):
            raise argparse.ArgumentTypeError(
                f"unknown format {name!r} (choose from {', '.join(FORMATS)})"
            )
    return names


def _installed_format(name: str) -> bool:
    from tieback.connectors.registry import format_class

    return format_class(name) is not None


def _paths(text: str) -> list[str]:
    paths = [path.strip() for path in text.split(",")]
    if not all(paths):
        raise argparse.ArgumentTypeError(f"{text!r}: an empty path in the list")
    return paths


def _renderings(formats: list[str] | None, outputs: list[str]) -> list[tuple[str, str]]:
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


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return value


class _SourceNames(tuple[str, ...]):
    """``sync --source``'s choices: the built-in connectors and ``files``, listed in the
    help, and any installed connector, looked up only when named."""

    def __new__(cls) -> _SourceNames:
        from tieback.connectors.registry import BUILTIN_CONNECTORS

        return super().__new__(cls, (*BUILTIN_CONNECTORS, "files"))

    def __contains__(self, name: object) -> bool:
        if super().__contains__(name):
            return True
        from tieback.connectors.registry import is_connector

        return isinstance(name, str) and is_connector(name)


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="configuration file (default: $TIEBACK_CONFIG, ./tieback.toml, "
        "or [tool.tieback] in ./pyproject.toml)",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks for errors",
    )

    parser = _Parser(
        prog="tieback",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"tieback {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    audit = commands.add_parser(
        "audit",
        parents=[common],
        help="report outcome coverage of the backlog",
        description="Read the configured sources, tie each item to the declared outcomes "
        "and report coverage. Exits 2 when coverage is under fail_under.",
    )
    audit.add_argument(
        "--offline",
        action="store_true",
        help="read only the local store and [files] exports; contact no tracker",
    )
    audit.add_argument(
        "--format",
        type=_formats,
        metavar="FORMAT[,FORMAT...]",
        help=f"{', '.join(FORMATS)}; several, comma-separated, with as many --output paths "
        "(default: from each --output's extension, else table)",
    )
    audit.add_argument(
        "--output",
        "-o",
        type=_paths,
        metavar="PATH[,PATH...]",
        default=["-"],
        help="write the report here (- = stdout); several, comma-separated, one per format",
    )
    audit.add_argument(
        "--no-record",
        action="store_true",
        help="keep no snapshot of this audit in the coverage history",
    )
    audit.add_argument(
        "--by", choices=GROUPINGS, default="team", help="group coverage by (default: team)"
    )
    audit.add_argument(
        "--fail-under",
        type=_percent,
        metavar="N",
        help="exit 2 when coverage is under N percent (overrides [coverage] fail_under)",
    )
    audit.add_argument(
        "--scope",
        choices=("open", "all"),
        help="override [coverage] scope for this run (such a run keeps no snapshot)",
    )
    audit.add_argument(
        "--max-outputs",
        type=_count,
        default=8,
        metavar="N",
        help="mermaid: outputs shown per outcome before the rest collapse (default: 8)",
    )
    audit.add_argument(
        "--weight",
        choices=("count", "points"),
        help="override [coverage] weight for this run (such a run keeps no snapshot)",
    )
    audit.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="check fail_under even when a tracker's last sync did not complete (by "
        "default such an audit exits 1: its figure covers only part of the backlog)",
    )

    sync = commands.add_parser(
        "sync",
        parents=[common],
        help="pull work items from the trackers into the local store",
        description="Pull items updated since the last sync (with a few minutes' overlap) "
        "into the store, and drop items that left the query. --full re-reads everything.",
    )
    sync.add_argument(
        "--source",
        choices=_SourceNames(),
        help="sync only this source (files: copy the [files] exports into the store)",
    )
    sync.add_argument("--full", action="store_true", help="re-read everything and reconcile")

    post = commands.add_parser(
        "post",
        parents=[common],
        help="label and comment on unaligned items in the trackers",
        description="Add [*.post_back] missing_label to unaligned items in scope and remove "
        "it once they align; one explanatory comment per item, ever; the summary comment "
        "edited in place. Prints the plan first. Acts on the items as last synced.",
    )
    post.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")

    pr = commands.add_parser(
        "pr",
        parents=[common],
        help="check that a pull request names its outcome (the GitHub Action's entry point)",
        description="Read the pull request from GITHUB_EVENT_PATH and GITHUB_REPOSITORY, "
        "decide whether it serves a declared outcome (its labels, its body, the issues it "
        "closes, the Jira issues it names), keep one sticky comment and write the job "
        "summary. Exits 2 on an unaligned pull request when [github.pull_request] mode is "
        "enforce.",
    )
    pr.add_argument(
        "--mode",
        choices=("enforce", "warn", "off"),
        help="override [github.pull_request] mode for this run",
    )

    trend = commands.add_parser(
        "trend",
        parents=[common],
        help="coverage over time, from the snapshots each audit and post records",
        description="Show how coverage moved across this configuration's snapshots in the "
        "store: overall, per team, source, status or type, or (with --by outcome) how many "
        "items serve each outcome.",
    )
    trend.add_argument(
        "--by",
        choices=("total", *GROUPINGS),
        default="total",
        help="overall, or grouped as audit --by groups (default: total)",
    )
    trend.add_argument(
        "--since", metavar="DATE", help="only snapshots at or after DATE (YYYY-MM-DD)"
    )
    trend.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="default: table"
    )
    trend.add_argument(
        "--output", "-o", metavar="PATH", default="-", help="write here (- = stdout)"
    )

    lint = commands.add_parser(
        "lint",
        parents=[common],
        help="check the outcome declarations and configuration",
        description="Check outcomes.toml and the configuration: errors exit 1; warnings "
        "flag outputs disguised as outcomes, unmeasurable outcomes, outcomes with no "
        "impact, traction metrics and teams with several active outcomes.",
    )
    lint.add_argument("--strict", action="store_true", help="exit 2 when there are warnings")

    # init writes a configuration; it reads none, so it takes no --config.
    debug_only = _Parser(add_help=False)
    debug_only.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors"
    )
    init = commands.add_parser(
        "init",
        parents=[debug_only],
        help="write a starter tieback.toml and outcomes.toml",
        description="Write a starter tieback.toml and outcomes.toml into a directory.",
    )
    init.add_argument("--dir", default=".", metavar="DIR", help="where to write (default: .)")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.add_argument(
        "--full",
        action="store_true",
        help="write the fully commented tieback.toml: every key, its default and what it does",
    )
    return parser


# The console script's big values, kept alive for os._exit (see run); None in-process.
_left_for_exit: list[object] | None = None


def run() -> NoReturn:
    """The ``tieback`` command: ``main``, then an exit that frees nothing.

    When an audit is done, its items, alignments and report are freed one reference at
    a time: a third of a second at a million items, spent on memory the exit gives
    back whole. ``run`` keeps them, flushes what the command wrote and leaves with
    ``os._exit``. Everything else is done by then: files written and closed, the store
    closed; a thread still running can only be reading from a tracker (a page read
    ahead, a count) for an error that ended the command. ``main`` itself (``python -m
    tieback``, the tests) frees as usual.
    """
    global _left_for_exit
    _left_for_exit = []
    code = main()  # --help, --version and usage errors leave by SystemExit, as usual
    for stream in (sys.stdout, sys.stderr):
        # The reader may have gone away (| head), or the stream been closed.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False)) or os.environ.get("TIEBACK_DEBUG") == "1"
    if args.command is None:
        # A command is required: the help, on stderr, and argparse's usage exit code.
        parser.print_help(sys.stderr)
        return EXIT_POLICY
    from tieback.errors import TiebackError

    try:
        if args.command == "audit":
            return _audit(args)
        if args.command in ("sync", "post"):
            from tieback.meter import metering

            # Each tracker's work said on stderr: a line redrawn on a terminal, a summary
            # line elsewhere (tieback.meter).
            with metering(sys.stderr):
                return _sync(args) if args.command == "sync" else _post(args)
        if args.command == "pr":
            return _pr(args)
        if args.command == "trend":
            return _trend(args)
        if args.command == "lint":
            return _lint(args)
        if args.command == "init":
            return _init(args)
        parser.error(f"unknown command {args.command}")
    except TiebackError as exc:
        if debug:
            raise
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except BrokenPipeError:
        # The reader (| head) went away: not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if debug:
            raise
        from tieback.http import redact_known

        # A library's error can carry what it was sending: a header, a URL, a token.
        message = " ".join(f"unexpected {type(exc).__name__}: {exc}".split())
        _fail(f"{redact_known(message)} (rerun with --debug for details)")
    return EXIT_ERROR


def _config(args: argparse.Namespace) -> Config:
    from tieback.config import load_config

    debug = bool(getattr(args, "debug", False)) or os.environ.get("TIEBACK_DEBUG") == "1"
    return load_config(getattr(args, "config", None), debug=debug)


def _audit(args: argparse.Namespace) -> int:
    from tieback.audit import collector_paused

    # Paused before the configuration loads: importing pydantic, rich and requests
    # builds tens of thousands of objects the collector would otherwise keep walking.
    with collector_paused():
        from tieback.audit import run_audit
        from tieback.formats import get_format
        from tieback.history import record_snapshot

        config = _config(args)
        coverage = config.settings.coverage
        overrides = {
            key: value
            for key, value in (
                ("fail_under", args.fail_under),
                ("scope", args.scope),
                ("weight", args.weight),
            )
            if value is not None
        }
        coverage = coverage.model_copy(update=overrides)
        renderings = _renderings(args.format, args.output)
        report = run_audit(
            config, coverage=coverage, by=args.by, offline=args.offline, progress=_progress()
        )

        formats = [name for name, _ in renderings]
        for name, destination in renderings:
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
            _write(destination, renderer.render(report))
        if all(name in _WARNINGLESS_FORMATS for name in formats):
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
        if _left_for_exit is not None:
            _left_for_exit.append(report)  # freed by the process's exit (see run)
        del report  # else freed while the collector is paused (see collector_paused)
        _skip_last_collection()
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


def _html_extras(config: Config, report: Report) -> tuple[list[Point], list[str]]:
    """The coverage history (this audit last) and lint findings the HTML report shows."""
    from tieback.connectors import store_scope
    from tieback.lint import lint_config
    from tieback.store import Snapshot, Store
    from tieback.trend import TOTAL, series

    snapshots: list[Snapshot] = []
    if config.store_exists:
        with Store.open(config.store_location) as store:
            snapshots = store.snapshots(scope=store_scope(config))
    current = Snapshot(0, report.data["generated_at"], "audit", {"totals": report.data["totals"]})
    history = series([*snapshots, current]).get(TOTAL, [])
    return history, lint_config(config)


def _write(destination: str, text: str) -> None:
    from tieback.errors import TiebackError

    if destination == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(destination)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise TiebackError(f"{path}: cannot write the report: {exc.strerror or exc}") from None


def _progress() -> Callable[[str, Page, int], None]:
    """A line per page: what CI logs want, and enough on a terminal too."""

    def report(source: str, page: Page, fetched: int) -> None:
        total = f" of {page.total}" if page.total is not None else ""
        where = f" ({page.position})" if page.position else ""
        print(f"tieback: {source}: {fetched}{total} items{where}", file=sys.stderr, flush=True)

    return report


def _paused(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``command`` run with the cycle collector paused, as an audit runs, and without the
    exit's last collection (see ``_skip_last_collection``).

    A sync's pages are tens of thousands of dicts and lists without a cycle among them,
    which the collector walked again and again while they lived (15% of a Jira sync's
    time); ``post`` and ``pr`` build an audit's items, alignments and report. None of
    them makes cyclic garbage to miss (the live source tests count it for syncs).
    """

    @functools.wraps(command)
    def paused(args: argparse.Namespace) -> int:
        from tieback.audit import collector_paused

        with collector_paused():
            code = command(args)
            _skip_last_collection()
        return code

    return paused


@_paused
def _sync(args: argparse.Namespace) -> int:
    from tieback.audit import sync_files, sync_trackers
    from tieback.errors import ConfigError

    config = _config(args)
    synced = False
    if args.source in (None, "files") and config.settings.files.paths:
        count = sync_files(config)
        from tieback.store import safe_location

        print(f"files: {count} items copied into {safe_location(config.store_location)}")
        synced = True
    if args.source != "files":
        for result in sync_trackers(config, args.source, args.full, _progress()):
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


@_paused
def _post(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as turns:
        return _post_in_turn(args, turns)


def _post_in_turn(args: argparse.Namespace, turns: contextlib.ExitStack) -> int:
    from tieback.alignment import align
    from tieback.audit import incomplete_syncs, read_items
    from tieback.connectors import sink_hints, sinks
    from tieback.errors import ConfigError
    from tieback.lease import post_lease
    from tieback.outcomes import focus_warnings, load_declarations
    from tieback.report import build_report

    config = _config(args)
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
    settings = config.settings
    result = align(items, declarations, settings.tagging, settings.exempt)
    incomplete = incomplete_syncs(config)
    for line in incomplete:
        print(f"tieback: warning: {line}", file=sys.stderr)
    report = build_report(
        result.alignments,
        declarations,
        settings.coverage,
        warnings=[*focus_warnings(declarations), *result.warnings, *warnings],
        incomplete=incomplete,
    )
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
            _fail(f"{sink.name}: {failure}")
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
        _fail(f"post: {_changes(failed)} failed (each named above); the rest were written")
        return EXIT_ERROR
    return EXIT_OK


def _changes(count: int) -> str:
    return f"{count} change{'' if count == 1 else 's'}"


@_paused
def _pr(args: argparse.Namespace) -> int:
    from tieback.sinks.pull_request import run_pr

    return run_pr(_config(args), os.environ, mode=args.mode)


def _skip_last_collection() -> None:
    """Freeze what is alive at a command's end (modules, classes, pydantic's schemas,
    the HTTP clients): it lives until the process exits, whose last collection would
    walk it all, 25 ms of a small audit and 45 ms of a small GitHub sync. Frozen, it is
    skipped. (Run in-process again, as the tests do, it is still freed by reference.)"""
    gc.freeze()


def _trend(args: argparse.Namespace) -> int:
    from tieback.connectors import store_scope
    from tieback.errors import ConfigError
    from tieback.store import Store
    from tieback.trend import render, series

    config = _config(args)
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
            _write(args.output, empty)
            return EXIT_OK
        print(f"tieback: {empty.strip()}", file=sys.stderr)
    lines = series(snapshots, args.by)
    _write(args.output, render(lines, args.by, args.format, config.settings.coverage.precision))
    return EXIT_OK


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


def _lint(args: argparse.Namespace) -> int:
    from tieback.lint import lint_config

    config = _config(args)
    errors: list[str] = []
    findings = lint_config(config, errors)
    for error in errors:
        print(f"error: {error}")
    for finding in findings:
        print(finding)
    counts = [
        f"{count} {noun}{'s' if count != 1 else ''}"
        for count, noun in ((len(errors), "error"), (len(findings), "warning"))
        if count
    ]
    print(f"tieback lint: {', '.join(counts) or 'no problems found'}", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    return EXIT_POLICY if args.strict and findings else EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from tieback.starter import IGNORED, write_starter

    for path in write_starter(Path(args.dir), force=args.force, full=args.full):
        print(f"added {IGNORED} to {path}" if path.name == ".gitignore" else f"wrote {path}")
    print(
        "next: declare your outcomes in outcomes.toml, name your sources in tieback.toml, "
        "then run 'tieback lint' and 'tieback audit'"
    )
    return EXIT_OK
