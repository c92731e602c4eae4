"""Realistic synthetic backlogs for the benchmarks: epics with children, a mix of
direct and inherited tags, typos, retired outcomes, exempt work and estimates.

Deterministic for a given size and seed, so runs compare like with like.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tieback.model import Item

TEAMS = ("grading", "onboarding", "growth", "content", "mobile", "platform", "payments", "search")
OUTCOMES = [f"{team}-outcome-{n}" for team in TEAMS for n in (1, 2)]
RETIRED = [f"{team}-old" for team in TEAMS]
TYPES = ("Story", "Story", "Story", "Task", "Bug")


# Descriptions: what a team writes in a story, a bug or a task. Their lengths follow a
# log-normal law (median about 450 characters, a long tail cut near 8,000; one in ten
# is empty), as descriptions of real backlogs do: most a few lines, some a page.
_ROLES = ("teacher", "learner", "school admin", "parent", "content author", "support agent")
_WANTS = (
    "see each learner's results as soon as they submit",
    "assign a quiz to a whole class in one step",
    "export the term's grades to our student information system",
    "invite co-teachers without sharing my password",
    "find last year's lesson plans by topic",
    "get a reminder before an assignment is due",
)
_LINES = (
    "As a {role}, I want to {want}, so that I spend less time on admin.",
    "## Context",
    "Raised by three schools in the autumn pilot; see the support tickets linked below.",
    "The current flow takes about {n} clicks and times out on slow school networks.",
    "## Acceptance criteria",
    "- Given a class of {n} learners, when the {role} opens the page, then it loads in 2 s.",
    "- The change is behind the `{want_flag}` feature flag until the pilot ends.",
    "- Errors are shown inline, never as a blank page; nothing typed is lost.",
    "- Works on the supported browsers and on tablets in portrait mode.",
    "## Notes",
    "Design: https://www.figma.com/file/acme{n}/grading?node-id={n}",
    "Spec: https://acme.atlassian.net/wiki/spaces/PROD/pages/{n}",
    "Out of scope: bulk edits, and anything on the legacy mobile app.",
    "Open question: do we need the {role}'s consent before sending emails?",
    "Steps to reproduce:",
    "1. Sign in as a {role}.",
    "2. Open a class with more than {n} learners.",
    "3. Submit the quiz and wait.",
    "Expected: the results page. Actual: a spinner, then a 504.",
    "Logs: request id 7f3c{n}e2, at 09:1{n} UTC, eu-west-1.",
    "",
)
# Prose that holds the marker without being a marker line, now and then.
_PROSE = "The expected outcome: fewer tickets about lost work.\n"


def _corpus(seed: int = 11) -> tuple[str, list[int]]:
    """About 100 KB of description lines, and where each line starts."""
    rng = random.Random(seed)
    lines = []
    for _ in range(1500):
        want = rng.choice(_WANTS)
        line = rng.choice(_LINES).format(
            role=rng.choice(_ROLES),
            want=want,
            want_flag=want.split()[0] + "-" + want.split()[-1],
            n=rng.randint(2, 400),
        )
        lines.append(line + "\n")
        if rng.random() < 0.005:
            lines.append(_PROSE)
    text = "".join(lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line))
    return text, starts


CORPUS, _STARTS = _corpus()


def description(rng: random.Random) -> str:
    """A description as long as a real one tends to be: whole lines of ``CORPUS``."""
    if rng.random() < 0.1:
        return ""
    length = min(8000, int(rng.lognormvariate(6.1, 1.0)))
    start = _STARTS[rng.randrange(len(_STARTS) - 200)]
    end = CORPUS.find("\n", start + length)
    return CORPUS[start : end + 1 if end >= 0 else len(CORPUS)]


def outcomes_toml() -> str:
    """Declarations matching the generated tags: two outcomes a team, one retired."""
    parts = ['[[impacts]]\nid = "growth"\ntitle = "Grow weekly active customers"\n']
    for outcome in OUTCOMES:
        team = outcome.split("-")[0]
        parts.append(
            f'[[outcomes]]\nid = "{outcome}"\ntitle = "Customers of {team} succeed sooner"\n'
            f'impact = "growth"\nmetric = "share of customers"\ntarget = "50%"\nteam = "{team}"\n'
            f'aliases = ["{outcome}-alias"]\n'
        )
    for outcome in RETIRED:
        parts.append(f'[[outcomes]]\nid = "{outcome}"\ntitle = "An old bet"\nstatus = "retired"\n')
    return "\n".join(parts)


def backlog(size: int, seed: int = 7) -> Iterator[Item]:
    """``size`` items: one epic in twenty, its stories after it, some with sub-tasks."""
    rng = random.Random(seed)
    epic_key: str | None = None
    for number in range(1, size + 1):
        team = TEAMS[(number // 200) % len(TEAMS)]
        project = team[:3].upper()
        key = f"{project}-{number}"
        labels: list[str] = []
        body = description(rng)
        parent: str | None = None
        if number % 20 == 1:
            kind = "Epic"
            epic_key = key
            roll = rng.random()
            if roll < 0.6:
                labels.append(f"outcome:{rng.choice(OUTCOMES)}")
            elif roll < 0.65:
                labels.append(f"outcome:{rng.choice(RETIRED)}")
        else:
            kind = rng.choice(TYPES)
            parent = epic_key if rng.random() < 0.7 else None
            roll = rng.random()
            if roll < 0.2:
                labels.append(f"outcome:{rng.choice(OUTCOMES)}")
            elif roll < 0.3:
                body += f"Outcome: {rng.choice(OUTCOMES)}-alias\n"
            elif roll < 0.33:
                labels.append(f"outcome:{rng.choice(OUTCOMES)[:-1]}x")  # a typo
            elif roll < 0.38:
                labels.append("ktlo")
        if rng.random() < 0.5:
            labels.append(rng.choice(("backend", "frontend", "ux", "tech-debt")))
        yield Item(
            source="jira",
            key=key,
            title=f"Make {team} better, step {number}",
            url=f"https://acme.atlassian.net/browse/{key}",
            type=kind,
            status=rng.choice(("To Do", "In Progress", "Done")),
            done=rng.random() < 0.3,
            labels=tuple(labels),
            body=body,
            parent=parent,
            points=rng.choice((None, 1.0, 2.0, 3.0, 5.0, 8.0)),
            team=team,
            author="ann",
            updated="2026-11-01T10:00:00.000+0000",
        )


def write_workspace(directory: Path, size: int) -> Path:
    """A tieback.toml, outcomes.toml and a store holding ``size`` items; returns the config."""
    from tieback.store import Store

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "outcomes.toml").write_text(outcomes_toml())
    from tieback.config import load_config
    from tieback.connectors.jira import jira_query

    config = directory / "tieback.toml"
    config.write_text(
        '[exempt]\nlabels = ["ktlo"]\ntypes = ["Bug"]\n[store]\npath = "store.db"\n'
        '[jira]\nurl = "https://acme.atlassian.net"\njql = "project = EDU"\n'
    )
    store_path = directory / "store.db"
    if store_path.exists():
        store_path.unlink()
    # The items as a completed sync of the configured query leaves them.
    query = jira_query(load_config(config))
    with Store.open(store_path) as store:
        store.mark_with("Outcome:")  # as a sync does, with the marker of tieback.toml
        store.begin_sync("jira", query, "2026-11-01T10:00:00+00:00")
        batch: list[Item] = []
        for item in backlog(size):
            batch.append(item)
            if len(batch) == 50_000:
                store.upsert_items(query, batch)
                batch = []
        store.upsert_items(query, batch)
        store.end_sync("jira", query, "2026-11-01T10:05:00+00:00")
    return config


def jira_issue(item: Item, number: int) -> dict[str, Any]:
    """``item`` as a Jira REST v2 search hit (the shape of ``/rest/api/2/search``)."""
    site = "https://acme.atlassian.net"
    done = item.done
    fields: dict[str, Any] = {
        "summary": item.title,
        "status": {
            "name": "Done" if done else item.status,
            "statusCategory": {"key": "done" if done else "indeterminate"},
        },
        "issuetype": {"name": item.type, "subtask": False},
        "labels": list(item.labels),
        "description": item.body,
        "project": {"key": item.key.partition("-")[0]},
        "creator": {"displayName": item.author},
        "customfield_10016": item.points,
        "updated": item.updated,
    }
    if item.parent:
        fields["parent"] = {"key": item.parent}
    return {
        "id": str(10_000 + number),
        "self": f"{site}/rest/api/2/issue/{10_000 + number}",
        "key": item.key,
        "fields": fields,
    }


def write_jira_export(path: Path, size: int) -> Path:
    """The same backlog as a saved Jira search answer: what a hand-written script reads."""
    issues = [jira_issue(item, number) for number, item in enumerate(backlog(size), start=1)]
    answer = {"startAt": 0, "maxResults": size, "total": size, "issues": issues}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as export:
        json.dump(answer, export)
    return path
