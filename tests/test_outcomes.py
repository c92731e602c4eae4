"""Outcome declarations: loading, the errors that name file and entry, and lint."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tieback.config import Config
from tieback.errors import ConfigError
from tieback.model import OutcomeStatus
from tieback.outcomes import lint, load_declarations

GOOD = """
[[impacts]]
id = "revenue"
title = "Grow school revenue"

[[outcomes]]
id = "renewals"
title = "Schools renew their licence before it lapses"
impact = "revenue"
kind = "business"
metric = "renewal rate"
baseline = 61
target = 75
team = "growth"
aliases = ["Renew"]
"""


def test_loads_every_field(write_config: Callable[..., Config]) -> None:
    declarations = load_declarations(write_config(outcomes=GOOD))
    (outcome,) = declarations.outcomes
    assert outcome.kind.value == "business"
    assert (outcome.baseline, outcome.target) == ("61", "75")
    assert outcome.status is OutcomeStatus.ACTIVE
    assert declarations.index["renew"] is outcome
    assert declarations.lines["renewals"] == 7


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[[outcomes]]\nid = "other"\ntitle = "x"\naliases = ["RENEWALS"]\n',
            "outcomes[1] (other): alias 'RENEWALS' is already used by outcome 'renewals'",
        ),
        ('[[outcomes]]\nid = "renew"\ntitle = "x"\n', "id 'renew' is already used"),
        ('[[outcomes]]\nid = "Bad Slug"\ntitle = "x"\n', "outcomes[1] (Bad Slug): id: 'Bad Slug'"),
        ('[[outcomes]]\nid = "x"\ntitle = "x"\nimpact = "nope"\n', "impact 'nope' is not a"),
        ('[[outcomes]]\nid = "x"\ntitle = "x"\nkind = "outcome"\n', "outcomes[1] (x): kind:"),
        ('[[outcomes]]\nid = "x"\ntitle = "x"\nowner = "me"\n', "unknown key owner"),
        ('[[outcomes]]\nid = "x"\n', "outcomes[1] (x): title is required"),
        ('[[impacts]]\nid = "revenue"\ntitle = "again"\n', "duplicate impact id 'revenue'"),
    ],
)
def test_bad_declarations_name_file_and_entry(
    write_config: Callable[..., Config], extra: str, message: str
) -> None:
    config = write_config(outcomes=GOOD + extra)
    with pytest.raises(ConfigError) as raised:
        load_declarations(config)
    assert message in str(raised.value)
    if "duplicate impact" not in message:
        assert "outcomes.toml" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_outcomes_file(write_config: Callable[..., Config]) -> None:
    config = write_config(config='outcomes_file = "missing.toml"\n', outcomes=None)
    with pytest.raises(ConfigError, match=r"missing.toml: outcomes file not found"):
        load_declarations(config)


def test_invalid_toml_names_file(write_config: Callable[..., Config]) -> None:
    config = write_config(outcomes="[[outcomes]\n")
    with pytest.raises(ConfigError, match=r"outcomes.toml: not valid TOML"):
        load_declarations(config)


def test_inline_declarations_in_the_config(write_config: Callable[..., Config]) -> None:
    config = write_config(
        config='[[outcomes]]\nid = "inline"\ntitle = "Teachers grade in half the time"\n',
        outcomes=None,
    )
    declarations = load_declarations(config)
    assert [o.id for o in declarations.outcomes] == ["inline"]


def test_inline_and_file_ids_must_not_clash(write_config: Callable[..., Config]) -> None:
    config = write_config(config='[[outcomes]]\nid = "renewals"\ntitle = "x"\n', outcomes=GOOD)
    with pytest.raises(ConfigError, match="already used"):
        load_declarations(config)


LINTY = """
[[impacts]]
id = "engagement"
title = "Engagement"

[[impacts]]
id = "lonely"
title = "Nobody drives me"

[[outcomes]]
id = "dashboard"
title = "Launch the teacher dashboard"
impact = "engagement"
metric = "teachers who open the dashboard page"
target = "500"
team = "content"

[[outcomes]]
id = "no-target"
title = "Learners finish more courses"
metric = "completion rate"
team = "content"

[[outcomes]]
id = "exploring"
title = "Find out whether parents want progress emails"
focus = "learning"
impact = "engagement"

[[outcomes]]
id = "gone"
title = "Build the old thing"
status = "retired"
"""


def test_lint_rules(write_config: Callable[..., Config]) -> None:
    findings = lint(load_declarations(write_config(outcomes=LINTY)))
    rules = sorted((f.rule, f.subject) for f in findings)
    assert rules == [
        ("empty-impact", "lonely"),
        ("focus", "dashboard"),
        ("no-impact", "no-target"),
        ("output-as-outcome", "dashboard"),
        ("traction-metric", "dashboard"),
        ("unmeasurable", "no-target"),
    ]
    output = next(f for f in findings if f.rule == "output-as-outcome")
    assert "'Launch'" in output.message and output.line == 11


def test_an_impact_and_an_outcome_sharing_an_id_is_a_lint_warning(
    write_config: Callable[..., Config],
) -> None:
    """A reading of that id would count for the outcome alone: lint says so."""
    declarations = load_declarations(
        write_config(
            outcomes="""
            [[impacts]]
            id = "activation"
            title = "Activation"

            [[outcomes]]
            id = "activation"
            title = "New learners finish a lesson on day one"
            impact = "activation"
            metric = "share of new learners"
            baseline = "31%"
            target = "55%"
            """
        )
    )
    [finding] = [f for f in lint(declarations) if f.rule == "shared-id"]
    assert "impact 'activation' has the id of an outcome" in finding.message
