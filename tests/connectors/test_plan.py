"""The shared post-back rules: our label only, nothing on exempt, one comment ever."""

from __future__ import annotations

from factories import item, sample_declarations
from tieback.alignment import align
from tieback.connectors.sink import ActionKind, plan_item_actions
from tieback.rules import ExemptRules, TagRules


def plan(*items, comment=True, commented=frozenset()):  # type: ignore[no-untyped-def]
    alignments = align(
        list(items), sample_declarations(), TagRules(), ExemptRules.of(labels=["ktlo"])
    )
    actions = plan_item_actions(
        alignments.alignments, "jira", "needs-outcome", comment, set(commented)
    )
    return [(a.key, a.kind, a.detail) for a in actions]


def test_unaligned_gets_label_and_one_comment() -> None:
    assert plan(item("EDU-1")) == [
        ("EDU-1", ActionKind.ADD_LABEL, "needs-outcome"),
        ("EDU-1", ActionKind.COMMENT, "untagged"),
    ]


def test_nothing_twice() -> None:
    labelled = item("EDU-1", labels=("Needs-Outcome",))
    assert plan(labelled, commented={"EDU-1"}) == []


def test_aligned_only_loses_the_label() -> None:
    aligned = item("EDU-1", labels=("outcome:activation", "needs-outcome", "other"))
    assert plan(aligned) == [("EDU-1", ActionKind.REMOVE_LABEL, "needs-outcome")]
    assert plan(item("EDU-2", labels=("outcome:activation",))) == []


def test_nothing_on_exempt_items() -> None:
    assert plan(item("EDU-1", labels=("ktlo", "needs-outcome"))) == []


def test_comments_off_and_other_sources_ignored() -> None:
    assert plan(item("EDU-1"), comment=False) == [("EDU-1", ActionKind.ADD_LABEL, "needs-outcome")]
    assert plan(item("acme/app#1", source="github")) == []
