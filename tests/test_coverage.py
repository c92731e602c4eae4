"""Coverage arithmetic, display rounding and fail_under (rules 5-7), with properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from factories import item, sample_declarations
from tieback.alignment import align
from tieback.coverage import Numbers, display_coverage, display_weight
from tieback.outcomes import Declarations
from tieback.report import build_report
from tieback.rules import CoverageRules, ExemptRules, TagRules


def test_coverage_is_aligned_over_total_minus_exempt() -> None:
    numbers = Numbers(items=120, aligned=80, unaligned=30, exempt=10)
    assert numbers.coverage == 100 * 80 / 110


def test_coverage_is_none_when_nothing_counts() -> None:
    assert Numbers().coverage is None
    assert Numbers(items=3, exempt=3).coverage is None


def test_numbers_add() -> None:
    total = Numbers(1, 1, 0, 0, 0) + Numbers(2, 0, 1, 1, 1)
    assert total == Numbers(3, 1, 1, 1, 1)


def test_fail_under_uses_the_unrounded_value() -> None:
    numbers = Numbers(items=1000, aligned=799, unaligned=201)  # 79.9 → shows 79.9
    assert numbers.should_fail_under(80)
    just_under = Numbers(items=100_000, aligned=79_999, unaligned=20_001)  # 79.999 shows 80.0
    assert display_coverage(just_under.coverage, 1) == "80.0"
    assert just_under.should_fail_under(80)
    assert not Numbers(items=5, aligned=4, unaligned=1).should_fail_under(80)


def test_not_applicable_never_fails() -> None:
    assert not Numbers(items=2, exempt=2).should_fail_under(100)


def test_display_never_rounds_up_to_100_or_down_to_0() -> None:
    assert display_coverage(99.99, 1) == "99.9"
    assert display_coverage(99.96, 0) == "99"
    assert display_coverage(100.0, 1) == "100.0"
    assert display_coverage(0.01, 1) == "0.1"
    assert display_coverage(0.0, 2) == "0.00"
    assert display_coverage(72.72727, 1) == "72.7"
    assert display_coverage(None, 1) == "n/a"


@given(st.floats(min_value=0, max_value=100), st.integers(min_value=0, max_value=4))
def test_display_is_100_or_0_only_when_exact(value: float, precision: int) -> None:
    shown = float(display_coverage(value, precision))
    assert (shown == 100) == (value == 100)
    assert (shown == 0) == (value == 0)


def test_display_weight() -> None:
    assert display_weight(3.0) == "3"
    assert display_weight(2.5) == "2.5"
    assert display_weight(1 / 3) == "0.33"


# Scope and weight through the report.


def test_scope_open_counts_only_open_items(declarations: Declarations) -> None:
    items = [
        item("EDU-1", labels=("outcome:activation",), done=True),
        item("EDU-2", labels=("outcome:activation",)),
        item("EDU-3"),
    ]
    alignments = align(items, declarations, TagRules(), ExemptRules()).alignments
    open_report = build_report(alignments, declarations, CoverageRules(scope="open"))
    all_report = build_report(alignments, declarations, CoverageRules(scope="all"))
    assert open_report.data["totals"]["items"] == 2
    assert open_report.data["totals"]["coverage"] == 50.0
    assert all_report.data["totals"]["items"] == 3
    outcome = next(o for o in open_report.data["outcomes"] if o["id"] == "activation")
    assert (outcome["items"], outcome["done"]) == (1, 1)


def test_points_weight_with_default_points(declarations: Declarations) -> None:
    items = [
        item("EDU-1", labels=("outcome:activation",), points=5),
        item("EDU-2", points=3),
        item("EDU-3"),  # unestimated: weighs default_points
        item("EDU-4", type="Bug", points=8),
    ]
    alignments = align(items, declarations, TagRules(), ExemptRules.of(types=["Bug"])).alignments
    report = build_report(
        alignments, declarations, CoverageRules(weight="points", default_points=2)
    )
    totals = report.data["totals"]
    assert totals == {
        "items": 4,
        "aligned": 5,
        "unaligned": 5,
        "exempt": 8,
        "unestimated": 1,
        "coverage": 50.0,
    }


def test_zero_points_everywhere_is_not_applicable(declarations: Declarations) -> None:
    alignments = align([item("EDU-1")], declarations, TagRules(), ExemptRules()).alignments
    report = build_report(alignments, declarations, CoverageRules(weight="points"))
    assert report.data["totals"]["coverage"] is None


# Properties of the engine.

DECLARATIONS = sample_declarations()

REFS = st.sampled_from(["activation", "fast-results", "results-in-a-minute", "old-reports", "zz"])


@st.composite
def backlogs(draw: st.DrawFn) -> list:  # type: ignore[type-arg]
    size = draw(st.integers(min_value=0, max_value=25))
    items = []
    for i in range(size):
        labels = tuple(f"outcome:{r}" for r in draw(st.lists(REFS, max_size=2)))
        if draw(st.booleans()) and i % 5 == 0:
            labels += ("ktlo",)
        parent = f"EDU-{draw(st.integers(0, size))}" if draw(st.booleans()) else None
        items.append(
            item(
                f"EDU-{i}",
                labels=labels,
                parent=parent,
                done=draw(st.booleans()),
                points=draw(st.one_of(st.none(), st.integers(0, 8))),
            )
        )
    return items


def _coverage(items, declarations, weight="count"):  # type: ignore[no-untyped-def]
    alignments = align(items, declarations, TagRules(), ExemptRules.of(labels=["ktlo"])).alignments
    report = build_report(alignments, declarations, CoverageRules(weight=weight, default_points=1))
    return report.data["totals"]["coverage"]


@given(backlog=backlogs(), weight=st.sampled_from(["count", "points"]))
def test_coverage_is_null_or_a_percentage(backlog: list, weight: str) -> None:  # type: ignore[type-arg]
    declarations = DECLARATIONS
    coverage = _coverage(backlog, declarations, weight)
    assert coverage is None or 0 <= coverage <= 100


@given(backlog=backlogs())
def test_tagging_one_more_unaligned_item_never_lowers_coverage(backlog: list) -> None:  # type: ignore[type-arg]
    declarations = DECLARATIONS
    tagging = TagRules(inherit=False)  # so the change cannot reach other items
    alignments = align(backlog, declarations, tagging, ExemptRules.of(labels=["ktlo"])).alignments
    before = build_report(alignments, declarations, CoverageRules()).data["totals"]["coverage"]
    target = next(
        (a.item for a in alignments if a.classification.value == "unaligned" and not a.item.done),
        None,
    )
    if target is None:
        return
    tagged = [
        item(i.key, labels=(*i.labels, "outcome:activation"), parent=i.parent, done=i.done)
        if i.key == target.key
        else i
        for i in backlog
    ]
    after_alignments = align(
        tagged, declarations, tagging, ExemptRules.of(labels=["ktlo"])
    ).alignments
    after = build_report(after_alignments, declarations, CoverageRules()).data["totals"]["coverage"]
    assert after is not None and after > before  # type: ignore[operator]


@given(backlog=backlogs())
def test_an_alias_behaves_as_its_id(backlog: list) -> None:  # type: ignore[type-arg]
    declarations = DECLARATIONS

    def with_label(items, old, new):  # type: ignore[no-untyped-def]
        return [
            item(
                i.key,
                labels=tuple(new if label == old else label for label in i.labels),
                parent=i.parent,
                done=i.done,
                points=i.points,
            )
            for i in items
        ]

    by_alias = with_label(backlog, "outcome:results-in-a-minute", "outcome:fast-results")
    by_id = with_label(backlog, "outcome:fast-results", "outcome:results-in-a-minute")
    assert _coverage(by_alias, declarations) == _coverage(by_id, declarations)
