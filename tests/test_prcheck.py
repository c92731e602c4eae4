"""The pull-request verdict and coverage move, from plain values: no tracker, no store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factories import item, sample_declarations
from tieback.alignment import align
from tieback.model import Classification, Item, Outcome
from tieback.outcomes import Declarations
from tieback.prcheck import (
    NO_JIRA,
    NOT_SYNCED,
    ChainRow,
    Link,
    Moved,
    Rules,
    Verdict,
    backlog_report,
    backlog_summary,
    coverage_move,
    decide,
    exempt_reason,
    jira_keys,
)
from tieback.rules import CoverageRules, ExemptRules, TagRules
from tieback.store import Snapshot

EXEMPT = ExemptRules.of(labels=["chore"], types=["Chore"], authors=["dependabot[bot]"])
RULES = Rules(TagRules(), EXEMPT, CoverageRules(), skip_label="no-outcome")
DECLARATIONS = sample_declarations()


def pull(**fields: object) -> Item:
    """A pull request as the GitHub source reads it."""
    defaults: dict[str, object] = {"source": "github", "type": "Pull Request", "team": "acme/app"}
    return item("acme/app#7", **{**defaults, **fields})


def alone(pr: Item, rules: Rules = RULES) -> Verdict:
    return decide(pr, [], [], {}, DECLARATIONS, rules)


def test_the_verdict_loads_no_tracker_client_and_no_store() -> None:
    code = (
        "import sys, tieback.prcheck\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(("
        "'tieback.store', 'tieback.http', 'tieback.sources', 'tieback.sinks.github', "
        "'tieback.sinks.jira', 'tieback.connectors.github.pr', 'tieback.connectors', "
        "'requests', 'github', 'sqlite3', 'psycopg')))))"
    )
    src = str(Path(__file__).parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == ""


# --- the pull request's own tags, classified as align classifies them -----------------


@pytest.mark.parametrize(
    ("pr", "status"),
    [
        (pull(labels=("outcome:activation",)), "aligned"),
        (pull(labels=("OUTCOME: Fast-Results ",)), "aligned"),  # an alias, any case
        (pull(body="Why.\n  outcome:  old-reports, activation\n"), "aligned"),
        (pull(labels=("outcome:old-reports",)), "unaligned"),  # retired only
        (pull(body="Outcome: actvation"), "unaligned"),  # unknown, with a suggestion
        (pull(labels=("bug",)), "unaligned"),
        (pull(labels=("Chore",)), "exempt"),
        (pull(author="Dependabot[bot]"), "exempt"),
        (pull(type="chore"), "exempt"),
        (pull(labels=("chore", "outcome:activation")), "aligned"),  # aligned comes first
    ],
)
def test_the_verdict_on_a_pull_request_alone_is_aligns(pr: Item, status: str) -> None:
    [alignment] = align([pr], DECLARATIONS, RULES.tagging, RULES.exempt).alignments
    verdict = alone(pr)
    assert verdict.status == alignment.classification.value == status
    active = {o for o in alignment.outcomes if DECLARATIONS.index[o].active}
    assert set(verdict.outcomes) == active
    if status == "unaligned":
        assert alignment.reason is not None
        assert verdict.reason == alignment.reason.value
        assert verdict.suggestion == alignment.suggestion
        assert verdict.unknown_refs == alignment.unknown_refs
        assert verdict.retired is (alignment.reason.value == "retired-outcome")


REFS = st.sampled_from(["activation", "Fast-Results", "old-reports", "actvation", "x", ""])


@settings(max_examples=150, deadline=None)
@given(
    labels=st.lists(st.one_of(REFS.map("outcome:{}".format), st.sampled_from(["chore", "bug"]))),
    marked=st.lists(REFS, max_size=3),
    author=st.sampled_from(["ann", "dependabot[bot]", "DEPENDABOT[BOT]"]),
    kind=st.sampled_from(["Pull Request", "Chore", "chore"]),
)
def test_any_pull_request_alone_is_classified_as_align_classifies_it(
    labels: list[str], marked: list[str], author: str, kind: str
) -> None:
    pr = pull(
        labels=tuple(labels),
        body="".join(f"Outcome: {ref}\n" for ref in marked),
        author=author,
        type=kind,
    )
    [alignment] = align([pr], DECLARATIONS, RULES.tagging, RULES.exempt).alignments
    verdict = alone(pr, Rules(TagRules(), EXEMPT, CoverageRules()))
    assert verdict.status == alignment.classification.value
    assert set(verdict.outcomes) == {o for o in alignment.outcomes if o != "old-reports"}
    if verdict.status == "exempt":
        assert verdict.exempt_because


def test_each_own_tag_is_a_link_saying_what_it_names() -> None:
    tagging = TagRules(prefix="okr/", body_marker="Serves:")
    pr = pull(labels=("okr/activation", "okr/nope"), body="Serves: old-reports, activation")
    verdict = alone(pr, Rules(tagging, EXEMPT, CoverageRules()))
    assert verdict.links == [
        Link("label", "okr/activation", "aligned", outcomes=("activation",)),
        Link("label", "okr/nope", "unaligned", note="not a declared outcome"),
        Link("description", "Serves: old-reports", "unaligned", note="retired outcome"),
        Link("description", "Serves: activation", "aligned", outcomes=("activation",)),
    ]
    assert verdict.outcomes == ("activation",)
    assert verdict.describe() == "aligned (activation)"
    assert [row.output for row in verdict.chain] == ["acme/app#7", "acme/app#7"]


def test_the_skip_label_exempts_only_what_names_no_outcome() -> None:
    skipped = alone(pull(labels=("No-Outcome",)))
    assert (skipped.status, skipped.exempt_because) == ("exempt", "label no-outcome")
    assert skipped.describe() == "exempt (label no-outcome)"
    # align knows no skip label: it is the pull-request check's own rule.
    [alignment] = align([pull(labels=("No-Outcome",))], DECLARATIONS, TagRules(), EXEMPT).alignments
    assert alignment.classification is Classification.UNALIGNED
    assert alone(pull(labels=("no-outcome", "outcome:activation"))).status == "aligned"


# --- linked items --------------------------------------------------------------------


def test_a_closed_issue_aligned_by_inheritance_aligns_the_pull_request() -> None:
    epic = item("acme/app#10", source="github", labels=("outcome:fast-results",))
    issue = item("acme/app#12", source="github", title="Cache grades", parent="acme/app#10")
    known = {i.key: i for i in (epic, issue)}
    verdict = decide(pull(), ["acme/app#12"], [], known, DECLARATIONS, RULES)
    by_key = {
        a.item.key: a for a in align([issue, epic], DECLARATIONS, TagRules(), EXEMPT).alignments
    }
    assert by_key["acme/app#12"].inherited_from == "acme/app#10"
    assert verdict.status == "aligned"
    assert verdict.outcomes == by_key["acme/app#12"].outcomes == ("results-in-a-minute",)
    assert verdict.links == [
        Link(
            "closes",
            "acme/app#12",
            "aligned",
            "Cache grades",
            "",
            ("results-in-a-minute",),
            "inherited from acme/app#10",
        )
    ]
    assert verdict.chain == [
        ChainRow(
            "acme/app#12",
            "closes acme/app#12 (inherited from acme/app#10)",
            "results-in-a-minute",
            "Learners see results within one minute",
            "engagement",
            "Increase active learner engagement",
        )
    ]


def test_linked_items_not_aligned_leave_the_pull_requests_own_verdict() -> None:
    known = {
        "acme/app#16": item("acme/app#16", source="github", labels=("chore",)),
        "EDU-3": item("EDU-3", labels=("outcome:old-reports",)),
    }
    verdict = decide(
        pull(body="Outcome: actvation"),
        ["acme/app#16", "acme/app#99"],
        ["EDU-3", "EDU-4"],
        known,
        DECLARATIONS,
        RULES,
    )
    assert (verdict.status, verdict.reason, verdict.suggestion) == (
        "unaligned",
        "unknown-tag",
        "activation",
    )
    assert [(link.kind, link.key, link.status, link.note) for link in verdict.links] == [
        ("description", "Outcome: actvation", "unaligned", "not a declared outcome"),
        ("closes", "acme/app#16", "exempt", ""),
        ("closes", "acme/app#99", "not checked", NOT_SYNCED),
        ("Jira", "EDU-3", "unaligned", "retired-outcome"),
        ("Jira", "EDU-4", "not checked", NO_JIRA),
    ]
    readable = Rules(TagRules(), EXEMPT, CoverageRules(), jira_readable=True)
    [*_, unknown] = decide(pull(), [], ["EDU-4"], {}, DECLARATIONS, readable).links
    assert unknown.note == NOT_SYNCED


def test_exempt_reason_names_the_rule_align_matched() -> None:
    assert exempt_reason(pull(labels=("x", "CHORE"), type="Chore"), EXEMPT) == "label CHORE"
    assert exempt_reason(pull(author="dependabot[BOT]", type="chore"), EXEMPT) == (
        "author dependabot[BOT]"
    )
    assert exempt_reason(pull(labels=("x",), type="chore"), EXEMPT) == "type chore"
    assert exempt_reason(pull(labels=("x",)), EXEMPT) == ""
    # Each rule alone: an exempt empty type does not make every label exempt.
    blank = ExemptRules.of(labels=["chore"], types=[""])
    assert exempt_reason(pull(labels=("x",), type="Task"), blank) == ""
    verdict = alone(pull(author="dependabot[bot]"))
    assert verdict.describe() == "exempt (author dependabot[bot])"


def test_jira_keys_only_of_configured_projects() -> None:
    found = jira_keys(["EDU"], "EDU-12: grades", "see GRD-1 and EDU-3", "feature/edu-45-fast")
    assert found == ["EDU-12", "EDU-3", "EDU-45"]
    assert jira_keys([], "EDU-12") == []


# --- the backlog and how a changed outcomes file moves it ------------------------------


BACKLOG = [
    item("EDU-1", labels=("outcome:activation",)),
    item("EDU-2", labels=("outcome:onboarding",)),
    item("EDU-3"),
    item("EDU-4", labels=("chore",)),
]


def renamed(declarations: Declarations, old: str, new: str) -> Declarations:
    outcomes = tuple(
        Outcome(new, o.title, o.impact, status=o.status) if o.id == old else o
        for o in declarations.outcomes
    )
    return Declarations(declarations.impacts, outcomes, origin="base")


def test_backlog_summary_and_its_change_since_a_comparable_snapshot() -> None:
    report = backlog_report(BACKLOG, DECLARATIONS, RULES)
    assert backlog_summary(report, 0, None, 1) is None
    first = backlog_summary(report, len(BACKLOG), None, 1)
    assert first is not None
    assert (first.coverage, first.aligned, first.unaligned, first.exempt, first.items) == (
        "33.3",
        1,
        2,
        1,
        4,
    )
    assert (first.change, first.since) == ("", "")
    data = {"scope": "open", "weight": "count", "totals": {"coverage": 50.0}}
    before = Snapshot(1, "2026-11-20T10:00:00+00:00", "audit", data)
    moved = backlog_summary(report, len(BACKLOG), before, 1)
    assert moved is not None and (moved.change, moved.since) == ("▼ -16.7 points", "2026-11-20")
    other = Snapshot(2, "2026-11-21T10:00:00+00:00", "audit", {**data, "weight": "points"})
    apart = backlog_summary(report, len(BACKLOG), other, 1)
    assert apart is not None and apart.change == ""


def test_coverage_moves_with_the_outcomes_file() -> None:
    base = renamed(DECLARATIONS, "activation", "onboarding")
    move = coverage_move("outcomes.toml", BACKLOG, base, DECLARATIONS, RULES)
    assert (move.before, move.after, move.change) == ("33.3%", "33.3%", "no change")
    assert move.gained == [Moved("EDU-1", "Work on EDU-1")]
    assert move.lost == [Moved("EDU-2", "Work on EDU-2")]
    current = backlog_report(BACKLOG, DECLARATIONS, RULES)
    assert coverage_move("outcomes.toml", BACKLOG, base, DECLARATIONS, RULES, current) == move
    gone = renamed(DECLARATIONS, "activation", "gone")
    fewer = coverage_move("o.toml", BACKLOG, DECLARATIONS, gone, RULES)
    assert (fewer.before, fewer.after, fewer.change) == ("33.3%", "0.0%", "▼ -33.3 points")
    empty = coverage_move("o.toml", [], DECLARATIONS, gone, RULES)
    assert (empty.before, empty.after, empty.change) == ("n/a", "n/a", "")
