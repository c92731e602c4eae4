"""Coverage history: series from snapshots, sparklines, and the trend command."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tieback.store import Snapshot
from tieback.trend import TOTAL, render, series, sparkline


def snapshot(number: int, coverage: float | None, teams: dict | None = None) -> Snapshot:  # type: ignore[type-arg]
    totals = {"items": 10, "aligned": 5, "unaligned": 5, "exempt": 0, "coverage": coverage}
    return Snapshot(
        number,
        f"2026-11-{number:02d}T10:00:00Z",
        "audit",
        {"totals": totals, "teams": teams or {}, "outcomes": {"a": {"items": number}}},
    )


@given(st.lists(st.one_of(st.none(), st.floats(0, 100)), max_size=30))
def test_n_snapshots_give_n_points(values: list[float | None]) -> None:
    snapshots = [snapshot(i + 1, v) for i, v in enumerate(values)]
    lines = series(snapshots)
    assert sum(len(points) for points in lines.values()) == len(values)
    if values:
        assert [p.coverage for p in lines[TOTAL]] == values
        assert len(sparkline([p.coverage for p in lines[TOTAL]])) == len(values)


def test_sparkline_scales_and_leaves_gaps() -> None:
    assert sparkline([0, 50, 100]) == "▁▅█"
    assert sparkline([None, 10, 10]) == " ▅▅"
    assert sparkline([None]) == " "


def test_teams_appear_when_they_exist() -> None:
    lines = series(
        [
            snapshot(1, 50, {"grading": {"items": 4, "coverage": 50.0}}),
            snapshot(2, 60, {"grading": {"items": 4, "coverage": 75.0}, "growth": {"items": 1}}),
        ],
        by="team",
    )
    assert [p.coverage for p in lines["grading"]] == [50.0, 75.0]
    assert len(lines["growth"]) == 1


def test_table_shows_first_last_and_change() -> None:
    text = render(series([snapshot(1, 50.0), snapshot(2, 62.5)]), "total", "table")
    assert "50.0%" in text and "62.5%" in text and "+12.5 pt" in text


def test_outcome_series_counts_items() -> None:
    text = render(series([snapshot(1, 1), snapshot(3, 1)], by="outcome"), "outcome", "csv")
    assert text.splitlines()[1:] == [
        "2026-11-01T10:00:00Z,a,,1,0,0,0",
        "2026-11-03T10:00:00Z,a,,3,0,0,0",
    ]
