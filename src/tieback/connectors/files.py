"""Read work items from export files in the trackers' own formats, recognised by content.

This module only tells what shape a file has (JSON: an object, an array of objects or
an array of pages; else CSV) and hands it to the connectors' export readers in turn
(``ExportReader``), the first one that knows the shape reading it. The built-in readers
take Jira search responses, bare ``issues`` arrays and CSV exports
(``connectors.jira.exports``) and GitHub issues arrays and ``/search/issues`` answers,
alone or slurped, and GitHub project items (``connectors.github.exports``).

An export may only tag items (``TagsOnly``: a GitHub project's field values): its refs
are added to the item of the same key another file holds, and it stands as the item
only where no file does (``audit.read_items`` does the same with the store's items).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from math import inf
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tieback.config import TOO_DEEP, Config
from tieback.connectors.source import Source
from tieback.errors import SourceError
from tieback.jsonio import loads
from tieback.model import Item, TagsOnly

if TYPE_CHECKING:
    from tieback.connectors.interface import Connector, ExportReader

# Descriptions longer than csv's default 128 KiB field limit do occur in real exports.
_CSV_FIELD_LIMIT = 64 * 1024 * 1024


def unrecognised(connectors: Sequence[Connector[Any]]) -> str:
    """What the connectors' readers take, said of a file none of them knows."""
    shapes = [shape for connector in connectors for shape in connector.export_shapes]
    keys = [key for connector in connectors for key in connector.export_keys]
    expected = [
        *([f"a JSON object with {' or '.join(keys)}"] if keys else []),
        "a JSON array of issues or of pages",
        *(connector.export_csv for connector in connectors if connector.export_csv),
    ]
    said = ", ".join(shapes[:-1]) + f" or {shapes[-1]}" if len(shapes) > 1 else "".join(shapes)
    listed = ", ".join(expected[:-1]) + f", or {expected[-1]}" if len(expected) > 1 else expected[0]
    return f"not {said} (expected {listed})"


def _builtin_unrecognised() -> str:
    from tieback.connectors.registry import BUILTIN_CONNECTORS, connector

    return unrecognised([connector(name) for name in BUILTIN_CONNECTORS])


UNRECOGNISED = _builtin_unrecognised()


class FilesSource(Source):
    """Every item of the files in ``[files] paths``; a key seen again keeps the last one,
    with the refs of every ``TagsOnly`` entry of that key."""

    name = "files"

    def __init__(self, config: Config) -> None:
        super().__init__()
        self._config = config
        # Messages name each file as the user wrote it in the configuration.
        self._paths = list(zip(config.settings.files.paths, config.file_paths, strict=True))

    @cached_property
    def _connectors(self) -> list[Connector[Any]]:
        from tieback.connectors.registry import connectors

        return [connector for connector in connectors(self._config) if connector.reads_exports]

    @cached_property
    def _readers(self) -> list[ExportReader]:
        """Each connector's reader, in the registry's order: the first to know a shape
        reads it. Loaded when a file is read, and only the export readers."""
        from tieback.connectors.interface import Context

        readers = []
        for connector in self._connectors:
            reader = connector.export_reader(Context.of(self._config, connector.name))
            if reader is not None:
                readers.append(reader)
        return readers

    @cached_property
    def _unrecognised(self) -> str:
        return unrecognised(self._connectors)

    def items(self) -> Iterator[Item]:
        self.warnings = []
        for reader in self._readers:
            reader.warnings = self.warnings  # one list: the report's, in the order found
        kept: dict[str, Item] = {}
        tags: dict[str, TagsOnly] = {}  # by key: the refs of every entry, the last entry
        origin: dict[str, int] = {}
        repeats: Counter[tuple[int, int]] = Counter()
        example: dict[tuple[int, int], str] = {}
        for index, (shown, path) in enumerate(self._paths):
            not_finite: list[str] = []
            for item in self._read(str(shown), path):
                points = item.points
                # "inf", "nan" or 1e999 would make every total and coverage NaN, and a
                # negative number is no estimate either.
                if points is not None and not 0 <= points < inf:
                    item = item._replace(points=None)
                    not_finite.append(item.key)
                if type(item) is TagsOnly:
                    before = tags.get(item.key)
                    if before is not None:
                        item = item._replace(field_refs=before.field_refs + item.field_refs)
                    tags[item.key] = item
                    continue
                earlier = origin.get(item.key)
                if earlier is not None:
                    repeats[earlier, index] += 1
                    example.setdefault((earlier, index), item.key)
                kept[item.key] = item
                origin[item.key] = index
            if not_finite:
                self.warnings.append(_not_finite_warning(str(shown), not_finite))
        for (earlier, later), count in repeats.items():
            self.warnings.append(
                self._repeat_warning(earlier, later, count, example[earlier, later])
            )
        for key, entry in tags.items():
            found = kept.get(key)
            if found is not None:
                kept[key] = found._replace(field_refs=found.field_refs + entry.field_refs)
        yield from kept.values()
        yield from (entry for key, entry in tags.items() if key not in kept)

    def _repeat_warning(self, earlier: int, later: int, count: int, key: str) -> str:
        first, last = str(self._paths[earlier][0]), str(self._paths[later][0])
        items = "item appears" if count == 1 else "items appear"
        if earlier == later:
            return f"{last}: {count} {items} more than once (e.g. {key}); kept the last"
        return f"{count} {items} in both {first} and {last} (e.g. {key}); kept those from {last}"

    def _read(self, shown: str, path: Path) -> Iterator[Item]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                first = _first_character(handle)
                if not first:
                    raise SourceError(f"{shown}: empty file; {self._unrecognised}")
                handle.seek(0)
                if first in "{[":
                    yield from self._json(shown, _load_json(shown, handle))
                else:
                    yield from self._csv(shown, handle)
        except FileNotFoundError:
            raise SourceError(f"{shown}: file not found (check [files] paths)") from None
        except UnicodeDecodeError:
            raise SourceError(f"{shown}: not UTF-8 text; {self._unrecognised}") from None
        except OSError as exc:
            raise SourceError(f"{shown}: cannot read: {exc.strerror or exc}") from None

    # --- JSON: a search answer, an array of them, or an array of issues ---------------

    def _json(self, shown: str, document: object) -> Iterator[Item]:
        if isinstance(document, list):
            if not document:
                return iter(())
            head = document[0]
            if isinstance(head, list):
                return self._slurped(shown, document)
            if isinstance(head, dict):
                for reader in self._readers:
                    found = reader.search(shown, document)
                    if found is not None:
                        return found
                entries = [(f"[{position}]", raw) for position, raw in enumerate(document)]
                for reader in self._readers:
                    found = reader.issues(shown, entries)
                    if found is not None:
                        return found
        elif isinstance(document, dict):
            for reader in self._readers:
                found = reader.search(shown, document)
                if found is not None:
                    return found
        raise SourceError(f"{shown}: {self._explain(document)}")

    def _slurped(self, shown: str, pages: list[Any]) -> Iterator[Item]:
        """``gh api --paginate --slurp``: an array of pages, each an array of issues."""
        entries: list[tuple[str, object]] = []
        for number, page in enumerate(pages):
            if not isinstance(page, list):
                raise SourceError(f"{shown}: [{number}] is not a page of issues (a JSON array)")
            entries.extend((f"[{number}][{position}]", raw) for position, raw in enumerate(page))
        if not entries:
            return iter(())
        for reader in self._readers:
            found = reader.issues(shown, entries)
            if found is not None:
                return found
        raise SourceError(f"{shown}: {self._explain(pages)}")

    # --- CSV: the first reader whose export has this header -----------------------------

    def _csv(self, shown: str, handle: TextIO) -> Iterator[Item]:
        csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
        rows = csv.reader(handle)
        try:
            header = next(rows, [])
            reader = self._csv_reader(header)
            if reader is None:
                raise SourceError(f"{shown}: {self._unrecognised}")
            found = reader.csv(shown, header, rows)
            items = found if isinstance(found, list) else list(found)
        except csv.Error as exc:
            raise SourceError(
                f"{shown}: not a readable CSV file: {exc} (line {rows.line_num})"
            ) from None
        yield from items

    def _csv_reader(self, header: list[str]) -> ExportReader | None:
        """The reader whose export has this header, else the first that reads CSV (it
        says what the file lacks)."""
        for reader in self._readers:
            if reader.reads_csv(header):
                return reader
        for connector, reader in zip(self._connectors, self._readers, strict=False):
            if connector.export_csv:
                return reader
        return None

    def _explain(self, document: object) -> str:
        """Say what an unrecognised JSON document looks like, and what it probably is."""
        shape = _shape(document)
        if not isinstance(document, dict):
            return f"{shape}; {self._unrecognised}"
        for reader in self._readers:
            said = reader.explain_error(document)
            if said:
                return f"{shape}: {said}"
        if "data" in document:
            answers = ", ".join(
                connector.export_answers
                for connector in self._connectors
                if connector.export_answers
            )
            return f"{shape}: looks like a GraphQL answer; tieback reads REST answers ({answers})"
        for reader in self._readers:
            said = reader.explain_single(document)
            if said:
                return f"{shape}: {said}"
        return f"{shape}; {self._unrecognised}"


def _not_finite_warning(shown: str, keys: list[str]) -> str:
    items = "1 item has" if len(keys) == 1 else f"{len(keys)} items have"
    return (
        f"{shown}: {items} story points that are not a finite number of 0 or more "
        f"(e.g. {keys[0]}); counted as unestimated"
    )


def _first_character(handle: TextIO) -> str:
    while chunk := handle.read(4096):
        stripped = chunk.lstrip()
        if stripped:
            return stripped[0]
    return ""


def _load_json(shown: str, handle: TextIO) -> object:
    try:
        return loads(handle.read())
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        if exc.msg == "Extra data":
            # What gh api --paginate prints without --slurp: each page as it comes.
            raise SourceError(
                f"{shown}: not valid JSON: several JSON documents one after another "
                f"({where}); with gh api --paginate, add --slurp to write one array of pages"
            ) from None
        raise SourceError(f"{shown}: not valid JSON: {exc.msg} ({where})") from None
    except RecursionError:
        raise SourceError(f"{shown}: not valid JSON: {TOO_DEEP}") from None


def _shape(document: object) -> str:
    """``a JSON object with keys a, b``, ``a JSON array of numbers`` ..."""
    if isinstance(document, Mapping):
        keys = [str(key) for key in document]
        if not keys:
            return "an empty JSON object"
        listed = ", ".join(keys[:8]) + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")
        return f"a JSON object with keys {listed}"
    if isinstance(document, list):
        kinds = dict.fromkeys(_kind(element) for element in document[:20])
        return f"a JSON array of {' and '.join(kinds)}"
    return f"a JSON {_kind(document).removesuffix('s')}"


def _kind(value: object) -> str:
    if isinstance(value, Mapping):
        keys = ", ".join(str(key) for key in list(value)[:8])
        return f"objects with keys {keys}" if keys else "empty objects"
    if isinstance(value, list):
        return "arrays"
    if isinstance(value, str):
        return "strings"
    if isinstance(value, bool) or value is None:
        return "booleans" if value is not None else "nulls"
    return "numbers"
