"""The coverage digest: what changed since the previous snapshot, in three formats.

Regenerate the gold file after an intended change with
``REGOLD=1 pytest tests/connectors/test_digest.py``.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

import tieback.connectors.jira.digest as digest_module
from factories import HOSTILE, fixed_report, item, sample_declarations
from tieback.alignment import align
from tieback.connectors.digest import (
    NEWLY_LISTED,
    Digest,
    LostOutcome,
    build_digest,
    display_change,
    fingerprint,
    is_current,
)
from tieback.connectors.github.digest import GITHUB_LIMIT, digest_markdown
from tieback.connectors.jira.digest import JIRA_LIMIT, digest_adf, digest_wiki
from tieback.history import snapshot_of
from tieback.model import Alignment, Classification, Item
from tieback.report import Report, build_report
from tieback.rules import CoverageRules, ExemptRules, TagRules
from tieback.store import Snapshot

GOLD = Path(__file__).parent / "gold"
MARKER = "<!-- tieback:summary -->"
WIKI_MARKER = "tieback:summary"


def unaligned(report: Report) -> list[Alignment]:
    return [a for a in report.alignments if a.classification is Classification.UNALIGNED]


def previous_of(report: Report, **changes: Any) -> Snapshot:
    """A snapshot as history.snapshot_of keeps it, with some numbers changed."""
    data = json.loads(json.dumps(snapshot_of(report)))  # as stored: plain JSON
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = data
        for name in parents:
            target = target.setdefault(name, {})
        target[leaf] = value
    return Snapshot(1, "2026-11-21T09:30:00Z", "post", data)


def report_of(items: list[Item], coverage: CoverageRules | None = None) -> Report:
    declarations = sample_declarations()
    exempt = ExemptRules.of(labels=["chore"], types=["Bug"])
    result = align(items, declarations, TagRules(), exempt)
    return build_report(result.alignments, declarations, coverage or CoverageRules())


def texts(node: Any) -> list[str]:
    """Every text of an ADF document, in order."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" else []
        return own + [t for child in node.get("content", []) for t in texts(child)]
    return []


# --- what the digest holds ------------------------------------------------------------


def test_delta_since_the_previous_snapshot() -> None:
    report = fixed_report()  # 2 aligned, 3 unaligned: 40%
    previous = previous_of(report, totals__coverage=25.0, teams__EDU__coverage=40.0)
    digest = build_digest(report, previous, unaligned(report), 1)
    assert digest.coverage == pytest.approx(40.0)
    assert digest.previous_coverage == 25.0
    assert digest.delta == pytest.approx(15.0)
    assert (digest.items, digest.aligned, digest.unaligned, digest.exempt) == (7, 2, 3, 2)
    assert digest.previous_taken_at == "2026-11-21T09:30:00Z"
    teams = {t.name: t for t in digest.teams}
    assert teams["EDU"].previous == 40.0 and teams["EDU"].delta == pytest.approx(10.0)
    assert teams["acme/app"].delta == 0
    body = digest_markdown(digest, MARKER)
    since = "Since the previous snapshot (2026-11-21 09:30 UTC): **▲ +15.0 points** (from 25.0%)"
    assert since in body
    assert "| EDU | 5 | 50.0% | ▲ +10.0 points |" in body


def test_outcomes_that_lost_all_their_outputs() -> None:
    report = fixed_report()  # activation: 0 items now; results-in-a-minute: 2
    previous = previous_of(
        report,
        outcomes__activation={"items": 3, "weight": 3},
        **{"outcomes__old-reports": {"items": 0, "weight": 0}},
    )
    digest = build_digest(report, previous, [], 1)
    assert digest.lost_outcomes == (
        LostOutcome("activation", "New teachers assign a first quiz in week one", 3),
    )
    assert [o.id for o in digest.orphan_outcomes] == ["activation"]
    body = digest_markdown(digest, MARKER)
    assert "#### Outcomes that lost all their outputs (1)" in body
    assert "- `activation`: New teachers assign a first quiz in week one (had 3 items)" in body
    assert "h4. Outcomes that lost all their outputs \\(1\\)" in digest_wiki(digest, WIKI_MARKER)


def test_first_run_has_nothing_to_compare() -> None:
    report = fixed_report()
    digest = build_digest(report, None, unaligned(report), 1)
    assert not digest.has_previous and digest.previous_taken_at == ""
    assert digest.previous_coverage is None and digest.delta is None
    assert digest.lost_outcomes == () and all(t.delta is None for t in digest.teams)
    assert "First snapshot: no earlier coverage to compare with." in digest_markdown(digest, MARKER)
    assert "First snapshot" in digest_wiki(digest, WIKI_MARKER)
    assert "First snapshot: no earlier coverage to compare with." in texts(digest_adf(digest))


def test_null_coverage_is_na_and_has_no_delta() -> None:
    only_exempt = report_of([item("EDU-1", labels=("chore",)), item("EDU-2", type="Bug")])
    previous = previous_of(fixed_report())
    digest = build_digest(only_exempt, previous, [], 1)
    assert digest.coverage is None and digest.delta is None
    body = digest_markdown(digest, MARKER)
    assert "**n/a** of the open backlog" in body
    assert "n/a%" not in body
    assert "Since the previous snapshot (2026-11-21 09:30 UTC): coverage was 40.0%." in body
    # And the other way round: no coverage then, some now.
    digest = build_digest(fixed_report(), previous_of(only_exempt), [], 1)
    assert digest.previous_coverage is None and digest.delta is None
    assert "coverage was n/a." in digest_markdown(digest, MARKER)


def test_100_only_when_exactly_100() -> None:
    base = build_digest(fixed_report(), None, [], 1)
    almost = replace(base, coverage=99.96)
    assert "**99.9%**" in digest_markdown(almost, MARKER)
    assert "*99.9\\%*" in digest_wiki(almost, WIKI_MARKER)
    assert "99.9%" in texts(digest_adf(almost))
    assert "**100.0%**" in digest_markdown(replace(base, coverage=100.0), MARKER)
    assert "**0.1%**" in digest_markdown(replace(base, coverage=0.01), MARKER)
    assert display_change(0.04, 1) == "under 0.1 points of change"
    assert display_change(0, 1) == "no change"
    assert display_change(-2.25, 2) == "▼ -2.25 points"


def test_another_scope_or_weight_is_not_compared() -> None:
    report = fixed_report()
    previous = previous_of(report, scope="all", totals__coverage=10.0)
    digest = build_digest(report, previous, [], 1)
    assert digest.has_previous and not digest.comparable
    assert digest.delta is None and all(t.delta is None for t in digest.teams)
    assert "it counted another scope or weight" in digest_markdown(digest, MARKER)


def test_newly_unaligned_keeps_the_first_20_in_report_order() -> None:
    items = [item(f"EDU-{n}", title=f"Idea {n}") for n in range(1, 26)]
    report = report_of(items)
    digest = build_digest(report, None, list(reversed(unaligned(report))), 1)
    assert [u.key for u in digest.newly_unaligned] == [f"EDU-{n}" for n in range(1, 21)]
    assert digest.more_unaligned == 5 and digest.newly_unaligned_count == 25
    body = digest_markdown(digest, MARKER)
    assert "#### Newly unaligned (25)" in body
    assert "- … and 5 more" in body and "Idea 21" not in body
    assert "* … and 5 more" in digest_wiki(digest, WIKI_MARKER)
    assert "… and 5 more" in texts(digest_adf(digest))
    assert NEWLY_LISTED == 20


def test_long_lists_are_summarised_to_fit_the_comment_limits() -> None:
    long_title = "Ω" + "@x [y](z) " * 25  # GitHub and Jira keep titles to about 255
    items = [
        item(f"T{n}-1", team=f"team-{n:03}", title=long_title, labels=("outcome:activation",))
        for n in range(120)
    ]
    items += [item(f"U-{n}", title=long_title) for n in range(40)]
    report = report_of(items)
    digest = build_digest(report, None, unaligned(report), 1)
    assert len(digest.teams) == 121
    body = digest_markdown(digest, MARKER)
    assert len(body) < GITHUB_LIMIT and body.startswith(MARKER)
    assert "more teams |" in body
    wiki = digest_wiki(digest, WIKI_MARKER)
    assert len(wiki) < JIRA_LIMIT and "more teams|" in wiki
    assert wiki.rstrip().endswith("{color:#97a0af}tieback:summary{color}")
    assert len(json.dumps(digest_adf(digest), ensure_ascii=False)) < JIRA_LIMIT


def test_huge_titles_are_counted_not_listed() -> None:
    huge = "[~admin] " * 2_000  # a files export may hold anything
    report = report_of([item(f"EDU-{n}", title=huge) for n in range(10)])
    digest = build_digest(report, None, unaligned(report), 1)
    body = digest_markdown(digest, MARKER)
    assert len(body) < GITHUB_LIMIT and body.startswith(MARKER)
    assert "- … and 10 more" in body
    wiki = digest_wiki(digest, WIKI_MARKER)
    assert len(wiki) < JIRA_LIMIT and "* … and 10 more" in wiki
    assert len(json.dumps(digest_adf(digest), ensure_ascii=False)) < JIRA_LIMIT


def test_a_cut_keeps_the_marker_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digest_module, "JIRA_LIMIT", 4_400)  # 400 characters, less margin
    wiki = digest_wiki(gold_digest(), WIKI_MARKER)
    assert len(wiki) <= 400 and "… (cut to the comment limit)" in wiki
    assert wiki.startswith("h3. tieback: outcome coverage\n")
    assert wiki.rstrip().splitlines()[-1] == "{color:#97a0af}tieback:summary{color}"


# --- untrusted text ------------------------------------------------------------------


def test_untrusted_titles_are_escaped_in_every_format() -> None:
    report = fixed_report()  # EDU-10 carries the HOSTILE title
    digest = build_digest(report, None, unaligned(report), 1)
    body = digest_markdown(digest, MARKER)
    assert "<img" not in body and "@acme" not in body and "[click](" not in body
    assert "\\[click\\](javascript:alert(1))" in body
    wiki = digest_wiki(digest, WIKI_MARKER)
    assert "[click]" not in wiki and "\\[click\\]" in wiki and "\\*now\\*" in wiki
    assert "[acme/app\\#8|https://github.com/acme/app/issues/8]" in wiki
    document = digest_adf(digest)
    assert f": {HOSTILE}" in texts(document)
    links = [
        mark["attrs"]["href"]
        for node in json_nodes(document)
        for mark in node.get("marks", [])
        if mark["type"] == "link"
    ]
    assert links == ["https://github.com/acme/app/issues/8"]


def test_links_only_to_http_urls() -> None:
    report = report_of(
        [
            item("EDU-1", url="javascript:alert(1)"),
            item("EDU-2", url="https://jira.example/browse/EDU-2|evil]"),
        ]
    )
    digest = build_digest(report, None, unaligned(report), 1)
    assert "javascript" not in digest_markdown(digest, MARKER)
    wiki = digest_wiki(digest, WIKI_MARKER)
    assert "javascript" not in wiki and "|https" not in wiki
    assert "* EDU\\-1: " in wiki and "* EDU\\-2: " in wiki


def json_nodes(node: Any) -> list[dict[str, Any]]:
    if not isinstance(node, dict):
        return []
    return [node] + [n for child in node.get("content", []) for n in json_nodes(child)]


# --- when to edit ---------------------------------------------------------------------


def test_a_newer_snapshot_alone_does_not_change_the_fingerprint() -> None:
    report = fixed_report()
    render = partial(digest_markdown, marker=MARKER)
    first = build_digest(report, previous_of(report), [], 1)
    later = replace(first, previous_taken_at="2026-11-23T09:30:00Z")
    assert digest_markdown(first, MARKER) != digest_markdown(later, MARKER)
    assert fingerprint(first, render) == fingerprint(later, render)


def test_no_news_about_the_same_numbers_keeps_the_posted_digest() -> None:
    report = fixed_report()
    render = partial(digest_markdown, marker=MARKER)
    # Posted: the first run, which listed newly unaligned items and had no previous.
    posted = build_digest(report, None, unaligned(report), 1)
    remembered = fingerprint(posted, render)
    # The next run: nothing moved, nothing newly unaligned.
    quiet = build_digest(report, previous_of(report), [], 1)
    assert not quiet.has_news
    assert fingerprint(quiet, render) != remembered
    assert is_current(quiet, fingerprint(quiet, render), remembered)
    # A change in the numbers, or news, is written.
    moved = build_digest(report, previous_of(report, totals__coverage=30.0), [], 1)
    assert moved.has_news and not is_current(moved, fingerprint(moved, render), remembered)
    other = report_of([item("EDU-1", labels=("outcome:activation",))])
    quiet_other = build_digest(other, previous_of(other), [], 1)
    assert not is_current(quiet_other, fingerprint(quiet_other, render), remembered)


def test_adf_fingerprint() -> None:
    digest = build_digest(fixed_report(), None, [], 1)
    value = fingerprint(digest, digest_adf)
    assert value == fingerprint(digest, digest_adf) and ":" in value


# --- the renderings ---------------------------------------------------------------------


def gold_digest() -> Digest:
    report = fixed_report()
    previous = previous_of(
        report,
        totals__coverage=25.0,
        teams__EDU__coverage=40.0,
        outcomes__activation={"items": 2, "weight": 2},
    )
    return build_digest(report, previous, unaligned(report), 1)


def test_gold_markdown() -> None:
    rendered = digest_markdown(gold_digest(), MARKER)
    gold = GOLD / "digest.md"
    if os.environ.get("REGOLD"):
        gold.write_text(rendered, encoding="utf-8")
    assert rendered == gold.read_text(encoding="utf-8")


def test_wiki_shape() -> None:
    wiki = digest_wiki(gold_digest(), WIKI_MARKER)
    assert wiki.startswith("h3. tieback: outcome coverage\n")
    assert "||Team||Items||Coverage||Change||\n|EDU|5|50.0\\%|▲ \\+10.0 points|\n" in wiki
    assert "*40.0\\%* of the open backlog" in wiki
    assert wiki.rstrip().splitlines()[-1] == "{color:#97a0af}tieback:summary{color}"


def test_adf_shape() -> None:
    document = digest_adf(gold_digest())
    assert document["type"] == "doc" and document["version"] == 1
    kinds = [block["type"] for block in document["content"]]
    assert kinds[:3] == ["heading", "paragraph", "paragraph"]
    assert kinds.count("bulletList") == 4  # newly unaligned, lost, orphans, teams
    for node in json_nodes(document):
        if node["type"] == "text":
            assert node["text"]
        if node["type"] == "listItem":
            assert node["content"][0]["type"] == "paragraph"
    assert "tieback:summary" not in json.dumps(document)
