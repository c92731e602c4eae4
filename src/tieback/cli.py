"""Argument parsing, wiring and exit codes: 0 success, 1 error, 2 policy failure.

Heavy modules are imported inside the commands so ``tieback --help`` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from tieback import __version__
from tieback.commands import EXIT_ERROR, EXIT_OK, EXIT_POLICY, fail
from tieback.connectors.registry import BUILTIN_FORMATS

FORMATS = tuple(BUILTIN_FORMATS)
GROUPINGS = ("team", "source", "outcome", "status", "type")
COMMANDS = ("audit", "sync", "post", "pr", "trend", "metric", "lint", "init")

DESCRIPTION = """\
Tie the backlog back to outcomes: read work items from Jira and GitHub (or their
export files), check that each names a declared outcome, and report coverage.

exit codes: 0 success, 1 error, 2 policy failure (coverage under fail_under,
an unaligned pull request in enforce mode, lint --strict warnings)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Usage errors are errors like any other: one line, exit 1."""
        self.print_usage(sys.stderr)
        fail(f"{message} (see '{self.prog} --help')")
        raise SystemExit(EXIT_ERROR)


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a percentage between 0 and 100")
    return value


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
        "and report coverage; with metric readings ([metrics] paths, 'tieback metric "
        "record'), also each outcome's progress toward its target. Exits 2 when coverage "
        "is under fail_under.",
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
        "items serve each outcome; or (with --outcome ID) how an outcome's metric moved.",
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
        "--outcome",
        metavar="ID",
        help="instead, the readings of this outcome's (or impact's) metric, from [metrics] "
        "paths and the store, with the percent of the way to its target",
    )
    trend.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="default: table"
    )
    trend.add_argument(
        "--output", "-o", metavar="PATH", default="-", help="write here (- = stdout)"
    )

    metric = commands.add_parser(
        "metric",
        help="record a reading of an outcome's or impact's metric in the store",
        description="Readings of each outcome's metric give its progress toward the target "
        "in every report. They come from the CSV files in [metrics] paths and from the "
        "store, where 'tieback metric record' keeps them (e.g. from a CI job that computes "
        "the number).",
    )
    actions = metric.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    record = actions.add_parser(
        "record",
        parents=[common],
        help="keep VALUE as the reading of ID on a day (default: today, in UTC)",
        description="Keep VALUE as the reading of the outcome or impact ID (its id, an "
        "alias or an impact's id) on a day, replacing one recorded for that day.",
    )
    record.add_argument("id", metavar="ID", help="an outcome id, alias or impact id")
    record.add_argument("value", metavar="VALUE", help="a number, e.g. 42, 1.5 or 40%%")
    record.add_argument(
        "--at", metavar="DATE", help="the day it was measured, YYYY-MM-DD (default: today)"
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
    import tieback.commands

    tieback.commands.left_for_exit = []
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
        if args.command not in COMMANDS:
            parser.error(f"unknown command {args.command}")
        command = importlib.import_module(f"tieback.commands.{args.command}")
        code: int = command.run(args)
        return code
    except TiebackError as exc:
        if debug:
            raise
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")
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
        fail(f"{redact_known(message)} (rerun with --debug for details)")
    return EXIT_ERROR
