"""The store's engines: what differs between SQLite and PostgreSQL, and nothing else.

SQLite by default (``[store] path``); PostgreSQL when ``[store] url`` is set, so
history survives ephemeral CI runners and several repositories report into one
place. An engine runs the store's SQL, keeps the schema's version, gives back the
space a migration freed and names the store in messages without its password.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from tieback.errors import StoreError

# Seconds a SQLite store busy with another run's write is waited for before giving up.
BUSY_TIMEOUT = 60.0


class Rows(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class Engine:
    """The SQLite engine, and the shape of every engine: runs the store's SQL as
    written and keeps the schema's version in ``user_version``; the attributes below
    fill the schema's per-engine blanks."""

    name = "sqlite"
    rowid = " WITHOUT ROWID"
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
    find = "instr"  # the position of a text in another, from 1; 0 when absent
    binary = ""  # compares text byte by byte (SQLite's default for a column)

    def __init__(self, connection: Any, where: str) -> None:
        self.connection = connection
        self.where = where  # how messages name the store; never a password

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Rows:
        rows: Rows = self.connection.execute(sql, args)
        return rows

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        cursor = self.connection.executemany(sql, rows)
        return int(cursor.rowcount)

    def write_rows(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run ``sql`` for each of ``rows``: a statement with one ``VALUES (?, ...)``
        group, which SQLite is given repeated, ``ROWS_AT_ONCE`` rows a statement.

        SQLite lets go of the interpreter lock while it runs a statement, and taking it
        back waits for any other thread that holds it: a sync's thread decoding the next
        page holds it for 15 ms at a time. One statement a row (``executemany``) waits
        that often: 10,000 rows took 29 s beside a thread decoding pages, 0.1 s alone.
        A statement of 1,000 rows waits once for them all (0.66 s beside it).
        """
        head, group, tail = _values_group(sql)
        width = group.count("?")
        most = max(1, min(ROWS_AT_ONCE, self._variables() // width))
        for start in range(0, len(rows), most):
            chunk = rows[start : start + most]
            self.connection.execute(
                _repeated(head, group, tail, len(chunk)),
                [value for row in chunk for value in row],
            )

    def _variables(self) -> int:
        """The most ``?`` one statement may hold (32,766 since SQLite 3.32, 999 before)."""
        limit: int = self.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return limit

    def script(self, sql: str) -> None:
        self.connection.executescript(sql)

    def get_version(self) -> int:
        return int(self.execute("PRAGMA user_version").fetchone()[0])

    def version_sql(self, number: int) -> str:
        return f"PRAGMA user_version = {number};"

    def reclaim(self) -> None:
        """Give the disk back the pages a migration freed, when they are many (an eighth
        of the file: the old items table of version 5 is a sixth of a million-item
        store): SQLite keeps them in the file for later rows otherwise."""
        [free] = self.execute("PRAGMA freelist_count").fetchone()
        [pages] = self.execute("PRAGMA page_count").fetchone()
        if free * 8 > pages:
            self.execute("VACUUM")

    def close(self) -> None:
        self.connection.close()


class Postgres(Engine):
    """A PostgreSQL store: runs the same SQL with its own placeholders, keeps the
    schema's version in a table (``tieback_schema``)."""

    name = "postgresql"
    rowid = ""
    serial = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    find = "strpos"
    binary = ' COLLATE "C"'  # not the database's language-aware collation

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Rows:
        rows: Rows = self.connection.execute(sql.replace("?", "%s"), args)
        return rows

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        with self.connection.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), list(rows))
            return int(cursor.rowcount)

    def write_rows(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """PostgreSQL runs a statement a row, sent together (psycopg's ``executemany``)."""
        self.executemany(sql, rows)

    def script(self, sql: str) -> None:
        self.connection.execute(sql)

    def get_version(self) -> int:
        self.execute("CREATE TABLE IF NOT EXISTS tieback_schema (version INTEGER NOT NULL)")
        row = self.execute("SELECT max(version) FROM tieback_schema").fetchone()
        return int(row[0] or 0)

    def version_sql(self, number: int) -> str:
        return f"INSERT INTO tieback_schema (version) VALUES ({number});"

    def reclaim(self) -> None:
        """PostgreSQL's autovacuum reuses the space."""


ROWS_AT_ONCE = 1000  # rows in one statement of ``Engine.write_rows``
_VALUES = re.compile(r"VALUES (\((?:\?, )*\?\))")


def _values_group(sql: str) -> tuple[str, str, str]:
    """``sql`` around its one ``VALUES (?, ...)`` group: before, the group, after."""
    found = list(_VALUES.finditer(sql))
    if len(found) != 1:
        raise ValueError(f"not one VALUES (?, ...) group: {sql}")
    match = found[0]
    return sql[: match.start(1)], match.group(1), sql[match.end(1) :]


@functools.lru_cache(maxsize=64)
def _repeated(head: str, group: str, tail: str, times: int) -> str:
    return head + ", ".join([group] * times) + tail


def is_url(location: str | Path) -> bool:
    return isinstance(location, str) and bool(re.match(r"postgres(ql)?://", location))


def safe_location(location: str | Path) -> str:
    """The store's name for messages: a URL loses its password and query string."""
    if not is_url(location):
        return str(location)
    from tieback.http import redact_url

    return redact_url(str(location))


def connect(location: Path | str) -> Engine:
    where = safe_location(location)
    if is_url(location):
        try:
            import psycopg
        except ImportError:
            raise StoreError(
                f"{where}: a PostgreSQL store needs psycopg: pip install 'tieback[postgres]'"
            ) from None
        try:
            server = psycopg.connect(str(location), autocommit=True, connect_timeout=15)
        except psycopg.Error as exc:
            raise StoreError(f"{where}: cannot connect: {_first_line(exc)}") from None
        return Postgres(server, where)
    path = Path(location)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A sync counts the store's rows in a thread of its own while its first requests
        # wait on the network (``tieback.sync``); it waits for that count to end before
        # using the store again, so the connection is never used by two threads at once.
        connection = sqlite3.connect(
            path, isolation_level=None, timeout=BUSY_TIMEOUT, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.DatabaseError as exc:
        raise _database_error(where, exc) from None
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"{where}: cannot open the store: {exc}") from None
    return Engine(connection, where)


def store_error(where: str, exc: Exception) -> StoreError | None:
    """The one line to say for an error either engine raised; None for any other."""
    if isinstance(exc, sqlite3.DatabaseError):
        return _database_error(where, exc)
    if type(exc).__module__.startswith("psycopg"):
        return StoreError(f"{where}: {_first_line(exc)}")
    return None


def _database_error(where: str, exc: sqlite3.DatabaseError) -> StoreError:
    """A SQLite error as one line. A store another run holds is busy, not broken: it
    is waited for (``BUSY_TIMEOUT``), then said so, and never advised to be moved
    aside, which would throw away its history and the record of posted comments."""
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return StoreError(
            f"{where}: another tieback run is writing to the store and still held it after "
            f"{BUSY_TIMEOUT:g} s; try again once it ends (nothing was lost)"
        )
    return StoreError(
        f"{where}: the store is unreadable ({text}); move it aside and run 'tieback sync --full'"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
