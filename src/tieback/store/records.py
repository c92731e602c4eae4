"""The store's bookkeeping: cursors, sync state, leases, comments, snapshots and readings."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

from tieback.progress import Reading
from tieback.store.engines import Engine


@dataclass(frozen=True)
class Cursor:
    source: str
    query: str
    cursor: str
    synced_at: str


@dataclass(frozen=True)
class SyncState:
    """How the last sync of a query went: ``state`` is running (started, not ended: it
    may have been killed), complete or failed; ``completed_at`` is when one last
    completed, empty if none ever did."""

    source: str
    query: str
    state: str
    started_at: str
    completed_at: str
    error: str

    @property
    def complete(self) -> bool:
        return self.state == "complete"


@dataclass(frozen=True)
class PostedComment:
    """A comment tieback wrote: where, which kind (explain, summary, sticky), and a
    digest of its text to tell whether an edit would change anything."""

    source: str
    target: str
    kind: str
    comment_id: str
    digest: str
    written_at: str


@dataclass(frozen=True)
class Snapshot:
    id: int
    taken_at: str
    kind: str
    data: dict[str, Any]


class Records(ABC):
    """What ``Store`` keeps beside the items: how far each query's sync got and how it
    went, who holds a lease, the comments tieback wrote, the reports' snapshots and the
    metrics' readings. Every write is one transaction of the ``Store``'s."""

    _engine: Engine

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All or nothing (``Store.transaction``)."""

    # --- cursors ---------------------------------------------------------------------

    def cursor(self, source: str, query: str) -> Cursor | None:
        row = self._engine.execute(
            "SELECT source, query, cursor, synced_at FROM cursors WHERE source = ? AND query = ?",
            (source, query),
        ).fetchone()
        return Cursor(*row) if row else None

    def set_cursor(self, source: str, query: str, cursor: str, synced_at: str) -> None:
        with self.transaction():
            self._engine.execute(
                "INSERT INTO cursors (source, query, cursor, synced_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, query) DO UPDATE SET cursor = excluded.cursor, "
                "synced_at = excluded.synced_at",
                (source, query, cursor, synced_at),
            )

    # --- sync state ------------------------------------------------------------------

    def begin_sync(self, source: str, query: str, started_at: str) -> None:
        """Say that a sync of ``query`` has started: until ``end_sync`` says it completed,
        what the store holds of it may be partial."""
        with self.transaction():
            self._engine.execute(
                "INSERT INTO syncs (source, query, state, started_at, completed_at, error) "
                "VALUES (?, ?, 'running', ?, '', '') ON CONFLICT (source, query) DO UPDATE "
                "SET state = 'running', started_at = excluded.started_at, error = ''",
                (source, query, started_at),
            )

    def end_sync(self, source: str, query: str, at: str, error: str = "") -> None:
        """Say how the sync ``begin_sync`` started ended: completed at ``at``, or failed
        with ``error`` (one line, already free of secrets)."""
        with self.transaction():
            if error:
                self._engine.execute(
                    "UPDATE syncs SET state = 'failed', error = ? WHERE source = ? AND query = ?",
                    (error, source, query),
                )
            else:
                self._engine.execute(
                    "UPDATE syncs SET state = 'complete', completed_at = ?, error = '' "
                    "WHERE source = ? AND query = ?",
                    (at, source, query),
                )

    def sync_state(self, source: str, query: str) -> SyncState | None:
        row = self._engine.execute(
            "SELECT source, query, state, started_at, completed_at, error FROM syncs "
            "WHERE source = ? AND query = ?",
            (source, query),
        ).fetchone()
        return SyncState(*row) if row else None

    # --- leases ----------------------------------------------------------------------

    def take_lease(self, name: str, holder: str, until: float, now: float) -> str:
        """Take the lease ``name`` for ``holder`` until ``until`` (seconds since the
        epoch) when it is free, expired or already ``holder``'s; return who holds it now."""
        with self.transaction():
            self._engine.execute(
                "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at "
                "WHERE leases.expires_at < ? OR leases.holder = excluded.holder",
                (name, holder, until, now),
            )
            row = self._engine.execute(
                "SELECT holder FROM leases WHERE name = ?", (name,)
            ).fetchone()
        return str(row[0])

    def drop_lease(self, name: str, holder: str) -> None:
        with self.transaction():
            self._engine.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    # --- comments --------------------------------------------------------------------

    def comment(self, source: str, target: str, kind: str) -> PostedComment | None:
        row = self._engine.execute(
            "SELECT source, target, kind, comment_id, digest, written_at FROM comments "
            "WHERE source = ? AND target = ? AND kind = ?",
            (source, target, kind),
        ).fetchone()
        return PostedComment(*row) if row else None

    def commented(self, source: str, kind: str) -> set[str]:
        """Targets that already carry a comment of this kind."""
        rows = self._engine.execute(
            "SELECT target FROM comments WHERE source = ? AND kind = ?", (source, kind)
        )
        return {row[0] for row in rows}

    def set_comment(self, comment: PostedComment) -> None:
        with self.transaction():
            self._engine.execute(
                "INSERT INTO comments (source, target, kind, comment_id, digest, written_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, target, kind) DO UPDATE SET "
                "comment_id = excluded.comment_id, digest = excluded.digest, "
                "written_at = excluded.written_at",
                (
                    comment.source,
                    comment.target,
                    comment.kind,
                    comment.comment_id,
                    comment.digest,
                    comment.written_at,
                ),
            )

    # --- snapshots -------------------------------------------------------------------

    def add_snapshot(self, taken_at: str, kind: str, data: dict[str, Any], scope: str = "") -> int:
        """Keep a report's numbers; ``scope`` names the configuration that took them, so
        that configurations sharing the store each keep their own history."""
        with self.transaction():
            row = self._engine.execute(
                "INSERT INTO snapshots (taken_at, kind, data, scope) VALUES (?, ?, ?, ?) "
                "RETURNING id",
                (taken_at, kind, json.dumps(data, separators=(",", ":")), scope),
            ).fetchone()
        return int(row[0])

    def snapshots(
        self, kind: str | None = None, since: str | None = None, scope: str | None = None
    ) -> list[Snapshot]:
        """Snapshots in the order they were taken: all of them, or those of ``scope``
        and those taken before snapshots named their configuration."""
        sql = "SELECT id, taken_at, kind, data FROM snapshots WHERE 1 = 1"
        args: list[str] = []
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        if since:
            sql += " AND taken_at >= ?"
            args.append(since)
        if scope is not None:
            sql += " AND scope IN (?, '')"
            args.append(scope)
        rows = self._engine.execute(sql + " ORDER BY id", args)
        return [Snapshot(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def latest_snapshot(self, kind: str | None = None, scope: str | None = None) -> Snapshot | None:
        found = self.snapshots(kind, scope=scope)
        return found[-1] if found else None

    # --- metric readings -------------------------------------------------------------

    def add_reading(self, id: str, day: str, value: float, recorded_at: str) -> float | None:
        """Keep ``value`` as the reading of outcome or impact ``id`` on ``day`` (ISO),
        replacing one kept for that id and date; return the value replaced, if any."""
        with self.transaction():
            row = self._engine.execute(
                "SELECT value FROM readings WHERE id = ? AND date = ?", (id, day)
            ).fetchone()
            self._engine.execute(
                "INSERT INTO readings (id, date, value, recorded_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id, date) DO UPDATE SET value = excluded.value, "
                "recorded_at = excluded.recorded_at",
                (id, day, value, recorded_at),
            )
        return float(row[0]) if row else None

    def readings(self) -> dict[str, list[Reading]]:
        """Every kept reading by the id it was recorded under, each id's in date order."""
        found: dict[str, list[Reading]] = {}
        rows = self._engine.execute("SELECT id, date, value FROM readings ORDER BY id, date")
        for id_, day, value in rows:
            found.setdefault(id_, []).append(Reading(date.fromisoformat(day), float(value)))
        return found
