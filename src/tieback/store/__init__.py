"""The store: synced items, sync cursors and state, leases, comments, snapshots, readings.

``api`` is what the rest of tieback calls (``records`` its bookkeeping beside the
items, ``rows`` an item's row), ``engines`` what differs between SQLite and
PostgreSQL, ``migrations`` the schema's history; the names others import are here.
"""

from __future__ import annotations

from tieback.errors import StoreError
from tieback.store.api import FILES_QUERY, Store
from tieback.store.engines import BUSY_TIMEOUT, is_url, safe_location
from tieback.store.migrations import _MIGRATIONS as _MIGRATIONS
from tieback.store.migrations import SCHEMA_VERSION, SEP
from tieback.store.records import Cursor, PostedComment, Snapshot, SyncState

__all__ = [
    "BUSY_TIMEOUT",
    "FILES_QUERY",
    "SCHEMA_VERSION",
    "SEP",
    "Cursor",
    "PostedComment",
    "Snapshot",
    "Store",
    "StoreError",
    "SyncState",
    "is_url",
    "safe_location",
]
