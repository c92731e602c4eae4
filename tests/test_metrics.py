"""Measuring outcomes: readings from CSV files and the store, progress, warnings, lint."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tieback.commands.lint import lint_config
from tieback.config import Config
from tieback.errors import ConfigError, SourceError
from tieback.metrics import (
    SHOWN_PER_FILE,
    load_readings,
    measurement_warnings,
    number,
    progress,
    progress_for,
    record_reading,
)
from tieback.metrics import lint as lint_metrics
from tieback.model import Focus
from tieback.outcomes import load_declarations
from tieback.progress import Progress, Reading, Status
from tieback.settings import Metrics
from tieback.store import Store

TODAY = date(2026, 9, 30)


@pytest.fixture(autouse=True)
def in_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages name files as the user sees them from the project's folder."""
    monkeypatch.chdir(tmp_path)


PERFORMANCE = Focus.PERFORMANCE

OUTCOMES = """
[[impacts]]
id = "engagement"
title = "Increase active learner engagement"
metric = "weekly active learners"
baseline = 1000
target = 1500

[[outcomes]]
id = "faster-feedback"
title = "Learners see results within one minute"
impact = "engagement"
metric = "p90 minutes to result"
baseline = "12"
target = "1"
aliases = ["fast-results"]

[[outcomes]]
id = "activation"
title = "New teachers assign a first quiz in week one"
impact = "engagement"
metric = "share of new teachers"
baseline = "35%"
target = "60%"

[[outcomes]]
id = "parents"
title = "Find out whether parents want progress emails"
focus = "learning"
impact = "engagement"

[[outcomes]]
id = "old-reports"
title = "Teachers read weekly reports"
impact = "engagement"
metric = "weekly readers"
baseline = "0"
target = "10"
status = "retired"
"""


def days_ago(*values: float) -> list[Reading]:
    """Readings on consecutive days ending yesterday, oldest first."""
    return [
        Reading(TODAY - timedelta(days=len(values) - n), value) for n, value in enumerate(values)
    ]


def measure(baseline: str, target: str, *values: float, focus: Focus = PERFORMANCE) -> Progress:
    return progress(baseline, target, focus, days_ago(*values), TODAY, 30)


# --- progress --------------------------------------------------------------------------


def test_higher_is_better_when_the_target_is_above_the_baseline() -> None:
    found = measure("10", "20", 12, 15)
    assert found == Progress(
        baseline=10,
        target=20,
        current=15,
        at=TODAY - timedelta(days=1),
        percent=50,
        status=Status.MOVING,
        readings=tuple(days_ago(12, 15)),
    )
    assert measure("10", "20", 15, 12).status is Status.FLAT  # better than the baseline only
    assert measure("10", "20", 12, 8).status is Status.WORSE


def test_lower_is_better_when_the_target_is_below_the_baseline() -> None:
    found = measure("12", "1", 10, 8)
    assert found.status is Status.MOVING
    assert found.percent == pytest.approx((8 - 12) / (1 - 12) * 100)
    assert measure("12", "1", 8, 10).status is Status.FLAT
    assert measure("12", "1", 10, 13).status is Status.WORSE
    assert measure("12", "1", 3, 1).status is Status.MET


@pytest.mark.parametrize(
    ("baseline", "target", "value", "status"),
    [
        ("10", "20", 20, Status.MET),  # at the target
        ("10", "20", 25, Status.MET),  # past it
        ("12", "1", 1, Status.MET),
        ("12", "1", 0.5, Status.MET),
        ("12", "1", 1.01, Status.MOVING),
        ("10", "20", 10, Status.FLAT),  # at the baseline
        ("12", "1", 12, Status.FLAT),
        ("10", "20", 9, Status.WORSE),
        ("12", "1", 12.5, Status.WORSE),
        ("35%", "60%", 36, Status.MOVING),
        ("0.4", "0.3", 0.35, Status.MOVING),
    ],
)
def test_one_reading_is_compared_with_the_baseline(
    baseline: str, target: str, value: float, status: Status
) -> None:
    assert measure(baseline, target, value).status is status


def test_the_percent_is_not_clamped() -> None:
    assert measure("10", "20", 30).percent == 200
    assert measure("10", "20", 5).percent == -50
    assert measure("12", "2", 14).percent == -20
    assert measure("12", "2", 0).percent == 120
    assert measure("35%", "60%", 60).percent == 100


def test_no_percent_when_the_target_is_the_baseline_or_nothing_was_read() -> None:
    same = measure("10", "10", 10)
    assert same.percent is None and same.status is Status.MET
    # No way is better: off the target is neither moving nor worse.
    assert measure("10", "10", 9).status is Status.FLAT
    assert measure("10", "10", 11).status is Status.FLAT
    unread = measure("10", "20")
    assert (unread.current, unread.at, unread.percent, unread.readings) == (None, None, None, ())
    assert unread.status is Status.UNMEASURED


def test_a_reading_older_than_stale_after_days_is_stale_even_at_the_target() -> None:
    old = [Reading(TODAY - timedelta(days=31), 20.0)]
    assert progress("10", "20", PERFORMANCE, old, TODAY, 30).status is Status.STALE
    assert progress("10", "20", PERFORMANCE, old, TODAY, 31).status is Status.MET
    recent = [Reading(TODAY - timedelta(days=30), 15.0)]
    assert progress("10", "20", PERFORMANCE, recent, TODAY, 30).status is Status.MOVING
    # The readings come in any order: the latest by date is the current one.
    mixed = [Reading(TODAY, 12.0), Reading(TODAY - timedelta(days=90), 20.0)]
    found = progress("10", "20", PERFORMANCE, mixed, TODAY, 30)
    # Better than the baseline, not than the reading before it.
    assert (found.current, found.at, found.status) == (12, TODAY, Status.FLAT)
    assert [r.date for r in found.readings] == sorted(r.date for r in mixed)


def test_a_learning_outcome_shows_its_readings_without_a_status() -> None:
    found = measure("", "", 3, 5, focus=Focus.LEARNING)
    assert found.status is None
    assert (found.current, found.readings) == (5, tuple(days_ago(3, 5)))
    assert measure("10", "20", 15, focus=Focus.LEARNING).status is None


@pytest.mark.parametrize(
    ("baseline", "target"),
    [("", "20"), ("10", ""), ("about 10", "20"), ("10", "twenty"), ("1,5", "3"), ("10", "inf")],
)
def test_a_baseline_or_target_that_is_no_number_gives_no_status(baseline: str, target: str) -> None:
    found = measure(baseline, target, 15)
    assert (found.status, found.percent) == (None, None)
    assert found.current == 15 and found.readings == tuple(days_ago(15))
    assert measure(baseline, target).status is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        (" 1.5 ", 1.5),
        ("40%", 40),
        ("40 %", 40),
        ("0.4", 0.4),
        ("-3", -3),
        ("+2", 2),
        (".5", 0.5),
        ("1e3", 1000),
        ("1E-2", 0.01),
        ("12 min", None),
        ("1,5", None),
        ("1_000", None),
        ("inf", None),
        ("nan", None),
        ("1e999", None),
        ("", None),
        ("%", None),
        ("40%%", None),
    ],
)
def test_what_is_a_number(text: str, value: float | None) -> None:
    assert number(text) == value


_values = st.integers(min_value=-(10**6), max_value=10**6).map(float)


@given(baseline=_values, target=_values, current=_values)
def test_the_percent_is_100_exactly_at_the_target_and_0_at_the_baseline(
    baseline: float, target: float, current: float
) -> None:
    found = measure(repr(baseline), repr(target), current)
    if target == baseline:
        assert found.percent is None
        return
    assert (found.percent == 100) == (current == target)
    assert (found.percent == 0) == (current == baseline)
    assert found.status is not None
    assert (found.status is Status.MET) == (
        current >= target if target > baseline else current <= target
    )


@given(baseline=_values, target=_values, values=st.lists(_values, min_size=0, max_size=4))
def test_lower_is_better_mirrors_higher_is_better(
    baseline: float, target: float, values: list[float]
) -> None:
    found = measure(repr(baseline), repr(target), *values)
    mirrored = measure(repr(-baseline), repr(-target), *(-value for value in values))
    assert mirrored.status == found.status
    assert mirrored.percent == found.percent


# --- readings from CSV files -----------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, write_config: Callable[..., Config]) -> Callable[..., Config]:
    """A configuration reading the given CSV texts as [metrics] paths."""

    def make(*texts: str | bytes, outcomes: str = OUTCOMES, extra: str = "") -> Config:
        names = []
        for n, text in enumerate(texts, start=1):
            name = "metrics.csv" if n == 1 else f"metrics{n}.csv"
            path = tmp_path / name
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
            names.append(name)
        listed = ", ".join(f'"{name}"' for name in names)
        return write_config(config=f"[metrics]\npaths = [{listed}]\n{extra}", outcomes=outcomes)

    return make


def read(config: Config, store: Store | None = None) -> tuple[dict[str, object], list[str]]:
    warnings: list[str] = []
    found = load_readings(config, load_declarations(config), store, warnings)
    return {key: [(r.date.isoformat(), r.value) for r in value] for key, value in found.items()}, (
        warnings
    )


def test_readings_from_a_csv_file_by_id_alias_or_impact_id(
    project: Callable[..., Config],
) -> None:
    text = (
        "\ufeffValue,Outcome,Note,Date\n"  # a BOM, any column order, a column of one's own
        "8,fast-results,after the cache,2026-09-02\n"
        "10,faster-feedback,,2026-09-01\n"
        "38%,Activation,,2026-09-03T17:30:00+02:00\n"
        "1100,engagement,,2026-09-01\n"
        "\n"
        ",,,\n"
    )
    found, warnings = read(project(text.encode("utf-8")))
    assert warnings == []
    assert found == {
        "faster-feedback": [("2026-09-01", 10.0), ("2026-09-02", 8.0)],
        "activation": [("2026-09-03", 38.0)],
        "engagement": [("2026-09-01", 1100.0)],
    }


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "fast-result,2026-09-01,3",
            "metrics.csv:3: 'fast-result' is not a declared outcome or impact (did you mean "
            "'fast-results'?); fix the id, or declare it in outcomes.toml",
        ),
        (
            "activation,01/09/2026,3",
            "metrics.csv:3: date '01/09/2026' is not an ISO date; write it as YYYY-MM-DD",
        ),
        (
            "activation,2026-02-30,3",
            "metrics.csv:3: date '2026-02-30' is not an ISO date; write it as YYYY-MM-DD",
        ),
        (
            "activation,2026-09-01,about 3",
            "metrics.csv:3: value 'about 3' is not a number; write a plain number such as 42, "
            "1.5 or 40%",
        ),
        ("activation,2026-09-01,1_000", "metrics.csv:3: value '1_000' is not a number; "),
        ("activation,2026-09-01,nan", "metrics.csv:3: value 'nan' is not a finite number; "),
        ("activation,2026-09-01,1e999", "metrics.csv:3: value '1e999' is not a finite number"),
        ("activation,2026-09-01,", "metrics.csv:3: no value; give each row an outcome id, a "),
        ("activation,2026-09-01", "metrics.csv:3: no value; "),
        (",2026-09-01,3", "metrics.csv:3: no outcome; "),
        ("activation,,3", "metrics.csv:3: no date; "),
    ],
)
def test_a_bad_row_is_one_warning_naming_file_and_line(
    project: Callable[..., Config], row: str, message: str
) -> None:
    text = f"outcome,date,value\nactivation,2026-08-01,36\n{row}\nactivation,2026-09-02,37\n"
    found, warnings = read(project(text))
    assert len(warnings) == 1
    assert warnings[0].startswith(message)
    assert found == {"activation": [("2026-08-01", 36.0), ("2026-09-02", 37.0)]}


def test_a_line_number_is_where_its_row_begins(project: Callable[..., Config]) -> None:
    text = 'outcome,date,value,note\nactivation,2026-09-01,36,"two\nlines"\nnope,2026-09-02,1,\n'
    _, warnings = read(project(text))
    assert [w.split(": ")[0] for w in warnings] == ["metrics.csv:4"]


def test_many_bad_rows_are_a_few_lines_and_a_count(project: Callable[..., Config]) -> None:
    rows = "".join(f"activation,09/{day:02}/2026,{day}\n" for day in range(1, 31))
    _, warnings = read(project("outcome,date,value\n" + rows))
    assert len(warnings) == SHOWN_PER_FILE + 1
    assert warnings[-1] == (
        f"metrics.csv: {30 - SHOWN_PER_FILE} more bad rows not shown, from line "
        f"{SHOWN_PER_FILE + 2} on; fix the rows above and run again to see them"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("outcome,day,value\nactivation,2026-09-01,3\n", "metrics.csv: no date column; "),
        ("id,when,amount\n", "metrics.csv: no outcome or date or value column; "),
        ("", "metrics.csv: no header row; a metrics file starts with the header row "),
        ("activation,2026-09-01,3\n", "metrics.csv: no outcome or date or value column"),
        (b"outcome,date,value\nactivation,2026-09-01,\xff\n", "metrics.csv: not UTF-8 text"),
        (
            "outcome,date,value\nactivation,2026-09-01," + "9" * 200_000,
            "metrics.csv: not valid CSV: field larger than field limit",
        ),
    ],
)
def test_a_file_without_the_columns_is_one_error_naming_it(
    project: Callable[..., Config], text: str | bytes, message: str
) -> None:
    # csv's default field limit; reading a tracker's export raises it for the process.
    limit = csv.field_size_limit(128 * 1024)
    try:
        with pytest.raises(SourceError) as raised:
            read(project(text))
    finally:
        csv.field_size_limit(limit)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_a_missing_file_is_one_error_naming_it(write_config: Callable[..., Config]) -> None:
    config = write_config(config='[metrics]\npaths = ["gone.csv"]\n', outcomes=OUTCOMES)
    with pytest.raises(
        SourceError, match=r"^gone\.csv: file not found \(check \[metrics\] paths\)$"
    ):
        read(config)


def test_a_later_row_of_the_same_id_and_day_wins_with_one_warning(
    project: Callable[..., Config],
) -> None:
    first = (
        "outcome,date,value\n"
        "activation,2026-09-01,36\n"
        "activation,2026-09-02,37\n"
        "activation,2026-09-02,37\n"  # the same again: harmless, nothing to say
    )
    second = "outcome,date,value\nACTIVATION,2026-09-01,40\n"
    found, warnings = read(project(first, second))
    assert found == {"activation": [("2026-09-01", 40.0), ("2026-09-02", 37.0)]}
    assert warnings == [
        "metrics2.csv:2: a second reading of 'activation' on 2026-09-01 (the first at "
        "metrics.csv:2); kept this one, 40; remove the other row"
    ]


def test_the_stores_reading_wins_over_a_files(
    project: Callable[..., Config], tmp_path: Path
) -> None:
    config = project("outcome,date,value\nactivation,2026-09-01,36\nactivation,2026-09-02,37\n")
    with Store.open(tmp_path / "store.db") as store:
        store.add_reading("activation", "2026-09-02", 39.0, "2026-09-02T10:00:00+00:00")
        # Kept under an id that is now an alias: its outcome's, unless the outcome's
        # own id has that day too.
        store.add_reading("fast-results", "2026-09-01", 9.0, "2026-09-01T10:00:00+00:00")
        store.add_reading("fast-results", "2026-09-03", 7.5, "2026-09-03T10:00:00+00:00")
        store.add_reading("faster-feedback", "2026-09-03", 7.0, "2026-09-03T11:00:00+00:00")
        store.add_reading("removed-outcome", "2026-09-01", 1.0, "2026-09-01T10:00:00+00:00")
        found, warnings = read(config, store)
    assert warnings == []
    assert found == {
        "activation": [("2026-09-01", 36.0), ("2026-09-02", 39.0)],
        "faster-feedback": [("2026-09-01", 9.0), ("2026-09-03", 7.0)],
    }
    assert read(config)[0]["activation"] == [("2026-09-01", 36.0), ("2026-09-02", 37.0)]


# --- progress of the declarations, and its warnings -------------------------------------


def test_progress_for_every_outcome_and_impact_with_something_to_show(
    write_config: Callable[..., Config],
) -> None:
    declarations = load_declarations(write_config(outcomes=OUTCOMES))
    readings = {
        "faster-feedback": tuple(days_ago(10, 8)),
        "parents": tuple(days_ago(2)),
        "engagement": tuple(days_ago(1600)),
    }
    found = progress_for(declarations, readings, Metrics(), TODAY)
    assert list(found) == ["faster-feedback", "activation", "parents", "old-reports", "engagement"]
    assert found["faster-feedback"].status is Status.MOVING
    assert found["activation"].status is Status.UNMEASURED
    assert (found["activation"].baseline, found["activation"].target) == (35, 60)
    assert found["parents"].status is None and found["parents"].current == 2
    assert found["engagement"].status is Status.MET
    assert found["engagement"].percent == 120
    stale = progress_for(declarations, readings, Metrics(stale_after_days=1), TODAY)
    assert stale["faster-feedback"].status is Status.MOVING
    later = progress_for(declarations, readings, Metrics(stale_after_days=1), TODAY + timedelta(3))
    assert later["faster-feedback"].status is Status.STALE


def test_an_outcome_with_nothing_to_show_has_no_progress(
    write_config: Callable[..., Config],
) -> None:
    declarations = load_declarations(
        write_config(outcomes='[[outcomes]]\nid = "plain"\ntitle = "Teachers grade faster"\n')
    )
    assert progress_for(declarations, {}, Metrics(), TODAY) == {}


def test_stale_and_unmeasured_performance_outcomes_are_warned_about(
    write_config: Callable[..., Config],
) -> None:
    declarations = load_declarations(write_config(outcomes=OUTCOMES))
    readings = {
        "faster-feedback": (Reading(date(2026, 8, 1), 8.0),),
        "parents": (),
        "engagement": (),  # an impact: the report shows it, nothing to warn about
    }
    settings = Metrics(paths=[Path("data/metrics.csv")])
    found = progress_for(declarations, readings, settings, TODAY)
    assert found["old-reports"].status is Status.UNMEASURED  # retired: no warning
    assert measurement_warnings(declarations, found, settings) == [
        "outcome 'faster-feedback' (performance): no reading in the last 30 days (latest "
        "2026-08-01); record one with `tieback metric record faster-feedback VALUE` or add it "
        "to data/metrics.csv",
        "outcome 'activation' (performance): no reading yet; record one with `tieback metric "
        "record activation VALUE` or add it to data/metrics.csv",
    ]
    assert measurement_warnings(declarations, found, Metrics())[1].endswith(
        "or add it to a CSV file in [metrics] paths"
    )


# --- recording a reading ---------------------------------------------------------------

NOW = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)


def test_a_recorded_reading_is_kept_under_the_outcomes_id(
    write_config: Callable[..., Config], tmp_path: Path
) -> None:
    config = write_config(outcomes=OUTCOMES)
    with Store.open(tmp_path / "s.db") as store:
        said = record_reading(config, store, "Fast-Results", "7.5", now=NOW)
        assert said == "recorded 7.5 for outcome faster-feedback on 2026-09-30"
        said = record_reading(config, store, "faster-feedback", "7", now=NOW)
        assert said == "recorded 7 for outcome faster-feedback on 2026-09-30 (replacing 7.5)"
        said = record_reading(config, store, "engagement", "1200", "2026-09-01", now=NOW)
        assert said == "recorded 1200 for impact engagement on 2026-09-01"
        said = record_reading(config, store, "activation", "41%", "2026-10-01", now=NOW)
        assert said == "recorded 41 for outcome activation on 2026-10-01"
        assert store.readings() == {
            "activation": [Reading(date(2026, 10, 1), 41.0)],
            "engagement": [Reading(date(2026, 9, 1), 1200.0)],
            "faster-feedback": [Reading(date(2026, 9, 30), 7.0)],
        }


@pytest.mark.parametrize(
    ("ref", "value", "at", "message"),
    [
        (
            "fast-result",
            "3",
            None,
            "'fast-result' is not a declared outcome or impact (did you mean 'fast-results'?); "
            "give an outcome id, an alias or an impact id from outcomes.toml",
        ),
        ("zzz", "3", None, "'zzz' is not a declared outcome or impact; give an outcome id"),
        (
            "activation",
            "forty",
            None,
            "value 'forty' is not a number; give a plain number such as 42, 1.5 or 40%",
        ),
        ("activation", "inf", None, "value 'inf' is not a finite number; give a plain number"),
        ("activation", "3", "30/09/2026", "--at '30/09/2026': expected a date as YYYY-MM-DD"),
        (
            "activation",
            "3",
            "2026-10-02",
            "--at 2026-10-02: that day has not come yet (today is 2026-09-30 in UTC); give the "
            "day the value was measured",
        ),
    ],
)
def test_a_reading_that_cannot_be_recorded_is_one_line_and_writes_nothing(
    write_config: Callable[..., Config],
    tmp_path: Path,
    ref: str,
    value: str,
    at: str | None,
    message: str,
) -> None:
    config = write_config(outcomes=OUTCOMES)
    with Store.open(tmp_path / "s.db") as store:
        with pytest.raises(ConfigError) as raised:
            record_reading(config, store, ref, value, at, now=NOW)
        assert str(raised.value).startswith(message)
        assert store.readings() == {}


# --- lint ------------------------------------------------------------------------------

LINTY = """
[[impacts]]
id = "engagement"
title = "Engagement"
target = "more"

[[impacts]]
id = "revenue"
title = "Revenue"

[[outcomes]]
id = "numbers"
title = "Learners see results sooner"
impact = "engagement"
metric = "p90 minutes"
baseline = 12
target = 1

[[outcomes]]
id = "words"
title = "Learners finish more courses"
impact = "engagement"
metric = "completion rate"
baseline = "low"
target = "high"

[[outcomes]]
id = "no-baseline"
title = "Teachers grade faster"
impact = "revenue"
metric = "minutes a quiz"
target = "5"

[[outcomes]]
id = "same"
title = "Teachers come back"
impact = "revenue"
metric = "weekly teachers"
baseline = "40%"
target = "40"

[[outcomes]]
id = "no-target"
title = "Parents read reports"
impact = "revenue"
metric = "weekly parents"

[[outcomes]]
id = "exploring"
title = "Find out whether parents want emails"
impact = "revenue"
focus = "learning"
baseline = "?"
target = "?"

[[outcomes]]
id = "gone"
title = "Schools renew"
impact = "revenue"
metric = "renewals"
target = "many"
status = "retired"
"""


def test_a_baseline_or_target_that_is_no_number_is_a_lint_warning(
    write_config: Callable[..., Config],
) -> None:
    config = write_config(outcomes=LINTY)
    findings = lint_metrics(load_declarations(config))
    assert [(f.rule, f.subject, f.line) for f in findings] == [
        ("numeric-target", "words", 20),
        ("numeric-target", "no-baseline", 28),
        ("numeric-target", "same", 35),
        ("numeric-target", "engagement", 3),
    ]
    messages = [f.message for f in findings]
    assert messages[0].startswith(
        "outcome 'words': baseline 'low' is not a number and target 'high' is not a number; "
        'its progress needs a numeric baseline and a different target, such as baseline = "12"'
    )
    assert messages[1].startswith("outcome 'no-baseline': no baseline; ")
    assert messages[2].startswith(
        "outcome 'same': baseline '40%' and target '40' are the same number; "
    )
    assert messages[3].startswith("impact 'engagement': no baseline and target 'more' is not a ")
    lines = lint_config(config)
    assert any(
        line.startswith("outcomes.toml:20: warning: outcome 'words': ")
        and line.endswith("[numeric-target]")
        for line in lines
    )


def test_a_missing_metrics_file_is_a_lint_warning(write_config: Callable[..., Config]) -> None:
    config = write_config(config='[metrics]\npaths = ["gone.csv"]\n', outcomes=OUTCOMES)
    assert any(
        "warning: [metrics] paths: " in line and "gone.csv does not exist [missing-file]" in line
        for line in lint_config(config)
    )
