"""What the commands share: loading the configuration, writing to files and stdout,
the exit codes, and pausing the cycle collector while a command builds its values.

Each command is a module here with ``run(args) -> exit code``; the CLI parses the
arguments and calls it. Only the commands (and the CLI) write to stdout, to files and
the exit code: the stages below them return values.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.connectors.source import Page

EXIT_OK, EXIT_ERROR, EXIT_POLICY = 0, 1, 2

# Values a command leaves for the process's exit to free (see ``tieback.cli.run``);
# None when run in-process (the tests), where they are freed as usual.
left_for_exit: list[object] | None = None


def keep_until_exit(value: object) -> None:
    if left_for_exit is not None:
        left_for_exit.append(value)


def fail(message: str) -> None:
    print(f"tieback: error: {message}", file=sys.stderr)


def load(args: argparse.Namespace) -> Config:
    """The configuration ``--config`` names, else the one found from here."""
    from tieback.config import load_config

    debug = bool(getattr(args, "debug", False)) or os.environ.get("TIEBACK_DEBUG") == "1"
    return load_config(getattr(args, "config", None), debug=debug)


def write(destination: str, text: str) -> None:
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


def page_progress() -> Callable[[str, Page, int], None]:
    """A line per page: what CI logs want, and enough on a terminal too."""

    def report(source: str, page: Page, fetched: int) -> None:
        total = f" of {page.total}" if page.total is not None else ""
        where = f" ({page.position})" if page.position else ""
        print(f"tieback: {source}: {fetched}{total} items{where}", file=sys.stderr, flush=True)

    return report


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while an audit or a sync builds and drops its values.

    Items, alignments, report rows and the tracker's decoded pages are tuples, strings,
    lists and dicts with no cycles among them: reference counting frees every one. The
    collector cannot know that and walks all of them again and again as they pile up,
    which at a million items costs a fifth of the audit, and 15% of a Jira sync. Drop
    the report before the block ends: resumed with a million values alive, the
    collector's first pass would walk them all once more.

    Cheap to import: the stages load inside ``run_audit``, so a command can pause the
    collector before they do.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def paused(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``command`` run with the cycle collector paused, as an audit runs, and without the
    exit's last collection (see ``_skip_last_collection``).

    A sync's pages are tens of thousands of dicts and lists without a cycle among them,
    which the collector walked again and again while they lived (15% of a Jira sync's
    time); ``post`` and ``pr`` build an audit's items, alignments and report. None of
    them makes cyclic garbage to miss (the live source tests count it for syncs).
    """

    @functools.wraps(command)
    def paused(args: argparse.Namespace) -> int:
        with collector_paused():
            code = command(args)
            skip_last_collection()
        return code

    return paused


def skip_last_collection() -> None:
    """Freeze what is alive at a command's end (modules, classes, pydantic's schemas,
    the HTTP clients): it lives until the process exits, whose last collection would
    walk it all, 25 ms of a small audit and 45 ms of a small GitHub sync. Frozen, it is
    skipped. (Run in-process again, as the tests do, it is still freed by reference.)"""
    gc.freeze()
