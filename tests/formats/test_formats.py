"""Gold files: each format rendered from one fixed report, compared byte for byte.

Regenerate after an intended change with ``REGOLD=1 pytest tests/formats``
and review the diff.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from factories import fixed_report, item, sample_declarations
from tieback.alignment import align
from tieback.formats import get_format
from tieback.report import build_report
from tieback.rules import CoverageRules, ExemptRules, TagRules

GOLD = Path(__file__).parent / "gold"


@pytest.mark.parametrize(
    ("name", "suffix"),
    [
        ("table", "txt"),
        ("json", "json"),
        ("markdown", "md"),
        ("csv", "csv"),
        ("mermaid", "mmd"),
        ("badge", "badge.json"),
    ],
)
def test_gold(name: str, suffix: str) -> None:
    rendered = get_format(name).render(fixed_report())
    gold = GOLD / f"report.{suffix}"
    if os.environ.get("REGOLD"):
        gold.write_text(rendered, encoding="utf-8")
    assert rendered == gold.read_text(encoding="utf-8")


def test_json_follows_the_schema() -> None:
    data = json.loads(get_format("json").render(fixed_report()))
    assert data["schema"] == "tieback.report/1"
    assert data["totals"] == {
        "items": 7,
        "aligned": 2,
        "unaligned": 3,
        "exempt": 2,
        "unestimated": 0,
        "coverage": 40.0,
    }
    # Sorted by source, then naturally by key.
    assert [u["key"] for u in data["unaligned"]] == ["acme/app#8", "EDU-10", "EDU-11"]
    assert data["unaligned"][1]["suggestion"] == "activation"
    assert data["orphan_outcomes"] == ["activation"]
    by_id = {o["id"]: o for o in data["outcomes"]}
    assert (by_id["activation"]["items"], by_id["activation"]["done"]) == (0, 1)
    assert by_id["results-in-a-minute"]["items"] == 2


def test_json_keeps_any_title_and_writes_valid_utf8() -> None:
    # A title as a tracker may hand it over: accents, an emoji, a line separator, and
    # half a surrogate pair (JSON allows the escape; UTF-8 cannot hold the character).
    title = "Grading café 🚀\u2028 and \ud83d alone"
    declarations = sample_declarations()
    result = align([item("EDU-1", title=title)], declarations, TagRules(), ExemptRules())
    text = get_format("json").render(build_report(result.alignments, declarations, CoverageRules()))
    assert "café 🚀" in text and "\\ud83d" in text  # the lone half escaped, the rest kept
    assert json.loads(text.encode("utf-8"))["unaligned"][0]["title"] == title


def test_markdown_escapes_untrusted_text() -> None:
    text = get_format("markdown").render(fixed_report())
    assert "<img" not in text
    assert "@acme" not in text  # a zero-width space breaks the mention
    assert "[click](javascript" not in text
    assert "\\[click\\](javascript" in text  # shown literally, not as a link
    assert "[acme/app#8](https://github.com/acme/app/issues/8)" in text


def test_csv_has_a_row_per_item_in_scope_and_defuses_formulas() -> None:
    report = fixed_report()
    rows = list(csv.DictReader(io.StringIO(get_format("csv").render(report))))
    assert len(rows) == 7
    assert {r["key"]: r["classification"] for r in rows}["EDU-2"] == "aligned"
    assert {r["key"]: r["inherited_from"] for r in rows}["EDU-2"] == "EDU-1"


def test_groups_by_outcome_count_an_item_under_each_outcome() -> None:
    data = fixed_report(by="outcome").data
    names = {g["name"]: g["items"] for g in data["groups"]}
    # EDU-13 (activation) is done, so out of the default open scope.
    assert names == {"(none)": 4, "old-reports": 1, "results-in-a-minute": 2}


def test_table_lists_the_first_unaligned_items_and_says_how_many_more() -> None:
    declarations = sample_declarations()
    items = [item(f"EDU-{n}") for n in range(1, 61)]
    result = align(items, declarations, TagRules(), ExemptRules())
    report = build_report(result.alignments, declarations, CoverageRules())
    text = get_format("table").render(report)
    assert "EDU-50 " in text and "EDU-51 " not in text
    assert "… and 10 more unaligned items" in text
    assert len(json.loads(get_format("json").render(report))["unaligned"]) == 60


def test_mermaid_collapses_outputs_beyond_the_limit_and_escapes() -> None:
    from tieback.formats.mermaid import MermaidFormat

    text = MermaidFormat(max_outputs=1).render(fixed_report())
    assert '["EDU-1 Grading epic"]' in text
    assert "+ 1 more" in text
    assert text.startswith("```mermaid\nflowchart LR\n") and text.endswith("```\n")


def test_badge_colours() -> None:
    from tieback.formats.badge import badge_color

    assert badge_color(None, 0) == "lightgrey"
    assert badge_color(95, 0) == "brightgreen"
    assert badge_color(95, 96) == "red"
    assert badge_color(50, 0) == "yellow"
    assert badge_color(10, 0) == "red"
    badge = json.loads(get_format("badge").render(fixed_report()))
    assert badge == {
        "schemaVersion": 1,
        "label": "outcome coverage",
        "message": "40.0%",
        "color": "yellow",
    }
