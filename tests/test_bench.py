"""The benchmark's method: the verdicts on each target, the floors they are judged
against, and the fakes' concurrency limit, counted and enforced."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
from e2e.fake_github import SECONDARY_LIMIT, FakeGithub
from e2e.fake_github import TOKEN as GITHUB_TOKEN
from e2e.fake_github import serve as serve_github
from e2e.fake_jira import FakeJira
from e2e.fake_jira import serve as serve_jira
from e2e.serving import FakeHandler, serving

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"
X = "\N{MULTIPLICATION SIGN}"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    saved = sys.path[:]
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved  # the script puts bench/ and tests/ on the path for itself
    return module


def sample(bench: ModuleType, *seconds: float, peak_kb: int = 0, startup: float = 0.0) -> Any:
    taken = bench.Sample(seconds=list(seconds), peak_kb=[peak_kb] * len(seconds))
    taken.startup = [startup] * len(seconds)
    return taken


def synced(
    bench: ModuleType,
    *seconds: float,
    requests: int,
    chain: int | None = None,
    decode: float = 0.0,
    startup: float = 0.0,
    peak: int = 1,
    refused: int = 0,
) -> Any:
    """A sync's sample: each run with the same requests, chain, decode time and peak."""
    taken = sample(bench, *seconds, startup=startup)
    runs = len(seconds)
    taken.requests = [requests] * runs
    taken.chain = [requests if chain is None else chain] * runs
    taken.decode = [decode] * runs
    taken.peak = [peak] * runs
    taken.refused = [refused] + [0] * (runs - 1)
    return taken


def page(bench: ModuleType, **parts: Any) -> str:
    results = bench.Results("python bench/run.py", 3, [0.02, 0.25], "machine", **parts)
    return "\n".join(bench.against_targets(results))


def row_of(text: str, start: str) -> str:
    [line] = [line for line in text.splitlines() if line.startswith(start)]
    return line


# --- absolute targets: start-up and the audits -------------------------------------------


def test_start_up_rows_are_judged_on_their_own_limits_and_probes_are_not(
    bench: ModuleType,
) -> None:
    five = (0.05, 0.06, 0.07, 0.08, 0.2)
    rows = [
        bench.StartupRow("`python -c pass`", sample(bench, *five), None),
        bench.StartupRow("`tieback --help`", sample(bench, *five), bench.HELP_LIMIT),
        bench.StartupRow("the example", sample(bench, 0.25, 0.29, 0.31, 0.32, 0.4), 0.3),
        bench.StartupRow("`tieback sync`, first", sample(bench, 0.3, 0.3, 0.34, 0.4, 0.4), 0.35),
    ]
    text = page(bench, startup=rows)
    assert "| `tieback --help` | under 0.1 s | yes (0.07 s) | 5 |" in text
    assert "| the example | under 0.3 s | **no** (0.31 s) | 5 |" in text  # the median
    assert "| `tieback sync`, first | under 0.35 s | yes (0.34 s) | 5 |" in text
    assert "python -c pass" not in text


def test_an_absolute_target_is_not_judged_on_fewer_than_five_runs(bench: ModuleType) -> None:
    rows = [bench.StartupRow("`tieback --help`", sample(bench, 0.05, 0.06, 0.07), 0.1)]
    text = page(bench, startup=rows)
    assert "| not judged (0.06 s; 3 runs, 5 needed) | 3 |" in text
    assert "**0 of 0 targets met** in this run; 1 not judged (fewer than 5 runs)." in text


def test_audits_are_judged_on_time_memory_and_growth(bench: ModuleType) -> None:
    def audit(size: int, seconds: float, peak_mb: float) -> object:
        tieback = sample(bench, *[seconds] * 5, peak_kb=int(peak_mb * 1024))
        return bench.AuditRow(size, tieback, sample(bench, *[1.0] * 5), True, "", 0.15)

    audits = [audit(10_000, 0.3, 40), audit(100_000, 1.2, 110), audit(1_000_000, 10.02, 960)]
    text = page(bench, audit=audits)
    assert "| audit, 100,000 items | under 1.5 s | yes (1.20 s) | 5 |" in text
    assert "| audit, 1,000,000 items | under 10 s | **no** (10.02 s) | 5 |" in text
    # 960 MB of 2**20 bytes is 1.007e9 bytes: over 1 GB.
    assert "peak memory | under 1 GB (10⁹ bytes) | **no** (1.01 GB) |" in text
    # (1.2 - 0.3) / 90,000 = 10.0 us; (10.02 - 1.2) / 900,000 = 9.8 us.
    assert "yes (10.0 µs, then 9.8 µs) |" in text

    superlinear = [audit(10_000, 0.3, 40), audit(100_000, 1.2, 110), audit(1_000_000, 15.0, 900)]
    assert "**no** (10.0 µs, then 15.3 µs) |" in page(bench, audit=superlinear)


# --- syncs: floors, latencies, concurrency, the naive way --------------------------------


def test_a_full_sync_is_judged_past_start_up_against_the_larger_floor(bench: ModuleType) -> None:
    # 130 requests at 20 ms: a network floor of 2.6 s; parsing its answers took 4.0 s.
    tieback = synced(bench, 7.5, 7.5, 7.5, requests=130, decode=4.0, startup=0.5)
    sync = bench.SyncRow("Jira Cloud", 100_000, "full", tieback, None, 0.02, 10)
    assert sync.network_floor == pytest.approx(2.6)
    assert sync.floor == pytest.approx(4.0)
    line = row_of(page(bench, syncs=[sync]), "| Jira Cloud, 100,000, full |")
    # (7.5 - 0.5) / 4.0 = 1.75, within 2x; against the network floor alone it would be 2.7x.
    assert f"| 20 ms | 2.6 s / 4.0 s | yes (1.75{X}) | — |" in line

    slower = synced(bench, 9.0, 9.0, 9.0, requests=130, decode=4.0, startup=0.5)
    behind = bench.SyncRow("Jira Cloud", 100_000, "full", slower, None, 0.02, 10)
    assert f"**no** (2.12{X})" in row_of(page(bench, syncs=[behind]), "| Jira Cloud")


def test_requests_sent_side_by_side_count_once_in_the_network_floor(bench: ModuleType) -> None:
    # Five requests, three of them side by side: a chain of three.
    tieback = synced(bench, 0.9, requests=5, chain=3, startup=0.3)
    sync = bench.SyncRow("Jira Cloud", 10_000, "incremental, 25 changed", tieback, None, 0.25, 10)
    assert sync.network_floor == pytest.approx(0.75)
    # However side by side, no fewer rounds than the concurrency limit allows.
    wide = synced(bench, 9.0, requests=100, chain=1)
    assert bench.SyncRow("GitHub", 10_000, "full", wide, None, 0.25, 10).network_floor == 2.5


def test_at_250_ms_a_full_sync_must_be_within_one_and_a_half_times_its_network_floor(
    bench: ModuleType,
) -> None:
    # 100 requests at 250 ms: 25 s; 40 s past start-up is 1.6x, within the 2x of the floor.
    tieback = synced(bench, 40.4, 40.4, 40.4, requests=100, startup=0.4)
    saas = bench.SyncRow("GitHub", 10_000, "full", tieback, None, 0.25, 100)
    line = row_of(page(bench, syncs=[saas]), "| GitHub, 10,000, full | 250 ms |")
    assert f"| yes (1.60{X}) | **no** (1.60{X}) |" in line

    # At 20 ms the rule does not apply; nor to an incremental sync.
    near = synced(bench, 3.6, 3.6, 3.6, requests=100, startup=0.4)
    line = row_of(
        page(bench, syncs=[bench.SyncRow("GitHub", 10_000, "full", near, None, 0.02, 100)]),
        "| GitHub, 10,000, full | 20 ms |",
    )
    assert f"| yes (1.60{X}) | — |" in line
    quick = synced(bench, 0.65, requests=2, chain=1, startup=0.4)
    incremental = bench.SyncRow("GitHub", 10_000, "incremental", quick, None, 0.25, 100)
    line = row_of(page(bench, syncs=[incremental]), "| GitHub, 10,000, incremental |")
    assert f"| yes (1.00{X}) | — |" in line  # incremental: within 1.5x of its floor


def test_a_ratio_just_over_its_limit_never_reads_as_the_limit(bench: ModuleType) -> None:
    tieback = synced(bench, 0.3504, requests=1, startup=0.32)  # 0.0304 / 0.02 = 1.52
    sync = bench.SyncRow("GitHub", 500, "incremental", tieback, None, 0.02, 100)
    assert f"| **no** (1.52{X}) |" in page(bench, syncs=[sync])
    close = synced(bench, 0.35008, requests=1, startup=0.32)  # 1.504
    sync = bench.SyncRow("GitHub", 500, "incremental", close, None, 0.02, 100)
    assert f"| **no** (1.504{X}) |" in page(bench, syncs=[sync])


def test_an_incremental_sync_may_be_behind_the_naive_way_by_the_validation_cost(
    bench: ModuleType,
) -> None:
    def incremental(ours: float, theirs: float) -> Any:
        tieback = synced(bench, ours, ours, ours, requests=4, chain=2, startup=0.35)
        naive = sample(bench, theirs, theirs, theirs)
        return bench.SyncRow("Jira Cloud", 10_000, "incremental", tieback, naive, 0.02, 10)

    assert "| yes (+0.13 s) |" in page(bench, syncs=[incremental(0.55, 0.42)])
    assert "| **no** (+0.18 s) |" in page(bench, syncs=[incremental(0.60, 0.42)])
    # A full sync must be ahead.
    tieback = synced(bench, 3.0, requests=100)
    full = bench.SyncRow("GitHub", 10_000, "full", tieback, sample(bench, 2.9), 0.02, 100)
    assert f"| **no** (1.03{X}) |" in page(bench, syncs=[full])


def test_each_ratio_is_taken_within_a_run_against_the_naive_run_beside_it(
    bench: ModuleType,
) -> None:
    # Run by run: 1/2, 3/2 and 10/20. Medians of the whole times would give 3/2.
    tieback = synced(bench, 1.0, 3.0, 10.0, requests=10)
    naive = sample(bench, 2.0, 2.0, 20.0)
    sync = bench.SyncRow("GitHub", 1_000, "full", tieback, naive, 0.02, 100)
    assert sync.against_naive == 0.5
    assert "| yes (0.50" in page(bench, syncs=[sync])


def test_a_sync_over_the_concurrency_limit_or_answered_429_fails(bench: ModuleType) -> None:
    def jira(peak: int, refused: int) -> str:
        tieback = synced(bench, 1.0, requests=10, peak=peak, refused=refused)
        sync = bench.SyncRow("Jira Cloud", 1_000, "full", tieback, None, 0.02, 10)
        return row_of(page(bench, syncs=[sync]), "| Jira Cloud")

    assert "| yes (3 at most, 0 429s) |" in jira(3, 0)
    assert "| **no** (11 at most, 1 429s) |" in jira(11, 1)
    assert "| **no** (3 at most, 1 429s) |" in jira(3, 1)


def test_writes_to_github_are_judged_one_at_a_time(bench: ModuleType) -> None:
    def post(peak_writes: int) -> Any:
        return bench.WriteRow("`tieback post`", 19, 11, 5.0, 0.25, 19, 2, peak_writes, 0)

    text = page(bench, writes=[post(1), post(2)])
    assert "| `tieback post` | 250 ms | yes (1) | yes (2 at most, 0 429s) |" in text
    assert "| `tieback post` | 250 ms | **no** (2) |" in text
    assert "**3 of 4 targets met** in this run." in text


def test_nothing_measured_writes_no_section(bench: ModuleType) -> None:
    assert page(bench) == ""


# --- the user's page ---------------------------------------------------------------------


def test_the_runs_tables_fill_the_pages_marked_blocks(bench: ModuleType) -> None:
    text = "# Performance\n<!-- bench:figures -->\nold\nrows\n<!-- /bench:figures -->\nafter\n"
    filled = bench.fill_docs(text, {"figures": "| new |"})
    assert (
        filled == "# Performance\n<!-- bench:figures -->\n| new |\n<!-- /bench:figures -->\nafter\n"
    )
    with pytest.raises(bench.BenchError, match="no <!-- bench:growth --> block"):
        bench.fill_docs(text, {"growth": "- more"})


def test_the_pages_tables_put_each_sync_at_both_latencies_beside_the_naive_way(
    bench: ModuleType,
) -> None:
    def sync(latency: float, ours: float, theirs: float) -> Any:
        tieback = synced(bench, ours, requests=100)
        naive = synced(bench, theirs, requests=334)
        return bench.SyncRow("GitHub", 10_000, "full", tieback, naive, latency, 100)

    results = bench.Results(
        "python bench/run.py", 3, [0.02, 0.25], "machine", syncs=[sync(0.02, 3.7, 11.1)]
    )
    results.syncs.append(sync(0.25, 26.0, 84.0))
    block = bench.figures_block(results)
    assert "| sync | items | requests (naive) | at 20 ms | naive | at 250 ms | naive |" in block
    assert "| GitHub, full | 10,000 | 100 (334) | 3.7 s | 11.1 s | 26.0 s | 84.0 s |" in block


# --- the fakes' concurrency limit --------------------------------------------------------


@pytest.fixture
def github() -> Iterator[FakeGithub]:
    fake = FakeGithub()
    with serve_github(fake):
        fake.add_issue(1, "Grade exports")
        yield fake


def side_by_side(count: int, send: Any) -> list[requests.Response]:
    """``count`` calls of ``send`` at once, each on its own connection."""
    answers: list[requests.Response] = []
    threads = [threading.Thread(target=lambda: answers.append(send())) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return answers


def test_the_fake_github_answers_429_past_its_limit_and_records_the_peak(
    github: FakeGithub,
) -> None:
    github.latency = 0.3
    github.concurrency.limit = 2
    headers = {"Authorization": f"token {GITHUB_TOKEN}"}
    url = f"{github.url}/repos/{github.repo}/issues"
    answers = side_by_side(3, lambda: requests.get(url, headers=headers, timeout=5))
    assert sorted(answer.status_code for answer in answers) == [200, 200, 429]
    [refused] = [answer for answer in answers if answer.status_code == 429]
    assert refused.headers["Retry-After"] == "1"
    assert refused.json() == SECONDARY_LIMIT
    assert (github.concurrency.peak, github.concurrency.refused) == (3, 1)


def test_without_a_limit_the_fakes_refuse_nothing_and_count_overlapping_writes(
    github: FakeGithub,
) -> None:
    github.latency = 0.3
    headers = {"Authorization": f"token {GITHUB_TOKEN}"}
    url = f"{github.url}/repos/{github.repo}/issues/1/comments"

    def comment() -> requests.Response:
        return requests.post(url, json={"body": "hello"}, headers=headers, timeout=5)

    answers = side_by_side(3, comment)
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert (github.concurrency.peak_writes, github.concurrency.refused) == (3, 0)

    github.concurrency.reset()
    github.latency = 0.0
    for _ in range(2):
        assert comment().status_code == 201
    query = requests.post(
        f"{github.url}/graphql", json={"query": "{ viewer { login } }"}, headers=headers, timeout=5
    )
    assert query.status_code == 200
    assert github.concurrency.peak_writes == 1  # one at a time; a GraphQL query is a read


def test_the_fake_jira_answers_429_in_its_own_shape_and_chains_its_requests() -> None:
    fake = FakeJira("cloud")
    with serve_jira(fake):
        fake.add_issue("EDU-1", "Grade exports")
        fake.latency = 0.3
        fake.concurrency.limit = 1
        fake.concurrency.spans = []
        auth = (fake.email, fake.token)
        url = f"{fake.url}/rest/api/3/search/jql"

        def search() -> requests.Response:
            return requests.post(url, json={"jql": "project = EDU"}, auth=auth, timeout=5)

        answers = side_by_side(2, search)
        assert sorted(answer.status_code for answer in answers) == [200, 429]
        [refused] = [answer for answer in answers if answer.status_code == 429]
        assert refused.json() == {"errorMessages": ["Rate limit exceeded."], "errors": {}}
        assert fake.concurrency.peak_writes == 0  # a search is a read, sent as POST
        assert fake.concurrency.chain() == 1  # side by side: one round

        fake.latency = 0.0
        fake.concurrency.reset()
        for _ in range(3):
            assert search().status_code == 200
        assert fake.concurrency.chain() == 3  # each sent after the answer before it


class Slow:
    """A fake whose own work on each answer takes ``work`` seconds."""

    def __init__(self, latency: float, work: float) -> None:
        self.latency = latency
        self.work = work

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Any:
        time.sleep(self.work)
        return 200, {}, {"ok": True}


@pytest.mark.parametrize(
    ("latency", "work", "at_least", "under"),
    [
        # The work fits in the latency: answered in the latency, not the two added up.
        (0.4, 0.3, 0.4, 0.65),
        # More work than latency: answered when the work is done, no wait after it.
        (0.1, 0.4, 0.4, 0.45 + 0.2),
    ],
)
def test_a_fake_answers_in_its_latency_its_own_work_included(
    latency: float, work: float, at_least: float, under: float
) -> None:
    # The latency stands for the tracker's whole answer time, as "Jira Cloud answers a
    # page in 250 ms" means it; a fake that waited the latency and then did its work
    # would answer each request late by that work, which the floor does not count.
    fake = Slow(latency, work)
    with serving(fake, FakeHandler) as address:
        started = time.perf_counter()
        assert requests.get(f"{address}/anything", timeout=5).json() == {"ok": True}
        took = time.perf_counter() - started
    assert at_least <= took < under


def test_a_commands_cpu_counts_the_processes_it_left_running(
    bench: ModuleType, tmp_path: Path
) -> None:
    # tieback's second process outlives the command by a moment (the command does not
    # wait for it to end): its CPU is the command's all the same, its time after the
    # command ended is not.
    burn = 0.6
    script = (
        "import os, subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time\\n"
        "t = time.process_time()\\n"
        f"while time.process_time() - t < {burn}: pass'])\n"
        "os._exit(0)\n"
    )
    finished = bench.run_command([sys.executable, "-c", script], tmp_path)
    assert finished.seconds < burn
    assert finished.cpu >= burn
