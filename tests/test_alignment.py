"""The normative rules of design.md, one test (at least) per rule."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from factories import item
from tieback.alignment import Tagger, align
from tieback.model import Classification, Reason, TagOrigin, marker_lines
from tieback.outcomes import Declarations
from tieback.rules import ExemptRules, TagRules

TAGGING = TagRules()
EXEMPT = ExemptRules.of(labels=["ktlo"], types=["Bug"], authors=["dependabot[bot]"])


def classify(declarations: Declarations, *items, tagging=TAGGING, exempt=EXEMPT):  # type: ignore[no-untyped-def]
    result = align(list(items), declarations, tagging, exempt)
    return {a.item.key: a for a in result.alignments}


# Rule 1: direct tags.


def test_label_prefix_is_case_insensitive_and_ref_trimmed_lowered() -> None:
    refs = Tagger(TAGGING).direct_refs(item(labels=("OUTCOME: Fast-Results ", "other")))
    assert refs == ("fast-results",)


def test_jira_field_values_are_refs() -> None:
    assert Tagger(TAGGING).direct_refs(item(field_refs=("Activation", " x "))) == (
        "activation",
        "x",
    )


def test_body_marker_lines_split_on_commas_case_insensitive() -> None:
    body = "Context first.\n  outcome:  activation, Fast-Results \nNot an Outcome: line-mid"
    assert Tagger(TAGGING).direct_refs(item(body=body)) == ("activation", "fast-results")


def test_body_marker_must_start_the_line() -> None:
    assert Tagger(TAGGING).direct_refs(item(body="see Outcome: activation")) == ()


def test_a_marker_line_holds_the_marker_as_python_lower_case_finds_it() -> None:
    # Case-insensitive matching lets the long s (U+017F) stand for "s"; lower case does not,
    # and neither does the store's copy of a body's marker lines.
    tagger = Tagger(TagRules(body_marker="Status:"))
    assert tagger.direct_refs(item(body="STATUS: a\n\u017ftatus: b")) == ("a",)


@settings(max_examples=300, deadline=None)
@given(
    marker=st.sampled_from(["Outcome:", "in:", "Résultat:", "Status:", "K"]),
    body=st.text(alphabet="OoUuTtCcMmEeSs:KkIiNn ,\t\r\n\u0130\u212aÉé\u017f\u2028", max_size=40),
)
@example(marker="Status:", body="Status: a\n\u017ftatus: b")
@example(marker="in:", body="x\u2028in: a\r\nIN: b,c")
def test_the_stored_marker_lines_give_the_refs_the_body_gives(marker: str, body: str) -> None:
    tagger = Tagger(TagRules(body_marker=marker))
    kept = marker_lines(body, marker.lower())
    assert tagger.direct_refs(item(body=kept)) == tagger.direct_refs(item(body=body))


def test_custom_prefix_and_marker() -> None:
    tagger = Tagger(TagRules(prefix="goal/", body_marker="Goal ->"))
    tagged = item(labels=("goal/activation", "outcome:x"), body="Goal -> fast-results")
    assert tagger.direct_refs(tagged) == ("activation", "fast-results")


def test_refs_are_deduplicated_in_order() -> None:
    tagged = item(labels=("outcome:a", "outcome:A"), body="Outcome: b, a")
    assert Tagger(TAGGING).direct_refs(tagged) == ("a", "b")


# Rule 2: resolution by id or alias.


def test_alias_resolves_to_its_outcome(declarations: Declarations) -> None:
    a = classify(declarations, item(labels=("outcome:FAST-results",)))["EDU-1"]
    assert a.classification is Classification.ALIGNED
    assert a.outcomes == ("results-in-a-minute",)
    assert a.origin is TagOrigin.DIRECT


# Rule 3: inheritance.


def test_inherits_recursively_from_epic(declarations: Declarations) -> None:
    result = classify(
        declarations,
        item("EDU-3", parent="EDU-2"),
        item("EDU-2", parent="EDU-1"),
        item("EDU-1", labels=("outcome:activation",)),
    )
    assert result["EDU-3"].classification is Classification.ALIGNED
    assert result["EDU-3"].origin is TagOrigin.INHERITED
    assert result["EDU-3"].inherited_from == "EDU-1"
    assert result["EDU-2"].inherited_from == "EDU-1"
    assert result["EDU-1"].origin is TagOrigin.DIRECT


def test_own_tags_win_over_parent(declarations: Declarations) -> None:
    result = classify(
        declarations,
        item("EDU-1", labels=("outcome:activation",)),
        item("EDU-2", parent="EDU-1", labels=("outcome:nope",)),
    )
    assert result["EDU-2"].reason is Reason.UNKNOWN_TAG
    assert result["EDU-2"].origin is TagOrigin.DIRECT


def test_inherit_off(declarations: Declarations) -> None:
    result = classify(
        declarations,
        item("EDU-1", labels=("outcome:activation",)),
        item("EDU-2", parent="EDU-1"),
        tagging=TagRules(inherit=False),
    )
    assert result["EDU-2"].reason is Reason.UNTAGGED


def test_missing_parent_gives_nothing(declarations: Declarations) -> None:
    result = classify(declarations, item("EDU-2", parent="EDU-404"))
    assert result["EDU-2"].reason is Reason.UNTAGGED


def test_inherited_unknown_tag_is_unaligned_with_suggestion(declarations: Declarations) -> None:
    result = classify(
        declarations,
        item("EDU-1", labels=("outcome:activaton",)),
        item("EDU-2", parent="EDU-1"),
    )
    assert result["EDU-2"].reason is Reason.UNKNOWN_TAG
    assert result["EDU-2"].suggestion == "activation"
    assert result["EDU-2"].origin is TagOrigin.INHERITED


def test_cycle_is_reported_not_looped(declarations: Declarations) -> None:
    items = [
        item("EDU-1", parent="EDU-3"),
        item("EDU-2", parent="EDU-1"),
        item("EDU-3", parent="EDU-2"),
    ]
    result = align(items, declarations, TAGGING, EXEMPT)
    assert all(a.reason is Reason.UNTAGGED for a in result.alignments)
    assert len(result.warnings) == 1
    assert "cycle" in result.warnings[0] and "EDU-1" in result.warnings[0]


def test_self_parent_is_a_cycle(declarations: Declarations) -> None:
    result = align([item("EDU-1", parent="EDU-1")], declarations, TAGGING, EXEMPT)
    assert result.alignments[0].reason is Reason.UNTAGGED
    assert result.warnings


def test_deep_chain_does_not_recurse(declarations: Declarations) -> None:
    depth = 50_000
    items = [item(f"EDU-{i}", parent=f"EDU-{i - 1}" if i else None) for i in range(depth)]
    items[0] = item("EDU-0", labels=("outcome:activation",))
    result = align(list(reversed(items)), declarations, TAGGING, EXEMPT)
    assert all(a.classification is Classification.ALIGNED for a in result.alignments)


# Rule 4: classification, first match wins.


def test_aligned_beats_exempt(declarations: Declarations) -> None:
    a = classify(declarations, item(type="Bug", labels=("outcome:activation", "ktlo")))["EDU-1"]
    assert a.classification is Classification.ALIGNED


def test_exempt_by_label_type_and_author(declarations: Declarations) -> None:
    result = classify(
        declarations,
        item("EDU-1", labels=("KTLO",)),
        item("EDU-2", type="bug"),
        item("EDU-3", author="Dependabot[bot]"),
        item("EDU-4", type="Story"),
    )
    assert [result[k].classification for k in ("EDU-1", "EDU-2", "EDU-3")] == [
        Classification.EXEMPT
    ] * 3
    assert result["EDU-4"].classification is Classification.UNALIGNED


def test_exempt_beats_unknown_tag(declarations: Declarations) -> None:
    a = classify(declarations, item(type="Bug", labels=("outcome:nope",)))["EDU-1"]
    assert a.classification is Classification.EXEMPT


def test_retired_only_is_retired_outcome(declarations: Declarations) -> None:
    a = classify(declarations, item(labels=("outcome:old-reports",)))["EDU-1"]
    assert a.reason is Reason.RETIRED_OUTCOME
    assert a.outcomes == ("old-reports",)


def test_retired_plus_active_is_aligned(declarations: Declarations) -> None:
    a = classify(declarations, item(labels=("outcome:old-reports", "outcome:activation")))
    assert a["EDU-1"].classification is Classification.ALIGNED
    assert a["EDU-1"].outcomes == ("activation", "old-reports")


def test_unknown_plus_retired_is_unknown_tag(declarations: Declarations) -> None:
    a = classify(declarations, item(labels=("outcome:old-reports", "outcome:zzz")))["EDU-1"]
    assert a.reason is Reason.UNKNOWN_TAG
    assert a.unknown_refs == ("zzz",)
    assert a.suggestion is None


def test_unknown_plus_active_is_aligned(declarations: Declarations) -> None:
    a = classify(declarations, item(labels=("outcome:zzz", "outcome:activation")))["EDU-1"]
    assert a.classification is Classification.ALIGNED


def test_suggestion_can_be_an_alias(declarations: Declarations) -> None:
    a = classify(declarations, item(labels=("outcome:fast-result",)))["EDU-1"]
    assert a.suggestion == "fast-results"


def test_untagged(declarations: Declarations) -> None:
    a = classify(declarations, item())["EDU-1"]
    assert (a.classification, a.reason, a.origin) == (
        Classification.UNALIGNED,
        Reason.UNTAGGED,
        TagOrigin.NONE,
    )
