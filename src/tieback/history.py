"""Coverage history: what a report leaves in the store, and when it leaves nothing.

A snapshot keeps a report's numbers per team and outcome (never item copies) under
the configuration that took it, so ``tieback trend``, the HTML report, the summary
comment and the pull-request check can say how coverage moved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tieback.errors import StoreError

if TYPE_CHECKING:
    from tieback.config import Config
    from tieback.report import Report


def snapshot_of(report: Report, config: Config | None = None) -> dict[str, Any]:
    """What history keeps of a report: numbers per team and outcome, no item copies."""
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
            for name, n in sorted(report.teams.items())
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
    """Store the report's numbers under this configuration's scope; return a warning
    instead of failing the audit. A report over a partial backlog is not history."""
    from tieback.connectors import store_scope
    from tieback.store import Store

    if report.incomplete:
        return "coverage history not recorded: the backlog in the store is partial (see above)"
    if not report.data["totals"]["items"]:
        return None  # nothing counted yet (no sources, or none synced): no point at n/a
    scope = store_scope(config)
    data = snapshot_of(report, config)
    try:
        with Store.open(config.store_location) as store:
            last = store.latest_snapshot(kind, scope=scope)
            if last is not None and last.data == data:
                return None  # the same numbers again: the trend gains nothing from a copy
            store.add_snapshot(report.data["generated_at"], kind, data, scope=scope)
    except StoreError as exc:
        return f"coverage history not recorded: {exc}"
    return None
