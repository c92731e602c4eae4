"""Build work items the way the sources do, with defaults for what a test ignores."""

from __future__ import annotations

from tieback.model import Impact, Item, Outcome, OutcomeStatus
from tieback.outcomes import Declarations


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
