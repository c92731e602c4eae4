"""The store's schema: its history, one migration a version, and bringing a store up to date.

One schema serves both engines: the SQL is their common ground, with the blanks each
fills its own way (``engines.Engine``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from tieback.errors import StoreError
from tieback.store.engines import Engine

SEP = "\x1f"  # joins labels and refs in one column; never part of a label

# {rowid} and {serial} are filled per engine; everything else is common SQL. A
# migration that only one engine needs is a mapping from the engine's name to its SQL.
_MIGRATIONS: tuple[str | Mapping[str, str], ...] = (
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
        points DOUBLE PRECISION,
        team TEXT NOT NULL,
        author TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (source, key)
    ){rowid};
    CREATE INDEX items_by_query ON items (source, query);
    CREATE TABLE cursors (
        source TEXT NOT NULL,
        query TEXT NOT NULL,
        cursor TEXT NOT NULL,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (source, query)
    );
    CREATE TABLE snapshots (
        id {serial},
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
    # 3: no index on (source, query): keeping it up cost a third of every sync's writes,
    # and its one reader (the keys a query synced) scans the source's rows as fast
    "DROP INDEX IF EXISTS items_by_query;",
    # 4: descriptions in a table of their own, and each one's marker lines (``marks``)
    # beside the item. An audit reads the marks, never a description; counting or
    # listing a query's keys reads narrow rows. Marks are found with the marker in
    # ``settings``; items copied from version 3 have none until a sync sets one
    # (``Store.mark_with``), and audits read their descriptions until then.
    """
    CREATE TABLE items_next (
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
        marks TEXT NOT NULL,
        parent TEXT,
        points DOUBLE PRECISION,
        team TEXT NOT NULL,
        author TEXT NOT NULL,
        updated TEXT NOT NULL,
        PRIMARY KEY (source, key)
    ){rowid};
    INSERT INTO items_next (
        source, key, query, title, url, type, status, done, labels, field_refs, marks,
        parent, points, team, author, updated
    )
    SELECT source, key, query, title, url, type, status, done, labels, field_refs, '',
        parent, points, team, author, updated
    FROM items;
    CREATE TABLE bodies (
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (source, key)
    ){rowid};
    INSERT INTO bodies (source, key, body) SELECT source, key, body FROM items WHERE body <> '';
    DROP TABLE items;
    ALTER TABLE items_next RENAME TO items;
    CREATE TABLE settings (
        name TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 5: on SQLite, descriptions in a table with row ids. Without them, a table's rows
    # live in its key's B-tree, whose pages hold rows of a few hundred bytes badly: 69 MB
    # of descriptions took 132 MB of pages, against 85 MB with the key's own index, and
    # writing them took a third to a half longer. PostgreSQL's tables always have their own heap.
    {
        "sqlite": """
    CREATE TABLE bodies_next (
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (source, key)
    );
    INSERT INTO bodies_next (source, key, body)
    SELECT source, key, body FROM bodies ORDER BY source, key;
    DROP TABLE bodies;
    ALTER TABLE bodies_next RENAME TO bodies;
    """,
        "postgresql": "",
    },
    # 6: an item's type, status, team and author in one column (``facets``), joined by
    # the separator of labels. A backlog repeats a few hundred combinations of them, and
    # an audit builds one string a row and splits each combination once, where it
    # built four strings a row: 0.3 to 0.6 s less of a million-item audit's read.
    """
    CREATE TABLE items_next (
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        query TEXT NOT NULL,
        title TEXT NOT NULL,
        url TEXT NOT NULL,
        facets TEXT NOT NULL,
        done INTEGER NOT NULL,
        labels TEXT NOT NULL,
        field_refs TEXT NOT NULL,
        marks TEXT NOT NULL,
        parent TEXT,
        points DOUBLE PRECISION,
        updated TEXT NOT NULL,
        PRIMARY KEY (source, key)
    ){rowid};
    INSERT INTO items_next (
        source, key, query, title, url, facets, done, labels, field_refs, marks, parent,
        points, updated
    )
    SELECT source, key, query, title, url,
        type || '{sep}' || status || '{sep}' || team || '{sep}' || author,
        done, labels, field_refs, marks, parent, points, updated
    FROM items;
    DROP TABLE items;
    ALTER TABLE items_next RENAME TO items;
    """,
    # 7: one store, several configurations. An item is kept per query that synced it
    # (the key's second column), so one configuration's full sync removes only its own
    # items and never overwrites another's; descriptions stay one per issue. ``syncs``
    # says whether each query's last sync completed (a cursor only says when one did);
    # ``leases`` lets one post-back at a time write to a tracker; a snapshot names the
    # configuration whose audit took it (empty for those taken before).
    """
    CREATE TABLE items_next (
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        query TEXT NOT NULL,
        title TEXT NOT NULL,
        url TEXT NOT NULL,
        facets TEXT NOT NULL,
        done INTEGER NOT NULL,
        labels TEXT NOT NULL,
        field_refs TEXT NOT NULL,
        marks TEXT NOT NULL,
        parent TEXT,
        points DOUBLE PRECISION,
        updated TEXT NOT NULL,
        PRIMARY KEY (source, query, key)
    ){rowid};
    INSERT INTO items_next (
        source, key, query, title, url, facets, done, labels, field_refs, marks, parent,
        points, updated
    )
    SELECT source, key, query, title, url, facets, done, labels, field_refs, marks, parent,
        points, updated
    FROM items;
    DROP TABLE items;
    ALTER TABLE items_next RENAME TO items;
    CREATE TABLE syncs (
        source TEXT NOT NULL,
        query TEXT NOT NULL,
        state TEXT NOT NULL,
        started_at TEXT NOT NULL,
        completed_at TEXT NOT NULL,
        error TEXT NOT NULL,
        PRIMARY KEY (source, query)
    );
    INSERT INTO syncs (source, query, state, started_at, completed_at, error)
    SELECT source, query, 'complete', synced_at, synced_at, '' FROM cursors;
    CREATE TABLE leases (
        name TEXT NOT NULL PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    );
    ALTER TABLE snapshots ADD COLUMN scope TEXT NOT NULL DEFAULT '';
    """,
    # 8: metric readings, and the date each item was done
    # One reading an outcome's (or impact's) id a day (an ISO date); ``tieback metric
    # record`` on a day already recorded replaces it. ``done_at`` is empty until a sync
    # writes it: a column added with a constant default rewrites no row on either engine.
    """
    CREATE TABLE readings (
        id TEXT NOT NULL,
        date TEXT NOT NULL,
        value DOUBLE PRECISION NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (id, date)
    );
    ALTER TABLE items ADD COLUMN done_at TEXT NOT NULL DEFAULT '';
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


def migrate(engine: Engine) -> None:
    """Bring the store up to ``SCHEMA_VERSION``, one version at a time; refuse a store
    a newer tieback wrote."""
    version = engine.get_version()
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{engine.where}: the store was written by a newer tieback (schema {version}, "
            f"this one reads up to {SCHEMA_VERSION}); upgrade tieback"
        )
    updating = 0 < version < SCHEMA_VERSION
    if updating:
        # A big store takes a while (a million items: up to 45 s a version): say why.
        print(
            f"tieback: {engine.where}: updating the store from schema {version} to "
            f"{SCHEMA_VERSION}, once",
            file=sys.stderr,
            flush=True,
        )
    for number in range(version, SCHEMA_VERSION):
        migration = _MIGRATIONS[number]
        sql = migration if isinstance(migration, str) else migration[engine.name]
        ddl = sql.format(rowid=engine.rowid, serial=engine.serial, sep=SEP)
        # One script a migration, transaction included: DDL and the new version
        # land together or not at all (SQLite's executescript commits on its own).
        engine.script(f"BEGIN;{ddl}{engine.version_sql(number + 1)}COMMIT;")
    if updating:
        engine.reclaim()
