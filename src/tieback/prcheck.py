"""The pull-request check's verdict: the outcomes a pull request serves, and how it moves coverage.

Pure and tracker-free: it takes the pull request as an ``Item``, the items it links to,
the declarations, the rules (``tieback.rules``) and a report, and returns values.
Reading GitHub, Jira or the store, and writing the comment, are the caller's.

The pull request and the items it links to are classified by ``align``, inheritance
included, so a verdict follows the very rules of an audit; the only rule of its own is
``skip_label``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tieback.alignment import Resolver, Tagger, align
from tieback.coverage import display_change, display_coverage, display_percent
from tieback.model import Alignment, Classification, Declarations, Item, Reason, focus_warnings
from tieback.payload import mapping_of as _mapping
from tieback.report import Report, build_report
from tieback.rules import CoverageRules, ExemptRules, TagRules

if TYPE_CHECKING:
    from tieback.store import Snapshot

__all__ = [
    "Backlog",
    "ChainRow",
    "Link",
    "Move",
    "Moved",
    "Rules",
    "Verdict",
    "backlog_report",
    "backlog_summary",
    "coverage_move",
    "decide",
    "exempt_reason",
    "jira_keys",
]

NOT_SYNCED = "not in the store; run tieback sync"
NO_JIRA = "not in the store and no Jira credentials"


@dataclass(frozen=True)
class Rules:
    """The rules a verdict and a coverage move follow."""

    tagging: TagRules
    exempt: ExemptRules
    coverage: CoverageRules
    skip_label: str = ""  # a label that exempts a pull request, whatever it names
    # Whether Jira could be read (credentials and a site): an unknown Jira key then
    # only needs a sync.
    jira_readable: bool = False


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
    """One step of the chain output → outcome → impact."""

    output: str
    via: str
    outcome_id: str
    outcome_title: str
    impact_id: str = ""
    impact_title: str = ""


@dataclass(frozen=True)
class Verdict:
    """Whether the pull request serves an outcome, the evidence, and the chain it forms."""

    status: str  # aligned | exempt | unaligned
    reason: str | None = None
    suggestion: str | None = None
    unknown_refs: tuple[str, ...] = ()
    retired: bool = False
    outcomes: tuple[str, ...] = ()
    exempt_because: str = ""
    links: list[Link] = field(default_factory=list)
    chain: list[ChainRow] = field(default_factory=list)

    def describe(self) -> str:
        """``aligned (activation)``, ``exempt (label chore)``, ``unaligned (untagged)``."""
        if self.status == "aligned":
            return f"aligned ({', '.join(self.outcomes)})"
        if self.status == "exempt":
            return f"exempt ({self.exempt_because})"
        return f"unaligned ({self.reason})"


def decide(
    pull: Item,
    closing: Sequence[str],
    jira: Sequence[str],
    known: Mapping[str, Item],
    declarations: Declarations,
    rules: Rules,
) -> Verdict:
    """Aligned, exempt or unaligned, by design.md's pull-request rules.

    ``closing`` and ``jira`` are the keys of the issues the pull request closes and of
    the Jira issues it names; ``known`` holds the items those keys and their parents
    may be (a key it lacks is "not checked"). Aligned when the pull request or one of
    those items is; else exempt by ``skip_label`` or an ``[exempt]`` rule; else
    unaligned, for the reason ``align`` gives the pull request.
    """
    wanted = [pull, *_with_ancestors([*closing, *jira], known)]
    result = align(wanted, declarations, rules.tagging, rules.exempt)
    by_key = {a.item.key: a for a in result.alignments}
    own = by_key[pull.key]
    links = _own_links(pull, declarations, rules.tagging)
    links.extend(_link("closes", key, by_key.get(key), NOT_SYNCED) for key in closing)
    unchecked = NOT_SYNCED if rules.jira_readable else NO_JIRA
    links.extend(_link("Jira", key, by_key.get(key), unchecked) for key in jira)

    aligned = [link for link in links if link.status == "aligned"]
    if aligned:
        outcomes = dict.fromkeys(outcome for link in aligned for outcome in link.outcomes)
        chain = _chain(pull, aligned, declarations)
        return Verdict("aligned", outcomes=tuple(outcomes), links=links, chain=chain)
    skip = rules.skip_label
    if skip and any(label.lower() == skip.lower() for label in pull.labels):
        return Verdict("exempt", exempt_because=f"label {skip}", links=links)
    if own.classification is Classification.EXEMPT:
        return Verdict("exempt", exempt_because=exempt_reason(pull, rules.exempt), links=links)
    return Verdict(
        "unaligned",
        reason=(own.reason or Reason.UNTAGGED).value,
        suggestion=own.suggestion,
        unknown_refs=own.unknown_refs,
        retired=own.reason is Reason.RETIRED_OUTCOME,
        links=links,
    )


def exempt_reason(item: Item, exempt: ExemptRules) -> str:
    """The ``[exempt]`` rule an item matches, as text: ``label chore``, ``author
    dependabot[bot]`` or ``type Task`` (the first that matches, in that order); ""
    when none does. Each rule is matched by ``ExemptRules``, as alignment matches it."""
    label = exempt.matching_label(item.labels)
    if label is not None:
        return f"label {label}"
    if exempt.matches_author(item.author):
        return f"author {item.author}"
    if exempt.matches_type(item.type):
        return f"type {item.type}"
    return ""


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


def _own_links(pull: Item, declarations: Declarations, tagging: TagRules) -> list[Link]:
    """A link for each ref the pull request names itself, by label, then by description."""
    tagger = Tagger(tagging)
    resolver = Resolver(declarations)
    links: list[Link] = []
    for kind, refs, shown in (
        ("label", tagger.direct_refs(pull._replace(body="")), tagging.prefix),
        ("description", tagger.direct_refs(pull._replace(labels=())), f"{tagging.body_marker} "),
    ):
        for ref in refs:
            outcome = resolver.resolve(ref)
            if outcome is None:
                links.append(Link(kind, shown + ref, "unaligned", note="not a declared outcome"))
            elif outcome.active:
                links.append(Link(kind, shown + ref, "aligned", outcomes=(outcome.id,)))
            else:
                links.append(Link(kind, shown + ref, "unaligned", note="retired outcome"))
    return links


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


def _chain(pull: Item, aligned: Sequence[Link], declarations: Declarations) -> list[ChainRow]:
    rows: list[ChainRow] = []
    by_id = {outcome.id: outcome for outcome in declarations.outcomes}
    for link in aligned:
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
    """The stored backlog's coverage, and its change since the last snapshot."""

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
    """An item that gains or loses alignment with a changed outcomes file."""

    key: str
    title: str


@dataclass(frozen=True)
class Move:
    """How the backlog's coverage moves from the base outcomes file to the pull request's."""

    path: str
    before: str = ""
    after: str = ""
    change: str = ""
    gained: list[Moved] = field(default_factory=list)
    lost: list[Moved] = field(default_factory=list)
    error: str = ""


def backlog_report(items: Sequence[Item], declarations: Declarations, rules: Rules) -> Report:
    """The report of ``items`` under ``declarations``, as an audit makes it."""
    result = align(items, declarations, rules.tagging, rules.exempt)
    return build_report(
        result.alignments,
        declarations,
        rules.coverage,
        warnings=[*focus_warnings(declarations), *result.warnings],
    )


def backlog_summary(
    report: Report, read: int, previous: Snapshot | None, precision: int
) -> Backlog | None:
    """Coverage of the backlog (``read`` items, ``report`` made of them) and its change
    since ``previous``, the last snapshot, when it counted the same scope and weight;
    None when no item was read."""
    if read == 0:
        return None
    totals = report.totals
    value = totals.coverage
    change = since = ""
    if previous is not None:
        data = previous.data
        same_basis = (
            data.get("scope") == report.data["scope"]
            and data.get("weight") == report.data["weight"]
        )
        before = _mapping(data.get("totals")).get("coverage")
        if same_basis and isinstance(before, int | float) and value is not None:
            change = display_change(value - float(before), precision)
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


def coverage_move(
    path: str,
    backlog: Sequence[Item],
    before: Declarations,
    after: Declarations,
    rules: Rules,
    after_report: Report | None = None,
) -> Move:
    """How the backlog's coverage moves from the outcomes file ``before`` (the base's) to
    ``after`` (the pull request's); ``after_report``, when given, is the backlog's report
    under ``after``, already made."""
    if after_report is None:
        after_report = backlog_report(backlog, after, rules)
    before_report = backlog_report(backlog, before, rules)
    precision = rules.coverage.precision
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
        change = display_change(after_value - before_value, precision)
    return Move(
        path,
        before=display_percent(before_value, precision),
        after=display_percent(after_value, precision),
        change=change,
        gained=gained,
        lost=lost,
    )
