"""The sink stage's contract: plan what to write back, print it, then apply it.

The rules of design.md "Post-back" live here once, for every tracker: only the
``missing_label`` is ever added or removed; nothing is written on exempt items; an
aligned item only loses ``missing_label``; at most one explanatory comment per item.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tieback.errors import SinkError
from tieback.model import Alignment, Classification
from tieback.report import Report

__all__ = ["Action", "ActionKind", "Sink", "SinkError", "plan_item_actions"]

# Every comment tieback writes carries a marker so it is found again, never doubled.
MARKER_PREFIX = "<!-- tieback:"


class ActionKind(StrEnum):
    ADD_LABEL = "add label"
    REMOVE_LABEL = "remove label"
    COMMENT = "comment"
    EDIT_COMMENT = "edit comment"


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


class Sink(ABC):
    """A tracker tieback writes back to."""

    name: str

    def __init__(self) -> None:
        # Problems that skipped one item without stopping the run, for the CLI to print.
        self.warnings: list[str] = []

    @abstractmethod
    def plan(self, report: Report) -> list[Action]:
        """What this run would write for the items in ``report.alignments`` (those in
        scope) and its summary; reads the tracker if it must, writes nothing."""

    @abstractmethod
    def apply(self, actions: Sequence[Action]) -> list[Action]:
        """Write the actions; return those written. Raise SinkError on failure."""
