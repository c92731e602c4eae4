"""The connector contract: one tracker's table, live source, sink, export reader and checks.

A connector is named once (``jira``): the name is its configuration table, its items'
``Item.source``, its ``--source`` choice and where the store keeps its items. What it
is given is a ``Context``: its own settings and token, the tagging and exempt rules,
the weight, the retry policy and a handle on the store, not the whole configuration.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from pydantic import BaseModel

if TYPE_CHECKING:
    from tieback.connectors.sink import Sink
    from tieback.connectors.source import TrackerSource
    from tieback.model import Item
    from tieback.outcomes import Finding

# The context a connector is given lives with the scopes it names (connectors.context).
from tieback.connectors.context import Context, S, StoreHandle

__all__ = ["Connector", "Context", "ExportReader", "StoreHandle"]


class ExportReader:
    """Reads one tracker's export files, as ``connectors.files`` hands them over.

    Each method answers None for a document not in a shape it knows, so the next
    connector's reader is asked; a document it knows but cannot read is a SourceError
    naming the file (``shown``) and the place in it. ``warnings`` are the report's.
    """

    def __init__(self, context: Context[Any]) -> None:
        self.context = context
        self.warnings: list[str] = []

    def search(self, shown: str, document: object) -> Iterator[Item] | None:
        """Items of a search answer: one page (a JSON object) or an array of them."""
        return None

    def issues(self, shown: str, entries: list[tuple[str, object]]) -> Iterator[Item] | None:
        """Items of an array of issues, each with where it is in the file
        (``[3]``, ``[0][7]``); None unless the first is one of this tracker's."""
        return None

    def reads_csv(self, header: list[str]) -> bool:
        """Whether a CSV file with this header row is one of this tracker's exports."""
        return False

    def csv(self, shown: str, header: list[str], rows: Iterator[list[str]]) -> Iterable[Item]:
        """Items of a CSV export's rows; asked when ``reads_csv`` is true, or of the
        first connector with an ``export_csv`` when no reader's is (to say what the
        file lacks)."""
        raise NotImplementedError

    def explain_error(self, document: dict[str, Any]) -> str | None:
        """What a JSON object that is this tracker's error answer says, if it is one."""
        return None

    def explain_single(self, document: dict[str, Any]) -> str | None:
        """A hint when a JSON object is one issue of this tracker, not a listing."""
        return None


class Connector(ABC, Generic[S]):
    """One tracker: a subclass per tracker, registered by name (``registry``)."""

    name: ClassVar[str]
    # Validates the connector's [name] table; unknown keys are errors.
    settings_model: ClassVar[type[BaseModel]]
    # Variables a token is also read from after TIEBACK_<NAME>__TOKEN ("GITHUB_TOKEN").
    token_variables: ClassVar[tuple[str, ...]] = ()
    # What turns the live source on, for "nothing to sync/audit" ("[jira] url and jql").
    source_hint: ClassVar[str] = ""
    # What turns the sink on, for "nothing to post to" ("[jira] url").
    sink_hint: ClassVar[str] = ""
    # Whether export files may hold this tracker's items (``export_reader``), and how
    # a file no reader knows is told what they take: "a Jira CSV export"...
    reads_exports: ClassVar[bool] = False
    export_shapes: ClassVar[tuple[str, ...]] = ()
    # ...the keys that make a JSON object one of its answers ('"issues"')...
    export_keys: ClassVar[tuple[str, ...]] = ()
    # ...the CSV it reads ('a CSV with an "Issue key" column'), if any...
    export_csv: ClassVar[str] = ""
    # ...and, to a GraphQL answer, the REST answers it reads ("a Jira search").
    export_answers: ClassVar[str] = ""

    @abstractmethod
    def enabled(self, settings: S) -> bool:
        """Whether the configuration talks to this tracker (post-back, links)."""

    def syncs(self, settings: S) -> bool:
        """Whether the tracker is a live source synced into the store."""
        return self.enabled(settings)

    def query(self, context: Context[S]) -> str:
        """A stable description of what the live source syncs, worked out without
        loading it: items, cursor and sync state are kept under it in the store."""
        raise NotImplementedError

    def source(self, context: Context[S]) -> TrackerSource | None:
        """The live source; None when the tracker has none."""
        return None

    def sink(self, context: Context[S]) -> Sink | None:
        """Where ``tieback post`` writes; None when the tracker takes no post-back."""
        return None

    def export_reader(self, context: Context[S]) -> ExportReader | None:
        """The reader of this tracker's export files; None when it has none."""
        return None

    def lint(self, context: Context[S]) -> list[Finding]:
        """``tieback lint``'s warnings about this tracker's table."""
        return []
