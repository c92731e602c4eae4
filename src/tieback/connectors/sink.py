"""The sink stage's contract: plan what to write back, print it, then apply it.

The rules of design.md "Post-back" live here once, for every tracker: only the
``missing_label`` is ever added or removed; nothing is written on exempt items; an
aligned item only loses ``missing_label``; at most one explanatory comment per item.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tieback.errors import SinkError
from tieback.model import Alignment, Classification, Item
from tieback.report import Report

if TYPE_CHECKING:
    from tieback.connectors.interface import Context
    from tieback.meter import Meter
    from tieback.store import PostedComment, Snapshot

__all__ = ["Action", "ActionKind", "Sink", "SinkError", "plan_item_actions"]

# Every comment tieback writes carries a marker so it is found again, never doubled.
MARKER_PREFIX = "<!-- tieback:"


class ActionKind(StrEnum):
    ADD_LABEL = "add label"
    REMOVE_LABEL = "remove label"
    COMMENT = "comment"
    EDIT_COMMENT = "edit comment"
    SET_FIELD = "set field"  # a tracker's outcome field, set to what the item's label says


@dataclass(frozen=True, slots=True)
class Action:
    """One write: on which item, what, and (for comments) the text."""

    source: str
    key: str
    kind: ActionKind
    detail: str  # the label, or a short description of the comment
    body: str = ""  # the comment text
    comment_id: str = ""  # for edits

    def describe(self) -> str:
        return f"{self.kind.value:<13} {self.key}: {self.detail}"


def plan_item_actions(
    alignments: Iterable[Alignment],
    source: str,
    missing_label: str,
    comment: bool,
    commented: set[str],
) -> list[Action]:
    """Label and comment actions for items of ``source`` (already limited to scope).

    ``commented`` holds the keys that already carry tieback's explanatory comment.
    """
    actions: list[Action] = []
    wanted = missing_label.lower()
    for alignment in alignments:
        item = alignment.item
        if item.source != source:
            continue
        has_label = any(label.lower() == wanted for label in item.labels)
        kind = alignment.classification
        if kind is Classification.UNALIGNED:
            if missing_label and not has_label:
                actions.append(Action(source, item.key, ActionKind.ADD_LABEL, missing_label))
            if comment and item.key not in commented:
                reason = alignment.reason.value if alignment.reason else "unaligned"
                actions.append(Action(source, item.key, ActionKind.COMMENT, reason))
        elif kind is Classification.ALIGNED and missing_label and has_label:
            actions.append(Action(source, item.key, ActionKind.REMOVE_LABEL, missing_label))
    return actions


# A comment tieback wrote, for the store: (item key, kind, comment id, digest).
Written = tuple[str, str, str, str]


class Sink(ABC):
    """A tracker tieback writes back to, and what every such tracker keeps of a run:
    the items it planned for, and in the store the comments it wrote and the labels
    it changed."""

    name: str

    def __init__(self, context: Context[Any]) -> None:
        self.context = context
        # Problems that skipped one item without stopping the run, for the CLI to print.
        self.warnings: list[str] = []
        # Writes that failed, one line each ("EDU-12: add label needs-outcome: ..."); the
        # run goes on with the rest, and the CLI prints each and exits 1 at the end.
        self.failures: list[str] = []
        # This tracker's items in the report last planned, by key.
        self._items: dict[str, Item] = {}
        self._alignments: dict[str, Alignment] = {}
        # The planned summary digest's fingerprint, stored once the summary is written.
        self._summary_fingerprint = ""

    @abstractmethod
    def plan(self, report: Report) -> list[Action]:
        """What this run would write for the items in ``report.alignments`` (those in
        scope) and its summary; reads the tracker if it must, writes nothing."""

    @abstractmethod
    def apply(self, actions: Sequence[Action]) -> list[Action]:
        """Write the actions; return those written. A write that fails for one item is
        a line in ``failures`` and the rest still go; SinkError only when no later write
        could succeed either (the credentials were refused)."""

    @contextmanager
    def _metered(self, planned: int) -> Iterator[Meter]:
        """The tracker's meter, told of ``planned`` writes, for the writes of ``apply``:
        its summary said when they end, its line erased when they stop on an error."""
        meter = self.context.meter
        meter.start()
        meter.planned(planned)
        try:
            yield meter
        except BaseException:
            meter.cancel()
            raise
        meter.close()

    def _keep(self, mine: Sequence[Alignment]) -> None:
        """Remember the items being planned for, for the comments and ``apply``."""
        self._alignments = {a.item.key: a for a in mine}
        self._items = {a.item.key: a.item for a in mine}

    def _labels_of(self, key: str) -> tuple[str, ...]:
        item = self._items.get(key)
        return item.labels if item else ()

    def _commented(self, kind: str) -> set[str]:
        """The items the store says carry a comment of ``kind`` from tieback."""
        if not self.context.store.exists:
            return set()
        with self.context.store.open() as store:
            return store.commented(self.name, kind)

    def _summary_history(self, key: str, kind: str) -> tuple[Snapshot | None, PostedComment | None]:
        """The latest snapshot (this run's is recorded after apply) and the summary
        comment the store remembers on ``key``."""
        handle = self.context.store
        if not handle.exists:
            return None, None
        with handle.open() as store:
            previous = store.latest_snapshot(scope=handle.scope)
            return previous, store.comment(self.name, key, kind)

    def _remember(self, labels: Mapping[str, Sequence[str]], comments: Sequence[Written]) -> None:
        """Record what the tracker now holds, so the next run (before a sync) plans
        nothing: the labels of items this run changed, and the comments it wrote."""
        changed = {
            key: tuple(names)
            for key, names in labels.items()
            if key in self._items and tuple(names) != self._items[key].labels
        }
        handle = self.context.store
        if not (changed or comments) or not handle.exists:
            return
        from tieback.store import PostedComment

        now = datetime.now(UTC).isoformat(timespec="seconds")
        queries = handle.queries
        with handle.open() as store, store.transaction():
            store.set_labels(self.name, changed, queries)
            for key, kind, comment_id, digest in comments:
                store.set_comment(PostedComment(self.name, key, kind, comment_id, digest, now))
