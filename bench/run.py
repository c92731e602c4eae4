"""Every benchmark in one command, each beside the naive way, written as one Markdown page.

Start-up, the offline audit over synthetic backlogs, and full and incremental syncs of
GitHub and Jira (Cloud and Data Center) against the fake servers of the end-to-end tests
on 127.0.0.1, with a wait before every answer standing in for the network. Every figure
is the median of ``--runs`` runs; syncs are set beside their floor, requests times latency.

    python bench/run.py              # 3 runs; syncs of 10,000 and 100,000 items, audits to 1M
    python bench/run.py --quick      # one small run of everything, a smoke test
    python bench/run.py --only audit --audit-sizes 1000000 --runs 5
    python bench/run.py --only jira --sizes 100000 --latency-ms 50
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import gc
import importlib.util
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
# bench/github.py would hide PyGithub (``import github``) if bench/ came first on the path.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]
sys.path += [str(BENCH), str(ROOT / "tests")]

from backlog import backlog, outcomes_toml, write_jira_export, write_workspace  # noqa: E402
from e2e import fake_github  # type: ignore[import-not-found]  # noqa: E402
from e2e.fake_github import TOKEN as GITHUB_TOKEN  # type: ignore[import-not-found]  # noqa: E402
from e2e.fake_github import FakeGithub  # noqa: E402
from e2e.github_fixtures import Checkout, tieback_command  # type: ignore[import-not-found]  # noqa: E402
from e2e.serving import FakeHandler, serving  # type: ignore[import-not-found]  # noqa: E402

QUICK_SIZE = 1_000
SPEED_LOOP = 10**7  # sum(range(SPEED_LOOP)): the machine-speed probe (machine_speed)
TIMES = "\N{MULTIPLICATION SIGN}"
OLD = datetime(2026, 1, 1, tzinfo=UTC)
# The targets the page is judged against (docs/performance.md).
STARTUP_LIMIT = 0.3  # seconds: `tieback --help`, the example's offline audit
AUDIT_LIMITS = {100_000: 1.5, 1_000_000: 10.0}  # items: seconds
MEMORY_LIMIT = 10**9  # bytes at the peak of the 1,000,000-item audit
FLOOR_LIMIT = 1.5  # a sync within this many times requests x latency
LINEAR_LIMIT = 1.5  # an item's cost from 100,000 to 1,000,000 items against 10,000 to 100,000


class BenchError(Exception):
    """A measurement that could not be taken; its message says why, in one line."""


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Sample:
    """Repeated measurements of one thing: medians, with the spread to judge noise by."""

    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    server: list[float] = field(default_factory=list)  # seconds the fake was busy
    # Seconds from launching the command to the fake receiving its first request.
    startup: list[float] = field(default_factory=list)
    steal: list[float] = field(default_factory=list)  # share of CPU time the host took
    cpu: list[float] = field(default_factory=list)  # the command's user + system seconds

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
    cpu: float = 0.0  # user + system seconds of the command and what it waited for


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
        with out_file.open("wb") as out, err_file.open("wb") as err:
            ticks = cpu_ticks()
            started = time.perf_counter()
            process = subprocess.Popen(
                wrapped, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
            killer = threading.Timer(timeout, process.kill)
            killer.start()
            try:
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                killer.cancel()
            seconds = time.perf_counter() - started
            steal = steal_share(ticks, cpu_ticks())
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
    # /usr/bin/time, the command's own CPU time (time's is a millisecond or two).
    cpu = usage.ru_utime + usage.ru_stime
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
    judged: bool  # held to STARTUP_LIMIT (tieback's commands; not the probes beside them)


# Imported as an offline audit needs them: pydantic builds a model, which loads most of it.
_LIBRARIES = (
    "import pydantic, rich.console, tomllib\nclass Probe(pydantic.BaseModel):\n    name: str = ''"
)


def bench_startup(runs: int) -> list[StartupRow]:
    """Wall time of short commands, hyperfine-style: one warm-up, then ``runs`` runs."""
    tieback = tieback_command()
    commands = [
        ("`python -c pass` (the interpreter alone)", [sys.executable, "-c", "pass"]),
        (
            # What the example's audit cannot do without; it tells this machine's speed.
            "`python -c 'import pydantic, rich.console, tomllib'` (the libraries alone)",
            [sys.executable, "-c", _LIBRARIES],
        ),
        ("`tieback --help`", [tieback, "--help"]),
        (
            "`tieback audit --offline` on the example",
            [tieback, "audit", "--offline", "--config", "config.example.toml", "-o", os.devnull],
        ),
    ]
    rows: list[StartupRow] = []
    environment = clean_environment()
    for label, command in commands:
        run_command(command, ROOT, environment)
        sample = Sample()
        for _ in range(runs):
            sample.add(run_command(command, ROOT, environment))
        rows.append(StartupRow(label, sample, command[0] == tieback))
        note(f"start-up {label}: {sample.median:.3f} s")
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
    over the same backlog as a Jira search export; both as subprocesses."""
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
    seconds its handlers spent answering (the latency's sleep left out), ``arrivals``
    holds the ``time.perf_counter()`` at which each handler started answering."""

    def __init__(self) -> None:
        self.busy = 0.0
        self.arrivals: list[float] = []
        self._lock = threading.Lock()

    def arrived(self, moment: float) -> None:
        with self._lock:
            self.arrivals.append(moment)

    def add(self, seconds: float) -> None:
        with self._lock:
            self.busy += seconds


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
    """Serve ``fake`` with its own handler class ``base``, timed, each issue serialised once."""
    server = Server()
    encoder = Encoder()

    class Handler(base):  # type: ignore[misc]
        def _answer(self) -> None:
            started = time.perf_counter()
            server.arrived(started)
            super()._answer()
            server.add(time.perf_counter() - started - fake.latency)

        def _encode(self, data: Any) -> bytes:
            return encoder.encode(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    with serving(fake, Handler) as address:
        if hasattr(fake, "root"):
            fake.root = address  # the fake Jira: the server, before any context path
        else:
            fake.url = address
        yield server


@dataclass
class SyncRow:
    tracker: str
    size: int
    run: str
    tieback: Sample
    naive: Sample | None
    latency: float

    @property
    def floor(self) -> float:
        return self.tieback.request_count * self.latency

    @property
    def naive_floor(self) -> float:
        return self.naive.request_count * self.latency if self.naive else 0.0


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
) -> Finished:
    """Run ``command`` as a subprocess against ``server``, into ``sample``: its wall time
    and peak memory, the requests it sent, the server's work, and its start-up (from
    the launch to the server's first request)."""
    log.clear()
    busy = server.busy
    first = len(server.arrivals)
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
    return finished


def sync_once(
    root: Path,
    source: str,
    environment: dict[str, str],
    sample: Sample,
    server: Server,
    log: list[Any],
) -> None:
    """One ``tieback sync`` as a subprocess; the wall time is the subprocess's own."""
    measured(
        [tieback_command(), "sync", "--source", source], root, environment, sample, server, log
    )


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


def bench_github_sync(size: int, runs: int, latency: float, scratch: Path) -> list[SyncRow]:
    """Full then incremental ``tieback sync --source github``; PyGithub's default listing."""
    bench_github = load_bench_github()
    changed: dict[int, str] = {}
    full, incremental = Sample(), Sample()
    naive_full, naive_incremental = Sample(), Sample()
    fake = BenchGithub(changed, bench_github.OLD)
    synthetic = bench_github.synthetic
    with serve(fake, fake_github._Handler) as server:
        fake.synthetic = size
        fake.make_issue = synthetic(fake, changed)
        fake.latency = latency
        environment = clean_environment(GITHUB_TOKEN=GITHUB_TOKEN)
        root = scratch
        for run in range(runs):
            root = scratch / f"github-{size}-{run}"
            root.mkdir(parents=True)
            Checkout(root, fake)
            sync_once(root, "github", environment, full, server, fake.requests)
        note(
            f"github {size:,}: full sync {full.median:.2f} s, {full.request_count} requests, "
            f"start-up {full.startup_median:.2f} s"
        )

        # PyGithub as its README shows it, default page size (30), in bench/naive_sync.py.
        # Its default throttle is switched off: with it, no page could come faster than
        # every 0.25 s. Lazy: the repository object is built without GET /repos/{r},
        # which the fake does not serve (one request fewer than the README's way).
        def naive(sample: Sample, expected: int, *since: str) -> None:
            arguments = ["github", "--url", fake.url, "--repo", fake.repo, *since]
            naive_once(arguments, expected, scratch, environment, sample, server, fake.requests)

        for _ in range(runs):
            naive(naive_full, size)
        note(
            f"github {size:,}: PyGithub {naive_full.median:.2f} s, "
            f"{naive_full.request_count} requests, start-up {naive_full.startup_median:.2f} s"
        )

        moment = datetime.now(UTC)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        step = max(1, size // changes_for(size))
        changed.update({n: stamp for n in range(1, size + 1, step)[: changes_for(size)]})
        fake._listing.clear()
        for _ in range(runs):
            sync_once(root, "github", environment, incremental, server, fake.requests)
        since = (moment - timedelta(minutes=5)).isoformat()
        for _ in range(runs):
            naive(naive_incremental, 0, "--since", since)
    return [
        SyncRow("GitHub", size, "full", full, naive_full, latency),
        SyncRow(
            "GitHub",
            size,
            f"incremental, {len(changed)} changed",
            incremental,
            naive_incremental,
            latency,
        ),
    ]


def jira_ready() -> str:
    """Why the Jira benchmark cannot run yet, or an empty string when it can."""
    source = ROOT / "src" / "tieback" / "connectors" / "jira" / "source.py"
    if "class JiraSource" not in source.read_text(encoding="utf-8"):
        return "the live Jira connector (connectors/jira/source.py) is not there yet"
    if not (ROOT / "tests" / "e2e" / "fake_jira.py").is_file():
        return "the fake Jira (tests/e2e/fake_jira.py) is not there yet"
    return ""


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
            self._rendered.pop(key, None)
            issue = super().touch(key, **changes)
            bisect.insort(stamps, (issue.updated, key))
            return issue

    return fake_jira, BenchJira


def bench_jira_sync(
    mode: str,
    size: int,
    runs: int,
    latency: float,
    scratch: Path,
    page_cap: int = 100,
    dc_page_cap: int = 1000,
) -> list[SyncRow]:
    """Full then incremental ``tieback sync --source jira``; the ``jira`` library's
    ``search_issues(jql, maxResults=False)`` with its default fields."""
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
    fake.latency = latency
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
    full, incremental = Sample(), Sample()
    naive_full, naive_incremental = Sample(), Sample()
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

        # One run untimed first, as hyperfine warms up: the fake renders each issue once.
        workspace(scratch / f"jira-{mode}-{size}-warm-up")
        sync_once(
            scratch / f"jira-{mode}-{size}-warm-up", "jira", environment, Sample(), server, []
        )
        root = scratch
        for run in range(runs):
            root = scratch / f"jira-{mode}-{size}-{run}"
            workspace(root)
            sync_once(root, "jira", environment, full, server, fake.requests)
        note(
            f"{label} {size:,}: full sync {full.median:.2f} s, {full.request_count} requests, "
            f"start-up {full.startup_median:.2f} s"
        )

        # The jira library, in bench/naive_sync.py: an email and an API token on Cloud, a
        # personal access token (no email) on Data Center.
        def naive(sample: Sample, expected: int, query: str) -> None:
            arguments = ["jira", "--url", fake.url, "--jql", query]
            if mode == "cloud":
                arguments += ["--email", fake.email]
            naive_once(arguments, expected, scratch, environment, sample, server, fake.requests)

        # Untimed first too: the naive way asks for every field (*all), which the fake
        # has not rendered yet.
        naive(Sample(), len(fake.issues), jql)
        for _ in range(runs):
            naive(naive_full, len(fake.issues), jql)
        note(
            f"{label} {size:,}: jira library {naive_full.median:.2f} s, "
            f"{naive_full.request_count} requests, start-up {naive_full.startup_median:.2f} s"
        )

        moment = datetime.now(UTC)
        keys = list(fake.issues)
        step = max(1, size // changes_for(size))
        touched = keys[::step][: changes_for(size)]
        for key in touched:
            fake.touch(key)
        since = (moment - timedelta(minutes=5)).astimezone(ZoneInfo(fake.time_zone))
        for _ in range(runs):
            sync_once(root, "jira", environment, incremental, server, fake.requests)
        for _ in range(runs):
            naive(naive_incremental, 0, f'{jql} AND updated >= "{since:%Y/%m/%d %H:%M}"')
    return [
        SyncRow(label, size, "full", full, naive_full, latency),
        SyncRow(
            label,
            size,
            f"incremental, {len(touched)} changed",
            incremental,
            naive_incremental,
            latency,
        ),
    ]


# --- tieback pr --------------------------------------------------------------------------


@dataclass
class PullRow:
    label: str
    requests: int
    seconds: float
    latency: float


def bench_pull_request(comments: int, runs: int, latency: float) -> list[PullRow]:
    rows = load_bench_github().bench_pr(comments, runs, latency)
    return [PullRow(label, requests, seconds, latency) for label, requests, seconds in rows]


# --- the report --------------------------------------------------------------------------


def seconds(value: float) -> str:
    if value < 1:
        return f"{value:.2f} s"
    if value < 100:
        return f"{value:.1f} s"
    return f"{value:,.0f} s"


def ratio(value: float) -> str:
    return f"{value:.2f}{TIMES}"


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
    latency: float
    machine_before: str
    startup: list[StartupRow] = field(default_factory=list)
    audit: list[AuditRow] = field(default_factory=list)
    syncs: list[SyncRow] = field(default_factory=list)
    pulls: list[PullRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    steal: float = 0.0  # share of the cores' time the host took over the whole run
    speeds: list[tuple[str, float]] = field(default_factory=list)  # (when, fixed loop s)


def verdict(met: bool, figure: str) -> str:
    return f"{'yes' if met else '**no**'} ({figure})"


def against_targets(results: Results) -> list[str]:
    """The page's first section: each target beside this run's figure, met or not.

    A sync is judged three ways, as the targets leave open whether its start-up counts:
    its whole time against the floor, its time past start-up against the floor, and its
    whole time against the naive way's.
    """
    rows: list[tuple[str, str, str]] = []
    for row in results.startup:
        if row.judged:
            median = row.sample.median
            rows.append(
                (
                    row.label,
                    f"under {STARTUP_LIMIT} s",
                    verdict(median < STARTUP_LIMIT, f"{median:.2f} s"),
                )
            )
    by_size = {audit.size: audit.tieback for audit in results.audit}
    for size, limit in AUDIT_LIMITS.items():
        if size in by_size:
            median = by_size[size].median
            rows.append(
                (
                    f"audit, {size:,} items",
                    f"under {limit:g} s",
                    verdict(median < limit, f"{median:.2f} s"),
                )
            )
    if 1_000_000 in by_size:
        peak = statistics.median(by_size[1_000_000].peak_kb) * 1024
        rows.append(
            (
                "audit, 1,000,000 items, peak memory",
                "under 1 GB (10⁹ bytes)",
                verdict(peak < MEMORY_LIMIT, f"{peak / 10**9:.2f} GB"),
            )
        )
    if all(size in by_size for size in (10_000, 100_000, 1_000_000)):
        small, middle, large = (by_size[size].median for size in (10_000, 100_000, 1_000_000))
        first = (middle - small) / 90_000 * 1e6
        then = (large - middle) / 900_000 * 1e6
        rows.append(
            (
                "audit, cost a further item",
                f"from 100,000 to 1,000,000 items within {LINEAR_LIMIT:g}{TIMES} of "
                "its cost from 10,000 to 100,000 (linear growth)",
                verdict(then <= first * LINEAR_LIMIT, f"{first:.1f} µs, then {then:.1f} µs"),
            )
        )
    judged = [sync for sync in results.syncs if sync.floor and sync.naive]
    if not rows and not judged:
        return []
    lines = ["## Against the targets", ""]
    if rows:
        lines += [
            "| what | target | met (this run) |",
            "|---|---|---|",
            *(f"| {what} | {target} | {met} |" for what, target, met in rows),
            "",
        ]
    if judged:
        lines += [
            f"Every sync within {FLOOR_LIMIT:g}{TIMES} of its floor (requests {TIMES} "
            "latency) and ahead of the naive way; whether start-up counts is left open, "
            "so both readings are given.",
            "",
            f"| sync | within {FLOOR_LIMIT:g}{TIMES} of the floor | past start-up | "
            "ahead of the naive way |",
            "|---|---|---|---|",
        ]
        for sync in judged:
            t = sync.tieback
            naive = cast(Sample, sync.naive)
            whole = t.median / sync.floor
            past = (t.median - t.startup_median) / sync.floor
            ahead = t.median / naive.median
            lines.append(
                f"| {sync.tracker}, {sync.size:,}, {sync.run} | "
                f"{verdict(whole <= FLOOR_LIMIT, ratio(whole))} | "
                f"{verdict(past <= FLOOR_LIMIT, ratio(past))} | "
                f"{verdict(ahead < 1, ratio(ahead))} |"
            )
        lines.append("")
    return lines


def markdown(results: Results) -> str:
    latency_ms = results.latency * 1000
    lines = [
        "# tieback benchmarks",
        "",
        f"Written by `{results.command}` in {seconds(results.elapsed)}.",
        "",
        f"- Machine at the start: {results.machine_before}",
        f"- Machine at the end: {machine_line()}",
        f"- Every figure is the median of {results.runs} run(s); ± is half the spread "
        "between the fastest and the slowest run, relative to the median.",
        "- Ratios are tieback ÷ naive (below 1: tieback is faster or smaller) and tieback ÷ floor.",
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
            "Subprocesses, one warm-up run first. The target is under 0.3 s.",
            "",
            "| command | wall time | ± | peak memory | steal |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in results.startup:
            lines.append(
                f"| {row.label} | {seconds(row.sample.median)} | {spread(row.sample)} | "
                f"{row.sample.peak_mb:.0f} MB | {row.sample.steal_median:.1%} |"
            )
        lines.append("")
    if results.audit:
        lines += [
            "## Audit",
            "",
            "`tieback audit --offline --format json -o /dev/null` over a store filled by "
            "`bench/backlog.py`, beside `bench/naive_audit.py`: what a PM would script by "
            "hand, a `json.load` of the same backlog as a Jira search answer and a loop over "
            "dicts (no store, no report). Both are subprocesses, after one run of tieback "
            "that is not measured (it writes the report whose counts are checked below); wall "
            "time, and peak resident memory from `/usr/bin/time`. *Fixed loop* is the "
            "machine-speed probe above, taken just before each size's runs.",
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
            verdict = "agree" if audit.agree else "DISAGREE"
            lines.append(f"- {audit.size:,} items: both {verdict}: {audit.counts}.")
        lines.append("")
    if results.syncs or results.skipped:
        lines += [
            "## Sync",
            "",
            "`tieback sync --source ...` against the fake servers, each request answered "
            f"after {latency_ms:g} ms, beside the naive way against the same server, "
            "`bench/naive_sync.py`: PyGithub's `get_repo(r).get_issues(state='all')` "
            "iterated fully (its default page size of 30; its default 0.25 s between "
            "requests switched off, or it could not beat 0.25 s a page), and the `jira` "
            "library's `search_issues(jql, maxResults=False)` with its default fields "
            "(`*all`). Both are subprocesses, as a user would run them, so both times "
            "include start-up: the time from launching the command to the fake receiving "
            "its first request (the interpreter, imports, configuration and, for tieback, "
            f"opening the store). The floor is requests {TIMES} latency: what the requests "
            "cost if neither the client nor the server took any time; *past start-up ÷ "
            "floor* sets tieback's time after its start-up against it. The fake servers run "
            "in a thread of the benchmark process on the same cores and serialise each "
            "issue once, keeping its text; their CPU cost is still included in every "
            "figure, tieback's and the naive way's alike, and *server* is how long their "
            "handlers worked in all during tieback's runs (the latency left out). Requests "
            "on different connections wait side by side, not in turn. The naive "
            "incremental runs pass `since` or an `updated >=` clause and, unlike tieback, "
            "never notice an item that left.",
            "",
            "*CPU* is the command's user and system time, start-up included. Near or above "
            "the floor, the client's own work, not the network, sets the pace; above the "
            "wall time, the command kept both cores busy.",
            "",
            "| tracker | items | run | requests | floor | start-up | server | tieback | ± | "
            "CPU | ÷ floor | past start-up ÷ floor | naive requests | naive | naive start-up | "
            "naive CPU | tieback ÷ naive |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for sync in results.syncs:
            t, naive = sync.tieback, sync.naive
            naive_cells = (
                f"{naive.request_count:,} | {seconds(naive.median)} | "
                f"{seconds(naive.startup_median)} | {seconds(naive.cpu_median)} | "
                f"{ratio(t.median / naive.median)}"
                if naive
                else "— | — | — | — | —"
            )
            per_floor = ratio(t.median / sync.floor) if sync.floor else "—"
            past = ratio((t.median - t.startup_median) / sync.floor) if sync.floor else "—"
            lines.append(
                f"| {sync.tracker} | {sync.size:,} | {sync.run} | {t.request_count:,} | "
                f"{seconds(sync.floor)} | {seconds(t.startup_median)} | "
                f"{seconds(t.server_median)} | {seconds(t.median)} | {spread(t)} | "
                f"{seconds(t.cpu_median)} | {per_floor} | {past} | {naive_cells} |"
            )
        lines.append("")
        for reason in results.skipped:
            lines.append(f"- Skipped: {reason}.")
        if results.skipped:
            lines.append("")
    if results.pulls:
        lines += [
            "## Pull-request check",
            "",
            f"`tieback pr` on a pull request with 300 comments, the backlog synced "
            f"beforehand (`bench/github.py`), {latency_ms:g} ms a request.",
            "",
            "| situation | requests | floor | wall time | ÷ floor |",
            "|---|---:|---:|---:|---:|",
        ]
        for pull in results.pulls:
            floor = pull.requests * pull.latency
            shown = ratio(pull.seconds / floor) if floor else "—"
            lines.append(
                f"| {pull.label} | {pull.requests} | {seconds(floor)} | "
                f"{seconds(pull.seconds)} | {shown} |"
            )
        lines.append("")
    return "\n".join(lines)


# --- the command -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of small sizes")
    parser.add_argument("--runs", type=int, help="runs of each measurement (default 3)")
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="backlog sizes of the syncs, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--audit-sizes",
        default="10000,100000,1000000",
        help="backlog sizes of the audit, comma-separated (default: %(default)s)",
    )
    parser.add_argument(
        "--latency-ms", type=float, default=20, help="the fakes' wait per request (default 20)"
    )
    parser.add_argument(
        "--jira-page-cap",
        type=int,
        default=100,
        help="issues a Jira Cloud search page grants at most (default 100)",
    )
    parser.add_argument(
        "--jira-dc-page-cap",
        type=int,
        default=1000,
        help="issues a Jira Data Center search page grants at most (default 1000)",
    )
    parser.add_argument(
        "--only",
        default="startup,audit,github,jira,pr",
        help="which benchmarks, comma-separated (default: all)",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "latest.md")
    args = parser.parse_args(argv)

    runs = args.runs or (1 if args.quick else 3)
    sizes = [QUICK_SIZE] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    audit_sizes = (
        [QUICK_SIZE] if args.quick else [int(s) for s in args.audit_sizes.split(",") if s.strip()]
    )
    latency = args.latency_ms / 1000
    only = set(args.only.split(","))
    shown = ["python bench/run.py", *(argv if argv is not None else sys.argv[1:])]
    results = Results(" ".join(shown), runs, latency, machine_line())
    started, ticks = time.perf_counter(), cpu_ticks()
    with tempfile.TemporaryDirectory(prefix="tieback-bench-") as directory:
        scratch = Path(directory)
        if "startup" in only:
            results.speeds.append(("before start-up", machine_speed()))
            results.startup = bench_startup(5 if args.quick else max(10, runs))
        if "audit" in only:
            results.audit = bench_audit(audit_sizes, runs, scratch)
        if "github" in only:
            results.speeds.append(("before GitHub", machine_speed()))
            for size in sizes:
                results.syncs += bench_github_sync(size, runs, latency, scratch)
        if "jira" in only:
            reason = jira_ready()
            if reason:
                results.skipped.append(f"Jira sync: {reason}")
                note(f"skipping Jira: {reason}")
            else:
                results.speeds.append(("before Jira", machine_speed()))
                for mode in ("cloud", "server"):
                    for size in sizes:
                        try:
                            results.syncs += bench_jira_sync(
                                mode,
                                size,
                                runs,
                                latency,
                                scratch,
                                args.jira_page_cap,
                                args.jira_dc_page_cap,
                            )
                        except BenchError as exc:
                            results.skipped.append(f"Jira {mode} at {size:,} items: {exc}")
                            note(f"Jira {mode} failed: {exc}")
        if "pr" in only:
            results.pulls = bench_pull_request(300, runs, latency)
    results.speeds.append(("at the end", machine_speed()))
    results.elapsed = time.perf_counter() - started
    results.steal = steal_share(ticks, cpu_ticks())
    page = markdown(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page + "\n", encoding="utf-8")
    print(page)
    note(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
