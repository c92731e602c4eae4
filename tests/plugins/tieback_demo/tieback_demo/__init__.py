"""A tieback connector whose tracker is a list in its own [demo] table.

What a connector needs and no more: a settings model for its table, a live source the
sync stores page by page, and a check for ``tieback lint``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from pydantic import BaseModel, ConfigDict, field_validator

from tieback.connectors.interface import Connector, Context
from tieback.connectors.source import Page, TrackerSource
from tieback.model import Item
from tieback.outcomes import Finding


class DemoItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    title: str
    labels: list[str] = []
    done: bool = False

    @field_validator("key")
    @classmethod
    def _demo_key(cls, key: str) -> str:
        if not re.fullmatch(r"DEMO-[1-9]\d*", key):
            raise ValueError("expected DEMO-<number>, e.g. DEMO-1")
        return key


class Demo(BaseModel):
    """The [demo] table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: str = "demo"
    items: list[DemoItem] = []


class DemoSource(TrackerSource):
    """The listed items, as one page."""

    name = "demo"

    @property
    def query(self) -> str:
        return DemoConnector().query(self.context)

    def pages(self, since: str | None) -> Iterator[Page]:
        settings: Demo = self.context.settings
        items = [
            Item(
                source=self.name,
                key=entry.key,
                title=entry.title,
                labels=tuple(entry.labels),
                done=entry.done,
                team=settings.team,
            )
            for entry in settings.items
        ]
        yield Page(items, position="page 1", total=len(items))

    def counts(self) -> dict[str, int | None]:
        return {"": len(self.context.settings.items)}

    def keys(self, groups: Collection[str] | None = None) -> set[str]:
        return {entry.key for entry in self.context.settings.items}


class DemoConnector(Connector[Demo]):
    name = "demo"
    settings_model = Demo
    source_hint = "[demo] items"

    def enabled(self, settings: Demo) -> bool:
        return bool(settings.items)

    def query(self, context: Context[Demo]) -> str:
        return f"demo team={context.settings.team}"

    def source(self, context: Context[Demo]) -> TrackerSource:
        return DemoSource(context)

    def lint(self, context: Context[Demo]) -> list[Finding]:
        if context.settings.items:
            return []
        return [Finding("no-items", "[demo] lists no items", "demo")]
