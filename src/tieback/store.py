"""SQLite store: synced items, sync cursors and coverage snapshots, migrated in place.

Items and the cursor that covers them are written in one transaction, so a sync
killed at any point and run again loses nothing and duplicates nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tieback.errors import StoreError
from tieback.model import Item

# The query under which items copied from [files] exports are kept.
FILES_QUERY = "files"
SEP = "\x1f"  # joins labels and refs in one column; never part of a label

_MIGRATIONS: tuple[str, ...] = (
    # 1: items, cursors, snapshots
    """
    CREATE TABLE items (
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        query TEXT NOT NULL,
        title TEXT NOT NULL,
        url TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        done INTEGER NOT NULL,
        labels TEXT NOT NULL,
        field_refs TEXT NOT NULL,
        body TEXT NOT NULL,
        parent TEXT,
        points REAL,
        team TEXT NOT NULL,
        author TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (source, key)
    ) WITHOUT ROWID;
    CREATE INDEX items_by_query ON items (source, query);
    CREATE TABLE cursors (
        source TEXT NOT NULL,
        query TEXT NOT NULL,
        cursor TEXT NOT NULL,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (source, query)
    );
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        taken_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    );
    """,
    # 2: the comments tieback wrote, so it never posts one twice nor rewrites it unchanged
    """
    CREATE TABLE comments (
        source TEXT NOT NULL,
        target TEXT NOT NULL,
        kind TEXT NOT NULL,
        comment_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        written_at TEXT NOT NULL,
        PRIMARY KEY (source, target, kind)
    );
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)
_COLUMNS = (
    "source, key, query, title, url, type, status, done, labels, field_refs, body, parent, "
    "points, team, author, updated"
)


@dataclass(frozen=True)
class Cursor:
    source: str
    query: str
    cursor: str
    synced_at: str


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


class Store:
    """One SQLite database; open with ``Store.open(path)`` as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[Store]:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path}: cannot open the store: {exc}") from None
        store = cls(connection, path)
        try:
            store._prepare()
            yield store
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path}: the store is unreadable ({exc}); move it aside and run "
                "'tieback sync --full'"
            ) from None
        finally:
            connection.close()

    def _prepare(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the store was written by a newer tieback (schema {version}, "
                f"this one reads up to {SCHEMA_VERSION}); upgrade tieback"
            )
        for number in range(version, SCHEMA_VERSION):
            # executescript commits on its own, so the script carries its transaction.
            self._db.executescript(
                f"BEGIN IMMEDIATE;{_MIGRATIONS[number]}PRAGMA user_version = {number + 1};COMMIT;"
            )

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: the items of a page and the cursor that follows them."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- items -----------------------------------------------------------------------

    def upsert_items(self, query: str, items: Iterable[Item]) -> int:
        rows = [_row(query, item) for item in items]
        with self.transaction():
            self._db.executemany(
                f"INSERT OR REPLACE INTO items ({_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def delete_items(self, source: str, keys: Iterable[str]) -> int:
        with self.transaction():
            cursor = self._db.executemany(
                "DELETE FROM items WHERE source = ? AND key = ?", ((source, k) for k in keys)
            )
        return cursor.rowcount

    def keys(self, source: str, query: str | None = None) -> set[str]:
        if query is None:
            rows = self._db.execute("SELECT key FROM items WHERE source = ?", (source,))
        else:
            rows = self._db.execute(
                "SELECT key FROM items WHERE source = ? AND query = ?", (source, query)
            )
        return {row[0] for row in rows}

    def items(self, source: str | None = None) -> Iterator[Item]:
        sql = f"SELECT {_COLUMNS} FROM items"
        rows = (
            self._db.execute(sql + " WHERE source = ?", (source,))
            if source
            else self._db.execute(sql)
        )
        for row in rows:
            yield _item(row)

    def count(self, source: str | None = None) -> int:
        if source:
            row = self._db.execute("SELECT count(*) FROM items WHERE source = ?", (source,))
        else:
            row = self._db.execute("SELECT count(*) FROM items")
        return int(row.fetchone()[0])

    # --- cursors ---------------------------------------------------------------------

    def cursor(self, source: str, query: str) -> Cursor | None:
        row = self._db.execute(
            "SELECT source, query, cursor, synced_at FROM cursors WHERE source = ? AND query = ?",
            (source, query),
        ).fetchone()
        return Cursor(*row) if row else None

    def set_cursor(self, source: str, query: str, cursor: str, synced_at: str) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO cursors (source, query, cursor, synced_at) "
                "VALUES (?, ?, ?, ?)",
                (source, query, cursor, synced_at),
            )

    # --- comments ----------------------------------------------------------------------

    def comment(self, source: str, target: str, kind: str) -> PostedComment | None:
        row = self._db.execute(
            "SELECT source, target, kind, comment_id, digest, written_at FROM comments "
            "WHERE source = ? AND target = ? AND kind = ?",
            (source, target, kind),
        ).fetchone()
        return PostedComment(*row) if row else None

    def commented(self, source: str, kind: str) -> set[str]:
        """Targets that already carry a comment of this kind."""
        rows = self._db.execute(
            "SELECT target FROM comments WHERE source = ? AND kind = ?", (source, kind)
        )
        return {row[0] for row in rows}

    def set_comment(self, comment: PostedComment) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO comments "
                "(source, target, kind, comment_id, digest, written_at) VALUES (?, ?, ?, ?, ?, ?)",
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

    def add_snapshot(self, taken_at: str, kind: str, data: dict[str, Any]) -> int:
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO snapshots (taken_at, kind, data) VALUES (?, ?, ?)",
                (taken_at, kind, json.dumps(data, separators=(",", ":"))),
            )
        return int(cursor.lastrowid or 0)

    def snapshots(self, kind: str | None = None, since: str | None = None) -> list[Snapshot]:
        sql = "SELECT id, taken_at, kind, data FROM snapshots WHERE 1 = 1"
        args: list[str] = []
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        if since:
            sql += " AND taken_at >= ?"
            args.append(since)
        rows = self._db.execute(sql + " ORDER BY id", args)
        return [Snapshot(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def latest_snapshot(self, kind: str | None = None) -> Snapshot | None:
        found = self.snapshots(kind)
        return found[-1] if found else None


def _row(query: str, item: Item) -> tuple[Any, ...]:
    return (
        item.source,
        item.key,
        query,
        item.title,
        item.url,
        item.type,
        item.status,
        int(item.done),
        SEP.join(item.labels),
        SEP.join(item.field_refs),
        item.body,
        item.parent,
        item.points,
        item.team,
        item.author,
        item.updated,
    )


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split(SEP)) if text else ()


def _item(row: tuple[Any, ...]) -> Item:
    return Item(
        source=row[0],
        key=row[1],
        title=row[3],
        url=row[4],
        type=row[5],
        status=row[6],
        done=bool(row[7]),
        labels=_split(row[8]),
        field_refs=_split(row[9]),
        body=row[10],
        parent=row[11],
        points=row[12],
        team=row[13],
        author=row[14],
        updated=row[15],
    )
