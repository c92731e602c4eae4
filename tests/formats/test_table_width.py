"""The table format at terminal widths and piped: what must show whole, and what gives way."""

from __future__ import annotations

import pytest

from factories import item
from tieback.alignment import align
from tieback.formats import get_format
from tieback.model import Impact, Outcome, OutcomeStatus
from tieback.outcomes import Declarations
from tieback.report import Report, build_report
from tieback.rules import CoverageRules, ExemptRules, TagRules

WIDTHS = [60, 80, 100, 200]

DASHBOARD = "teacher-dashboard-adoption-in-districts"
DASHBOARD_TYPO = "teacher-dashbord-adoption-in-districts"
UNTAGGED_TITLE = "Assignment due dates show in the wrong time zone"
PAYWALL_TITLE = "Paywall copy test on trial day 10"


def long_names_report() -> Report:
    declarations = Declarations(
        impacts=(
            Impact("learner-engagement-and-retention", "Learners come back"),
            Impact("school-revenue-growth", "Schools pay"),
        ),
        outcomes=(
            Outcome(
                DASHBOARD,
                "Districts use the dashboard",
                impact="school-revenue-growth",
                team="district-partnerships",
            ),
            Outcome(
                "activation",
                "New teachers assign a first quiz in week one",
                impact="learner-engagement-and-retention",
                team="onboarding-and-activation",
            ),
            Outcome(
                "free-trial-conversion",
                "Trials become subscriptions",
                impact="school-revenue-growth",
                status=OutcomeStatus.RETIRED,
            ),
        ),
        origin="test",
    )
    github = {"source": "github", "team": "acme-learning/mobile-app"}
    items = [
        item(
            "acme-learning/mobile-app#12345",
            title="Track time-to-first-lesson in the activation funnel for new teachers",
            labels=("outcome:activaton",),
            **github,
        ),
        item(
            "acme-learning/mobile-app#12346",
            title="Grade short-answer questions with the rubric model",
            labels=(f"outcome:{DASHBOARD_TYPO}",),
            **github,
        ),
        item(
            "acme-learning/mobile-app#12347",
            title="Rubric model: keep scoring latency under twenty seconds",
            parent="acme-learning/mobile-app#12346",
            **github,
        ),
        item("acme-learning/mobile-app#12348", title=UNTAGGED_TITLE, **github),
        item("EDU-4821", title=PAYWALL_TITLE, labels=("outcome:free-trial-conversion",)),
        item("EDU-4822", title="District rollout", labels=(f"outcome:{DASHBOARD}",)),
    ]
    result = align(items, declarations, TagRules(), ExemptRules())
    return build_report(result.alignments, declarations, CoverageRules())


def sections(text: str) -> dict[str, str]:
    """Each table's text by its title (a table's own lines start with a space)."""
    found: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in text.splitlines():
        if not line.startswith(" "):
            lines = found.setdefault(line, [])
        lines.append(line)
    return {title: "\n".join(lines) for title, lines in found.items()}


def table(text: str, title: str) -> str:
    return next(body for heading, body in sections(text).items() if heading.startswith(title))


def words(text: str) -> set[str]:
    return {word.strip(",?()") for word in text.split()}


def essentials(report: Report) -> dict[str, set[str]]:
    """What each table must show whole: keys, reasons, tags, suggestions, ids, teams."""
    data = report.data
    outcomes: set[str] = set()
    for outcome in data["outcomes"]:
        outcomes |= {outcome["id"], outcome["impact"], outcome["team"] or "—"}
    unaligned: set[str] = set()
    for row in data["unaligned"]:
        unaligned |= {row["key"], row["reason"], *row["refs"]}
        unaligned |= {row["suggestion"], row["inherited_from"]} - {None}
    return {
        "By team": {g["name"] for g in data["groups"]},
        "Outcomes": outcomes,
        "Unaligned items": unaligned,
    }


def test_the_report_has_what_the_width_tests_need() -> None:
    data = long_names_report().data
    by_key = {u["key"]: u for u in data["unaligned"]}
    assert by_key["acme-learning/mobile-app#12345"]["suggestion"] == "activation"
    assert by_key["acme-learning/mobile-app#12346"]["suggestion"] == DASHBOARD
    inherited = by_key["acme-learning/mobile-app#12347"]
    assert inherited["inherited_from"] == "acme-learning/mobile-app#12346"
    assert {u["reason"] for u in data["unaligned"]} == {
        "unknown-tag",
        "untagged",
        "retired-outcome",
    }


@pytest.mark.parametrize("width", [40, *WIDTHS])
def test_every_line_fits_the_terminal(width: int) -> None:
    text = get_format("table", width=width).render(long_names_report())
    too_wide = [line for line in text.splitlines() if len(line) > width]
    assert too_wide == []


@pytest.mark.parametrize("width", [*WIDTHS, None])
def test_keys_reasons_tags_suggestions_ids_and_teams_show_whole(width: int | None) -> None:
    report = long_names_report()
    text = get_format("table", width=width).render(report)
    for title, shown in essentials(report).items():
        assert shown - words(table(text, title)) == set(), (title, width)


@pytest.mark.parametrize("width", [*WIDTHS, None])
def test_a_suggestion_follows_its_tag(width: int | None) -> None:
    listing = table(get_format("table", width=width).render(long_names_report()), "Unaligned")
    joined = " ".join(listing.split())
    assert "activaton → activation?" in joined
    assert f"{DASHBOARD_TYPO} → {DASHBOARD}?" in joined


def test_narrower_than_an_id_folds_it_rather_than_cut_it() -> None:
    # At 40 columns a 39-character id set in under its row has no line wide enough.
    report = long_names_report()
    text = get_format("table", width=40).render(report)
    joined = "".join(text.split())
    for shown in essentials(report).values():
        assert [word for word in shown if word not in joined] == []
    assert "…" not in text


def test_wide_terminal_shows_a_row_a_line() -> None:
    lines = get_format("table", width=200).render(long_names_report()).splitlines()
    assert any(UNTAGGED_TITLE in line and "mobile-app#12348" in line for line in lines)
    assert any("mobile-app#12345" in line and "activaton → activation?" in line for line in lines)
    assert any(f"{DASHBOARD_TYPO} → {DASHBOARD}?" in line for line in lines)
    assert any(DASHBOARD in line and "district-partnerships" in line for line in lines)


def test_the_title_gives_way_first() -> None:
    text = get_format("table", width=140).render(long_names_report())
    row = next(line for line in text.splitlines() if "mobile-app#12345" in line)
    assert "activaton → activation?" in row
    assert "Track time" in row and "…" in row
    assert "in the activation funnel" not in text


@pytest.mark.parametrize("width", [60, 100])
def test_a_narrow_terminal_leaves_the_title_out(width: int) -> None:
    text = get_format("table", width=width).render(long_names_report())
    listing = table(text, "Unaligned")
    assert "Title" not in listing and "Track time" not in listing
    assert PAYWALL_TITLE not in listing


def test_outcomes_stack_their_impact_and_team_when_narrow() -> None:
    outcomes = table(get_format("table", width=80).render(long_names_report()), "Outcomes")
    lines = outcomes.splitlines()
    first = next(n for n, line in enumerate(lines) if DASHBOARD in line)
    assert "active" in lines[first]
    assert lines[first + 1].strip() == "school-revenue-growth"
    assert lines[first + 2].strip() == "district-partnerships"


def test_piped_output_is_not_cut_to_a_fixed_width() -> None:
    lines = get_format("table").render(long_names_report()).splitlines()
    row = next(line for line in lines if "mobile-app#12346" in line)
    assert f"{DASHBOARD_TYPO} → {DASHBOARD}?" in row and "Grade short" in row
    assert max(len(line) for line in lines) > 120
    assert any("free-trial-conversion" in line and "retired" in line for line in lines)
