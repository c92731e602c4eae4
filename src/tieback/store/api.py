"""The store's API: ``Store``, which opens a store, runs its transactions and keeps its items.

One schema (``migrations``) serves SQLite and PostgreSQL (``engines``): the SQL
here and in ``records`` is the common ground of the two engines (``ON CONFLICT``,
``RETURNING``). An item's row is ``rows``' business; what the store keeps beside the
items (cursors, sync state, leases, comments, snapshots, readings), ``records``'.

Items and the cursor that covers them are written in transactions, so a sync
killed at any point and run again loses nothing and duplicates nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any

from tieback.model import Item, marker_lines
from tieback.store.engines import Engine, connect, store_error
from tieback.store.migrations import SEP, migrate
from tieback.store.records import Records
from tieback.store.rows import UPSERT_ITEM, remember, row_of, split_facets, split_joined

# The query under which items copied from [files] exports are kept.
FILES_QUERY = "files"
_BATCH = 2000  # descriptions read at a time when every one is looked at again
_KEYS_AT_ONCE = 500  # keys looked up in one statement (SQLite allows 32,766 values)
_UPSERT_BODY = (
    "INSERT INTO bodies (source, key, body) VALUES (?, ?, ?) "
    "ON CONFLICT (source, key) DO UPDATE SET body = excluded.body"
)
# The rows in a subquery: SQLite reads the whole table for ``IN (VALUES ...)`` and looks
# each key up for ``IN (SELECT ...)``.
_DELETE_BODIES = "DELETE FROM bodies WHERE (source, key) IN (SELECT * FROM (VALUES (?, ?)) AS gone)"


class Store(Records):
    """One database; open with ``Store.open(path_or_url)`` as a context manager.

    The items' methods are here; the records' (``cursor``, ``begin_sync``,
    ``take_lease``, ``set_comment``, ``add_snapshot``, ``add_reading`` ...) come from
    ``records.Records``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._depth = 0
        self.where = engine.where
        self._marker: str | None = None  # lower-cased; what the stored marks were found with
        self._marker_read = False

    @classmethod
    @contextmanager
    def open(cls, location: Path | str) -> Iterator[Store]:
        engine = connect(location)
        store = cls(engine)
        try:
            migrate(engine)
            yield store
        except Exception as exc:
            error = store_error(store.where, exc)
            if error is None:
                raise
            raise error from None
        finally:
            engine.close()

    @property
    def schema_version(self) -> int:
        return self._engine.get_version()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: the items of a page and the cursor that follows them."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._engine.execute("BEGIN")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._engine.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0
        self._engine.execute("COMMIT")

    # --- items -----------------------------------------------------------------------

    def upsert_items(self, query: str, items: Iterable[Item]) -> int:
        marker = self._marks_marker()
        rows: list[tuple[Any, ...]] = []
        bodies: list[tuple[str, str, str]] = []
        blank: list[tuple[str, str]] = []  # an empty description is no row in bodies
        for item in items:
            rows.append(row_of(query, item, marker))
            if item.body:
                bodies.append((item.source, item.key, item.body))
            else:
                blank.append((item.source, item.key))
        if rows:
            with self.transaction():
                self._engine.write_rows(UPSERT_ITEM, rows)
                if bodies:
                    self._engine.write_rows(_UPSERT_BODY, bodies)
                if blank:
                    self._engine.write_rows(_DELETE_BODIES, blank)
        return len(rows)

    def mark_with(self, marker: str) -> None:
        """Keep, beside each item, the lines of its description that hold ``marker``
        (as Python's lower case finds it): all an audit reads of a description, so a
        million long ones need not be read to find a marker in few of them.

        A sync calls this before it writes, and items written later get their marks
        as they are written. With a marker other than the store's, every stored
        description is read once more; until that is done, audits read the
        descriptions themselves.
        """
        lowered = marker.lower()
        if lowered == self._marks_marker():
            return
        engine = self._engine
        with self.transaction():
            engine.execute("DELETE FROM settings WHERE name = 'marker'")
            engine.execute("UPDATE items SET marks = '' WHERE marks <> ''")
            after: tuple[str, str, str] = ("", "", "")
            while True:
                rows = list(
                    engine.execute(
                        "SELECT items.source, items.query, items.key, bodies.body FROM items "
                        "JOIN bodies ON bodies.source = items.source AND bodies.key = items.key "
                        "WHERE (items.source, items.query, items.key) > (?, ?, ?) "
                        f"ORDER BY items.source, items.query, items.key LIMIT {_BATCH}",
                        after,
                    )
                )
                updates = [
                    (marks, source, query, key)
                    for source, query, key, body in rows
                    if (marks := marker_lines(body, lowered))
                ]
                engine.executemany(
                    "UPDATE items SET marks = ? WHERE source = ? AND query = ? AND key = ?",
                    updates,
                )
                if len(rows) < _BATCH:
                    break
                after = (rows[-1][0], rows[-1][1], rows[-1][2])
            engine.execute("INSERT INTO settings (name, value) VALUES ('marker', ?)", (lowered,))
        self._marker = lowered

    def _marks_marker(self) -> str | None:
        """The (lower-cased) marker every stored item's marks were found with, if any."""
        if not self._marker_read:
            row = self._engine.execute("SELECT value FROM settings WHERE name = 'marker'")
            found = row.fetchone()
            self._marker = found[0] if found else None
            self._marker_read = True
        return self._marker

    def set_labels(
        self, source: str, labels: Mapping[str, Sequence[str]], queries: Iterable[str]
    ) -> int:
        """Give the items ``queries`` stored the labels a tracker now holds; keys not
        stored are left out. The rest of each item stays as it is; another
        configuration's copy of an item learns its labels at its own next sync."""
        rows = [
            (SEP.join(names), source, query, key)
            for query in dict.fromkeys(queries)
            for key, names in labels.items()
        ]
        if not rows:
            return 0
        with self.transaction():
            return self._engine.executemany(
                "UPDATE items SET labels = ? WHERE source = ? AND query = ? AND key = ?", rows
            )

    def set_field_refs(self, source: str, query: str, refs: Mapping[str, Sequence[str]]) -> int:
        """Give every item ``query`` stored the field refs ``refs`` holds for its
        lower-cased key (none when absent); only the items whose refs change are written.
        How many were."""
        rows = self._engine.execute(
            "SELECT key, field_refs FROM items WHERE source = ? AND query = ?", (source, query)
        )
        changed = [
            (wanted, source, query, key)
            for key, joined in rows
            if (wanted := SEP.join(refs.get(key.lower(), ()))) != joined
        ]
        if changed:
            with self.transaction():
                self._engine.executemany(
                    "UPDATE items SET field_refs = ? WHERE source = ? AND query = ? AND key = ?",
                    changed,
                )
        return len(changed)

    def delete_items(self, source: str, query: str, keys: Iterable[str]) -> int:
        """Remove the items ``query`` stored under ``keys``; another query's items with
        the same keys stay, and so do their descriptions."""
        wanted = list(keys)
        if not wanted:
            return 0
        with self.transaction():
            removed = self._engine.executemany(
                "DELETE FROM items WHERE source = ? AND query = ? AND key = ?",
                [(source, query, key) for key in wanted],
            )
            kept: set[str] = set()
            for other in self.queries(source):
                for start in range(0, len(wanted), _BATCH):
                    batch = wanted[start : start + _BATCH]
                    kept.update(
                        row[0]
                        for row in self._engine.execute(
                            "SELECT key FROM items WHERE source = ? AND query = ? AND key IN "
                            f"({', '.join('?' * len(batch))})",
                            (source, other, *batch),
                        )
                    )
            self._engine.write_rows(
                _DELETE_BODIES, [(source, key) for key in wanted if key not in kept]
            )
        return removed

    def queries(self, source: str) -> list[str]:
        """The queries that hold items of ``source``, each found by one seek of the
        items' key (source, query, key), so a million items are not read to list two."""
        found: list[str] = []
        after = None
        while True:
            row = self._engine.execute(
                "SELECT query FROM items WHERE source = ?"
                + (" AND query > ?" if after is not None else "")
                + " ORDER BY query LIMIT 1",
                (source,) if after is None else (source, after),
            ).fetchone()
            if row is None:
                return found
            after = row[0]
            found.append(after)

    def keys(
        self, source: str, query: str | None = None, *, besides: str | None = None
    ) -> set[str]:
        """The keys of a source's items: all of them, those synced by ``query``, or
        those synced by any query ``besides`` one, in one read of the store."""
        where, args = _scope(source, query, besides)
        return {row[0] for row in self._engine.execute(f"SELECT key FROM items{where}", args)}

    def known_keys(self, source: str, query: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` ``query`` has stored, each found by the table's key."""
        found: set[str] = set()
        for start in range(0, len(keys), _KEYS_AT_ONCE):
            chunk = keys[start : start + _KEYS_AT_ONCE]
            marks = ", ".join("?" * len(chunk))
            rows = self._engine.execute(
                f"SELECT key FROM items WHERE source = ? AND query = ? AND key IN ({marks})",
                (source, query, *chunk),
            )
            found.update(row[0] for row in rows)
        return found

    def key_counts(self, source: str, query: str, separator: str | None = None) -> dict[str, int]:
        """How many keys ``query`` synced, by group, counted by the store without reading
        them out: the lower-cased part of each key before ``separator`` (as
        ``sources.interface.group_of`` has it), or all under "" when ``separator`` is
        None. A group with no keys is absent."""
        count = self.count(source, query)
        if not count:
            return {}
        if separator is None:
            return {"": count}
        # Usually every key is in one group (one repository). The keys between the first
        # and the last in byte order then all begin as both do, so the count and the two
        # ends (found in the key's order, SQLite's table order) settle it; grouping (a
        # sort) is left for the rest.
        where, scope = _scope(source, query)
        first, last = (
            self._engine.execute(
                f"SELECT key FROM items{where} ORDER BY key{self._engine.binary} {order} LIMIT 1",
                scope,
            ).fetchone()[0]
            for order in ("ASC", "DESC")
        )
        head, found, _ = first.partition(separator)
        if found and last.startswith(head + separator):
            return {head.lower(): count}
        rows = self._engine.execute(
            f"SELECT substr(key, 1, {self._engine.find}(key, ?)) AS grp, count(*) "
            f"FROM items{where} GROUP BY grp",
            (separator, *scope),
        )
        counts: dict[str, int] = {}
        for prefix, number in rows:  # up to the separator's first character; "" without it
            group = prefix[:-1].lower()
            counts[group] = counts.get(group, 0) + int(number)
        return counts

    def items(
        self,
        source: str | None = None,
        body_marker: str | None = None,
        stamped: bool = True,
        scopes: Iterable[tuple[str, str]] | None = None,
    ) -> Iterator[Item]:
        """Every stored item, those of one source, or those of the (source, query) pairs
        in ``scopes``, one after the other (each in key order on SQLite). A key that
        two queries hold comes once from each.

        An audit reads a body only for its marker lines, never reads ``updated`` (a
        sync's business) and reads only the day of ``done_at``. With ``body_marker``, an
        item's body is its lines that hold the marker (case-insensitively), empty
        without one; with ``stamped`` off, ``updated`` is empty and ``done_at`` is its
        first ten characters (the day, ``YYYY-MM-DD``, as the tracker gave it), one
        string shared by the items done that day. A million items then need not hold a
        million descriptions to find no marker in most, nor a million timestamps; when
        the store keeps marks for this marker (see ``mark_with``), the descriptions are
        not read at all.
        """
        marker = body_marker.lower() if body_marker else None
        body = "coalesce(bodies.body, '')"
        tables = "items LEFT JOIN bodies ON bodies.source = items.source AND bodies.key = items.key"
        if marker is not None and marker == self._marks_marker():
            body = "items.marks"
            tables = "items"
            marker = None  # the marks hold the marker, or are empty
        updated = "items.updated" if stamped else "''"
        sql = (
            "SELECT items.source, items.key, items.title, items.url, items.facets, items.done, "
            f"items.labels, items.field_refs, {body}, items.parent, items.points, {updated}, "
            f"items.done_at FROM {tables}"
        )
        rows: Iterable[Any]
        if scopes is not None:
            where = " WHERE items.source = ? AND items.query = ?"
            rows = chain.from_iterable(self._engine.execute(sql + where, s) for s in scopes)
        elif source:
            rows = self._engine.execute(sql + " WHERE items.source = ?", (source,))
        else:
            rows = self._engine.execute(sql)
        # This loop runs once per stored item on every audit, so it stays flat: each row
        # becomes an Item with no lookups but those below. Sources and parent keys
        # repeat across a backlog: interned, a million items share a few hundred strings
        # instead of holding millions. Label sets and facets (type, status, team and
        # author together) repeat too, so each distinct value is split once and its
        # tuple shared (tuples are immutable; sharing cannot leak a change).
        new = tuple.__new__
        intern = sys.intern
        split: dict[str, tuple[str, ...]] = {"": ()}
        facets_of: dict[str, tuple[str, ...]] = {}
        estimates: dict[float, float] = {}  # story points repeat too (1, 2, 3, 5, 8 ...)
        # Days repeat too: a lean read keeps the day of each done date, cut here (SQL's
        # substr costs twice as much a row), and shares it. Whole timestamps rarely
        # repeat: a full read keeps them as they are.
        days: dict[str, str] = {}
        lean = not stamped
        for (
            source_,
            key,
            title,
            url,
            facets,
            done,
            labels,
            field_refs,
            body,
            parent,
            points,
            updated,
            done_at,
        ) in rows:
            label_set = split.get(labels)
            if label_set is None:
                label_set = split_joined(split, labels)
            ref_set = split.get(field_refs)
            if ref_set is None:
                ref_set = split_joined(split, field_refs)
            named = facets_of.get(facets)
            if named is None:
                named = split_facets(facets_of, facets)
            type_, status, team, author = named
            if marker is not None and body and marker not in body.lower():
                body = ""
            # Equal non-zero floats have the same bits, so sharing one changes no value
            # (zero is left alone, as 0.0 == -0.0; a NaN equals nothing, not even one
            # already remembered, so it stays its own).
            if points:
                points = estimates.get(points) or remember(estimates, points)
            if done_at and lean:
                day = done_at[:10]
                done_at = days.get(day) or remember(days, day)
            yield new(
                Item,
                (
                    intern(source_),
                    key,
                    title,
                    url,
                    type_,
                    status,
                    done != 0,
                    label_set,
                    ref_set,
                    body,
                    parent and intern(parent),
                    points,
                    team,
                    author,
                    updated,
                    done_at,
                ),
            )

    def count(
        self, source: str | None = None, query: str | None = None, *, besides: str | None = None
    ) -> int:
        """How many items are stored: all, a source's, or a source's synced by ``query``
        or by any query ``besides`` one."""
        where, args = _scope(source, query, besides) if source else ("", ())
        return int(self._engine.execute(f"SELECT count(*) FROM items{where}", args).fetchone()[0])


def _scope(
    source: str, query: str | None = None, besides: str | None = None
) -> tuple[str, tuple[str, ...]]:
    """A WHERE clause for a source's items: all of them, those synced by ``query``, or
    those synced by any query ``besides`` one; with its arguments."""
    if query is not None:
        return " WHERE source = ? AND query = ?", (source, query)
    if besides is not None:
        return " WHERE source = ? AND query <> ?", (source, besides)
    return " WHERE source = ?", (source,)
