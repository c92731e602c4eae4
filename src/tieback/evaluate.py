"""Align → report → warnings, once for every command: a configuration's items made into
its report, with each outcome's measures when asked for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.model import Alignment, Item
    from tieback.outcomes import Declarations
    from tieback.progress import Progress, WeekDone
    from tieback.report import Grouping, Report
    from tieback.rules import CoverageRules


def evaluate(
    config: Config,
    items: Sequence[Item],
    declarations: Declarations,
    *,
    coverage: CoverageRules | None = None,
    by: Grouping = "team",
    warnings: Sequence[str] = (),
    incomplete: Sequence[str] = (),
    measures: bool = False,
) -> Report:
    """The report of ``items`` under ``declarations`` and the configuration's rules.

    Its warnings are the declarations' (a team with several active outcomes), the
    alignment's (unknown or retired tags), then ``warnings`` (the sources'), after the
    ``incomplete`` lines. With ``measures``, each outcome and impact also gets its
    progress and outputs done a week (``add_measures``), and the stale or unmeasured
    performance outcomes are warned of once readings are in use.
    """
    from tieback.alignment import align
    from tieback.outcomes import focus_warnings
    from tieback.report import build_report

    settings = config.settings
    coverage = coverage or settings.coverage.rules()
    result = align(items, declarations, settings.tagging.rules(), settings.exempt.rules())
    report = build_report(
        result.alignments,
        declarations,
        coverage,
        by=by,
        warnings=[*focus_warnings(declarations), *result.warnings, *warnings],
        incomplete=incomplete,
    )
    if measures:
        _measure(
            config, declarations, result.alignments, coverage or settings.coverage.rules(), report
        )
    return report


def _measure(
    config: Config,
    declarations: Declarations,
    alignments: Sequence[Alignment],
    coverage: CoverageRules,
    report: Report,
) -> None:
    """Readings, progress and outputs done a week into ``report``'s data.

    Only a configuration that measures (a ``[metrics] paths`` file, or a reading
    recorded in the store) is warned of outcomes without recent readings: a team that
    has not started measuring is not told so on every audit.
    """
    from tieback.metrics import measurement_warnings
    from tieback.report import add_measures

    lines: list[str] = []
    progress, measuring = outcome_progress(config, declarations, lines)
    add_measures(report.data, progress, _weeks(alignments, coverage))
    if measuring:
        lines.extend(measurement_warnings(declarations, progress, config.settings.metrics))
    report.data["warnings"].extend(lines)


def outcome_progress(
    config: Config, declarations: Declarations, warnings: list[str]
) -> tuple[dict[str, Progress], bool]:
    """Each outcome's and impact's progress from the readings in ``[metrics] paths`` and
    the store (bad rows warned of in ``warnings``), and whether this configuration
    measures at all: a metrics file listed, or a reading found."""
    from tieback.metrics import load_readings, progress_for

    if config.store_exists:
        from tieback.store import Store

        with Store.open(config.store_location) as store:
            readings = load_readings(config, declarations, store, warnings)
    else:
        readings = load_readings(config, declarations, None, warnings)
    today = datetime.now(UTC).date()
    progress = progress_for(declarations, readings, config.settings.metrics, today)
    return progress, bool(readings or config.settings.metrics.paths)


def _weeks(alignments: Sequence[Alignment], coverage: CoverageRules) -> dict[str, list[WeekDone]]:
    """Each outcome's outputs done a week, weighed as the report weighs them (done
    items count here whatever the report's scope)."""
    from tieback.delivery import done_by_week

    done = [a for a in alignments if a.item.done and a.outcomes]
    if coverage.weight == "points":
        default = coverage.default_points
        weights = [default if a.item.points is None else a.item.points for a in done]
    else:
        weights = [1.0] * len(done)
    return done_by_week(done, weights)
