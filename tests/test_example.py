"""The bundled example against a hand-derived oracle (tests/data/acme_oracle.json).

The oracle was worked out item by item from the export files and design.md's rules,
without running tieback, so this test checks the engine and the parsers together
against an independent reading of the rules.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tieback.commands.audit import run_audit
from tieback.config import load_config

ROOT = Path(__file__).resolve().parent.parent
ORACLE = json.loads((ROOT / "tests/data/acme_oracle.json").read_text())


@pytest.fixture(scope="module")
def config():  # type: ignore[no-untyped-def]
    return load_config(ROOT / "config.example.toml")


def test_every_item_is_classified_as_the_oracle_says(config) -> None:  # type: ignore[no-untyped-def]
    report = run_audit(config, coverage=replace(config.settings.coverage.rules(), scope="all"))
    got = {
        a.item.key: {
            "done": a.item.done,
            "classification": a.classification.value,
            "reason": a.reason.value if a.reason else None,
            "outcomes": list(a.outcomes),
            "origin": a.origin.value,
            "points": a.item.points,
        }
        for a in report.alignments
    }
    assert sorted(got) == sorted(ORACLE["items"])
    mismatches = {k: (got[k], v) for k, v in ORACLE["items"].items() if got[k] != v}
    assert mismatches == {}


@pytest.mark.parametrize(
    ("name", "update"),
    [
        ("totals_open_count", {}),
        ("totals_all_count", {"scope": "all"}),
        ("totals_open_points", {"weight": "points"}),
    ],
)
def test_totals(config, name: str, update: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    coverage = replace(config.settings.coverage.rules(), **update)
    totals = run_audit(config, coverage=coverage).data["totals"]
    expected = ORACLE[name]
    for key in ("items", "aligned", "unaligned", "exempt", "coverage"):
        assert totals[key] == pytest.approx(expected[key]), key
    if "unestimated" in expected:
        assert totals["unestimated"] == expected["unestimated"]


def test_orphans_and_suggestions(config) -> None:  # type: ignore[no-untyped-def]
    data = run_audit(config).data
    assert data["orphan_outcomes"] == ORACLE["orphan_outcomes"]
    suggestions = {u["key"]: u["suggestion"] for u in data["unaligned"] if u["suggestion"]}
    assert suggestions == ORACLE["unknown_tag_suggestions"]
    assert any("team grading has 2 active outcomes" in w for w in data["warnings"])
