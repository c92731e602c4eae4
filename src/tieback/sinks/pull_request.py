"""``tieback pr``: the pull-request check — verdict, one sticky comment, job summary, outputs.

What it reads, and what each costs in requests on a ``pull_request`` event:

1. one GraphQL query: the pull request's live title, body, labels, author and branch
   (the event's copy may be stale), the issues it closes with their labels, types and
   parents three levels up, the base version of the outcomes file, and the account
   the token writes as (``viewer``);
2. the sticky comment: by the id the store remembers (one request), else the
   comment pages, 100 a request, until that account's comment with the hidden marker
   turns up (another author's comment is never edited, whatever it contains);
3. at most one write: create the comment, or edit it when its text changed.

The backlog's coverage comes from the store and the ``[files]`` exports, as last
synced: a pull-request check must not re-read a whole tracker. When GraphQL is not
available (an older GitHub Enterprise), the pull request is read over REST and the
closed issues are taken from closing keywords in its body.

A token that cannot write (a fork's pull request) leaves the verdict standing: the
comment goes to the job summary, with a warning pointing at the two-workflow setup.

On ``workflow_run`` the pull request is one of the run's ``pull_requests`` only when its
base is this repository (GitHub lists pull requests of other repositories there too);
else it is the one open pull request whose head is the run's branch and commit (a
fork's pull request is never listed). With none, or several, nothing is checked.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tieback import __version__
from tieback.alignment import ExemptRules, Tagger, align
from tieback.audit import read_items
from tieback.config import Config
from tieback.connectors.github.client import GithubApiError, GithubClient
from tieback.connectors.github.payload import item_from_issue
from tieback.connectors.github.sink import UNKNOWN_ACCOUNT, digest, find_marked_comment, same_text
from tieback.coverage import display_coverage
from tieback.errors import ConfigError, TiebackError
from tieback.formats.templates import environment
from tieback.http import RetryPolicy
from tieback.model import Alignment, Classification, Item, Reason
from tieback.outcomes import Declarations, focus_warnings, load_declarations
from tieback.payload import mapping_of as _mapping
from tieback.payload import text_of as _text
from tieback.report import Report, build_report
from tieback.sinks.interface import MARKER_PREFIX

STICKY = "sticky"  # the store's kind for the pull request's comment
STICKY_MARKER = f"{MARKER_PREFIX}pull-request -->"
COMMENT_LIMIT = 65_536  # GitHub's maximum comment body, in characters
# Kept under the limit with room to spare; each retry lists fewer entries.
_BUDGET = 60_000
_LIST_LIMITS = (50, 20, 5, 0)
EXIT_OK, EXIT_POLICY = 0, 2
EVENTS = ("pull_request", "pull_request_target", "merge_group", "workflow_run")
FORK_HELP = "docs/github.md#pull-requests-from-forks"

# "Fixes #12", "closes acme/app#12", "Resolved: https://github.com/acme/app/issues/12"
_CLOSING = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b:?\s+"
    r"(?:(?P<repo>[\w.-]+/[\w.-]+)#(?P<n1>\d+)|#(?P<n2>\d+)"
    r"|https?://[^/\s]+/(?P<url_repo>[\w.-]+/[\w.-]+)/issues/(?P<n3>\d+))",
    re.IGNORECASE,
)
# gh-readonly-queue/main/pr-123-<sha>: the merge queue's branch names the pull request.
_QUEUE_BRANCH = re.compile(r"gh-readonly-queue/.+/pr-(\d+)-[0-9a-f]+$")

_ISSUE_FIELDS = """
fragment issue on Issue {
  number title body url state
  issueType { name }
  author { __typename login }
  repository { nameWithOwner }
  labels(first: 50) { nodes { name } }
}
"""
_PULL_QUERY = (
    """
query($owner: String!, $name: String!, $number: Int!, $base: String!, $head: String!,
      $withBase: Boolean!, $withHead: Boolean!) {
  viewer { __typename login }
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      number title body url state headRefName headRefOid baseRefOid
      author { __typename login }
      labels(first: 100) { nodes { name } }
      closingIssuesReferences(first: 25) {
        nodes { ...issue parent { ...issue parent { ...issue parent { ...issue } } } }
      }
    }
    base: object(expression: $base) @include(if: $withBase) { ... on Blob { text } }
    head: object(expression: $head) @include(if: $withHead) { ... on Blob { text } }
  }
}
"""
    + _ISSUE_FIELDS
)


# --- the event -----------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """What the workflow run is about, from ``GITHUB_EVENT_PATH`` and the environment."""

    name: str
    repo: str
    number: int | None
    base_sha: str = ""
    head_sha: str = ""
    # owner:branch of the pull request's head, for a workflow_run without a number
    head_label: str = ""
    fork: bool = False
    # Pull requests a workflow_run names in other repositories ("owner/repo#2").
    elsewhere: tuple[str, ...] = ()

    @property
    def trusted_checkout(self) -> bool:
        """Whether the working copy is the base branch rather than the pull request."""
        return self.name in ("pull_request_target", "workflow_run")

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"


def read_event(environ: Mapping[str, str]) -> Event:
    """Read the event payload; raise TiebackError with one line when it is unusable."""
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        raise TiebackError(
            "GITHUB_EVENT_PATH is not set: tieback pr runs in a GitHub Actions job on a "
            "pull_request event (or set it to an event payload file)"
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TiebackError(f"{path}: cannot read the event file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TiebackError(f"{path}: the event file is not UTF-8 text") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TiebackError(
            f"{path}: the event file is not JSON ({exc.msg} at line {exc.lineno})"
        ) from None
    if not isinstance(payload, dict):
        raise TiebackError(f"{path}: the event file is not a JSON object")
    name = environ.get("GITHUB_EVENT_NAME", "") or _infer_event(payload)
    repo = environ.get("GITHUB_REPOSITORY", "") or _text(
        _mapping(payload.get("repository")).get("full_name")
    )
    if repo.count("/") != 1:
        raise TiebackError("GITHUB_REPOSITORY is not set (expected owner/name)")
    if name in ("pull_request", "pull_request_target"):
        pull = _mapping(payload.get("pull_request"))
        number = pull.get("number")
        if not isinstance(number, int):
            raise TiebackError(f"{path}: a {name} event without pull_request.number")
        base, head = _mapping(pull.get("base")), _mapping(pull.get("head"))
        head_repo = _text(_mapping(head.get("repo")).get("full_name"))
        return Event(
            name,
            repo,
            number,
            base_sha=_text(base.get("sha")),
            head_sha=_text(head.get("sha")),
            fork=head_repo.lower() != repo.lower(),
        )
    if name == "merge_group":
        group = _mapping(payload.get("merge_group"))
        match = _QUEUE_BRANCH.search(_text(group.get("head_ref")))
        return Event(
            name,
            repo,
            int(match[1]) if match else None,
            base_sha=_text(group.get("base_sha")),
            head_sha=_text(group.get("head_sha")),
        )
    if name == "workflow_run":
        run = _mapping(payload.get("workflow_run"))
        pulls = [p for p in run.get("pull_requests") or [] if isinstance(p, dict)]
        repository = _mapping(payload.get("repository"))
        same = _text(repository.get("full_name")).lower() in ("", repo.lower())
        repo_id = repository.get("id") if same else None
        ours = [p for p in pulls if _based_in(p, repo, repo_id)]
        numbers = {p.get("number") for p in ours if isinstance(p.get("number"), int)}
        owner = _text(_mapping(_mapping(run.get("head_repository")).get("owner")).get("login"))
        branch = _text(run.get("head_branch"))
        return Event(
            name,
            repo,
            numbers.pop() if len(numbers) == 1 else None,
            head_sha=_text(run.get("head_sha")),
            head_label=f"{owner}:{branch}" if owner and branch else "",
            elsewhere=tuple(_pull_name(p) for p in pulls if p not in ours),
        )
    raise TiebackError(
        f"tieback pr checks {', '.join(EVENTS)} events, not {name or 'this one'} "
        "(see the on: triggers in docs/github.md)"
    )


def _based_in(pull: Mapping[str, Any], repo: str, repo_id: object) -> bool:
    """Whether a workflow_run's pull request is into ``repo``: its base repository's id,
    else its API URL (the payload gives no full name there), names it."""
    base = _mapping(_mapping(pull.get("base")).get("repo"))
    ident = base.get("id")
    if isinstance(ident, int) and isinstance(repo_id, int):
        return ident == repo_id
    url = _text(base.get("url")).rstrip("/").lower()
    if url:
        return url.endswith(f"/repos/{repo.lower()}")
    return _text(base.get("full_name")).lower() == repo.lower()


def _pull_name(pull: Mapping[str, Any]) -> str:
    """``owner/repo#2`` for a workflow_run's pull request, from its API URL."""
    match = re.search(r"/repos/([^/]+/[^/]+)/pulls/(\d+)$", _text(pull.get("url")))
    if match:
        return f"{match[1]}#{match[2]}"
    name = _text(_mapping(_mapping(pull.get("base")).get("repo")).get("name")) or "?"
    return f"{name}#{pull.get('number')}"


def _infer_event(payload: Mapping[str, Any]) -> str:
    for name in ("merge_group", "workflow_run", "pull_request"):
        if name in payload:
            return name
    return ""


# --- reading the pull request --------------------------------------------------------


@dataclass(frozen=True)
class LivePull:
    """The pull request as GitHub holds it now, and the issues it closes."""

    item: Item
    branch: str
    base_sha: str
    head_sha: str
    closing: list[str]  # keys of the issues it closes
    issues: list[Item]  # those issues and their ancestors, as read live
    closing_source: str  # how the closing issues were found
    base_outcomes: str | None = None  # the outcomes file at the base, when fetched
    head_outcomes: str | None = None  # ... and at the head (trusted checkouts only)
    viewer: str = ""  # the account the token writes as, when GraphQL said


def fetch_pull(
    client: GithubClient, event: Event, number: int, outcomes_path: str | None
) -> LivePull:
    """One GraphQL query for everything; REST and closing keywords when GraphQL fails."""
    owner, name = event.repo.split("/", 1)
    with_base = bool(outcomes_path and event.base_sha)
    with_head = bool(outcomes_path and event.head_sha and event.trusted_checkout)
    variables = {
        "owner": owner,
        "name": name,
        "number": number,
        "base": f"{event.base_sha}:{outcomes_path}",
        "head": f"{event.head_sha}:{outcomes_path}",
        "withBase": with_base,
        "withHead": with_head,
    }
    try:
        data = client.graphql(_PULL_QUERY, variables)
    except GithubApiError as exc:
        if exc.status in (401, 403) or exc.status >= 500:
            raise
        if exc.status == 404:
            raise GithubApiError(
                f"GitHub has no pull request {event.repo}#{number}, or the token cannot "
                "see it (check the token's repository access)",
                404,
            ) from None
        return _fetch_pull_rest(client, event, number, outcomes_path)
    repository = _mapping(data.get("repository"))
    node = _mapping(repository.get("pullRequest"))
    if not node:
        raise GithubApiError(f"GitHub has no pull request {event.repo}#{number}", 404)
    pull = item_from_issue(
        {
            "number": node.get("number", number),
            "title": node.get("title"),
            "body": node.get("body"),
            "html_url": node.get("url"),
            "state": _text(node.get("state")).lower(),
            "labels": _label_names(node),
            "user": {"login": _login(node.get("author"))},
            "pull_request": {},
        },
        event.repo,
    )
    closing: list[str] = []
    issues: dict[str, Item] = {}
    references = _mapping(node.get("closingIssuesReferences")).get("nodes") or []
    for reference in references:
        chain = _issue_chain(_mapping(reference))
        if chain:
            closing.append(chain[0].key)
            for issue in chain:
                issues.setdefault(issue.key, issue)
    return LivePull(
        item=pull,
        branch=_text(node.get("headRefName")),
        base_sha=_text(node.get("baseRefOid")) or event.base_sha,
        head_sha=_text(node.get("headRefOid")) or event.head_sha,
        closing=closing,
        issues=list(issues.values()),
        closing_source="closing references",
        base_outcomes=_blob(repository.get("base")) if with_base else None,
        head_outcomes=_blob(repository.get("head")) if with_head else None,
        viewer=_login(data.get("viewer")),
    )


def _issue_chain(node: Mapping[str, Any]) -> list[Item]:
    """A closed issue and its parents (as far as the query reached), as items."""
    chain: list[Item] = []
    current: Mapping[str, Any] = node
    while current:
        repo = _text(_mapping(current.get("repository")).get("nameWithOwner"))
        number = current.get("number")
        if not repo or not isinstance(number, int):
            break
        parent = _mapping(current.get("parent"))
        parent_repo = _text(_mapping(parent.get("repository")).get("nameWithOwner"))
        parent_number = parent.get("number")
        raw = {
            "number": number,
            "title": _text(current.get("title")),
            "body": current.get("body"),
            "html_url": current.get("url"),
            "state": _text(current.get("state")).lower(),
            "labels": _label_names(current),
            "type": {"name": _text(_mapping(current.get("issueType")).get("name"))},
            "user": {"login": _login(current.get("author"))},
            "parent_issue_url": (
                f"/repos/{parent_repo}/issues/{parent_number}"
                if parent_repo and isinstance(parent_number, int)
                else None
            ),
        }
        chain.append(item_from_issue(raw, repo))
        current = parent
    return chain


def _fetch_pull_rest(
    client: GithubClient, event: Event, number: int, outcomes_path: str | None
) -> LivePull:
    _, raw = client.request("GET", f"/repos/{event.repo}/pulls/{number}")
    if not isinstance(raw, dict):
        raise GithubApiError(f"GitHub: pull request {event.repo}#{number} is not an object")
    pull = item_from_issue(raw, event.repo)
    head, base = _mapping(raw.get("head")), _mapping(raw.get("base"))
    base_sha = _text(base.get("sha")) or event.base_sha
    head_sha = _text(head.get("sha")) or event.head_sha
    closing = closing_keys(pull.body, event.repo)
    return LivePull(
        item=pull,
        branch=_text(head.get("ref")),
        base_sha=base_sha,
        head_sha=head_sha,
        closing=closing,
        issues=[],
        closing_source="closing keywords",
        base_outcomes=_contents(client, event.repo, outcomes_path, base_sha),
        head_outcomes=(
            _contents(client, event.repo, outcomes_path, head_sha)
            if event.trusted_checkout
            else None
        ),
    )


def _contents(client: GithubClient, repo: str, path: str | None, ref: str) -> str | None:
    if not path or not ref:
        return None
    import base64

    try:
        _, raw = client.request("GET", f"/repos/{repo}/contents/{path}", params={"ref": ref})
    except GithubApiError as exc:
        if exc.status == 404:
            return None
        raise
    content = _mapping(raw).get("content")
    if not isinstance(content, str):
        return None
    try:
        return base64.b64decode(content).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def closing_keys(body: str, repo: str) -> list[str]:
    """Issues a body closes by GitHub's closing keywords, in any repository."""
    keys: dict[str, None] = {}
    for match in _CLOSING.finditer(body or ""):
        target = match["repo"] or match["url_repo"] or repo
        number = match["n1"] or match["n2"] or match["n3"]
        keys.setdefault(f"{target}#{number}", None)
    return list(keys)


def jira_keys(projects: Sequence[str], *texts: str) -> list[str]:
    """Jira keys of the configured projects in a title, body or branch name."""
    if not projects:
        return []
    names = "|".join(re.escape(project) for project in projects)
    pattern = re.compile(rf"(?<![A-Za-z0-9])({names})-(\d+)(?!\d)", re.IGNORECASE)
    keys: dict[str, None] = {}
    for text in texts:
        for match in pattern.finditer(text or ""):
            keys.setdefault(f"{match[1].upper()}-{match[2]}", None)
    return list(keys)


# --- the verdict ---------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """One piece of evidence: the pull request's own tag, an issue it closes, a Jira key."""

    kind: str  # "label", "description", "closes", "Jira"
    key: str
    status: str  # aligned | exempt | unaligned | not checked
    title: str = ""
    url: str = ""
    outcomes: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ChainRow:
    output: str
    via: str
    outcome_id: str
    outcome_title: str
    impact_id: str = ""
    impact_title: str = ""


@dataclass(frozen=True)
class Verdict:
    status: str  # aligned | exempt | unaligned
    reason: str | None = None
    suggestion: str | None = None
    unknown_refs: tuple[str, ...] = ()
    retired: bool = False
    outcomes: tuple[str, ...] = ()
    exempt_because: str = ""
    links: list[Link] = field(default_factory=list)
    chain: list[ChainRow] = field(default_factory=list)


def decide(
    config: Config,
    declarations: Declarations,
    live: LivePull,
    backlog: Sequence[Item],
) -> Verdict:
    """Aligned, exempt or unaligned, by design.md's pull-request rules."""
    settings = config.settings
    pull = live.item
    known = {item.key: item for item in backlog}
    # Live copies of the closed issues replace the stored ones: they are fresher.
    known.update({issue.key: issue for issue in live.issues})
    jira = jira_keys(settings.github.pull_request.jira_keys, pull.title, pull.body, live.branch)
    wanted = [pull, *_with_ancestors([*live.closing, *jira], known)]
    by_key = {
        a.item.key: a
        for a in align(wanted, declarations, settings.tagging, settings.exempt).alignments
    }
    own = by_key[pull.key]
    tagger = Tagger(settings.tagging)
    links: list[Link] = []
    for kind, refs in (
        ("label", tagger.direct_refs(pull._replace(body=""))),
        ("description", tagger.direct_refs(pull._replace(labels=()))),
    ):
        for ref in refs:
            outcome = declarations.index.get(ref)
            status = "aligned" if outcome is not None and outcome.active else "unaligned"
            note = "" if outcome is None or outcome.active else "retired outcome"
            if outcome is None:
                note = "not a declared outcome"
            ids = (outcome.id,) if outcome is not None and outcome.active else ()
            shown = (
                f"{settings.tagging.prefix}{ref}"
                if kind == "label"
                else f"{settings.tagging.body_marker} {ref}"
            )
            links.append(Link(kind, shown, status, "", "", ids, note))
    for key in live.closing:
        links.append(_link("closes", key, by_key.get(key), "not in the store; run tieback sync"))
    for key in jira:
        links.append(_link("Jira", key, by_key.get(key), _jira_unchecked(config)))

    outcome_ids: dict[str, None] = {}
    for link in links:
        if link.status == "aligned":
            outcome_ids.update(dict.fromkeys(link.outcomes))
    chain = _chain(pull, links, declarations)
    if outcome_ids:
        return Verdict("aligned", outcomes=tuple(outcome_ids), links=links, chain=chain)
    skip = settings.github.pull_request.skip_label.lower()
    skipped = bool(skip) and any(label.lower() == skip for label in pull.labels)
    if skipped or ExemptRules(settings.exempt).matches(pull):
        because = (
            f"label {settings.github.pull_request.skip_label}"
            if skipped
            else _exempt_reason(pull, config)
        )
        return Verdict("exempt", exempt_because=because, links=links)
    reason = own.reason.value if own.reason else Reason.UNTAGGED.value
    return Verdict(
        "unaligned",
        reason=reason,
        suggestion=own.suggestion,
        unknown_refs=own.unknown_refs,
        retired=own.reason is Reason.RETIRED_OUTCOME,
        links=links,
    )


def _with_ancestors(keys: Iterable[str], known: Mapping[str, Item]) -> list[Item]:
    """The items named, and their parents up the chain, for inheritance."""
    found: dict[str, Item] = {}
    for key in keys:
        current = known.get(key)
        while current is not None and current.key not in found:
            found[current.key] = current
            current = known.get(current.parent) if current.parent else None
    return list(found.values())


def _link(kind: str, key: str, alignment: Alignment | None, unchecked: str) -> Link:
    if alignment is None:
        return Link(kind, key, "not checked", note=unchecked)
    item = alignment.item
    note = ""
    if alignment.inherited_from:
        note = f"inherited from {alignment.inherited_from}"
    elif alignment.classification is Classification.UNALIGNED and alignment.reason:
        note = alignment.reason.value
    return Link(
        kind,
        key,
        alignment.classification.value,
        item.title,
        item.url,
        alignment.outcomes if alignment.classification is Classification.ALIGNED else (),
        note,
    )


def _jira_unchecked(config: Config) -> str:
    if config.jira_token is None or not config.settings.jira.enabled:
        return "not in the store and no Jira credentials"
    return "not in the store; run tieback sync"


def _exempt_reason(pull: Item, config: Config) -> str:
    exempt = config.settings.exempt
    labels = {label.lower() for label in exempt.labels}
    for label in pull.labels:
        if label.lower() in labels:
            return f"label {label}"
    if pull.author.lower() in {author.lower() for author in exempt.authors}:
        return f"author {pull.author}"
    return f"type {pull.type}"


def _chain(pull: Item, links: Sequence[Link], declarations: Declarations) -> list[ChainRow]:
    rows: list[ChainRow] = []
    by_id = {outcome.id: outcome for outcome in declarations.outcomes}
    for link in links:
        if link.status != "aligned":
            continue
        own = link.kind in ("label", "description")
        output = pull.key if own else link.key
        via = f"{link.kind} {link.key}"
        if link.note:
            via = f"{via} ({link.note})"
        for outcome_id in link.outcomes:
            outcome = by_id.get(outcome_id)
            if outcome is None:
                continue
            impact = declarations.impact(outcome.impact)
            rows.append(
                ChainRow(
                    output,
                    via,
                    outcome.id,
                    outcome.title,
                    impact.id if impact else "",
                    impact.title if impact else "",
                )
            )
    return rows


# --- the backlog, and how the pull request moves it -----------------------------------


@dataclass(frozen=True)
class Backlog:
    coverage: str
    aligned: float
    unaligned: float
    exempt: float
    items: int
    scope: str
    weight: str
    value: float | None
    change: str = ""
    since: str = ""


@dataclass(frozen=True)
class Moved:
    key: str
    title: str


@dataclass(frozen=True)
class Move:
    path: str
    before: str = ""
    after: str = ""
    change: str = ""
    gained: list[Moved] = field(default_factory=list)
    lost: list[Moved] = field(default_factory=list)
    error: str = ""


def backlog_summary(config: Config, report: Report, items: int) -> Backlog | None:
    """Coverage of the stored backlog and its change since the last stored snapshot."""
    if items == 0:
        return None
    totals = report.totals
    precision = config.settings.coverage.precision
    value = totals.coverage
    change = since = ""
    previous = _latest_snapshot(config)
    if previous is not None:
        data = previous.data
        same_basis = (
            data.get("scope") == report.data["scope"]
            and data.get("weight") == report.data["weight"]
        )
        before = _mapping(data.get("totals")).get("coverage")
        if same_basis and isinstance(before, int | float) and value is not None:
            change = points_change(float(before), value, precision)
            since = previous.taken_at[:10]
    return Backlog(
        coverage=display_coverage(value, precision),
        aligned=totals.aligned,
        unaligned=totals.unaligned,
        exempt=totals.exempt,
        items=totals.items,
        scope=report.data["scope"],
        weight=report.data["weight"],
        value=value,
        change=change,
        since=since,
    )


def _latest_snapshot(config: Config) -> Any:
    if not config.store_exists:
        return None
    from tieback.connectors import store_scope
    from tieback.store import Store

    with Store.open(config.store_location) as store:
        return store.latest_snapshot(scope=store_scope(config))


def points_change(before: float, after: float, precision: int) -> str:
    delta = after - before
    shown = f"{abs(delta):.{precision}f}"
    if float(shown) == 0:
        return "no change" if delta == 0 else f"under {10.0**-precision:g} points of change"
    arrow = "▲ +" if delta > 0 else "▼ -"
    return f"{arrow}{shown} points"


def coverage_move(
    config: Config,
    path: str,
    backlog: Sequence[Item],
    before_text: str,
    after: Declarations | str,
    current: Report,
) -> Move:
    """How the backlog's coverage moves from the base outcomes file to this one."""
    try:
        before_declarations = declarations_from_text(config, before_text)
    except ConfigError as exc:
        return Move(path, error=f"The base version does not load: {exc}")
    if isinstance(after, str):
        try:
            after_declarations = declarations_from_text(config, after)
        except ConfigError as exc:
            return Move(path, error=f"This pull request's version does not load: {exc}")
        after_report = _report(config, backlog, after_declarations)
    else:
        after_report = current
    before_report = _report(config, backlog, before_declarations)
    precision = config.settings.coverage.precision
    was = {a.item.key: a for a in before_report.alignments}
    gained: list[Moved] = []
    lost: list[Moved] = []
    for alignment in after_report.alignments:
        previous = was.get(alignment.item.key)
        now_aligned = alignment.classification is Classification.ALIGNED
        was_aligned = previous is not None and previous.classification is Classification.ALIGNED
        if now_aligned and not was_aligned:
            gained.append(Moved(alignment.item.key, alignment.item.title))
        elif was_aligned and not now_aligned:
            lost.append(Moved(alignment.item.key, alignment.item.title))
    before_value = before_report.totals.coverage
    after_value = after_report.totals.coverage
    change = ""
    if before_value is not None and after_value is not None:
        change = points_change(before_value, after_value, precision)
    return Move(
        path,
        before=_percent(before_value, precision),
        after=_percent(after_value, precision),
        change=change,
        gained=gained,
        lost=lost,
    )


def _percent(value: float | None, precision: int) -> str:
    shown = display_coverage(value, precision)
    return shown if value is None else f"{shown}%"


def declarations_from_text(config: Config, text: str) -> Declarations:
    """Load another version of the outcomes file with the same configuration."""
    with tempfile.TemporaryDirectory(prefix="tieback-") as directory:
        path = Path(directory) / config.outcomes_path.name
        path.write_text(text, encoding="utf-8")
        settings = config.settings.model_copy(update={"outcomes_file": path})
        return load_declarations(Config(settings, config.path, config.base_dir))


def _report(config: Config, items: Sequence[Item], declarations: Declarations) -> Report:
    settings = config.settings
    result = align(items, declarations, settings.tagging, settings.exempt)
    return build_report(
        result.alignments,
        declarations,
        settings.coverage,
        warnings=[*focus_warnings(declarations), *result.warnings],
    )


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


# --- the comment ---------------------------------------------------------------------


def render_comment(context: Mapping[str, Any]) -> str:
    """The sticky comment, listing fewer entries until it fits GitHub's limit."""
    template = environment().get_template("pr-comment.md.j2")
    body = ""
    for limit in _LIST_LIMITS:
        # Every heading stands apart from what precedes it, however the blocks fell.
        body = template.render(**context, limit=limit)
        body = re.sub(r"\n+(?=#### )", "\n\n", body)
        if len(body) <= _BUDGET:
            return body
    # Even with no lists the titles alone are too long: cut, keeping the marker.
    return body[: _BUDGET - 40].rsplit("\n", 1)[0] + "\n\n… (cut to GitHub's comment limit)\n"


@dataclass(frozen=True)
class Sticky:
    """What happened to the sticky comment: created, edited, unchanged or refused."""

    action: str
    comment_id: str = ""
    url: str = ""
    detail: str = ""


def keep_sticky(
    client: GithubClient,
    repo: str,
    number: int,
    body: str,
    short: str,
    remembered: str,
    login: str = "",
    in_actions: bool = False,
) -> Sticky:
    """Create the comment, or edit it in place when its text changed; one write at most.

    The id the store remembers is one tieback created; else the comment is the one
    carrying the marker by ``login``, the token's own account (asked of the client when
    not given), looked for just before the write so that a run beside this one is not
    doubled.
    """
    existing = _remembered_comment(client, repo, remembered) if remembered else None
    if existing is None:
        login = login or client.own_login(in_actions)
        existing = find_marked_comment(client, repo, number, STICKY_MARKER, login)
        if existing is not None and not login:
            return Sticky("skipped", detail=UNKNOWN_ACCOUNT)
    if existing is not None and same_text(existing.get("body"), body):
        return Sticky("unchanged", str(existing.get("id", "")), _text(existing.get("html_url")))
    for text in dict.fromkeys((body, short)):
        try:
            if existing is not None:
                _, answer = client.request(
                    "PATCH", f"/repos/{repo}/issues/comments/{existing['id']}", body={"body": text}
                )
                action = "edited"
            else:
                # Not idempotent, so never retried blindly: the marker is looked for first.
                _, answer = client.request(
                    "POST",
                    f"/repos/{repo}/issues/{number}/comments",
                    body={"body": text},
                    idempotent=False,
                )
                action = "created"
        except GithubApiError as exc:
            if exc.status in (401, 403, 404):
                return Sticky("refused", detail=str(exc))
            if exc.status == 422 and text != short:
                continue  # "body is too long" by GitHub's count: send the summary
            raise
        answer = _mapping(answer)
        return Sticky(action, str(answer.get("id", "")), _text(answer.get("html_url")))
    raise AssertionError("unreachable: the short body is always tried")  # pragma: no cover


def _remembered_comment(client: GithubClient, repo: str, comment_id: str) -> dict[str, Any] | None:
    try:
        _, comment = client.request("GET", f"/repos/{repo}/issues/comments/{comment_id}")
    except GithubApiError as exc:
        if exc.status == 404:
            return None  # deleted by someone: look for the marker instead
        raise
    if isinstance(comment, dict) and STICKY_MARKER in _text(comment.get("body")):
        return comment
    return None


# --- the run -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What ``run_pr`` decided, for the job summary, outputs and the report file."""

    status: str
    pull_request: str = ""
    verdict: Verdict | None = None
    backlog: Backlog | None = None
    comment: Sticky | None = None
    body: str = ""
    notes: list[str] = field(default_factory=list)


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
        _finish(environ, Outcome("skipped", notes=["mode off: nothing checked"]), config)
        return EXIT_OK
    try:
        return _check(config, environ, mode, policy, client, annotate)
    except TiebackError as exc:
        # No verdict could be had (the API out of reach, a bad token or event): the
        # workflow still gets a summary saying why and status=error, then the error.
        note = f"tieback could not check this pull request: {exc}"
        with contextlib.suppress(TiebackError):
            _finish(environ, Outcome("error", notes=[note]), config)
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
        client = GithubClient(api_url, config.github_token, policy, github.timeout, github.max_wait)
    number = event.number
    missing = "no pull request named by the event"
    if number is None and event.name == "workflow_run" and event.head_label:
        found = _find_pulls(client, event)
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
        _finish(environ, Outcome("skipped", notes=[note]), config)
        return EXIT_OK

    path = repository_path(config, environ)
    live = fetch_pull(client, event, number, path)
    # Jira keys may name issues another job syncs into the store with its own config.
    borrow = ("jira",) if settings.jira_keys else ()
    backlog_items, _ = read_items(config, lean=True, borrow=borrow)  # alignment reads no more
    report = _report(config, backlog_items, declarations)
    verdict = decide(config, declarations, live, backlog_items)
    backlog = backlog_summary(config, report, len(backlog_items))
    move = _move(config, event, path, live, backlog_items, declarations, report)
    key = f"{event.repo}#{number}"
    context = _context(config, mode, live, verdict, backlog, move, declarations)
    body = render_comment(context)
    outcome = Outcome(verdict.status, key, verdict, backlog, body=body)
    print(f"tieback pr: {key} is {_describe(verdict)}")

    writes = event.name != "merge_group" and settings.comment
    if writes:
        short = render_comment({**context, "chain": context["chain"][:1], "evidence": []})
        remembered = _remembered_id(config, key)
        outcome.comment = keep_sticky(
            client, event.repo, number, body, short, remembered, live.viewer, annotate
        )
        comment = outcome.comment
        if comment.action in ("refused", "skipped"):
            warning = (
                "the token cannot comment on this pull request (a fork's read-only token?): "
                f"the result is in the job summary; see {FORK_HELP} for the workflow_run setup"
                if comment.action == "refused"
                else f"{comment.detail}: the result is in the job summary"
            )
            outcome.notes.append(warning)
            print(f"tieback: warning: {warning}", file=sys.stderr)
            if annotate:
                print(f"::warning title=tieback::{_escape_annotation(warning)}")
        else:
            print(f"tieback pr: sticky comment {comment.action} {comment.url}".rstrip())
            if comment.action in ("created", "edited"):
                _remember(config, key, comment, body)
    elif event.name == "merge_group":
        outcome.notes.append("merge queue: the pull request's verdict, read again; no comment")

    _finish(environ, outcome, config)
    if verdict.status != "unaligned":
        return EXIT_OK
    message = f"{key} names no outcome ({verdict.reason}): see the comment for how to fix it"
    if mode == "warn":
        if annotate:
            print(f"::warning title=tieback::{_escape_annotation(message)}")
        return EXIT_OK
    if annotate:
        print(f"::error title=tieback::{_escape_annotation(message)}")
    print(f"tieback: {message}", file=sys.stderr)
    return EXIT_POLICY


def _api_url(config: Config, environ: Mapping[str, str]) -> str:
    """``[github] api_url`` when set, else the runner's own API (GitHub Enterprise)."""
    github = config.settings.github
    if "api_url" in github.model_fields_set:
        return github.api_url
    return environ.get("GITHUB_API_URL") or github.api_url


def _find_pulls(client: GithubClient, event: Event) -> list[int]:
    """A workflow_run that names no pull request of this repository (a fork's never
    is named): the open ones whose head is the run's branch, at the run's commit."""
    _, pulls = client.request(
        "GET", f"/repos/{event.repo}/pulls", params={"state": "open", "head": event.head_label}
    )
    numbers: list[int] = []
    for pull in pulls if isinstance(pulls, list) else []:
        head = _mapping(_mapping(pull).get("head"))
        # The run decides, not the listing's filter alone.
        if _text(head.get("label")).lower() != event.head_label.lower():
            continue
        if event.head_sha and head.get("sha") != event.head_sha:
            continue
        number = _mapping(pull).get("number")
        if isinstance(number, int):
            numbers.append(number)
    return numbers


def _move(
    config: Config,
    event: Event,
    path: str | None,
    live: LivePull,
    backlog: Sequence[Item],
    declarations: Declarations,
    report: Report,
) -> Move | None:
    if path is None or live.base_outcomes is None:
        return None
    if event.trusted_checkout:
        if live.head_outcomes is None or live.head_outcomes == live.base_outcomes:
            return None
        return coverage_move(config, path, backlog, live.base_outcomes, live.head_outcomes, report)
    try:
        working = config.outcomes_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if working == live.base_outcomes:
        return None
    return coverage_move(config, path, backlog, live.base_outcomes, declarations, report)


def _context(
    config: Config,
    mode: str,
    live: LivePull,
    verdict: Verdict,
    backlog: Backlog | None,
    move: Move | None,
    declarations: Declarations,
) -> dict[str, Any]:
    settings = config.settings
    return {
        "marker": STICKY_MARKER,
        "version": __version__,
        "mode": mode,
        "pr": {"key": live.item.key, "title": live.item.title, "url": live.item.url},
        "verdict": verdict,
        "chain": verdict.chain,
        "evidence": [link for link in verdict.links if link.kind not in ("label", "description")]
        + [link for link in verdict.links if link.status != "aligned" and link.note],
        "tagging": settings.tagging,
        "skip_label": settings.github.pull_request.skip_label,
        "jira_projects": settings.github.pull_request.jira_keys,
        "outcomes": [o for o in declarations.outcomes if o.active],
        "outcomes_file": config.display(config.outcomes_path),
        "backlog": backlog,
        "move": move,
    }


def _describe(verdict: Verdict) -> str:
    if verdict.status == "aligned":
        return f"aligned ({', '.join(verdict.outcomes)})"
    if verdict.status == "exempt":
        return f"exempt ({verdict.exempt_because})"
    return f"unaligned ({verdict.reason})"


def _remembered_id(config: Config, key: str) -> str:
    if not config.store_exists:
        return ""
    from tieback.store import Store

    with Store.open(config.store_location) as store:
        posted = store.comment("github", key, STICKY)
    return posted.comment_id if posted else ""


def _remember(config: Config, key: str, comment: Sticky, body: str) -> None:
    """Keep the comment's id, so the next run reads it directly instead of paging."""
    if not config.store_exists or not comment.comment_id:
        return
    from tieback.store import PostedComment, Store

    now = datetime.now(UTC).isoformat(timespec="seconds")
    with Store.open(config.store_location) as store:
        posted = PostedComment("github", key, STICKY, comment.comment_id, digest(body), now)
        store.set_comment(posted)


# --- job summary and outputs ----------------------------------------------------------


def _finish(environ: Mapping[str, str], outcome: Outcome, config: Config) -> None:
    """Always: the job summary and the step outputs, when the runner provides them."""
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        text = outcome.body.replace(STICKY_MARKER, "").strip() or "tieback pr: skipped"
        if outcome.comment is not None:
            text += f"\n\n_Sticky comment: {outcome.comment.action}._"
        for note in outcome.notes:
            text += f"\n\n> [!WARNING]\n> {note}" if "token" in note else f"\n\n{note}"
        _append(summary, text + "\n")
    report_path = _write_report(environ, outcome)
    output = environ.get("GITHUB_OUTPUT")
    if output:
        backlog = outcome.backlog
        values = {
            "status": outcome.status,
            "coverage": backlog.coverage if backlog else "n/a",
            "aligned": _number(backlog.aligned) if backlog else "0",
            "unaligned": _number(backlog.unaligned) if backlog else "0",
            "total": str(backlog.items) if backlog else "0",
            "report": report_path,
        }
        _append(output, "".join(f"{name}={value}\n" for name, value in values.items()))


def _write_report(environ: Mapping[str, str], outcome: Outcome) -> str:
    directory = Path(environ.get("RUNNER_TEMP") or tempfile.gettempdir())
    path = directory / "tieback-pr-report.json"
    document = {
        "schema": "tieback.pr/1",
        "status": outcome.status,
        "pull_request": outcome.pull_request,
        "verdict": asdict(outcome.verdict) if outcome.verdict else None,
        "backlog": asdict(outcome.backlog) if outcome.backlog else None,
        "comment": asdict(outcome.comment) if outcome.comment else None,
        "notes": outcome.notes,
    }
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise TiebackError(f"{path}: cannot write the report: {exc.strerror or exc}") from None
    return str(path)


def _append(path: str, text: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise TiebackError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _escape_annotation(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


# --- small readers -------------------------------------------------------------------


def _label_names(node: Mapping[str, Any]) -> list[str]:
    nodes = _mapping(node.get("labels")).get("nodes") or []
    return [_text(_mapping(label).get("name")) for label in nodes if _mapping(label).get("name")]


def _login(author: object) -> str:
    """GraphQL gives a bot's login without the "[bot]" that REST and configs use."""
    actor = _mapping(author)
    login = _text(actor.get("login"))
    if login and actor.get("__typename") == "Bot" and not login.endswith("[bot]"):
        return f"{login}[bot]"
    return login


def _blob(node: object) -> str | None:
    text = _mapping(node).get("text")
    return text if isinstance(text, str) else None
