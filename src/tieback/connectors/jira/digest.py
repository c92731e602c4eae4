"""The coverage digest in Jira's formats: wiki markup (Data Center) and ADF (Cloud),
each within Jira's comment limit."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jinja2

from tieback.connectors.digest import (
    LIST_LIMITS,
    MARGIN,
    Digest,
    LostOutcome,
    NewlyUnaligned,
    OrphanOutcome,
    TeamCoverage,
    display_change,
    display_percent,
    render_within,
    templates,
    when,
)
from tieback.connectors.jira import adf
from tieback.coverage import display_weight
from tieback.formats.escape import escape_wiki, safe_url

JIRA_LIMIT = 32_767  # characters in a Jira comment (jira.text.field.character.limit)


def _wiki_url(url: str) -> str:
    """An http(s) URL that cannot end a wiki link early: else empty, and no link."""
    url = safe_url(url)
    return "" if any(c in url for c in "[]|{}!") else url


@cache
def _templates() -> jinja2.Environment:
    env = templates("tieback.connectors.jira")
    env.filters["wiki"] = escape_wiki
    env.filters["wiki_url"] = _wiki_url
    return env


def digest_wiki(digest: Digest, marker: str) -> str:
    """Jira wiki markup (Data Center); ``marker`` (plain text) ends it in small print."""
    return render_within(_templates(), "digest.wiki.j2", digest, marker, JIRA_LIMIT - MARGIN)


def digest_adf(digest: Digest) -> dict[str, Any]:
    """An ADF document (Jira Cloud); the Jira sink marks the comment with a property."""
    document: dict[str, Any] = {}
    for limit in LIST_LIMITS:
        document = _adf(digest, limit)
        if len(json.dumps(document, ensure_ascii=False)) <= JIRA_LIMIT - MARGIN:
            break
    return document


def _adf(digest: Digest, limit: int) -> dict[str, Any]:
    precision = digest.precision
    blocks: list[dict[str, Any]] = [
        adf.heading(3, "tieback: outcome coverage"),
        adf.paragraph(
            adf.text(display_percent(digest.coverage, precision), strong=True),
            f" of the {_scope(digest)} backlog ties to a declared outcome: "
            f"{display_weight(digest.aligned)} aligned, {display_weight(digest.unaligned)} "
            f"unaligned, {display_weight(digest.exempt)} exempt ({digest.items} items, "
            f"weighted by {digest.weight}).",
        ),
        adf.paragraph(*_adf_change(digest)),
    ]
    if digest.newly_unaligned:
        blocks.append(adf.heading(4, f"Newly unaligned ({digest.newly_unaligned_count})"))
        shown = digest.newly_unaligned[:limit]
        entries: list[adf.ListEntry] = [_adf_newly(entry) for entry in shown]
        if digest.newly_unaligned_count > len(shown):
            entries.append(f"… and {digest.newly_unaligned_count - len(shown)} more")
        blocks.append(adf.bullet_list(*entries))
    for title, outcomes in (
        ("Outcomes that lost all their outputs", digest.lost_outcomes),
        ("Orphan outcomes: no item in scope serves them", digest.orphan_outcomes),
    ):
        if not outcomes:
            continue
        blocks.append(adf.heading(4, f"{title} ({len(outcomes)})"))
        lines: list[adf.ListEntry] = [_adf_outcome(outcome) for outcome in outcomes[:limit]]
        if len(outcomes) > limit:
            lines.append(f"… and {len(outcomes) - limit} more")
        blocks.append(adf.bullet_list(*lines))
    if digest.teams:
        blocks.append(adf.heading(4, "Coverage by team"))
        rows: list[adf.ListEntry] = [_adf_team(team, precision) for team in digest.teams[:limit]]
        if len(digest.teams) > limit:
            rows.append(f"… and {len(digest.teams) - limit} more teams")
        blocks.append(adf.bullet_list(*rows))
    return adf.doc(*blocks)


def _scope(digest: Digest) -> str:
    return "open" if digest.scope == "open" else "whole"


def _adf_change(digest: Digest) -> list[adf.Inline]:
    precision = digest.precision
    if not digest.has_previous:
        return ["First snapshot: no earlier coverage to compare with."]
    since = f"Since the previous snapshot ({when(digest.previous_taken_at)})"
    if not digest.previous_taken_at:
        since = "Since the previous snapshot"
    if not digest.comparable:
        return [f"{since}: it counted another scope or weight, so there is no comparison."]
    if digest.delta is None:
        return [f"{since}: coverage was {display_percent(digest.previous_coverage, precision)}."]
    return [
        f"{since}: ",
        adf.text(display_change(digest.delta, precision), strong=True),
        f" (from {display_percent(digest.previous_coverage, precision)}).",
    ]


def _adf_newly(entry: NewlyUnaligned) -> dict[str, Any]:
    parts: list[adf.Inline] = [adf.text(entry.key, link=entry.url), f": {entry.title}"]
    if entry.suggestion:
        parts += [f" ({entry.reason}; did you mean ", adf.text(entry.suggestion, code=True), "?)"]
    else:
        parts.append(f" ({entry.reason})")
    return adf.paragraph(*parts)


def _adf_outcome(outcome: LostOutcome | OrphanOutcome) -> dict[str, Any]:
    parts: list[adf.Inline] = [adf.text(outcome.id, code=True)]
    if outcome.title:
        parts += [": ", outcome.title]
    if isinstance(outcome, LostOutcome):
        parts.append(f" (had {outcome.items_before} items)")
    return adf.paragraph(*parts)


def _adf_team(team: TeamCoverage, precision: int) -> dict[str, Any]:
    parts: list[adf.Inline] = [
        adf.text(team.name, strong=True),
        f": {display_percent(team.coverage, precision)} of {team.items} items",
    ]
    if team.delta is not None:
        parts.append(f" ({display_change(team.delta, precision)})")
    return adf.paragraph(*parts)
