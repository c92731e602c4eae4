"""The benchmark page's verdicts: each target beside a run's figure, met or not."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"


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


def sample(bench: ModuleType, *seconds: float, peak_kb: int = 0, startup: float = 0.0):
    taken = bench.Sample(seconds=list(seconds), peak_kb=[peak_kb] * len(seconds))
    taken.startup = [startup] * len(seconds)
    return taken


def page(bench: ModuleType, **parts) -> str:
    results = bench.Results("python bench/run.py", 3, 0.02, "machine", **parts)
    return "\n".join(bench.against_targets(results))


def test_start_up_rows_are_judged_only_for_tiebacks_commands(bench: ModuleType) -> None:
    rows = [
        bench.StartupRow("`python -c pass`", sample(bench, 0.5), judged=False),
        bench.StartupRow("`tieback --help`", sample(bench, 0.05, 0.06, 0.07), judged=True),
        bench.StartupRow("the example", sample(bench, 0.29, 0.31, 0.35), judged=True),
    ]
    text = page(bench, startup=rows)
    assert "| `tieback --help` | under 0.3 s | yes (0.06 s) |" in text
    assert "| the example | under 0.3 s | **no** (0.31 s) |" in text  # the median
    assert "python -c pass" not in text


def test_audits_are_judged_on_time_memory_and_growth(bench: ModuleType) -> None:
    def audit(size: int, seconds: float, peak_mb: float) -> object:
        tieback = sample(bench, seconds, peak_kb=int(peak_mb * 1024))
        return bench.AuditRow(size, tieback, sample(bench, 1.0), True, "", 0.15)

    audits = [audit(10_000, 0.3, 40), audit(100_000, 1.2, 110), audit(1_000_000, 10.02, 960)]
    text = page(bench, audit=audits)
    assert "| audit, 100,000 items | under 1.5 s | yes (1.20 s) |" in text
    assert "| audit, 1,000,000 items | under 10 s | **no** (10.02 s) |" in text
    # 960 MB of 2**20 bytes is 1.007e9 bytes: over 1 GB.
    assert "peak memory | under 1 GB (10⁹ bytes) | **no** (1.01 GB) |" in text
    # (1.2 - 0.3) / 90,000 = 10.0 us; (10.02 - 1.2) / 900,000 = 9.8 us.
    assert "yes (10.0 µs, then 9.8 µs) |" in text

    superlinear = [audit(10_000, 0.3, 40), audit(100_000, 1.2, 110), audit(1_000_000, 15.0, 900)]
    assert "**no** (10.0 µs, then 15.3 µs) |" in page(bench, audit=superlinear)


def test_a_sync_is_judged_whole_past_start_up_and_against_the_naive_way(
    bench: ModuleType,
) -> None:
    tieback = sample(bench, 3.0, startup=0.5)
    tieback.requests = [100]  # a floor of 2.0 s at 20 ms
    naive = sample(bench, 9.0)
    synced = bench.SyncRow("GitHub", 10_000, "full", tieback, naive, 0.02)
    slower = bench.SyncRow("Jira Cloud", 10_000, "full", tieback, sample(bench, 2.5), 0.02)
    text = page(bench, syncs=[synced, slower])
    # 3.0 / 2.0 = 1.5 (within), (3.0 - 0.5) / 2.0 = 1.25, 3.0 / 9.0 = 0.33
    x = bench.TIMES
    assert f"| GitHub, 10,000, full | yes (1.50{x}) | yes (1.25{x}) | yes (0.33{x}) |" in text
    behind = f"| Jira Cloud, 10,000, full | yes (1.50{x}) | yes (1.25{x}) | **no** (1.20{x}) |"
    assert behind in text
    assert text.startswith("## Against the targets")


def test_nothing_measured_writes_no_section(bench: ModuleType) -> None:
    assert page(bench) == ""
