"""``tieback pr``: the pull-request check — verdict, one sticky comment, job summary, outputs.

What it reads, and what each costs in requests on a ``pull_request`` event:

1. one GraphQL query (``fetch``): the pull request as GitHub holds it now, the issues
   it closes and their parents, the base version of the outcomes file, and the account
   the token writes as;
2. the sticky comment (``comment``): by the id the store remembers (one request), else
   the comment pages, 100 a request, until that account's marked comment turns up;
3. at most one write: create the comment, or edit it when its text changed.

The backlog's coverage comes from the store and the ``[files]`` exports, as last
synced: a pull-request check must not re-read a whole tracker. The verdict itself is
``tieback.prcheck``'s, from the values read here.

A token that cannot write (a fork's pull request) leaves the verdict standing: the
comment goes to the job summary, with a warning pointing at the two-workflow setup.

On ``workflow_run`` the pull request is one of the run's ``pull_requests`` only when its
base is this repository (GitHub lists pull requests of other repositories there too);
else it is the one open pull request whose head is the run's branch and commit (a
fork's pull request is never listed). With none, or several, nothing is checked.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tieback.backlog import read_items
from tieback.config import Config
from tieback.connectors.github.client import GithubClient
from tieback.connectors.github.pr.comment import (
    STICKY_MARKER,
    Sticky,
    comment_context,
    keep_sticky,
    remember,
    remembered_id,
    render_comment,
)
from tieback.connectors.github.pr.event import Event, read_event
from tieback.connectors.github.pr.fetch import LivePull, closing_keys, fetch_pull, find_pulls
from tieback.connectors.github.pr.outputs import PrResult, annotation, finish
from tieback.errors import ConfigError, TiebackError
from tieback.http import RetryPolicy
from tieback.model import Item
from tieback.outcomes import Declarations, load_declarations
from tieback.prcheck import (
    Move,
    Rules,
    backlog_report,
    backlog_summary,
    coverage_move,
    decide,
    jira_keys,
)
from tieback.report import Report

if TYPE_CHECKING:
    from tieback.store import Snapshot

__all__ = [
    "STICKY_MARKER",
    "Event",
    "LivePull",
    "PrResult",
    "Sticky",
    "closing_keys",
    "fetch_pull",
    "keep_sticky",
    "read_event",
    "render_comment",
    "run_pr",
]

EXIT_OK, EXIT_POLICY = 0, 2
FORK_HELP = "docs/github.md#pull-requests-from-forks"


def run_pr(
    config: Config,
    environ: Mapping[str, str],
    mode: str | None = None,
    policy: RetryPolicy | None = None,
    client: GithubClient | None = None,
) -> int:
    """The Action's entry point: decide, comment, summarise; the exit code by mode."""
    settings = config.settings.github.pull_request
    mode = mode or settings.mode
    annotate = environ.get("GITHUB_ACTIONS") == "true"
    if mode == "off":
        print("tieback pr: mode off, nothing checked")
        finish(environ, PrResult("skipped", notes=["mode off: nothing checked"]))
        return EXIT_OK
    try:
        return _check(config, environ, mode, policy, client, annotate)
    except TiebackError as exc:
        # No verdict could be had (the API out of reach, a bad token or event): the
        # workflow still gets a summary saying why and status=error, then the error.
        note = f"tieback could not check this pull request: {exc}"
        with contextlib.suppress(TiebackError):
            finish(environ, PrResult("error", notes=[note]))
        raise


def _check(
    config: Config,
    environ: Mapping[str, str],
    mode: str,
    policy: RetryPolicy | None,
    client: GithubClient | None,
    annotate: bool,
) -> int:
    """``run_pr`` past the mode: read the event, decide, comment, summarise."""
    settings = config.settings.github.pull_request
    event = read_event(environ)
    declarations = load_declarations(config)
    api_url = _api_url(config, environ)
    if client is None:
        github = config.settings.github
        token = config.token("github")
        client = GithubClient(api_url, token, policy, github.timeout, github.max_wait)
    number = event.number
    missing = "no pull request named by the event"
    if number is None and event.name == "workflow_run" and event.head_label:
        found = find_pulls(client, event)
        if len(found) == 1:
            number = found[0]
        elif found:
            missing = (
                f"{len(found)} open pull requests of {event.repo} have the head {event.head_label}"
            )
        else:
            missing = f"no open pull request of {event.repo} has the head {event.head_label}"
    if number is None:
        if event.elsewhere:
            whose = "another repository's" if len(event.elsewhere) == 1 else "other repositories'"
            missing += f" (the run names {', '.join(event.elsewhere)}, {whose})"
        note = f"{event.name}: {missing}; nothing to check, passing"
        print(f"tieback pr: {note}")
        finish(environ, PrResult("skipped", notes=[note]))
        return EXIT_OK

    path = repository_path(config, environ)
    live = fetch_pull(client, event, number, path)
    # Jira keys may name issues another job syncs into the store with its own config.
    borrow = ("jira",) if settings.jira_keys else ()
    backlog_items, _ = read_items(config, lean=True, borrow=borrow)  # alignment reads no more
    rules = _rules(config)
    report = backlog_report(backlog_items, declarations, rules)
    pull = live.item
    known = {item.key: item for item in backlog_items}
    # Live copies of the closed issues replace the stored ones: they are fresher. The
    # live query cannot read a project's field (GITHUB_TOKEN may not read projects):
    # those refs are kept as the last sync stored them.
    for issue in live.issues:
        stored = known.get(issue.key)
        if stored is not None and stored.field_refs and not issue.field_refs:
            issue = issue._replace(field_refs=stored.field_refs)
        known[issue.key] = issue
    jira = jira_keys(settings.jira_keys, pull.title, pull.body, live.branch)
    verdict = decide(pull, live.closing, jira, known, declarations, rules)
    precision = config.settings.coverage.precision
    backlog = backlog_summary(report, len(backlog_items), _latest_snapshot(config), precision)
    move = _move(config, event, path, live, backlog_items, declarations, report, rules)
    key = f"{event.repo}#{number}"
    context = comment_context(config, mode, pull, verdict, backlog, move, declarations)
    context["measures"] = _measures(config, declarations, verdict.outcomes)
    body = render_comment(context)
    result = PrResult(verdict.status, key, verdict, backlog, body=body)
    print(f"tieback pr: {key} is {verdict.describe()}")

    writes = event.name != "merge_group" and settings.comment
    if writes:
        short = render_comment({**context, "chain": context["chain"][:1], "evidence": []})
        remembered = remembered_id(config, key)
        result.comment = keep_sticky(
            client, event.repo, number, body, short, remembered, live.viewer, annotate
        )
        comment = result.comment
        if comment.action in ("refused", "skipped"):
            warning = (
                "the token cannot comment on this pull request (a fork's read-only token?): "
                f"the result is in the job summary; see {FORK_HELP} for the workflow_run setup"
                if comment.action == "refused"
                else f"{comment.detail}: the result is in the job summary"
            )
            result.notes.append(warning)
            print(f"tieback: warning: {warning}", file=sys.stderr)
            if annotate:
                print(annotation("warning", warning))
        else:
            print(f"tieback pr: sticky comment {comment.action} {comment.url}".rstrip())
            if comment.action in ("created", "edited"):
                remember(config, key, comment, body)
    elif event.name == "merge_group":
        result.notes.append("merge queue: the pull request's verdict, read again; no comment")

    finish(environ, result)
    if verdict.status != "unaligned":
        return EXIT_OK
    message = f"{key} names no outcome ({verdict.reason}): see the comment for how to fix it"
    if mode == "warn":
        if annotate:
            print(annotation("warning", message))
        return EXIT_OK
    if annotate:
        print(annotation("error", message))
    print(f"tieback: {message}", file=sys.stderr)
    return EXIT_POLICY


def _rules(config: Config) -> Rules:
    settings = config.settings
    return Rules(
        settings.tagging.rules(),
        settings.exempt.rules(),
        settings.coverage.rules(),
        skip_label=settings.github.pull_request.skip_label,
        jira_readable=config.token("jira") is not None and settings.jira.enabled,
    )


def _measures(
    config: Config, declarations: Declarations, outcomes: Sequence[str]
) -> list[tuple[str, str]]:
    """(outcome id, "now 6.4 on 2026-11-30, target 1, 51% of the way, moving") for each
    outcome the pull request serves that has readings."""
    if not outcomes:
        return []
    from tieback.evaluate import outcome_progress
    from tieback.report import measure_line, progress_json

    progress, _ = outcome_progress(config, declarations, [])
    lines = []
    for outcome_id in dict.fromkeys(outcomes):
        shown = progress_json(progress.get(outcome_id))
        if shown and shown["readings"]:
            lines.append((outcome_id, measure_line(shown)))
    return lines


def _api_url(config: Config, environ: Mapping[str, str]) -> str:
    """``[github] api_url`` when set, else the runner's own API (GitHub Enterprise)."""
    github = config.settings.github
    if "api_url" in github.model_fields_set:
        return github.api_url
    return environ.get("GITHUB_API_URL") or github.api_url


def _latest_snapshot(config: Config) -> Snapshot | None:
    if not config.store_exists:
        return None
    from tieback.connectors import store_scope
    from tieback.store import Store

    with Store.open(config.store_location) as store:
        return store.latest_snapshot(scope=store_scope(config))


# --- a changed outcomes file ----------------------------------------------------------


def repository_path(config: Config, environ: Mapping[str, str]) -> str | None:
    """The outcomes file's path inside the repository, if it lives in the checkout."""
    path = config.outcomes_path
    if not path.is_file():
        return None
    root = Path(environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def _move(
    config: Config,
    event: Event,
    path: str | None,
    live: LivePull,
    backlog: Sequence[Item],
    declarations: Declarations,
    report: Report,
    rules: Rules,
) -> Move | None:
    """How coverage moves with the pull request's outcomes file (the head's as GitHub
    holds it on a trusted checkout, else the working copy's), when it changes it."""
    if path is None or live.base_outcomes is None:
        return None
    if event.trusted_checkout:
        after_text = live.head_outcomes
        if after_text is None or after_text == live.base_outcomes:
            return None
    else:
        after_text = None  # the working copy's: ``declarations`` and ``report``
        try:
            working = config.outcomes_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if working == live.base_outcomes:
            return None
    try:
        before = declarations_from_text(config, live.base_outcomes)
    except ConfigError as exc:
        return Move(path, error=f"The base version does not load: {exc}")
    if after_text is None:
        return coverage_move(path, backlog, before, declarations, rules, after_report=report)
    try:
        after = declarations_from_text(config, after_text)
    except ConfigError as exc:
        return Move(path, error=f"This pull request's version does not load: {exc}")
    return coverage_move(path, backlog, before, after, rules)


def declarations_from_text(config: Config, text: str) -> Declarations:
    """Load another version of the outcomes file with the same configuration."""
    with tempfile.TemporaryDirectory(prefix="tieback-") as directory:
        path = Path(directory) / config.outcomes_path.name
        path.write_text(text, encoding="utf-8")
        settings = config.settings.model_copy(update={"outcomes_file": path})
        return load_declarations(Config(settings, config.path, config.base_dir))
