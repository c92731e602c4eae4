"""The rules built from the settings: their defaults, their fields and exemption matching."""

from __future__ import annotations

from dataclasses import fields

import pytest
from pydantic import BaseModel

from factories import item, sample_declarations
from tieback.alignment import align
from tieback.config import Coverage, Exempt, Tagging
from tieback.model import Classification
from tieback.rules import CoverageRules, ExemptRules, TagRules


def test_the_rules_default_as_the_settings_do() -> None:
    assert Tagging().rules() == TagRules()
    assert Exempt().rules() == ExemptRules()
    assert Coverage().rules() == CoverageRules()


@pytest.mark.parametrize(
    ("section", "rules"), [(Tagging, TagRules), (Exempt, ExemptRules), (Coverage, CoverageRules)]
)
def test_each_rule_is_a_setting_of_its_table(section: type[BaseModel], rules: type) -> None:
    assert {field.name for field in fields(rules)} <= set(section.model_fields)


def test_the_settings_give_their_rules() -> None:
    tagging = Tagging(prefix="okr/", jira_field="Goal", body_marker="Serves:", inherit=False)
    assert tagging.rules() == TagRules(prefix="okr/", body_marker="Serves:", inherit=False)
    coverage = Coverage(weight="points", default_points=2, fail_under=80, precision=0, scope="all")
    assert coverage.rules() == CoverageRules(
        weight="points", default_points=2, fail_under=80, precision=0, scope="all"
    )
    exempt = Exempt(labels=["KTLO"], types=["Bug"], authors=["Dependabot[bot]"])
    assert exempt.rules() == ExemptRules(
        labels=frozenset({"ktlo"}), types=frozenset({"bug"}), authors=frozenset({"dependabot[bot]"})
    )


def test_exempt_rules_match_in_any_case() -> None:
    exempt = ExemptRules.of(labels=["KTLO"], types=["bug"], authors=["dependabot[bot]"])
    assert exempt.matching_label(("outcome:x", "Ktlo", "ktlo")) == "Ktlo"
    assert exempt.matching_label(("outcome:x",)) is None
    assert exempt.matches_type("BUG") and not exempt.matches_type("Story")
    assert exempt.matches_author("Dependabot[BOT]") and not exempt.matches_author("ana")


def test_an_unknown_author_is_exempt_by_no_author_rule() -> None:
    blank = ExemptRules.of(authors=[""])
    assert not blank.matches_author("")
    [alignment] = align([item(author="")], sample_declarations(), TagRules(), blank).alignments
    assert alignment.classification is Classification.UNALIGNED
