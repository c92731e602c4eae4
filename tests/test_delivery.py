"""Outputs done per week: ISO weeks by their Monday, per outcome, counted and weighed."""

from __future__ import annotations

from datetime import date

from factories import item
from tieback.delivery import done_by_week
from tieback.model import Alignment, Classification, Reason
from tieback.progress import WeekDone


def done(key: str, done_at: str, *outcomes: str, aligned: bool = True) -> Alignment:
    classification = Classification.ALIGNED if aligned else Classification.UNALIGNED
    return Alignment(
        item(key, done=True, done_at=done_at),
        classification,
        reason=None if aligned else Reason.RETIRED_OUTCOME,
        outcomes=outcomes,
    )


def test_items_done_in_one_iso_week_count_under_its_monday_across_a_year_boundary() -> None:
    alignments = [
        done("EDU-1", "2027-01-04T09:00:00.000+0000", "activation"),  # Monday: a new week
        done("EDU-2", "2026-12-31T17:45:00.000+0000", "activation"),  # Thursday
        done("EDU-3", "2027-01-03T23:59:59.000+0000", "activation"),  # Sunday, same week
        done("EDU-4", "2026-12-28", "activation"),  # a date alone: that week's Monday
    ]
    assert done_by_week(alignments, [1.0] * 4) == {
        "activation": [
            WeekDone(week=date(2026, 12, 28), count=3, weight=3.0),
            WeekDone(week=date(2027, 1, 4), count=1, weight=1.0),
        ]
    }


def test_the_day_is_the_one_the_tracker_gave_in_its_own_offset() -> None:
    # Sunday evening in California is Monday in UTC: the tracker's own day counts.
    alignments = [done("EDU-1", "2026-11-01T23:30:00.000-0800", "activation")]
    [week] = done_by_week(alignments, [1.0])["activation"]
    assert week.week == date(2026, 10, 26)
    # A CSV export's time has no offset: its date is the site's.
    alignments = [done("EDU-2", "2026-11-02T00:15:00", "activation")]
    [week] = done_by_week(alignments, [1.0])["activation"]
    assert week.week == date(2026, 11, 2)


def test_an_item_of_several_outcomes_counts_in_each_with_its_weight() -> None:
    alignments = [
        done("EDU-1", "2026-11-03T10:00:00.000+0000", "activation", "results-in-a-minute"),
        done("EDU-2", "2026-11-04T10:00:00.000+0000", "activation"),
        done("EDU-3", "2026-11-12T10:00:00.000+0000", "results-in-a-minute"),
    ]
    assert done_by_week(alignments, [5.0, 0.5, 2.0]) == {
        "activation": [WeekDone(date(2026, 11, 2), count=2, weight=5.5)],
        "results-in-a-minute": [
            WeekDone(date(2026, 11, 2), count=1, weight=5.0),
            WeekDone(date(2026, 11, 9), count=1, weight=2.0),
        ],
    }


def test_weeks_come_in_order_whatever_order_the_items_come_in() -> None:
    days = ["2026-11-20", "2026-10-01", "2026-11-05", "2026-10-02", "2026-12-24"]
    alignments = [done(f"EDU-{n}", day, "activation") for n, day in enumerate(days)]
    weeks = [w.week for w in done_by_week(alignments, [1.0] * len(days))["activation"]]
    assert weeks == sorted(weeks)
    assert weeks == [
        date(2026, 9, 28),
        date(2026, 11, 2),
        date(2026, 11, 16),
        date(2026, 12, 21),
    ]


def test_items_without_a_done_date_or_an_outcome_are_left_out() -> None:
    alignments = [
        done("EDU-1", "", "activation"),  # done, but the tracker gave no date
        Alignment(item("EDU-2", done_at="2026-11-02"), Classification.ALIGNED, outcomes=("x",)),
        done("EDU-3", "2026-11-02T10:00:00Z"),  # no outcome
        done("EDU-4", "not a date", "activation"),  # a plugin's odd value
        done("EDU-5", "2026-11-03T10:00:00Z", "activation"),
    ]
    assert done_by_week(alignments, [1.0] * 5) == {
        "activation": [WeekDone(date(2026, 11, 2), count=1, weight=1.0)]
    }


def test_an_outcome_retired_or_not_counts_as_the_reports_done_count_does() -> None:
    # The report counts an item done for every outcome it resolves to, aligned or not.
    alignments = [done("EDU-1", "2026-11-02", "old-reports", aligned=False)]
    assert done_by_week(alignments, [1.0]) == {
        "old-reports": [WeekDone(date(2026, 11, 2), count=1, weight=1.0)]
    }


def test_nothing_done_is_an_empty_mapping() -> None:
    assert done_by_week([], []) == {}
