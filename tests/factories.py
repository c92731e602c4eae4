"""Build work items the way the sources do, with defaults for what a test ignores."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from tieback.alignment import align
from tieback.connectors.source import TrackerSource
from tieback.model import Impact, Item, Outcome, OutcomeStatus
from tieback.outcomes import Declarations
from tieback.report import Report, build_report
from tieback.rules import CoverageRules, ExemptRules, TagRules
from tieback.store import Store
from tieback.sync import sync_source


def item(key: str = "EDU-1", **fields: object) -> Item:
    """An item with sensible defaults; any field may be given."""
    defaults: dict[str, object] = {"source": "jira", "title": f"Work on {key}", "team": "EDU"}
    defaults.update(fields)
    return Item(key=key, **defaults)  # type: ignore[arg-type]


def sample_declarations() -> Declarations:
    """The same outcomes as conftest.OUTCOMES_TOML, built without touching disk."""
    return Declarations(
        impacts=(Impact("engagement", "Increase active learner engagement"),),
        outcomes=(
            Outcome(
                "results-in-a-minute",
                "Learners see results within one minute",
                impact="engagement",
                metric="p90 minutes to result",
                target="1",
                team="grading",
                aliases=("fast-results",),
            ),
            Outcome(
                "activation",
                "New teachers assign a first quiz in week one",
                impact="engagement",
                metric="share of new teachers",
                target="40%",
                team="onboarding",
            ),
            Outcome(
                "old-reports",
                "Teachers read weekly reports",
                impact="engagement",
                metric="weekly readers",
                target="10",
                status=OutcomeStatus.RETIRED,
            ),
        ),
        origin="sample",
    )


HOSTILE = "Fix @acme/admins <img src=x onerror=alert(1)> [click](javascript:alert(1)) | *now*"


def fixed_report(by: str = "team") -> Report:
    declarations = sample_declarations()
    items = [
        item("EDU-1", title="Grading epic", labels=("outcome:fast-results",), type="Epic"),
        item("EDU-2", title="Cache rubric lookups", parent="EDU-1", type="Story", points=3),
        item("EDU-10", title=HOSTILE, labels=("outcome:activaton",), type="Story", points=5),
        item("EDU-11", title="Old weekly report export", labels=("outcome:old-reports",)),
        item("EDU-12", title="Flaky login test", type="Bug", points=1),
        item("EDU-13", title="Shipped thing", labels=("outcome:activation",), done=True),
        item(
            "acme/app#7",
            source="github",
            title="Bump lodash",
            author="dependabot[bot]",
            team="acme/app",
            url="https://github.com/acme/app/issues/7",
        ),
        item(
            "acme/app#8",
            source="github",
            title="Untagged idea",
            team="acme/app",
            url="https://github.com/acme/app/issues/8",
        ),
    ]
    exempt = ExemptRules.of(types=["Bug"], authors=["dependabot[bot]"])
    result = align(items, declarations, TagRules(), exempt)
    return build_report(
        result.alignments,
        declarations,
        CoverageRules(),
        by=by,  # type: ignore[arg-type]
        warnings=["team grading has 2 active outcomes (a, b)"],
        generated_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
    )


def full_sync_garbage(make: Callable[[], TrackerSource], store: Path) -> tuple[int, int]:
    """Sync a source ``make`` builds into ``store`` with the cycle collector paused, as
    ``tieback sync`` runs; return the items fetched and how many objects the sync left
    that only the collector could free (the source dropped first)."""
    gc.collect()
    gc.disable()
    try:
        with Store.open(store) as opened:
            fetched = sync_source(make(), opened, full=True).fetched
        return fetched, gc.collect()
    finally:
        gc.enable()
