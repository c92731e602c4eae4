"""An item as a row of the store's ``items`` table, and a row's joined columns read back."""

from __future__ import annotations

import sys
from typing import Any, TypeVar

from tieback.model import Item, marker_lines
from tieback.store.migrations import SEP

MEMORY = 1 << 16  # distinct label sets (point values, days) remembered while reading items
_COLUMNS = (
    "source, key, query, title, url, facets, done, labels, field_refs, marks, parent, "
    "points, updated, done_at"
)
_Shared = TypeVar("_Shared", float, str)  # a value read items share rather than copy
# Writes ``row_of``'s row, whole: an item synced again replaces what its query held.
UPSERT_ITEM = (
    f"INSERT INTO items ({_COLUMNS}) VALUES ({', '.join('?' * len(_COLUMNS.split(', ')))}) "
    "ON CONFLICT (source, query, key) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.split(", ")[3:])
)


def row_of(query: str, item: Item, marker: str | None) -> tuple[Any, ...]:
    """``item`` as ``UPSERT_ITEM`` writes it for ``query``, its marks found with the
    (lower-cased) ``marker``; none without one."""
    names = (item.type, item.status, item.team, item.author)  # facets, in this order
    facets = SEP.join(names)
    if facets.count(SEP) != 3:  # a separator inside a name would move the others
        facets = SEP.join(name.replace(SEP, " ") for name in names)
    return (
        item.source,
        item.key,
        query,
        item.title,
        item.url,
        facets,
        int(item.done),
        SEP.join(item.labels),
        SEP.join(item.field_refs),
        marker_lines(item.body, marker) if marker else "",
        item.parent,
        item.points,
        item.updated,
        item.done_at,
    )


def split_joined(known: dict[str, tuple[str, ...]], joined: str) -> tuple[str, ...]:
    """The labels (or refs) of one column value, remembered for the rows that repeat it;
    past a bound, new values are split but not kept, so unique values cannot pile up."""
    values = tuple(joined.split(SEP))
    if len(known) < MEMORY:
        known[joined] = values
    return values


def split_facets(known: dict[str, tuple[str, ...]], joined: str) -> tuple[str, ...]:
    """The type, status, team and author of one ``facets`` value, interned, remembered
    as ``split_joined`` remembers label sets."""
    values = tuple(sys.intern(value) for value in joined.split(SEP))
    if len(values) > 4:  # a name copied from version 5 held a separator
        values = (*values[:3], sys.intern(SEP.join(values[3:])))  # the rest is the last
    if len(known) < MEMORY:
        known[joined] = values
    return values


def remember(known: dict[_Shared, _Shared], value: _Shared) -> _Shared:
    """``value``, kept in ``known`` while it has room, for the rows that repeat it to share."""
    if len(known) < MEMORY:
        known[value] = value
    return value
