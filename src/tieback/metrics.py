"""Metric readings of outcomes and impacts (CSV files and the store) and their progress."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from math import isfinite
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tieback.errors import ConfigError, SourceError
from tieback.model import Focus
from tieback.outcomes import Declarations, Finding, load_declarations
from tieback.progress import Progress, Reading, Status
from tieback.settings import Metrics

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.store import Store

# Bad rows shown per file; a file of a thousand rows in the wrong date format says so
# in this many lines and a count, not a thousand.
SHOWN_PER_FILE = 20
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_COLUMNS = ("outcome", "date", "value")
_EXAMPLES = "a plain number such as 42, 1.5 or 40%"


# --- values ----------------------------------------------------------------------------


def number(text: str) -> float | None:
    """The number ``text`` states, else None.

    Taken: a decimal number with an optional sign, fraction and exponent ("12", "-3",
    "1.5", ".5", "1e3"), optionally followed by "%", which is dropped ("40%" is 40, so a
    target of "40%" and readings of "42%" or 42 are on one scale; "0.4" is 0.4, another
    scale), with blanks around. Not taken: units ("12 min"), thousands separators or a
    decimal comma ("1,5"), inf, nan, a number too large for a float, and "".
    """
    cleaned = text.strip()
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1].rstrip()
    if not _NUMBER.fullmatch(cleaned):
        return None
    value = float(cleaned)
    return value if isfinite(value) else None


def reading_date(text: str) -> date | None:
    """The day an ISO 8601 date or date and time names (a time is dropped, the date kept
    as written, whatever its offset), else None."""
    cleaned = text.strip()
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(cleaned).date()
    except ValueError:
        return None


def _number_problem(text: str) -> str:
    """Why ``text`` is not a reading's value (``number``), for a message."""
    try:
        finite = isfinite(float(text))
    except ValueError:
        finite = True
    return f"{text.strip()!r} is not a {'' if finite else 'finite '}number"


def _shown(value: float) -> str:
    """A value as a message shows it: 42 rather than 42.0, every digit kept."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


# --- ids -------------------------------------------------------------------------------


def reading_ids(declarations: Declarations) -> dict[str, str]:
    """Lower-cased outcome id, alias or impact id → the canonical id a reading is kept
    under. An outcome and an impact of one id: the outcome's, as tags resolve."""
    ids = {impact.id.lower(): impact.id for impact in declarations.impacts}
    ids.update((name, outcome.id) for name, outcome in declarations.index.items())
    return ids


def _did_you_mean(ref: str, ids: Mapping[str, str]) -> str:
    import difflib

    close = difflib.get_close_matches(ref.lower(), sorted(ids), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- reading CSV files -----------------------------------------------------------------


class _RowWarnings:
    """The warnings of one file's bad rows: the first SHOWN_PER_FILE, then a count."""

    def __init__(self, shown: str, warnings: list[str]) -> None:
        self.shown = shown
        self._warnings = warnings
        self._hidden = 0
        self._first_hidden = 0
        self._said = 0

    def warn(self, line: int, message: str) -> None:
        if self._said < SHOWN_PER_FILE:
            self._warnings.append(f"{self.shown}:{line}: {message}")
            self._said += 1
            return
        self._hidden += 1
        self._first_hidden = self._first_hidden or line

    def close(self) -> None:
        if self._hidden:
            rows = "row" if self._hidden == 1 else "rows"
            self._warnings.append(
                f"{self.shown}: {self._hidden} more bad {rows} not shown, from line "
                f"{self._first_hidden} on; fix the rows above and run again to see them"
            )


def _read_csv(
    shown: str, path: Path, ids: Mapping[str, str], origin: str, problems: _RowWarnings
) -> Iterator[tuple[int, str, Reading]]:
    """(line, canonical id, reading) of each good row of the CSV file ``path``, named
    ``shown`` in messages; each bad row is one warning in ``problems`` and left out.
    SourceError when the file cannot be read or has no outcome, date and value columns."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from _rows(shown, handle, ids, origin, problems)
    except FileNotFoundError:
        raise SourceError(f"{shown}: file not found (check [metrics] paths)") from None
    except UnicodeDecodeError:
        raise SourceError(f"{shown}: not UTF-8 text; save it as UTF-8 CSV") from None
    except OSError as exc:
        raise SourceError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except csv.Error as exc:
        raise SourceError(f"{shown}: not valid CSV: {exc}") from None


def _rows(
    shown: str, handle: TextIO, ids: Mapping[str, str], origin: str, problems: _RowWarnings
) -> Iterator[tuple[int, str, Reading]]:
    reader = csv.reader(handle)
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in _COLUMNS if name not in header]
    if missing:
        said = f"no {' or '.join(missing)} column" if any(header) else "no header row"
        raise SourceError(
            f"{shown}: {said}; a metrics file starts with the header row outcome,date,value"
        )
    where = [header.index(name) for name in _COLUMNS]
    line = reader.line_num
    for row in reader:
        # A row's first line: a quoted value may have run over several.
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line, or a spreadsheet's empty row
        cells = [row[index].strip() if index < len(row) else "" for index in where]
        empty = next((name for name, cell in zip(_COLUMNS, cells, strict=True) if not cell), "")
        ref, day, value = cells
        if empty:
            problems.warn(start, f"no {empty}; give each row an outcome id, a date and a value")
            continue
        canonical = ids.get(ref.lower())
        if canonical is None:
            problems.warn(
                start,
                f"{ref!r} is not a declared outcome or impact{_did_you_mean(ref, ids)}; "
                f"fix the id, or declare it in {origin}",
            )
            continue
        when = reading_date(day)
        if when is None:
            problems.warn(start, f"date {day!r} is not an ISO date; write it as YYYY-MM-DD")
            continue
        read = number(value)
        if read is None:
            problems.warn(start, f"value {_number_problem(value)}; write {_EXAMPLES}")
            continue
        yield start, canonical, Reading(when, read)


def file_readings(
    config: Config, declarations: Declarations, warnings: list[str]
) -> dict[str, dict[date, Reading]]:
    """The readings of the files in ``[metrics] paths``, by canonical id and date.

    Files are read in the order listed; a second row for an id and date (through an
    alias too) replaces the first, with a warning unless both hold the same value."""
    ids = reading_ids(declarations)
    found: dict[str, dict[date, Reading]] = {}
    first: dict[tuple[str, date], str] = {}
    for written, path in zip(config.settings.metrics.paths, config.metric_paths, strict=True):
        shown = str(written)
        problems = _RowWarnings(shown, warnings)
        for line, canonical, reading in _read_csv(shown, path, ids, declarations.origin, problems):
            days = found.setdefault(canonical, {})
            earlier = days.get(reading.date)
            if earlier is not None and earlier.value != reading.value:
                problems.warn(
                    line,
                    f"a second reading of {canonical!r} on {reading.date} (the first at "
                    f"{first[canonical, reading.date]}); kept this one, "
                    f"{_shown(reading.value)}; remove the other row",
                )
            days[reading.date] = reading
            first[canonical, reading.date] = f"{shown}:{line}"
        problems.close()
    return found


def load_readings(
    config: Config, declarations: Declarations, store: Store | None, warnings: list[str]
) -> dict[str, tuple[Reading, ...]]:
    """Every reading of each declared outcome and impact, by canonical id, in date order,
    one a date: those of ``[metrics] paths`` (``file_readings``) and those recorded in
    ``store`` (``tieback metric record``), if given.

    On an id and date both have, the store's reading wins: recording one is a deliberate
    act, where a file is often an export another tool writes. A reading the store keeps
    under an id that is now an alias counts for its outcome (one kept under the outcome's
    own id that day wins); one of an id no longer declared is left out. Bad rows are
    warnings in ``warnings``; a file that cannot be read raises SourceError.
    """
    merged = file_readings(config, declarations, warnings)
    if store is not None:
        ids = reading_ids(declarations)
        stored = store.readings()
        # Those under the canonical id last: they overwrite those under an old alias.
        for kept_as in sorted(stored, key=lambda name: ids.get(name.lower()) == name):
            canonical = ids.get(kept_as.lower())
            if canonical is None:
                continue
            days = merged.setdefault(canonical, {})
            for reading in stored[kept_as]:
                days[reading.date] = reading
    return {
        canonical: tuple(days[day] for day in sorted(days))
        for canonical, days in merged.items()
        if days
    }


# --- recording a reading ---------------------------------------------------------------


def record_reading(
    config: Config,
    store: Store | None,
    ref: str,
    value: str,
    at: str | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """Keep ``value`` as the reading of outcome or impact ``ref`` (its id, an alias or
    an impact's id) on the day ``at`` (an ISO date; today in UTC without one) in
    ``store`` (the configuration's, opened once all is checked, when None), replacing
    one kept for that day; return the line that says so.

    ConfigError, before anything is written, for an id not declared (with the closest
    declared one), a value that is not a finite number (``number``), a date that is
    not ISO or is a day that has not yet begun anywhere (after tomorrow in UTC).
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    today = moment.date()
    declarations = load_declarations(config)
    ids = reading_ids(declarations)
    canonical = ids.get(ref.strip().lower())
    if canonical is None:
        raise ConfigError(
            f"{ref!r} is not a declared outcome or impact{_did_you_mean(ref.strip(), ids)}; "
            f"give an outcome id, an alias or an impact id from {declarations.origin}"
        )
    read = number(value)
    if read is None:
        raise ConfigError(f"value {_number_problem(value)}; give {_EXAMPLES}")
    day = today
    if at is not None:
        given = reading_date(at)
        if given is None:
            raise ConfigError(f"--at {at!r}: expected a date as YYYY-MM-DD")
        # Tomorrow in UTC has begun east of it; a day after that is a typo.
        if given > today + timedelta(days=1):
            raise ConfigError(
                f"--at {at}: that day has not come yet (today is {today} in UTC); give "
                "the day the value was measured"
            )
        day = given
    recorded_at = moment.isoformat(timespec="seconds")
    if store is None:
        from tieback.store import Store

        with Store.open(config.store_location) as opened:
            replaced = opened.add_reading(canonical, day.isoformat(), read, recorded_at)
    else:
        replaced = store.add_reading(canonical, day.isoformat(), read, recorded_at)
    kind = "outcome" if canonical.lower() in declarations.index else "impact"
    said = f"recorded {_shown(read)} for {kind} {canonical} on {day}"
    if replaced is not None:
        said += f" (replacing {_shown(replaced)})"
    return said


# --- progress --------------------------------------------------------------------------


def progress(
    baseline: str,
    target: str,
    focus: Focus | None,
    readings: Sequence[Reading],
    today: date,
    stale_after_days: int,
) -> Progress:
    """Where an outcome (``focus``) or an impact (``focus`` None) with the declared
    ``baseline`` and ``target`` stands, given its readings (one a date) on ``today``.

    ``baseline`` and ``target`` are read by ``number``; lower is better when the target
    is below the baseline. ``current`` is the latest reading. The status, the first
    that holds:

    - unmeasured: no reading;
    - stale: the latest reading is more than ``stale_after_days`` days before ``today``.
      It comes before met: an old reading at the target says nothing of now, and a
      stale outcome is warned about, so a fresh reading is asked for;
    - met: the latest reading is at the target or past it, in the better direction
      (with the target at the baseline, no direction is better: at it, else flat);
    - moving: the latest is better than the baseline and than the reading before it
      (the baseline, with one reading);
    - worse: the latest is on the wrong side of the baseline;
    - flat: anything else (at the baseline, or better than it but not than the last).

    A learning outcome, or a baseline or target that is not a number, has no status;
    its readings and current value still show.
    """
    ordered = tuple(sorted(readings, key=lambda reading: reading.date))
    start, goal = number(baseline), number(target)
    latest = ordered[-1] if ordered else None
    current = latest.value if latest else None
    percent = None
    if start is not None and goal is not None and current is not None and goal != start:
        ratio = (current - start) / (goal - start) * 100
        percent = ratio if isfinite(ratio) else None
    status = None
    if focus is not Focus.LEARNING and start is not None and goal is not None:
        status = _status(start, goal, ordered, today, stale_after_days)
    return Progress(
        baseline=start,
        target=goal,
        current=current,
        at=latest.date if latest else None,
        percent=percent,
        status=status,
        readings=ordered,
    )


def _status(
    start: float, goal: float, ordered: Sequence[Reading], today: date, stale_after_days: int
) -> Status:
    if not ordered:
        return Status.UNMEASURED
    latest = ordered[-1]
    if (today - latest.date).days > stale_after_days:
        return Status.STALE
    current = latest.value
    if goal == start:  # no way is better: only the target itself is met
        return Status.MET if current == goal else Status.FLAT
    lower = goal < start

    def better(value: float, than: float) -> bool:
        return value < than if lower else value > than

    if current == goal or better(current, goal):
        return Status.MET
    before = ordered[-2].value if len(ordered) > 1 else start
    if better(current, start) and better(current, before):
        return Status.MOVING
    if better(start, current):
        return Status.WORSE
    return Status.FLAT


def progress_for(
    declarations: Declarations,
    readings: Mapping[str, Sequence[Reading]],
    settings: Metrics,
    today: date,
) -> dict[str, Progress]:
    """The progress of every outcome, then every impact, with something to show: a
    reading, or a numeric baseline and target (unmeasured until read), by id."""
    found: dict[str, Progress] = {}
    declared: list[tuple[str, str, str, Focus | None]] = [
        *((o.id, o.baseline, o.target, o.focus) for o in declarations.outcomes),
        *((i.id, i.baseline, i.target, None) for i in declarations.impacts),
    ]
    for id_, baseline, target, focus in declared:
        read = readings.get(id_, ())
        if read or (number(baseline) is not None and number(target) is not None):
            found.setdefault(
                id_,
                progress(baseline, target, focus, read, today, settings.stale_after_days),
            )
    return found


def measurement_warnings(
    declarations: Declarations, progress_by_id: Mapping[str, Progress], settings: Metrics
) -> list[str]:
    """A line for each active performance outcome whose progress is stale or
    unmeasured, saying how to record a reading."""
    where = str(settings.paths[0]) if settings.paths else "a CSV file in [metrics] paths"
    lines = []
    for outcome in declarations.outcomes:
        if not outcome.active or outcome.focus is not Focus.PERFORMANCE:
            continue
        found = progress_by_id.get(outcome.id)
        if found is None or found.status not in (Status.STALE, Status.UNMEASURED):
            continue
        if found.status is Status.UNMEASURED:
            said = "no reading yet"
        else:
            said = f"no reading in the last {settings.stale_after_days} days (latest {found.at})"
        lines.append(
            f"outcome {outcome.id!r} (performance): {said}; record one with "
            f"`tieback metric record {outcome.id} VALUE` or add it to {where}"
        )
    return lines


# --- lint ------------------------------------------------------------------------------


def lint(declarations: Declarations) -> list[Finding]:
    """``numeric-target``: an active performance outcome with a target, or an impact
    with a baseline or target, whose baseline and target are not two different numbers
    (``number``), so that its progress cannot be measured. A performance outcome with no
    target at all is ``unmeasurable`` (``outcomes.lint``) instead."""
    findings: list[Finding] = []
    declared = [
        ("outcome", o.id, o.baseline, o.target)
        for o in declarations.outcomes
        if o.active and o.focus is Focus.PERFORMANCE and o.target
    ]
    declared += [
        ("impact", i.id, i.baseline, i.target)
        for i in declarations.impacts
        if i.baseline or i.target
    ]
    for kind, id_, baseline, target in declared:
        problems = []
        for name, text in (("baseline", baseline), ("target", target)):
            if not text.strip():
                problems.append(f"no {name}")
            elif number(text) is None:
                problems.append(f"{name} {text!r} is not a number")
        start, goal = number(baseline), number(target)
        if not problems and start == goal:
            problems.append(f"baseline {baseline!r} and target {target!r} are the same number")
        if problems:
            findings.append(
                Finding(
                    "numeric-target",
                    f"{kind} {id_!r}: {' and '.join(problems)}; its progress needs a "
                    'numeric baseline and a different target, such as baseline = "12" '
                    'and target = "1", or "35%" and "60%"',
                    id_,
                    declarations.lines.get(id_.lower()),
                )
            )
    return findings
