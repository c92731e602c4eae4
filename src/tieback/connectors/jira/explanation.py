"""The explanatory comment on an unaligned Jira issue: wiki markup (Data Center) or ADF (Cloud)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from tieback.connectors.jira import adf
from tieback.connectors.jira.comments import EXPLAIN, marker
from tieback.formats.escape import escape_wiki
from tieback.formats.templates import environment


@dataclass(frozen=True)
class Explanation:
    """What an explanatory comment says, rendered as wiki markup or as ADF."""

    reason: str
    unknown_refs: tuple[str, ...]
    retired_refs: tuple[str, ...]
    suggestion: str | None
    inherited_from: str | None
    prefix: str
    marker_line: str
    field: str  # tagging.jira_field, by name
    exempt_labels: tuple[str, ...]
    outcomes: tuple[tuple[str, str], ...]  # the first active outcomes: (id, title)
    more: int  # active outcomes beyond those listed
    outcomes_file: str
    missing_label: str


@cache
def _templates() -> jinja2.Environment:
    env = environment("tieback.connectors.jira").overlay()
    env.filters["wiki"] = escape_wiki
    return env


def explanation_wiki(explanation: Explanation) -> str:
    """The explanatory comment in Jira wiki markup (Data Center); untrusted text escaped."""
    template = _templates().get_template("jira-explain.wiki.j2")
    return template.render(e=explanation, marker=marker(EXPLAIN))


def explanation_adf(explanation: Explanation) -> dict[str, Any]:
    """The explanatory comment as an ADF document (Cloud). ADF text is data, not markup."""
    e = explanation
    blocks: list[dict[str, Any]] = [
        adf.paragraph(
            adf.text("tieback:", strong=True),
            f" this issue does not name an outcome it serves ({e.reason}).",
        )
    ]
    if e.unknown_refs:
        verb = (
            "is not a declared outcome" if len(e.unknown_refs) == 1 else "are not declared outcomes"
        )
        parts: list[adf.Inline] = [*_codes(e.unknown_refs), f" {verb}"]
        if e.suggestion:
            parts += ["; did you mean ", adf.text(e.suggestion, code=True), "?"]
        else:
            parts.append(".")
        blocks.append(adf.paragraph(*parts))
    elif e.retired_refs:
        blocks.append(
            adf.paragraph("It names only retired outcomes: ", *_codes(e.retired_refs), ".")
        )
    if e.inherited_from:
        blocks.append(adf.paragraph(f"Its tags come from {e.inherited_from}."))
    how: list[adf.Inline] = [
        "To tie it to an outcome, add a label ",
        adf.text(f"{e.prefix}<id>", code=True),
        ", a line ",
        adf.text(f"{e.marker_line} <id>", code=True),
        " to its description",
    ]
    if e.field:
        how += [", or set the field ", adf.text(e.field, code=True)]
    how.append(".")
    if e.exempt_labels:
        how += [" Work that needs no outcome: label it ", *_codes(e.exempt_labels), "."]
    blocks.append(adf.paragraph(*how))
    if e.outcomes:
        blocks.append(adf.paragraph("Declared outcomes:"))
        entries: list[adf.ListEntry] = [
            adf.paragraph(adf.text(outcome_id, code=True), f": {title}" if title else "")
            for outcome_id, title in e.outcomes
        ]
        if e.more:
            entries.append(
                adf.paragraph(
                    f"… and {e.more} more in ", adf.text(e.outcomes_file or "outcomes", code=True)
                )
            )
        blocks.append(adf.bullet_list(*entries))
    else:
        blocks.append(
            adf.paragraph(
                "No outcome is active yet: declare one in ",
                adf.text(e.outcomes_file or "outcomes.toml", code=True),
                ".",
            )
        )
    blocks.append(
        adf.paragraph(
            f"Written once by tieback; the {e.missing_label} label goes away when the issue "
            f"is aligned. {marker(EXPLAIN)}"
            if e.missing_label
            else f"Written once by tieback. {marker(EXPLAIN)}"
        )
    )
    return adf.doc(*blocks)


def _codes(values: Sequence[str]) -> Iterator[adf.Inline]:
    """Values as monospaced text, comma-separated."""
    for index, value in enumerate(value for value in values if value):
        if index:
            yield ", "
        yield adf.text(value, code=True)
