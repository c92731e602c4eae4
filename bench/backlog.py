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
        body = "As a teacher I want this so that that.\n"
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
    config = directory / "tieback.toml"
    config.write_text('[exempt]\nlabels = ["ktlo"]\ntypes = ["Bug"]\n[store]\npath = "store.db"\n')
    store_path = directory / "store.db"
    if store_path.exists():
        store_path.unlink()
    with Store.open(store_path) as store:
        batch: list[Item] = []
        for item in backlog(size):
            batch.append(item)
            if len(batch) == 50_000:
                store.upsert_items("bench", batch)
                batch = []
        store.upsert_items("bench", batch)
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
