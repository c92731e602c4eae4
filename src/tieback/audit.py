"""The audit pipeline: sync (unless offline) → items → alignment → one report → snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tieback.alignment import align
from tieback.config import Config, Coverage
from tieback.errors import StoreError
from tieback.model import Item
from tieback.outcomes import Declarations, focus_warnings, load_declarations
from tieback.report import Grouping, Report, build_report
from tieback.sources.interface import Source
from tieback.sync import ProgressCallback, SyncResult


def sync_trackers(
    config: Config,
    only: str | None = None,
    full: bool = False,
    progress: ProgressCallback | None = None,
) -> list[SyncResult]:
    """Pull every configured tracker (or just ``only``) into the store."""
    from tieback.connectors import tracker_sources
    from tieback.store import Store
    from tieback.sync import sync_source

    sources = tracker_sources(config, only)
    if not sources:
        return []
    with Store.open(config.store_location) as store:
        return [sync_source(source, store, full=full, progress=progress) for source in sources]


def sync_files(config: Config) -> int:
    """Copy the [files] exports into the store, so later offline audits keep them."""
    from tieback.sources.files import FilesSource
    from tieback.store import FILES_QUERY, Store

    items = list(FilesSource(config).items())
    present = {(item.source, item.key) for item in items}
    with Store.open(config.store_location) as store, store.transaction():
        for source in {"jira", "github"}:
            gone = {k for k in store.keys(source, FILES_QUERY) if (source, k) not in present}
            store.delete_items(source, gone)
        store.upsert_items(FILES_QUERY, items)
    return len(items)


def read_items(config: Config) -> tuple[list[Item], list[str]]:
    """Items in the store, then the [files] exports (a key seen again replaces the first)."""
    sources: list[Iterable[Item]] = []
    warnings: list[str] = []
    if config.store_exists:
        from tieback.store import Store

        with Store.open(config.store_location) as store:
            sources.append(list(store.items()))
    if config.settings.files.paths:
        from tieback.sources.files import FilesSource

        files: Source = FilesSource(config)
        sources.append(list(files.items()))
        warnings.extend(files.warnings)
    items: dict[tuple[str, str], Item] = {}
    for batch in sources:
        for item in batch:
            items[item.source, item.key] = item
    return list(items.values()), warnings


def run_audit(
    config: Config,
    coverage: Coverage | None = None,
    by: Grouping = "team",
    offline: bool = True,
    declarations: Declarations | None = None,
    progress: ProgressCallback | None = None,
) -> Report:
    declarations = declarations or load_declarations(config)
    if not offline:
        sync_trackers(config, progress=progress)
    items, source_warnings = read_items(config)
    settings = config.settings
    result = align(items, declarations, settings.tagging, settings.exempt)
    return build_report(
        result.alignments,
        declarations,
        coverage or settings.coverage,
        by=by,
        warnings=[*focus_warnings(declarations), *result.warnings, *source_warnings],
    )


def snapshot_of(report: Report, config: Config | None = None) -> dict[str, Any]:
    """What history keeps of a report: numbers per team and outcome, no item copies."""
    from tieback.coverage import Numbers, numbers_of

    teams: dict[str, Numbers] = {}
    for alignment, weight in zip(report.alignments, report.weights, strict=True):
        team = alignment.item.team or "(none)"
        unestimated = report.data["weight"] == "points" and alignment.item.points is None
        teams[team] = teams.get(team, Numbers()) + numbers_of(alignment, weight, unestimated)
    data = report.data
    snapshot: dict[str, Any] = {
        "scope": data["scope"],
        "weight": data["weight"],
        "totals": data["totals"],
        "teams": {
            name: {
                "items": n.items,
                "aligned": n.aligned,
                "unaligned": n.unaligned,
                "exempt": n.exempt,
                "coverage": n.coverage,
            }
            for name, n in sorted(teams.items())
        },
        "outcomes": {
            o["id"]: {"items": o["items"], "weight": o["weight"]} for o in data["outcomes"]
        },
    }
    if config is not None:
        snapshot["fingerprints"] = fingerprints(config)
    return snapshot


def fingerprints(config: Config) -> dict[str, str]:
    """Short digests of the configuration and outcomes files, to tell changes apart."""
    import hashlib

    digests: dict[str, str] = {}
    for name, path in (("config", config.path), ("outcomes", config.outcomes_path)):
        if path is not None and path.is_file():
            digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return digests


def record_snapshot(config: Config, report: Report, kind: str = "audit") -> str | None:
    """Store the report's numbers; return a warning instead of failing the audit."""
    from tieback.store import Store

    try:
        with Store.open(config.store_location) as store:
            store.add_snapshot(report.data["generated_at"], kind, snapshot_of(report, config))
    except StoreError as exc:
        return f"coverage history not recorded: {exc}"
    return None
