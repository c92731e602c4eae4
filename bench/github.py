"""GitHub request counts and wall times: ``tieback pr`` on a busy pull request, ``tieback
post`` on unaligned issues, and a full then incremental ``tieback sync`` of a large
repository, against the fake GitHub of the end-to-end tests on 127.0.0.1.

The installed ``tieback`` runs as a subprocess, as the Action runs it; installation is
not timed. Requests are counted by the server, which also records the most requests
and the most writes it answered at once (GitHub asks for writes one at a time) and,
with ``--limit``, answers 429 past that many requests in flight, as GitHub's secondary
rate limit does.

    python bench/github.py                       # 300 comments, 100,000 issues, 250 changes
    python bench/github.py --issues 10000 --changes 40 --latency-ms 20

``bench/run.py`` runs these beside every other benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.append(str(ROOT / "bench"))  # last: its github.py must not hide PyGithub's

from backlog import description  # noqa: E402
from e2e.fake_github import FakeGithub, serve  # noqa: E402
from e2e.github_fixtures import Checkout, Run  # noqa: E402

OLD = "2026-01-01T00:00:00Z"
GITHUB_LIMIT = 100  # requests in flight: GitHub's documented secondary rate limit
POST_BACK = """
[github.post_back]
missing_label = "needs-outcome"
comment = true
summary_issue = "acme/app#{summary}"
"""


class Measured(NamedTuple):
    """One command in one situation, as the fake GitHub saw it (the most of its runs)."""

    label: str
    requests: int
    writes: int
    seconds: float  # median wall time
    chain: int  # requests each sent after the one before was answered
    peak: int  # most requests in flight at once
    peak_writes: int  # most writes in flight at once
    refused: int  # answered 429 for too many in flight


def synthetic(fake: FakeGithub, changed: dict[int, str]) -> Any:
    """Issue ``n`` on demand: one in five tagged, one in ten a sub-issue of an epic.

    The same object comes back for the same issue until its ``changed`` stamp moves, so
    a server that keeps each issue's serialised text can reuse it.
    """
    made: dict[int, tuple[str, dict[str, Any]]] = {}

    def make(number: int) -> dict[str, Any]:
        stamp = changed.get(number, OLD)
        kept = made.get(number)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        issue = build(number, stamp)
        made[number] = (stamp, issue)
        return issue

    def build(number: int, stamp: str) -> dict[str, Any]:
        labels = [{"name": "outcome:activation"}] if number % 5 == 0 else []
        return {
            "url": f"{fake.url}/repos/{fake.repo}/issues/{number}",
            "repository_url": f"{fake.url}/repos/{fake.repo}",
            "html_url": f"https://github.com/{fake.repo}/issues/{number}",
            "id": 10_000_000 + number,
            "number": number,
            "title": f"Issue {number}: make the thing better for teachers",
            "user": {"login": "ann-smith", "type": "User"},
            "labels": labels,
            "state": "closed" if number % 3 == 0 else "open",
            "body": description(random.Random(number)) or None,
            "type": None,
            "parent_issue_url": (
                f"{fake.url}/repos/{fake.repo}/issues/{number - number % 20 + 1}"
                if number % 10 == 0
                else None
            ),
            "created_at": OLD,
            "updated_at": stamp,
        }

    return make


def timed(checkout: Checkout, *args: str, **kwargs: Any) -> tuple[Run, float]:
    started = time.perf_counter()
    run = checkout.run(*args, **kwargs)
    return run, time.perf_counter() - started


class Runs:
    """The runs of one command: wall times, and what the fake GitHub counted in each."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.counts: list[tuple[int, int, int, int, int, int]] = []

    def run(self, fake: FakeGithub, checkout: Checkout, *args: str, **kwargs: Any) -> None:
        fake.requests.clear()
        fake.concurrency.spans = []
        fake.concurrency.reset()
        run, seconds = timed(checkout, *args, **kwargs)
        assert run.code == 0, run.stderr
        gate = fake.concurrency
        self.counts.append(
            (
                len(fake.requests),
                len(fake.writes()),
                gate.chain(),
                gate.peak,
                gate.peak_writes,
                gate.refused,
            )
        )
        self.times.append(seconds)

    def measured(self, label: str) -> Measured:
        most = [max(column) for column in zip(*self.counts, strict=True)]
        requests, writes, chain, peak, peak_writes, refused = most
        median = statistics.median(self.times)
        return Measured(label, requests, writes, median, chain, peak, peak_writes, refused)


def bench_pr(
    comments: int, runs: int, latency: float = 0.0, limit: int | None = None
) -> list[Measured]:
    """Requests and median wall time of ``tieback pr`` in three situations."""
    rows: list[Measured] = []
    with tempfile.TemporaryDirectory() as directory, serve(FakeGithub()) as fake:
        fake.concurrency.limit = limit
        fake.add_issue(10, "Epic", labels=["outcome:results-in-a-minute"])
        fake.add_issue(12, "Cache grades", parent=10)
        fake.add_pull(7, "Cache grades faster", body="Fixes #12", closes=[12])
        for number in range(comments):
            fake.add_comment(7, f"Review comment {number}")
        checkout = Checkout(Path(directory), fake)
        assert checkout.run("sync", "--source", "github").code == 0  # the store is present
        fake.latency = latency
        event = checkout.event(7)

        def measure(label: str, prepare: Any = None) -> None:
            taken = Runs()
            for _ in range(runs):
                if prepare is not None:
                    prepare()
                taken.run(fake, checkout, "pr", event=event, timeout=300)
            rows.append(taken.measured(label))

        def forget() -> None:
            fake.comments[7] = [c for c in fake.comments[7] if "tieback:" not in c["body"]]

        measure(f"`tieback pr`, first run, {comments} comments, comment created", forget)
        measure("`tieback pr` again, comment unchanged (id from the store)")

        def edit_and_forget_id() -> None:
            # The sticky comment sits after all the others; the store has lost its id.
            sticky = [c for c in fake.comments[7] if "tieback:" in c["body"]]
            others = [c for c in fake.comments[7] if "tieback:" not in c["body"]]
            fake.comments[7] = others + sticky
            sticky[0]["body"] = sticky[0]["body"].replace("Cache", "Caching")
            # As a store restored from an older copy would be: the file, not tieback's API.
            database = sqlite3.connect(Path(directory) / ".tieback" / "tieback.db")
            with contextlib.closing(database), database:
                database.execute("DELETE FROM comments")

        measure("`tieback pr`, sticky last of all, id unknown, edited", edit_and_forget_id)
    return rows


def bench_post(issues: int, runs: int, latency: float = 0.0, limit: int | None = None) -> Measured:
    """``tieback post`` on ``issues`` unaligned issues, each run on a new repository: a
    label and an explanatory comment on each (a look for the comment's marker first),
    and the summary comment on an exempt issue. The sync before it is not timed."""
    taken = Runs()
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as directory, serve(FakeGithub()) as fake:
            fake.concurrency.limit = limit
            for number in range(1, issues + 1):
                fake.add_issue(number, f"Issue {number}: make the thing better for teachers")
            summary = issues + 1
            fake.add_issue(summary, "Outcome coverage", labels=["chore"])
            checkout = Checkout(Path(directory), fake, POST_BACK.format(summary=summary))
            assert checkout.run("sync", "--source", "github").code == 0
            fake.latency = latency
            taken.run(fake, checkout, "post", timeout=900)
    return taken.measured(f"`tieback post`, {issues} unaligned issues, first run")


def bench_sync(
    issues: int, changes: int, latency: float = 0.0
) -> list[tuple[str, int, int, float]]:
    """Listing and GraphQL requests of a full sync, then of an incremental one."""
    rows: list[tuple[str, int, int, float]] = []
    changed: dict[int, str] = {}
    with tempfile.TemporaryDirectory() as directory, serve(FakeGithub()) as fake:
        fake.latency = latency
        fake.synthetic = issues
        fake.make_issue = synthetic(fake, changed)
        checkout = Checkout(Path(directory), fake)

        def sync(label: str) -> None:
            fake.requests.clear()
            run, seconds = timed(checkout, "sync", "--source", "github", timeout=900)
            assert run.code == 0, run.stderr
            listing = sum(1 for m, p in fake.requests if m == "GET" and p.endswith("/issues"))
            graphql = sum(1 for _, p in fake.requests if p == "/graphql")
            rows.append((label, listing, graphql, seconds))

        sync(f"full sync of {issues:,} issues")
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        step = max(1, issues // max(changes, 1))
        changed.update({number: now for number in range(1, issues + 1, step)[:changes]})
        fake._listing.clear()
        sync(f"incremental after {len(changed):,} changes")
        sync("incremental, nothing changed since")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=300)
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=250)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--post-issues", type=int, default=20)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="the fake's wait before each answer"
    )
    parser.add_argument(
        "--limit", type=int, default=GITHUB_LIMIT, help="requests in flight before a 429"
    )
    args = parser.parse_args()
    latency = args.latency_ms / 1000

    print(f"tieback pr (store present) and post, median of {args.runs} runs")
    print(
        "| situation | requests | writes | wall time | most in flight | most writes at once "
        "| 429s |\n|---|---:|---:|---:|---:|---:|---:|"
    )
    rows = bench_pr(args.comments, args.runs, latency, args.limit)
    rows.append(bench_post(args.post_issues, args.runs, latency, args.limit))
    for row in rows:
        print(
            f"| {row.label} | {row.requests} | {row.writes} | {row.seconds:.2f} s | "
            f"{row.peak} | {row.peak_writes} | {row.refused} |"
        )
    for row in rows[:-1]:
        assert row.requests <= 6, f"{row.label}: {row.requests} requests (the budget is 6)"

    print(
        f"\ntieback sync --source github (expected listing requests: ceil(N/100) = "
        f"{math.ceil(args.issues / 100)}, then ceil(k/100) = {math.ceil(args.changes / 100)})"
    )
    print("| run | listing requests | GraphQL requests | wall time |\n|---|---:|---:|---:|")
    for label, listing, graphql, seconds in bench_sync(args.issues, args.changes, latency):
        print(f"| {label} | {listing} | {graphql} | {seconds:.1f} s |")


if __name__ == "__main__":
    main()
