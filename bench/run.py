"""Every benchmark in one command, each beside the naive way, written as one Markdown page.

Start-up, the offline audit over synthetic backlogs, full and incremental syncs of GitHub
and Jira (Cloud and Data Center) against the fake servers of the end-to-end tests on
127.0.0.1 at two latencies (20 ms, a Data Center on the same network; 250 ms, a SaaS
tracker over the internet), each fake refusing requests past its tracker's concurrency
limit with 429, and the pull-request check and post-back with their writes counted.
The page opens with each target beside this run's figure, met or not.

    python bench/run.py              # the whole benchmark (about two hours on two cores)
    python bench/run.py --quick      # one small run of everything, a smoke test
    python bench/run.py --docs       # the whole benchmark, and its tables into docs/performance.md
    python bench/run.py --only audit --audit-sizes 1000000
    python bench/run.py --only jira --sizes 100000 --latency-ms 250
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import ctypes
import gc
import importlib.util
import itertools
import json
import math
import os
import platform
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DOCS = ROOT / "docs" / "performance.md"
# bench/github.py would hide PyGithub (``import github``) if bench/ came first on the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]
sys.path += [str(BENCH), str(ROOT / "tests")]

from backlog import backlog, outcomes_toml, write_jira_export, write_workspace  # noqa: E402
from e2e import fake_github  # type: ignore[import-not-found]  # noqa: E402
from e2e.fake_github import TOKEN as GITHUB_TOKEN  # type: ignore[import-not-found]  # noqa: E402
from e2e.fake_github import FakeGithub  # noqa: E402
from e2e.github_fixtures import Checkout, tieback_command  # type: ignore[import-not-found]  # noqa: E402
from e2e.serving import FakeHandler, serving  # type: ignore[import-not-found]  # noqa: E402

# --quick: syncs of 500 items (five Cloud pages, two PyGithub pages a second at 250 ms),
# audits of 1,000, and the writes at the last latency only: under a minute.
QUICK_SIZE = 500
QUICK_AUDIT_SIZE = 1_000
QUICK_POST_ISSUES = 3
SPEED_LOOP = 10**7  # sum(range(SPEED_LOOP)): the machine-speed probe (machine_speed)
TIMES = "\N{MULTIPLICATION SIGN}"
OLD = datetime(2026, 1, 1, tzinfo=UTC)

# The targets the page is judged against (docs/performance.md, bench/README.md).
# Absolute targets are judged on the median of at least ABSOLUTE_RUNS runs, each
# interleaved with the runs of what is measured beside it.
ABSOLUTE_RUNS = 5
HELP_LIMIT = 0.1  # seconds: `tieback --help`
SYNC_STARTUP_LIMIT = 0.35  # seconds from launching `tieback sync` to its first request
EXAMPLE_LIMIT = 0.3  # seconds: `tieback audit --offline` on the bundled example
AUDIT_LIMITS = {100_000: 1.5, 1_000_000: 10.0}  # items: seconds
MEMORY_LIMIT = 10**9  # bytes at the peak of the 1,000,000-item audit
LINEAR_LIMIT = 1.5  # an item's cost from 100,000 to 1,000,000 items against 10,000 to 100,000
# A sync is judged on its time past start-up against its floor, the larger of its
# network floor (latencies in a chain of requests) and its decode floor (the tracker's
# JSON parser over the same answers).
FULL_LIMIT = 2.0  # a full sync within this many times its floor
INCREMENTAL_LIMIT = 1.5  # an incremental sync within this many times its floor
SAAS_LATENCY = 0.25  # seconds a request: a SaaS tracker over the internet
SAAS_LIMIT = 1.5  # at SAAS_LATENCY, a full sync within this many times its network floor
# An incremental sync may be behind the naive script by the configuration's validation
# (pydantic-settings, which tieback requires and the script skips).
VALIDATION_ALLOWANCE = 0.15  # seconds
# Requests in flight each tracker allows one user before it answers 429 with Retry-After:
# Jira Cloud about 10 as integrators observe it (Atlassian publishes no figure; the same
# limit stands in for a Data Center whose administrator limits rates), GitHub 100 (its
# documented secondary rate limit). GitHub also asks for writes one at a time.
JIRA_LIMIT = 10
GITHUB_LIMIT = 100
WRITES_AT_ONCE = 1


class BenchError(Exception):
    """A measurement that could not be taken; its message says why, in one line."""


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Sample:
    """Repeated measurements of one thing: medians, with the spread to judge noise by.

    The lists of one sample line up: entry ``i`` of each is from the ``i``-th run.
    """

    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    server: list[float] = field(default_factory=list)  # seconds the fake was busy
    # Seconds from launching the command to the fake receiving its first request.
    startup: list[float] = field(default_factory=list)
    steal: list[float] = field(default_factory=list)  # share of CPU time the host took
    cpu: list[float] = field(default_factory=list)  # the command's user + system seconds
    chain: list[int] = field(default_factory=list)  # requests each sent after an answer
    decode: list[float] = field(default_factory=list)  # the parser over the same answers
    peak: list[int] = field(default_factory=list)  # most requests in flight at once
    refused: list[int] = field(default_factory=list)  # answered 429, too many in flight

    def add(self, finished: Finished) -> None:
        self.seconds.append(finished.seconds)
        self.peak_kb.append(finished.peak_kb)
        self.steal.append(finished.steal)
        self.cpu.append(finished.cpu)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """(max - min) / median: how far apart the runs were."""
        return (max(self.seconds) - min(self.seconds)) / self.median if self.median else 0.0

    @property
    def peak_mb(self) -> float:
        return statistics.median(self.peak_kb) / 1024

    @property
    def server_median(self) -> float:
        return statistics.median(self.server) if self.server else 0.0

    @property
    def request_count(self) -> int:
        return max(self.requests) if self.requests else 0

    @property
    def startup_median(self) -> float:
        return statistics.median(self.startup) if self.startup else 0.0

    @property
    def steal_median(self) -> float:
        return statistics.median(self.steal) if self.steal else 0.0

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else 0.0

    @property
    def most_in_flight(self) -> int:
        return max(self.peak) if self.peak else 0

    @property
    def refusals(self) -> int:
        return sum(self.refused)

    @property
    def past_startup(self) -> list[float]:
        """Each run's time after its start-up."""
        return [whole - startup for whole, startup in zip(self.seconds, self.startup, strict=True)]


def machine_speed() -> float:
    """Seconds a fixed loop of pure Python takes now, the best of three.

    This machine's speed moves by half under unchanged code (a virtual machine's host
    runs other guests, and not only as steal), so every CPU-bound figure is shown
    beside the loop's time taken just before it: a figure from a run whose loop took
    twice as long is not a regression of the code.
    """
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        sum(range(SPEED_LOOP))
        best = min(best, time.perf_counter() - began)
    return best


@dataclass
class Finished:
    seconds: float
    peak_kb: int
    stdout: str
    stderr: str
    started: float  # time.perf_counter() just before the command was launched
    steal: float = 0.0  # share of the cores' time the host took while it ran
    cpu: float = 0.0  # user + system seconds of the command and what it started


def cpu_ticks() -> tuple[int, int]:
    """All cores' time since boot and the part of it the host took for other guests
    ("steal"), in clock ticks, from ``/proc/stat``; (0, 0) where there is none.

    On a virtual machine, steal is time this machine's cores were ready to run and did
    not: CPU-bound figures taken while it is high are slow for reasons outside the code.
    """
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0, 0
    ticks = [int(value) for value in fields[:8]]  # user ... steal; guest time is in user
    return sum(ticks), ticks[7] if len(ticks) > 7 else 0


def steal_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[0] - before[0]
    return (after[1] - before[1]) / total if total > 0 else 0.0


PR_SET_CHILD_SUBREAPER = 36  # prctl(2): orphans of this process's descendants come here


@contextlib.contextmanager
def adopting_orphans() -> Iterator[bool]:
    """While inside, processes a command leaves running are adopted by this one.

    tieback's second process (a Jira Cloud sync's worker) ends a moment after the
    command, which does not wait for it; an orphan goes to init, and its CPU time to no
    one's ``wait4``. Adopted here instead, it is waited for and its CPU counted. Yields
    whether adopting works (Linux only).
    """
    adopting = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            adopting = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    try:
        yield adopting
    finally:
        if adopting:
            libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def kill_group(group: int) -> None:
    """Kill process group ``group``, if anything of it is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def reap_orphans(group: int, timeout: float = 60) -> float:
    """Wait for what the command of process ``group`` left running; their CPU seconds.

    Adopted, they are this process's children, and ``wait4`` on the group waits for
    each in turn (an orphan's own orphans come here before it ends). Past ``timeout``
    they are killed: a worker that outlives its command by that much is a fault the
    run should not wait on.
    """
    cpu = 0.0
    killer = threading.Timer(timeout, kill_group, (group,))
    killer.start()
    try:
        while True:
            try:
                _, _, usage = os.wait4(-group, 0)
            except ChildProcessError:
                return cpu  # none left
            cpu += usage.ru_utime + usage.ru_stime
    finally:
        killer.cancel()


def run_command(
    command: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 1800,
) -> Finished:
    """Run ``command``; its wall time, its peak resident memory and when it was launched.

    The memory comes from ``/usr/bin/time`` where there is one: a child forked from
    this (large) process keeps its parent's high-water mark through ``exec``, so the
    child's own ``ru_maxrss`` would report this process's size, not the command's.
    """
    with tempfile.TemporaryDirectory() as directory:
        peak_file = Path(directory) / "peak"
        timer = Path("/usr/bin/time")
        wrapped = list(command)
        if timer.exists():
            wrapped = [str(timer), "-f", "%M", "-o", str(peak_file), *wrapped]
        out_file, err_file = Path(directory) / "out", Path(directory) / "err"
        with (
            out_file.open("wb") as out,
            err_file.open("wb") as err,
            adopting_orphans() as adopting,
        ):
            ticks = cpu_ticks()
            started = time.perf_counter()
            # Its own session and process group: what it leaves running is in that group.
            process = subprocess.Popen(
                wrapped,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            killer = threading.Timer(timeout, kill_group, (process.pid,))
            killer.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                killer.cancel()
            seconds = time.perf_counter() - started
            steal = steal_share(ticks, cpu_ticks())
            left = reap_orphans(process.pid) if adopting else 0.0
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout = out_file.read_text(encoding="utf-8", errors="replace")
        stderr = err_file.read_text(encoding="utf-8", errors="replace")
        # ru_maxrss is in kilobytes on Linux, as /usr/bin/time's %M is.
        peak = peak_file.read_text().split()[-1] if peak_file.exists() else ""
        peak_kb = int(peak) if peak.isdigit() else usage.ru_maxrss
    if process.returncode != 0:
        last = (stderr.strip().splitlines() or [f"exit code {process.returncode}"])[-1]
        raise BenchError(f"{' '.join(command[-4:])}: {last}")
    # wait4's usage covers the child and the children it waited for: through
    # /usr/bin/time, the command's own CPU time (time's is a millisecond or two); what
    # the command left running (tieback's second process) is counted apart.
    cpu = usage.ru_utime + usage.ru_stime + left
    return Finished(seconds, peak_kb, stdout, stderr, started, steal, cpu)


def clean_environment(**extra: str) -> dict[str, str]:
    """This environment without any tracker settings or tokens, plus ``extra``.

    Without ``PYTHONDONTWRITEBYTECODE`` too: an installed package runs from its
    bytecode cache, but with that variable set (as some CI images and containers do)
    every changed module would be compiled again on every run, start-up included.
    """
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "TIEBACK_", "RUNNER_", "JIRA_"))
        and key != "PYTHONDONTWRITEBYTECODE"
    }
    environment.update(extra)
    return environment


def note(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --- start-up ----------------------------------------------------------------------------


@dataclass
class StartupRow:
    label: str
    sample: Sample
    limit: float | None  # the target it is held to; None for what is shown beside
    speed: float = 0.0  # seconds of the fixed loop just before the runs
    to_first_request: bool = False  # timed to the fake's first request, not to the end


@dataclass
class Short:
    """A short command of the start-up benchmark."""

    label: str
    command: list[str]
    cwd: Path = ROOT
    limit: float | None = None  # the target it is held to
    to_first_request: bool = False  # timed to the fake's first request


# Imported as an offline audit needs them: pydantic builds a model, which loads most of it.
_LIBRARIES = (
    "import pydantic, rich.console, tomllib\nclass Probe(pydantic.BaseModel):\n    name: str = ''"
)


def bench_startup(runs: int, scratch: Path) -> list[StartupRow]:
    """Wall time of short commands, and the time ``tieback sync`` and the naive script take
    to send their first request: one warm-up run each, then ``runs`` rounds, each command
    once a round, so that every command meets the machine in the same states."""
    tieback = tieback_command()
    example = ["audit", "--offline", "--config", "config.example.toml", "-o", os.devnull]
    fake = FakeGithub()
    fake.concurrency.limit = GITHUB_LIMIT
    with serve(fake, fake_github._Handler) as server:
        for number in range(1, 101):
            fake.add_issue(number, f"Issue {number}", labels=["outcome:activation"])
        root = scratch / "startup-sync"
        root.mkdir(parents=True)
        Checkout(root, fake)
        naive = [sys.executable, str(BENCH / "naive_sync.py"), "github", "--url", fake.url]
        commands = [
            Short("`python -c pass` (the interpreter alone)", [sys.executable, "-c", "pass"]),
            # What the example's audit cannot do without; it tells this machine's speed.
            Short(
                "`python -c 'import pydantic, rich.console, tomllib'` (the libraries alone)",
                [sys.executable, "-c", _LIBRARIES],
            ),
            Short("`tieback --help`", [tieback, "--help"], limit=HELP_LIMIT),
            Short(
                "`tieback audit --offline` on the example",
                [tieback, *example],
                limit=EXAMPLE_LIMIT,
            ),
            Short(
                "`tieback sync`, to its first request (the store present)",
                [tieback, "sync", "--source", "github"],
                root,
                SYNC_STARTUP_LIMIT,
                to_first_request=True,
            ),
            Short(
                "`bench/naive_sync.py github` (PyGithub), to its first request",
                [*naive, "--repo", fake.repo],
                root,
                to_first_request=True,
            ),
        ]
        environment = clean_environment(GITHUB_TOKEN=GITHUB_TOKEN)
        for short in commands:
            run_command(short.command, short.cwd, environment)
        speed = machine_speed()
        samples = [Sample() for _ in commands]
        for _ in range(runs):
            for short, sample in zip(commands, samples, strict=True):
                if short.to_first_request:
                    measured(short.command, short.cwd, environment, sample, server, fake.requests)
                    # Judged on the time to its first request, not on the sync after it.
                    sample.seconds[-1] = sample.startup[-1]
                else:
                    sample.add(run_command(short.command, short.cwd, environment))
    rows = []
    for short, sample in zip(commands, samples, strict=True):
        rows.append(StartupRow(short.label, sample, short.limit, speed, short.to_first_request))
        note(f"start-up {short.label}: {sample.median:.3f} s")
    return rows


# --- audit -------------------------------------------------------------------------------


@dataclass
class AuditRow:
    size: int
    tieback: Sample
    naive: Sample
    agree: bool
    counts: str
    speed: float  # seconds of the fixed loop just before the measured runs


def bench_audit(sizes: Sequence[int], runs: int, scratch: Path) -> list[AuditRow]:
    """``tieback audit --offline --format json`` over a store, beside a hand-written loop
    over the same backlog as a Jira search export; both as subprocesses, their runs
    alternating."""
    tieback = tieback_command()
    naive_script = str(BENCH / "naive_audit.py")
    environment = clean_environment()
    rows: list[AuditRow] = []
    for size in sizes:
        directory = scratch / f"audit-{size}"
        note(f"audit: writing a backlog of {size:,} items")
        write_workspace(directory, size)
        export = write_jira_export(directory / "jira-search.json", size)
        # What was just written goes to disk now, not while a measured command runs.
        os.sync()
        report = directory / "report.json"
        command = [tieback, "audit", "--offline", "--format", "json", "-o"]
        # One run first, not measured: it writes the report whose counts are checked.
        run_command([*command, str(report)], directory, environment)
        speed = machine_speed()
        tieback_sample, naive_sample = Sample(), Sample()
        counts = ""
        agree = False
        for run in range(runs):
            finished = run_command([*command, os.devnull], directory, environment)
            tieback_sample.add(finished)
            finished = run_command(
                [sys.executable, naive_script, str(export), str(directory / "outcomes.toml")],
                directory,
                environment,
            )
            naive_sample.add(finished)
            if run == 0:
                naive = json.loads(finished.stdout)
                totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
                agree = all(totals[name] == naive[name] for name in naive)
                counts = (
                    f"{totals['aligned']:,} aligned, {totals['exempt']:,} exempt, "
                    f"{totals['unaligned']:,} unaligned of {totals['items']:,} open items"
                )
        rows.append(AuditRow(size, tieback_sample, naive_sample, agree, counts, speed))
        note(
            f"audit {size:,}: tieback {tieback_sample.median:.2f} s, "
            f"naive {naive_sample.median:.2f} s"
        )
        export.unlink()
    return rows


# --- syncs -------------------------------------------------------------------------------


class Server:
    """A fake served on 127.0.0.1 by a thread of this process; ``busy`` adds up the
    seconds its handlers worked on their answers (the wait for the latency left out:
    the fake answers in the latency, its work included), ``arrivals``
    holds the ``time.perf_counter()`` at which each handler started answering, and
    ``bodies``, when a list, the JSON text of every answer."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.busy = 0.0
        self.arrivals: list[float] = []
        self.bodies: list[bytes] | None = None
        self._lock = threading.Lock()

    def arrived(self, moment: float) -> None:
        with self._lock:
            self.arrivals.append(moment)

    def add(self, seconds: float) -> None:
        with self._lock:
            self.busy += seconds

    def sent(self, body: bytes) -> None:
        bodies = self.bodies
        if bodies is not None:
            with self._lock:
                bodies.append(body)


class Encoder:
    """The fakes' answers as JSON text, each issue object serialised once.

    The fakes' own handlers serialise every answer whole: at 1,000 issues a page that
    is milliseconds of this process's time on every request, which the client being
    measured waits for. Here a GitHub listing (a list of issues) and a Jira search
    answer (a dict with an ``issues`` list) are put together from the texts of their
    issues, kept by ``id``. Each entry holds the object too, so that its ``id`` cannot
    be reused for another. An issue must therefore never change in place: the bench
    GitHub issues (``synthetic`` in bench/github.py) and ``BenchJira``'s rendered
    issues are new objects after every change.
    """

    MARKER = b'"issues": null'

    def __init__(self) -> None:
        self._texts: dict[int, tuple[Any, bytes]] = {}

    def issue(self, item: Any) -> bytes:
        kept = self._texts.get(id(item))
        if kept is not None and kept[0] is item:
            return kept[1]
        text = json.dumps(item).encode()
        self._texts[id(item)] = (item, text)
        return text

    def encode(self, data: Any) -> bytes:
        if (
            isinstance(data, list)
            and data
            and all(isinstance(item, dict) and "number" in item for item in data)
        ):
            return b"[" + b", ".join(map(self.issue, data)) + b"]"
        if isinstance(data, dict) and isinstance(data.get("issues"), list):
            # The answer with its issues left out, in the same place among its keys.
            head = json.dumps({**data, "issues": None}).encode()
            before, marker, after = head.partition(self.MARKER)
            if marker:
                issues = b", ".join(map(self.issue, data["issues"]))
                return before + b'"issues": [' + issues + b"]" + after
        return json.dumps(data).encode()


@contextlib.contextmanager
def serve(fake: Any, base: type[FakeHandler]) -> Iterator[Server]:
    """Serve ``fake`` with its own handler class ``base``, timed, each issue serialised once,
    its requests in flight recorded."""
    server = Server(fake)
    encoder = Encoder()
    fake.concurrency.spans = []

    class Handler(base):  # type: ignore[misc]
        def _answer(self) -> None:
            server.arrived(time.perf_counter())
            self.worked = 0.0
            super()._answer()
            server.add(self.worked)

        def _encode(self, data: Any) -> bytes:
            body = encoder.encode(data)
            server.sent(body)
            return body

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    with serving(fake, Handler) as address:
        if hasattr(fake, "root"):
            fake.root = address  # the fake Jira: the server, before any context path
        else:
            fake.url = address
        yield server


def parser(tracker: str) -> Callable[[bytes], Any]:
    """The JSON parser tieback reads ``tracker``'s answers with: PyGithub's requester
    decodes GitHub's with the standard library; Jira's go through ``tieback.jsonio``."""
    if tracker == "GitHub":
        return json.loads
    try:
        from tieback.jsonio import loads
    except ImportError:  # tieback's parser is pydantic's, should the module move
        from pydantic_core import from_json

        return from_json
    return loads


def decode_seconds(bodies: Sequence[bytes], parse: Callable[[bytes], Any]) -> float:
    """Seconds ``parse`` takes over ``bodies``, one after another, the cycle collector
    paused as tieback's sync pauses it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        started = time.perf_counter()
        for body in bodies:
            parse(body)
        return time.perf_counter() - started
    finally:
        if collecting:
            gc.enable()


@dataclass
class SyncRow:
    """One sync, tieback's runs beside the naive way's, each run's figures taken within it.

    Its floor is the larger of two, each run's own: the network floor, the latency times
    the requests that had to wait for one another (a chain of requests each sent after
    the one before was answered; requests sent side by side count once, and no fewer
    rounds than the fake's concurrency limit allows), and the decode floor, the time
    tieback's JSON parser takes over the same answers' bytes, measured in this process
    just after the run.
    """

    tracker: str
    size: int
    run: str
    tieback: Sample
    naive: Sample | None
    latency: float
    limit: int | None = None  # requests in flight the fake allowed

    @property
    def full(self) -> bool:
        return self.run == "full"

    def network_floors(self) -> list[float]:
        rounds = [
            max(chain, math.ceil(requests / self.limit) if self.limit else 0)
            for chain, requests in zip(self.tieback.chain, self.tieback.requests, strict=True)
        ]
        return [self.latency * count for count in rounds]

    def floors(self) -> list[float]:
        networks = self.network_floors()
        decodes = self.tieback.decode or [0.0] * len(networks)
        return [max(network, decode) for network, decode in zip(networks, decodes, strict=True)]

    @property
    def network_floor(self) -> float:
        floors = self.network_floors()
        return statistics.median(floors) if floors else 0.0

    @property
    def decode_floor(self) -> float:
        return statistics.median(self.tieback.decode) if self.tieback.decode else 0.0

    @property
    def floor(self) -> float:
        floors = self.floors()
        return statistics.median(floors) if floors else 0.0

    @staticmethod
    def _over(times: list[float], floors: list[float]) -> float | None:
        if not floors or not all(floors):
            return None
        return statistics.median(t / f for t, f in zip(times, floors, strict=True))

    @property
    def over_floor(self) -> float | None:
        """Past start-up ÷ floor, the median of each run's own."""
        return self._over(self.tieback.past_startup, self.floors())

    @property
    def over_network(self) -> float | None:
        """Past start-up ÷ network floor, the median of each run's own."""
        return self._over(self.tieback.past_startup, self.network_floors())

    def _paired(self, how: Callable[[float, float], float]) -> float | None:
        if self.naive is None or not self.naive.seconds:
            return None
        # With --naive-runs, the naive way may have run fewer times: the first runs pair.
        pairs = zip(self.tieback.seconds, self.naive.seconds, strict=False)
        return statistics.median(how(ours, theirs) for ours, theirs in pairs)

    @property
    def against_naive(self) -> float | None:
        """tieback ÷ naive, whole times, each run against the naive run beside it."""
        return self._paired(lambda ours, theirs: ours / theirs)

    @property
    def behind_naive(self) -> float | None:
        """tieback - naive in seconds, whole times, each run against the one beside it."""
        return self._paired(lambda ours, theirs: ours - theirs)


def changes_for(size: int) -> int:
    """Items changed before the incremental run: one in 400 (250 of 100,000)."""
    return max(1, size // 400)


def measured(
    command: Sequence[str],
    cwd: Path,
    environment: dict[str, str],
    sample: Sample,
    server: Server,
    log: list[Any],
    parse: Callable[[bytes], Any] | None = None,
) -> Finished:
    """Run ``command`` as a subprocess against ``server``, into ``sample``: its wall time
    and peak memory, the requests it sent, how many at once and how many had to wait
    for one another, the server's work, its start-up (from the launch to the server's
    first request) and, with ``parse``, the parser's time over the answers it got."""
    log.clear()
    busy = server.busy
    first = len(server.arrivals)
    gate = server.fake.concurrency
    gate.reset()
    server.bodies = [] if parse is not None else None
    # The fakes hold every issue, rendered and serialised: millions of objects that the
    # cycle collector would walk, in the middle of an answer, whenever it ran a full
    # collection. Frozen, it walks only what the answers make (the measured command is
    # another process and keeps its own collector).
    gc.freeze()
    finished = run_command(command, cwd, environment, timeout=3600)
    arrivals = server.arrivals[first:]
    if not arrivals:
        raise BenchError(f"{' '.join(command[-4:])}: no request reached the fake server")
    sample.add(finished)
    sample.requests.append(len(log))
    sample.server.append(server.busy - busy)
    sample.startup.append(min(arrivals) - finished.started)
    sample.chain.append(gate.chain())
    sample.peak.append(gate.peak)
    sample.refused.append(gate.refused)
    if parse is not None and server.bodies is not None:
        bodies, server.bodies = server.bodies, None
        sample.decode.append(decode_seconds(bodies, parse))
    return finished


def sync_once(
    root: Path,
    source: str,
    environment: dict[str, str],
    sample: Sample,
    server: Server,
    log: list[Any],
    parse: Callable[[bytes], Any] | None = None,
) -> None:
    """One ``tieback sync`` as a subprocess; the wall time is the subprocess's own."""
    command = [tieback_command(), "sync", "--source", source]
    measured(command, root, environment, sample, server, log, parse)


def naive_once(
    arguments: Sequence[str],
    expected: int,
    cwd: Path,
    environment: dict[str, str],
    sample: Sample,
    server: Server,
    log: list[Any],
) -> None:
    """One ``bench/naive_sync.py`` as a subprocess; it must read some issues, and
    ``expected`` of them when that is not 0."""
    command = [sys.executable, str(BENCH / "naive_sync.py"), *arguments]
    finished = measured(command, cwd, environment, sample, server, log)
    count = json.loads(finished.stdout)["issues"]
    if not count or (expected and count != expected):
        wanted = f"{expected:,}" if expected else "some"
        raise BenchError(f"naive_sync.py {arguments[0]}: read {count:,} issues, not {wanted}")


def load_bench_github() -> ModuleType:
    """bench/github.py, under a name that does not hide PyGithub."""
    spec = importlib.util.spec_from_file_location("bench_github", BENCH / "github.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BenchGithub(FakeGithub):  # type: ignore[misc]
    """The fake GitHub over synthetic issues, answering from the stamps of those changed.

    The fake filters every issue on every listing with a new ``since`` and looks at
    every issue to count them, right for a test's dozen issues; at 100,000 that is the
    server's time (60 ms a request), not the client's. Synthetic issues are stamped
    ``stamp`` unless ``changed`` says otherwise, and none is a pull request.
    """

    def __init__(self, changed: dict[int, str], stamp: str) -> None:
        super().__init__()
        self._changed = changed
        self._stamp = stamp

    def listing(self, since: str) -> list[int]:
        if self.issues or not since or since <= self._stamp:
            return cast(list[int], super().listing(since))
        listings: dict[str, list[int]] = self._listing
        if since not in listings:
            newer = (n for n, stamp in self._changed.items() if stamp >= since)
            listings[since] = sorted(newer, reverse=True)
        return listings[since]

    def graphql(self, request: dict[str, Any]) -> dict[str, Any]:
        query = request["query"]
        if self.issues or "totalCount" not in query:
            return cast(dict[str, Any], super().graphql(request))
        aliases = re.findall(r"(r\d+): repository", query)
        return {"data": {alias: {"issues": {"totalCount": self.synthetic}} for alias in aliases}}


def bench_github_sync(
    size: int, runs: int, naive_runs: int, latencies: Sequence[float], scratch: Path
) -> list[SyncRow]:
    """Full then incremental ``tieback sync --source github`` at each latency, each run
    followed by one of PyGithub's default listing."""
    bench_github = load_bench_github()
    changed: dict[int, str] = {}
    fake = BenchGithub(changed, bench_github.OLD)
    fake.concurrency.limit = GITHUB_LIMIT
    parse = parser("GitHub")
    rows: list[SyncRow] = []
    with serve(fake, fake_github._Handler) as server:
        fake.synthetic = size
        fake.make_issue = bench_github.synthetic(fake, changed)
        environment = clean_environment(GITHUB_TOKEN=GITHUB_TOKEN)

        # PyGithub as its README shows it, default page size (30), in bench/naive_sync.py.
        # Its default throttle is switched off: with it, no page could come faster than
        # every 0.25 s. Lazy: the repository object is built without GET /repos/{r},
        # which the fake does not serve (one request fewer than the README's way).
        def naive(sample: Sample, expected: int, *since: str) -> None:
            arguments = ["github", "--url", fake.url, "--repo", fake.repo, *since]
            naive_once(arguments, expected, scratch, environment, sample, server, fake.requests)

        for latency in latencies:
            fake.latency = latency
            name = f"github-{size}-{latency * 1000:g}ms"
            full, incremental = Sample(), Sample()
            naive_full, naive_incremental = Sample(), Sample()
            root = scratch
            for run in range(runs):
                root = scratch / f"{name}-{run}"
                root.mkdir(parents=True)
                Checkout(root, fake)
                sync_once(root, "github", environment, full, server, fake.requests, parse)
                if run < naive_runs:
                    naive(naive_full, size)
            note(
                f"github {size:,} at {latency * 1000:g} ms: full sync {full.median:.2f} s, "
                f"{full.request_count} requests; PyGithub {naive_full.median:.2f} s, "
                f"{naive_full.request_count} requests"
            )
            moment = datetime.now(UTC)
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            step = max(1, size // changes_for(size))
            changed.update({n: stamp for n in range(1, size + 1, step)[: changes_for(size)]})
            fake._listing.clear()
            since = (moment - timedelta(minutes=5)).isoformat()
            for run in range(runs):
                sync_once(root, "github", environment, incremental, server, fake.requests, parse)
                if run < naive_runs:
                    naive(naive_incremental, 0, "--since", since)
            rows += [
                SyncRow("GitHub", size, "full", full, naive_full, latency, GITHUB_LIMIT),
                SyncRow(
                    "GitHub",
                    size,
                    f"incremental, {len(changed)} changed",
                    incremental,
                    naive_incremental,
                    latency,
                    GITHUB_LIMIT,
                ),
            ]
    return rows


def jira_modules() -> tuple[ModuleType, type]:
    """The fake Jira, and a subclass of it that answers big searches fast."""
    from e2e import fake_jira

    class BenchJira(fake_jira.FakeJira):  # type: ignore[misc]
        """The fake Jira, answering searches from indexes and remembering rendered issues.

        The fake looks at every issue, sorts the keys on every search request and
        renders every field of each issue it returns, right for a test's dozen issues;
        at 100,000 issues that is the server's time, not the client's, and it would hide
        what the client costs: an incremental sync's query, with a new ``updated >=``
        each time, took the fake 100 ms to compare 100,000 stamps, and a query it had
        not seen 150 to 230 ms to sort the keys. Jira answers both from its index; here
        the keys are kept in their order and the stamps sorted, both built outside the
        timed runs. ``add_issue``, ``touch`` and ``remove`` keep the indexes true.
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._rendered: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
            self._ordered: list[str] | None = None  # every key, in the key's order
            self._stamps: list[tuple[datetime, str]] | None = None  # by stamp, then key

        def _matching(self, since: datetime | None, descending: bool) -> list[str]:
            if self._ordered is None:
                self._ordered = sorted(self.issues, key=fake_jira.natural_key)
            if since is None:
                return self._ordered[::-1] if descending else self._ordered
            stamps = self._stamps_index()
            newer = stamps[bisect.bisect_left(stamps, (since,)) :]
            return sorted((key for _, key in newer), key=fake_jira.natural_key, reverse=descending)

        def _stamps_index(self) -> list[tuple[datetime, str]]:
            if self._stamps is None:
                self._stamps = sorted((issue.updated, key) for key, issue in self.issues.items())
            return self._stamps

        def _render(
            self, issue: Any, version: str, wanted: list[str] | None, enhanced: bool = False
        ) -> dict[str, Any]:
            kept = self._rendered.setdefault(issue.key, {})
            shape = (version, tuple(wanted or ()), enhanced)
            if shape not in kept:
                kept[shape] = super()._render(issue, version, wanted, enhanced)
            return kept[shape]

        def add_issue(self, key: str, summary: str, **values: Any) -> Any:
            self._ordered = self._stamps = None
            return super().add_issue(key, summary, **values)

        def remove(self, key: str) -> None:
            if self._stamps is not None:
                issue = self.issues[key]
                del self._stamps[bisect.bisect_left(self._stamps, (issue.updated, key))]
            self._ordered = None
            self._rendered.pop(key, None)
            super().remove(key)

        def touch(self, key: str, **changes: Any) -> Any:
            stamps = self._stamps_index()  # built here, before the runs that use it
            del stamps[bisect.bisect_left(stamps, (self.issues[key].updated, key))]
            shapes = self._rendered.pop(key, {})
            issue = super().touch(key, **changes)
            bisect.insort(stamps, (issue.updated, key))
            # Rendered again here, in the shapes asked for before, not by the first timed
            # run: 250 changed issues took the fake longer than a 20 ms answer.
            for version, wanted, enhanced in shapes:
                self._render(issue, version, list(wanted) or None, enhanced)
            return issue

    return fake_jira, BenchJira


def bench_jira_sync(
    mode: str,
    size: int,
    runs: int,
    naive_runs: int,
    latencies: Sequence[float],
    scratch: Path,
    page_cap: int = 100,
    dc_page_cap: int = 1000,
) -> list[SyncRow]:
    """Full then incremental ``tieback sync --source jira`` at each latency, each run
    followed by one of the ``jira`` library's ``search_issues(jql, maxResults=False)``
    with its default fields."""
    from zoneinfo import ZoneInfo

    fake_jira, bench_jira = jira_modules()
    label = "Jira Cloud" if mode == "cloud" else "Jira Data Center"
    # Cloud grants 100 issues a page (5,000 when only keys are asked for); Data Center
    # as many as asked up to jira.search.views.default.max (1,000 unless an admin
    # lowered it), 50 when not asked.
    if mode == "cloud":
        fake = bench_jira(mode, page_cap=page_cap, keys_page_cap=5000)
    else:
        fake = bench_jira(mode, page_cap=dc_page_cap, keys_page_cap=dc_page_cap)
    fake.concurrency.limit = JIRA_LIMIT
    projects: set[str] = set()
    for number, item in enumerate(backlog(size), start=1):
        projects.add(item.key.partition("-")[0])
        fake.add_issue(
            item.key,
            item.title,
            type=item.type,
            status="Done" if item.done else item.status,
            labels=list(item.labels),
            description=item.body,
            parent=item.parent,
            points=item.points,
            created=OLD - timedelta(days=30),
            updated=OLD + timedelta(seconds=number),
        )
    jql = f"project in ({', '.join(sorted(projects))})"
    email = fake_jira.EMAIL if mode == "cloud" else ""
    parse = parser("Jira")
    rows: list[SyncRow] = []
    with serve(fake, fake_jira._Handler) as server:
        environment = clean_environment(JIRA_API_TOKEN=fake.token)

        def workspace(root: Path) -> None:
            root.mkdir(parents=True)
            (root / "outcomes.toml").write_text(outcomes_toml(), encoding="utf-8")
            (root / "tieback.toml").write_text(
                textwrap.dedent(
                    f"""
                    [jira]
                    url = "{fake.url}"
                    email = "{email}"
                    jql = "{jql}"
                    """
                ),
                encoding="utf-8",
            )

        # The jira library, in bench/naive_sync.py: an email and an API token on Cloud, a
        # personal access token (no email) on Data Center.
        def naive(sample: Sample, expected: int, query: str) -> None:
            arguments = ["jira", "--url", fake.url, "--jql", query]
            if mode == "cloud":
                arguments += ["--email", fake.email]
            naive_once(arguments, expected, scratch, environment, sample, server, fake.requests)

        # One run of each untimed first, as hyperfine warms up, and without the latency:
        # the fake renders each issue once, in the fields each asks for (the naive way
        # asks for every field, *all).
        fake.latency = 0.0
        warm_up = scratch / f"jira-{mode}-{size}-warm-up"
        workspace(warm_up)
        sync_once(warm_up, "jira", environment, Sample(), server, [])
        naive(Sample(), len(fake.issues), jql)
        keys = list(fake.issues)
        touched = keys[:: max(1, size // changes_for(size))][: changes_for(size)]
        for latency in latencies:
            fake.latency = latency
            name = f"jira-{mode}-{size}-{latency * 1000:g}ms"
            full, incremental = Sample(), Sample()
            naive_full, naive_incremental = Sample(), Sample()
            root = scratch
            for run in range(runs):
                root = scratch / f"{name}-{run}"
                workspace(root)
                sync_once(root, "jira", environment, full, server, fake.requests, parse)
                if run < naive_runs:
                    naive(naive_full, len(fake.issues), jql)
            note(
                f"{label} {size:,} at {latency * 1000:g} ms: full sync {full.median:.2f} s, "
                f"{full.request_count} requests; jira library {naive_full.median:.2f} s, "
                f"{naive_full.request_count} requests"
            )
            moment = datetime.now(UTC)
            for key in touched:
                fake.touch(key)
            since = (moment - timedelta(minutes=5)).astimezone(ZoneInfo(fake.time_zone))
            query = f'{jql} AND updated >= "{since:%Y/%m/%d %H:%M}"'
            for run in range(runs):
                sync_once(root, "jira", environment, incremental, server, fake.requests, parse)
                if run < naive_runs:
                    naive(naive_incremental, 0, query)
            rows += [
                SyncRow(label, size, "full", full, naive_full, latency, JIRA_LIMIT),
                SyncRow(
                    label,
                    size,
                    f"incremental, {len(touched)} changed",
                    incremental,
                    naive_incremental,
                    latency,
                    JIRA_LIMIT,
                ),
            ]
    return rows


# --- tieback pr and post -----------------------------------------------------------------


@dataclass
class WriteRow:
    """A command that writes to GitHub, as the fake saw it (the most of its runs)."""

    label: str
    requests: int
    writes: int
    seconds: float  # median wall time
    latency: float
    chain: int  # requests each sent after the one before was answered
    peak: int  # most requests in flight at once
    peak_writes: int  # most writes in flight at once
    refused: int  # answered 429 for too many in flight
    limit: int = GITHUB_LIMIT


def bench_writes(
    comments: int, post_issues: int, runs: int, latencies: Sequence[float]
) -> list[WriteRow]:
    """``tieback pr`` on a pull request with ``comments`` comments, in three situations,
    and ``tieback post`` on ``post_issues`` unaligned issues, at each latency."""
    bench_github = load_bench_github()
    rows: list[WriteRow] = []
    for latency in latencies:
        taken = bench_github.bench_pr(comments, runs, latency, GITHUB_LIMIT)
        taken.append(bench_github.bench_post(post_issues, runs, latency, GITHUB_LIMIT))
        for row in taken:
            rows.append(
                WriteRow(
                    row.label,
                    row.requests,
                    row.writes,
                    row.seconds,
                    latency,
                    row.chain,
                    row.peak,
                    row.peak_writes,
                    row.refused,
                )
            )
        times = ", ".join(f"{row.seconds:.2f} s" for row in taken)
        note(f"pr and post at {latency * 1000:g} ms: {times}")
    return rows


# --- the report --------------------------------------------------------------------------


def seconds(value: float) -> str:
    if value < 0.1:
        return f"{value:.3f} s"
    if value < 1:
        return f"{value:.2f} s"
    if value < 100:
        return f"{value:.1f} s"
    return f"{value:,.0f} s"


def ratio(value: float) -> str:
    return f"{value:.2f}{TIMES}"


def ratio_within(what: str, value: float, limit: float) -> Verdict:
    """``value`` within ``limit``, shown finely enough that a miss never reads as the limit."""
    shown = ratio(value)
    if value > limit and shown == ratio(limit):
        shown = f"{value:.3f}{TIMES}"
    return Verdict(what, f"within {limit:g}{TIMES}", value <= limit, shown)


def spread(sample: Sample) -> str:
    return f"±{sample.spread * 50:.0f}%" if len(sample.seconds) > 1 else "—"


def machine_line() -> str:
    from tieback import __version__

    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"tieback {__version__} {revision()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )


def revision() -> str:
    """The commit measured, and whether the working tree differs from it."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "(not a git checkout)"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"at {commit}" + (" with uncommitted changes in src/" if changed else "")


@dataclass
class Results:
    command: str
    runs: int
    latencies: list[float]
    machine_before: str
    startup: list[StartupRow] = field(default_factory=list)
    audit: list[AuditRow] = field(default_factory=list)
    syncs: list[SyncRow] = field(default_factory=list)
    writes: list[WriteRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    steal: float = 0.0  # share of the cores' time the host took over the whole run
    speeds: list[tuple[str, float]] = field(default_factory=list)  # (when, fixed loop s)


@dataclass
class Verdict:
    """One target beside this run's figure: met, not met, or not judged (too few runs)."""

    what: str
    target: str
    met: bool | None
    figure: str
    runs: int = 0
    steal: float | None = None
    speed: float | None = None

    @property
    def cell(self) -> str:
        if self.met is None:
            return f"not judged ({self.figure})"
        return f"{'yes' if self.met else '**no**'} ({self.figure})"


def verdict(met: bool, figure: str) -> str:
    return Verdict("", "", met, figure).cell


def absolute(what: str, target: str, met: bool, figure: str, runs: int, **beside: float) -> Verdict:
    """An absolute target: judged only on the median of ABSOLUTE_RUNS runs or more."""
    if runs < ABSOLUTE_RUNS:
        return Verdict(
            what, target, None, f"{figure}; {runs} runs, {ABSOLUTE_RUNS} needed", runs, **beside
        )
    return Verdict(what, target, met, figure, runs, **beside)


def absolute_verdicts(results: Results) -> list[Verdict]:
    """Start-up and the audits: each under its limit, on the median of its runs."""
    rows: list[Verdict] = []
    for row in results.startup:
        if row.limit is not None:
            median = row.sample.median
            rows.append(
                absolute(
                    row.label,
                    f"under {row.limit:g} s",
                    median < row.limit,
                    f"{median:.2f} s",
                    len(row.sample.seconds),
                    steal=row.sample.steal_median,
                    speed=row.speed,
                )
            )
    by_size = {audit.size: audit for audit in results.audit}
    for size, limit in AUDIT_LIMITS.items():
        if size in by_size:
            audit = by_size[size]
            median = audit.tieback.median
            rows.append(
                absolute(
                    f"audit, {size:,} items",
                    f"under {limit:g} s",
                    median < limit,
                    f"{median:.2f} s",
                    len(audit.tieback.seconds),
                    steal=audit.tieback.steal_median,
                    speed=audit.speed,
                )
            )
    if 1_000_000 in by_size:
        audit = by_size[1_000_000]
        peak = statistics.median(audit.tieback.peak_kb) * 1024
        rows.append(
            absolute(
                "audit, 1,000,000 items, peak memory",
                "under 1 GB (10⁹ bytes)",
                peak < MEMORY_LIMIT,
                f"{peak / 10**9:.2f} GB",
                len(audit.tieback.seconds),
            )
        )
    if all(size in by_size for size in (10_000, 100_000, 1_000_000)):
        small, middle, large = (by_size[size].tieback for size in (10_000, 100_000, 1_000_000))
        first = (middle.median - small.median) / 90_000 * 1e6
        then = (large.median - middle.median) / 900_000 * 1e6
        rows.append(
            absolute(
                "audit, cost a further item",
                f"from 100,000 to 1,000,000 items within {LINEAR_LIMIT:g}{TIMES} of "
                "its cost from 10,000 to 100,000 (linear growth)",
                then <= first * LINEAR_LIMIT,
                f"{first:.1f} µs, then {then:.1f} µs",
                min(len(sample.seconds) for sample in (small, middle, large)),
            )
        )
    return rows


@dataclass
class SyncVerdicts:
    floor: Verdict | None
    saas: Verdict | None  # at SAAS_LATENCY, a full sync against its network floor
    concurrency: Verdict
    naive: Verdict | None

    def all(self) -> list[Verdict]:
        found = (self.floor, self.saas, self.concurrency, self.naive)
        return [entry for entry in found if entry is not None]


def sync_verdicts(sync: SyncRow) -> SyncVerdicts:
    limit = FULL_LIMIT if sync.full else INCREMENTAL_LIMIT
    over = sync.over_floor
    floor = None if over is None else ratio_within("past start-up ÷ floor", over, limit)
    saas = None
    network = sync.over_network
    if sync.full and sync.latency >= SAAS_LATENCY and network is not None:
        saas = ratio_within("past start-up ÷ network floor", network, SAAS_LIMIT)
    t = sync.tieback
    within = sync.limit is None or t.most_in_flight <= sync.limit
    concurrency = Verdict(
        "requests in flight",
        f"at most {sync.limit}, no 429" if sync.limit else "no 429",
        within and t.refusals == 0,
        f"{t.most_in_flight} at most, {t.refusals} 429s",
    )
    naive: Verdict | None = None
    if sync.full and sync.against_naive is not None:
        against = sync.against_naive
        naive = Verdict("tieback ÷ naive", "below 1", against < 1, ratio(against))
    elif not sync.full and sync.behind_naive is not None:
        behind = sync.behind_naive
        naive = Verdict(
            "tieback - naive",
            f"at most {VALIDATION_ALLOWANCE:g} s",
            behind <= VALIDATION_ALLOWANCE,
            f"{behind:+.2f} s",
        )
    return SyncVerdicts(floor, saas, concurrency, naive)


def write_verdicts(row: WriteRow) -> tuple[Verdict, Verdict]:
    at_once = Verdict(
        "writes at once",
        f"at most {WRITES_AT_ONCE}",
        row.peak_writes <= WRITES_AT_ONCE,
        str(row.peak_writes),
    )
    concurrency = Verdict(
        "requests in flight",
        f"at most {row.limit}, no 429",
        row.peak <= row.limit and row.refused == 0,
        f"{row.peak} at most, {row.refused} 429s",
    )
    return at_once, concurrency


def every_verdict(results: Results) -> list[tuple[str, Verdict]]:
    """Each target of the run, named by what it is about."""
    found = [(entry.what, entry) for entry in absolute_verdicts(results)]
    for sync in results.syncs:
        for entry in sync_verdicts(sync).all():
            found.append((f"{sync_name(sync)} at {ms(sync.latency)}: {entry.what}", entry))
    for row in results.writes:
        for entry in write_verdicts(row):
            found.append((f"{row.label} at {ms(row.latency)}: {entry.what}", entry))
    return found


def tally(results: Results) -> str:
    judged = [entry for _, entry in every_verdict(results)]
    met = sum(1 for entry in judged if entry.met)
    counted = sum(1 for entry in judged if entry.met is not None)
    unjudged = len(judged) - counted
    line = f"**{met} of {counted} targets met** in this run"
    if unjudged:
        line += f"; {unjudged} not judged (fewer than {ABSOLUTE_RUNS} runs)"
    return line + "."


def sync_name(sync: SyncRow) -> str:
    return f"{sync.tracker}, {sync.size:,}, {sync.run}"


def ms(latency: float) -> str:
    return f"{latency * 1000:g} ms"


def cell(entry: Verdict | None) -> str:
    return entry.cell if entry is not None else "—"


def against_targets(results: Results) -> list[str]:
    """The page's first section: each target beside this run's figure, met or not."""
    rows = absolute_verdicts(results)
    if not rows and not results.syncs and not results.writes:
        return []
    lines = ["## Against the targets", "", tally(results), ""]
    if rows:
        lines += [
            f"Absolute targets count as met when the median of at least {ABSOLUTE_RUNS} "
            "runs meets them, each command's runs interleaved with those measured beside it "
            "(the start-up probes, the naive audit). *Steal* is the host's share of the "
            "cores during the command, *fixed loop* the machine-speed probe just before.",
            "",
            "| what | target | met (this run) | runs | steal | fixed loop |",
            "|---|---|---|---:|---:|---:|",
        ]
        for entry in rows:
            steal = f"{entry.steal:.1%}" if entry.steal is not None else "—"
            speed = f"{entry.speed:.3f} s" if entry.speed is not None else "—"
            lines.append(
                f"| {entry.what} | {entry.target} | {entry.cell} | {entry.runs} | {steal} | "
                f"{speed} |"
            )
        lines.append("")
    if results.syncs:
        lines += [
            "A sync is judged on its time past start-up against its floor, the larger of "
            "its network floor (the latency times the requests that waited for one another; "
            "requests side by side count once) and its decode floor (tieback's JSON parser "
            f"over the same answers): a full sync within {FULL_LIMIT:g}{TIMES}, an "
            f"incremental one within {INCREMENTAL_LIMIT:g}{TIMES}; at {ms(SAAS_LATENCY)} a full "
            f"sync within {SAAS_LIMIT:g}{TIMES} of its network floor. The fakes refuse "
            f"requests past {JIRA_LIMIT} in flight (Jira) and {GITHUB_LIMIT} (GitHub) with "
            "429. Against the naive way, whole times, each run against the naive run beside "
            f"it: a full sync ahead, an incremental one behind by at most "
            f"{VALIDATION_ALLOWANCE:g} s (the configuration's validation). Ratios are the "
            "median of each run's own.",
            "",
            "| sync | latency | floor: network / decode | past start-up ÷ floor | "
            f"÷ network floor (full, {ms(SAAS_LATENCY)}) | in flight | against the naive way |",
            "|---|---:|---:|---|---|---|---|",
        ]
        for sync in results.syncs:
            judged = sync_verdicts(sync)
            lines.append(
                f"| {sync_name(sync)} | {ms(sync.latency)} | {seconds(sync.network_floor)} / "
                f"{seconds(sync.decode_floor)} | {cell(judged.floor)} | {cell(judged.saas)} | "
                f"{judged.concurrency.cell} | {cell(judged.naive)} |"
            )
        lines.append("")
    if results.writes:
        lines += [
            "Writes to GitHub one at a time, as it asks; at most "
            f"{GITHUB_LIMIT} requests in flight.",
            "",
            "| command | latency | writes at once | in flight |",
            "|---|---:|---|---|",
        ]
        for row in results.writes:
            at_once, concurrency = write_verdicts(row)
            lines.append(
                f"| {row.label} | {ms(row.latency)} | {at_once.cell} | {concurrency.cell} |"
            )
        lines.append("")
    return lines


def markdown(results: Results) -> str:
    lines = [
        "# tieback benchmarks",
        "",
        f"Written by `{results.command}` in {seconds(results.elapsed)}.",
        "",
        f"- Machine at the start: {results.machine_before}",
        f"- Machine at the end: {machine_line()}",
        f"- Every figure is the median of its runs ({results.runs} a sync, at least "
        f"{ABSOLUTE_RUNS} for start-up and audits); ± is half the spread between the "
        "fastest and the slowest run, relative to the median.",
        "- Ratios are tieback ÷ naive (below 1: tieback is faster or smaller) and tieback ÷ "
        "floor, each taken within one run of this page and, for syncs, the median of each "
        "run's own.",
        f"- CPU steal over the run: {results.steal:.1%} of the cores' time went to other "
        "guests of the host (`/proc/stat`); the steal columns give it per command, the "
        "median of its runs. A CPU-bound figure taken under a few percent of steal is slow "
        "for reasons outside the code.",
    ]
    if results.speeds:
        taken = ", ".join(f"{value:.3f} s {when}" for when, value in results.speeds)
        lines.append(
            f"- Machine speed: a fixed loop of Python (`sum(range({SPEED_LOOP}))`, the "
            f"best of three) took {taken}. Figures of CPU-bound commands (the audits, "
            "start-up) move with it: compare runs by it, not by the date."
        )
    lines.append("")
    lines += against_targets(results)
    if results.startup:
        lines += [
            "## Start-up",
            "",
            "Subprocesses, one warm-up run each, then the commands in turn, once each a "
            "round. The sync rows are timed from the launch to the fake GitHub receiving "
            "the first request.",
            "",
            "| command | wall time | ± | target | peak memory | steal |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in results.startup:
            target = f"{row.limit:g} s" if row.limit is not None else ""
            lines.append(
                f"| {row.label} | {seconds(row.sample.median)} | {spread(row.sample)} | "
                f"{target} | {row.sample.peak_mb:.0f} MB | {row.sample.steal_median:.1%} |"
            )
        lines.append("")
    if results.audit:
        lines += [
            "## Audit",
            "",
            "`tieback audit --offline --format json -o /dev/null` over a store filled by "
            "`bench/backlog.py`, beside `bench/naive_audit.py`: what a PM would script by "
            "hand, a `json.load` of the same backlog as a Jira search answer and a loop over "
            "dicts (no store, no report). Both are subprocesses, their runs alternating, after "
            "one run of tieback that is not measured (it writes the report whose counts are "
            "checked below); wall time, and peak resident memory from `/usr/bin/time`. "
            "*Fixed loop* is the machine-speed probe, taken just before each size's runs.",
            "",
            "| items | tieback | ± | naive | ± | tieback ÷ naive | tieback memory | "
            "naive memory | tieback ÷ naive | steal (tieback) | fixed loop |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for audit in results.audit:
            t, n = audit.tieback, audit.naive
            lines.append(
                f"| {audit.size:,} | {seconds(t.median)} | {spread(t)} | {seconds(n.median)} | "
                f"{spread(n)} | {ratio(t.median / n.median)} | {t.peak_mb:,.0f} MB | "
                f"{n.peak_mb:,.0f} MB | {ratio(t.peak_mb / n.peak_mb)} | {t.steal_median:.1%} | "
                f"{audit.speed:.3f} s |"
            )
        lines.append("")
        for audit in results.audit:
            agreement = "agree" if audit.agree else "DISAGREE"
            lines.append(f"- {audit.size:,} items: both {agreement}: {audit.counts}.")
        lines.append("")
    if results.syncs or results.skipped:
        lines += sync_section(results)
    if results.writes:
        lines += [
            "## Pull-request check and post-back",
            "",
            "`tieback pr` on a pull request with 300 comments, the backlog synced "
            "beforehand, and `tieback post` on unaligned issues (a label and an explanatory "
            "comment each, after a look for the comment's marker, and the summary comment), "
            "against the fake GitHub (`bench/github.py`). The floor is the latency times the "
            "requests that waited for one another; *writes at once* is the most writes the "
            "fake was answering at the same time.",
            "",
            "| situation | latency | requests | writes | floor | wall time | ÷ floor | "
            "in flight | writes at once | 429s |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for written in results.writes:
            floor = written.chain * written.latency
            shown = ratio(written.seconds / floor) if floor else "—"
            lines.append(
                f"| {written.label} | {ms(written.latency)} | {written.requests} | "
                f"{written.writes} | {seconds(floor)} | {seconds(written.seconds)} | {shown} | "
                f"{written.peak} | {written.peak_writes} | {written.refused} |"
            )
        lines.append("")
    return "\n".join(lines)


def sync_section(results: Results) -> list[str]:
    lines = [
        "## Sync",
        "",
        "`tieback sync --source ...` against the fake servers, each request answered in "
        "the latency (the fake's own work on the answer is part of it, as a real tracker's "
        "is part of its answer time), beside the naive way against the same server, "
        "`bench/naive_sync.py`: "
        "PyGithub's `get_repo(r).get_issues(state='all')` iterated fully (its default page "
        "size of 30; its default 0.25 s between requests switched off, or it could not beat "
        "0.25 s a page), and the `jira` library's `search_issues(jql, maxResults=False)` "
        "with its default fields (`*all`). Each tieback run is followed by a naive one. Both "
        "are subprocesses, as a user would run them, so both times include start-up: the "
        "time from launching the command to the fake receiving its first request (the "
        "interpreter, imports, configuration and, for tieback, opening the store). "
        "*Chain* is the number of requests that each waited for the answer before them; "
        f"the network floor is chain {TIMES} latency (no fewer rounds than the concurrency limit "
        "allows), the decode floor the time tieback's JSON parser (the standard library's "
        "for GitHub, through PyGithub; pydantic's for Jira) takes over the answers tieback "
        "got, in this process just after the run; the floor is the larger. The fake "
        f"servers refuse requests past {JIRA_LIMIT} in flight (Jira) and {GITHUB_LIMIT} "
        "(GitHub) with 429 and `Retry-After`; *in flight* is the most they saw at once. "
        "They run in a thread of the benchmark process on the same cores and serialise "
        "each issue once, keeping its text; their CPU cost is in every figure, tieback's "
        "and the naive way's alike, and *server* is how long their handlers worked in all "
        "during tieback's runs (within the latency, unless a page took longer). The naive "
        "incremental runs pass "
        "`since` or an `updated >=` clause and, unlike tieback, never notice an item that "
        "left.",
        "",
        "*CPU* is the command's user and system time, start-up and its second process "
        "(a Jira Cloud sync's worker) included. Near or above the floor, the client's own "
        "work, not the network, sets the pace; above the wall time, the command kept "
        "both cores busy.",
        "",
    ]
    for latency in results.latencies:
        rows = [sync for sync in results.syncs if sync.latency == latency]
        if not rows:
            continue
        lines += [
            f"### At {ms(latency)} a request",
            "",
            "| tracker | items | run | requests | chain | network floor | decode floor | "
            "start-up | server | tieback | ± | CPU | past start-up ÷ floor | in flight | "
            "429s | naive requests | naive | naive start-up | naive CPU | tieback ÷ naive |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            "---:|---:|---:|---:|",
        ]
        for sync in rows:
            t, naive = sync.tieback, sync.naive
            against = sync.against_naive
            naive_cells = (
                f"{naive.request_count:,} | {seconds(naive.median)} | "
                f"{seconds(naive.startup_median)} | {seconds(naive.cpu_median)} | "
                f"{ratio(against) if against is not None else '—'}"
                if naive and naive.seconds
                else "— | — | — | — | —"
            )
            over = sync.over_floor
            lines.append(
                f"| {sync.tracker} | {sync.size:,} | {sync.run} | {t.request_count:,} | "
                f"{max(t.chain, default=0):,} | {seconds(sync.network_floor)} | "
                f"{seconds(sync.decode_floor)} | {seconds(t.startup_median)} | "
                f"{seconds(t.server_median)} | {seconds(t.median)} | {spread(t)} | "
                f"{seconds(t.cpu_median)} | {ratio(over) if over is not None else '—'} | "
                f"{t.most_in_flight} | {t.refusals} | {naive_cells} |"
            )
        lines.append("")
    for reason in results.skipped:
        lines.append(f"- Skipped: {reason}.")
    if results.skipped:
        lines.append("")
    return lines


# --- the user's page ---------------------------------------------------------------------


def figures_block(results: Results) -> str:
    """docs/performance.md's tables: what tieback costs, beside the naive way."""
    speeds = [value for _, value in results.speeds]
    probe = (
        f"; the machine-speed probe took {min(speeds):.3f} to {max(speeds):.3f} s" if speeds else ""
    )
    lines = [
        f"Measured by `{results.command}` on {results.machine_before}; CPU steal "
        f"{results.steal:.1%} over the run{probe}. Medians of {results.runs} runs a sync, "
        f"{ABSOLUTE_RUNS} or more for start-up and the audits.",
        "",
    ]
    if results.startup:
        lines += ["| start-up | time | target |", "|---|---:|---:|"]
        for row in results.startup:
            if row.limit is not None or row.to_first_request:
                target = f"{row.limit:g} s" if row.limit is not None else ""
                lines.append(f"| {row.label} | {seconds(row.sample.median)} | {target} |")
        lines.append("")
    if results.audit:
        lines += [
            "| audit (`--offline --format json`) | tieback | peak memory | naive script "
            "| its memory |",
            "|---|---:|---:|---:|---:|",
        ]
        for audit in results.audit:
            t, n = audit.tieback, audit.naive
            lines.append(
                f"| {audit.size:,} items | {seconds(t.median)} | {t.peak_mb:,.0f} MB | "
                f"{seconds(n.median)} | {n.peak_mb:,.0f} MB |"
            )
        lines.append("")
    if results.syncs:
        lines += sync_figures(results)
    if results.writes:
        lines += write_figures(results)
    return "\n".join(lines).rstrip("\n")


def sync_figures(results: Results) -> list[str]:
    header = "| sync | items | requests (naive) |"
    rule = "|---|---:|---:|"
    for latency in results.latencies:
        header += f" at {ms(latency)} | naive |"
        rule += "---:|---:|"
    lines = [header, rule]
    groups: dict[tuple[str, int, str], dict[float, SyncRow]] = {}
    for sync in results.syncs:
        groups.setdefault((sync.tracker, sync.size, sync.run), {})[sync.latency] = sync
    for (tracker, size, run), by_latency in groups.items():
        first = next(iter(by_latency.values()))
        naive_requests = first.naive.request_count if first.naive else 0
        requests = f"{first.tieback.request_count:,} ({naive_requests:,})"
        line = f"| {tracker}, {run} | {size:,} | {requests} |"
        for latency in results.latencies:
            found = by_latency.get(latency)
            if found is None:
                line += " — | — |"
                continue
            naive = found.naive
            shown = seconds(naive.median) if naive and naive.seconds else "—"
            line += f" {seconds(found.tieback.median)} | {shown} |"
        lines.append(line)
    return [*lines, ""]


def write_figures(results: Results) -> list[str]:
    header = "| on GitHub | requests | writes |"
    rule = "|---|---:|---:|"
    for latency in results.latencies:
        header += f" at {ms(latency)} |"
        rule += "---:|"
    lines = [header + " writes at once |", rule + "---:|"]
    labels: dict[str, dict[float, WriteRow]] = {}
    for row in results.writes:
        labels.setdefault(row.label, {})[row.latency] = row
    for label, by_latency in labels.items():
        first = next(iter(by_latency.values()))
        line = f"| {label} | {first.requests} | {first.writes} |"
        for latency in results.latencies:
            found = by_latency.get(latency)
            line += f" {seconds(found.seconds)} |" if found else " — |"
        at_once = max(row.peak_writes for row in by_latency.values())
        lines.append(f"{line} {at_once} |")
    return [*lines, ""]


def growth_block(results: Results) -> str:
    """docs/performance.md's bullets: what a further item costs."""
    lines: list[str] = []
    audits = sorted(results.audit, key=lambda audit: audit.size)
    for smaller, larger in itertools.pairwise(audits):
        items = larger.size - smaller.size
        t_us = (larger.tieback.median - smaller.tieback.median) / items * 1e6
        t_kb = (larger.tieback.peak_mb - smaller.tieback.peak_mb) * 1024 / items
        n_us = (larger.naive.median - smaller.naive.median) / items * 1e6
        n_kb = (larger.naive.peak_mb - smaller.naive.peak_mb) * 1024 / items
        lines.append(
            f"- Audit, from {smaller.size:,} to {larger.size:,} items: {t_us:.1f} µs and "
            f"{t_kb:.2f} KB of peak memory a further item (the naive script: {n_us:.1f} µs "
            f"and {n_kb:.2f} KB)."
        )
    fulls: dict[str, list[SyncRow]] = {}
    for sync in results.syncs:
        if sync.full:
            fulls.setdefault(sync.tracker, []).append(sync)
    for tracker, rows in fulls.items():
        parts = []
        for latency in results.latencies:
            sized = sorted((row for row in rows if row.latency == latency), key=lambda r: r.size)
            if len(sized) < 2:
                continue
            least, most = sized[0], sized[-1]
            thousands = (most.size - least.size) / 1000
            ours = (most.tieback.median - least.tieback.median) / thousands
            part = f"{seconds(ours)} at {ms(latency)}"
            if least.naive and most.naive and least.naive.seconds and most.naive.seconds:
                theirs = (most.naive.median - least.naive.median) / thousands
                part += f" (the naive way {seconds(theirs)})"
            parts.append(part)
        if parts:
            lines.append(f"- {tracker}, full sync: a further 1,000 issues take {', '.join(parts)}.")
    incremental = [sync for sync in results.syncs if not sync.full]
    if incremental:
        spans = []
        for latency in results.latencies:
            times = [sync.tieback.median for sync in incremental if sync.latency == latency]
            if times:
                spans.append(f"{seconds(min(times))} to {seconds(max(times))} at {ms(latency)}")
        sizes = sorted({sync.size for sync in incremental})
        lines.append(
            f"- Incremental syncs (one item in 400 changed) take {', '.join(spans)}, at "
            f"{' and '.join(f'{size:,}' for size in sizes)} items alike: they read what "
            "changed, and count the rest."
        )
    return "\n".join(lines)


def targets_block(results: Results) -> str:
    """docs/performance.md's verdict: how many targets the run met, and which it missed."""
    lines = [tally(results), ""]
    for name, entry in every_verdict(results):
        if entry.met is False:
            lines.append(f"- Not met: {name}, {entry.figure} (target: {entry.target}).")
        elif entry.met is None:
            lines.append(f"- Not judged: {name}, {entry.figure}.")
    return "\n".join(lines).rstrip("\n")


def fill_docs(text: str, blocks: dict[str, str]) -> str:
    """``text`` with each ``<!-- bench:NAME -->`` ... ``<!-- /bench:NAME -->`` block
    replaced by ``blocks[NAME]``."""
    for name, block in blocks.items():
        pattern = re.compile(rf"(<!-- bench:{name} -->\n).*?(\n<!-- /bench:{name} -->)", re.DOTALL)
        found = pattern.search(text)
        if found is None:
            raise BenchError(f"no <!-- bench:{name} --> block to fill in the page")
        text = text[: found.end(1)] + block + text[found.start(2) :]
    return text


# --- the command -------------------------------------------------------------------------


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser_.add_argument("--quick", action="store_true", help="one run of small sizes")
    parser_.add_argument(
        "--runs",
        type=int,
        help=f"runs of each sync and pull-request check (default 3); start-up and audits "
        f"take at least {ABSOLUTE_RUNS}",
    )
    parser_.add_argument(
        "--naive-runs", type=int, help="runs of each naive sync (default: as many as --runs)"
    )
    parser_.add_argument(
        "--sizes",
        default="10000,100000",
        help="backlog sizes of the syncs, comma-separated (default: %(default)s)",
    )
    parser_.add_argument(
        "--audit-sizes",
        default="10000,100000,1000000",
        help="backlog sizes of the audit, comma-separated (default: %(default)s)",
    )
    parser_.add_argument(
        "--latency-ms",
        default="20,250",
        help="the fakes' wait per request, one profile each, comma-separated "
        "(default: %(default)s)",
    )
    parser_.add_argument(
        "--jira-page-cap",
        type=int,
        default=100,
        help="issues a Jira Cloud search page grants at most (default 100)",
    )
    parser_.add_argument(
        "--jira-dc-page-cap",
        type=int,
        default=1000,
        help="issues a Jira Data Center search page grants at most (default 1000)",
    )
    parser_.add_argument(
        "--post-issues", type=int, help="unaligned issues for tieback post (default 20)"
    )
    parser_.add_argument(
        "--only",
        default="startup,audit,github,jira,pr",
        help="which benchmarks, comma-separated (default: all)",
    )
    parser_.add_argument("--out", type=Path, default=BENCH / "results" / "latest.md")
    parser_.add_argument(
        "--docs",
        nargs="?",
        type=Path,
        const=DOCS,
        help="also write the run's tables into the marked blocks of this page "
        "(default: docs/performance.md); a whole run's figures only",
    )
    args = parser_.parse_args(argv)
    if args.docs is not None and args.docs.resolve() == DOCS and args.quick:
        parser_.error("--docs writes docs/performance.md from a whole run, not --quick")

    runs = args.runs or (1 if args.quick else 3)
    naive_runs = min(runs, args.naive_runs or runs)
    absolute_runs = max(ABSOLUTE_RUNS, runs)
    sizes = [QUICK_SIZE] if args.quick else numbers(args.sizes)
    audit_sizes = [QUICK_AUDIT_SIZE] if args.quick else numbers(args.audit_sizes)
    post_issues = args.post_issues or (QUICK_POST_ISSUES if args.quick else 20)
    latencies = [float(part) / 1000 for part in args.latency_ms.split(",") if part.strip()]
    only = set(args.only.split(","))
    shown = ["python bench/run.py", *(argv if argv is not None else sys.argv[1:])]
    results = Results(" ".join(shown), runs, latencies, machine_line())
    started, ticks = time.perf_counter(), cpu_ticks()
    with tempfile.TemporaryDirectory(prefix="tieback-bench-") as directory:
        scratch = Path(directory)
        if "startup" in only:
            results.speeds.append(("before start-up", machine_speed()))
            results.startup = bench_startup(absolute_runs, scratch)
        if "audit" in only:
            results.audit = bench_audit(audit_sizes, absolute_runs, scratch)
        if "github" in only:
            results.speeds.append(("before GitHub", machine_speed()))
            for size in sizes:
                results.syncs += bench_github_sync(size, runs, naive_runs, latencies, scratch)
        if "jira" in only:
            results.speeds.append(("before Jira", machine_speed()))
            for mode in ("cloud", "server"):
                for size in sizes:
                    try:
                        results.syncs += bench_jira_sync(
                            mode,
                            size,
                            runs,
                            naive_runs,
                            latencies,
                            scratch,
                            args.jira_page_cap,
                            args.jira_dc_page_cap,
                        )
                    except BenchError as exc:
                        results.skipped.append(f"Jira {mode} at {size:,} items: {exc}")
                        note(f"Jira {mode} failed: {exc}")
        if "pr" in only:
            at = latencies[-1:] if args.quick else latencies
            results.writes = bench_writes(300, post_issues, runs, at)
    results.speeds.append(("at the end", machine_speed()))
    results.elapsed = time.perf_counter() - started
    results.steal = steal_share(ticks, cpu_ticks())
    page = markdown(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page + "\n", encoding="utf-8")
    print(page)
    note(f"written to {args.out}")
    if args.docs is not None:
        blocks = {
            "figures": figures_block(results),
            "growth": growth_block(results),
            "targets": targets_block(results),
        }
        text = fill_docs(args.docs.read_text(encoding="utf-8"), blocks)
        args.docs.write_text(text, encoding="utf-8")
        note(f"tables written into {args.docs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
