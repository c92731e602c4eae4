"""The terminal report: a headline, coverage by group, outcomes and unaligned items."""

from __future__ import annotations

import io
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from tieback.coverage import display_coverage, display_weight
from tieback.formats.interface import Format
from tieback.report import Report


class TableFormat(Format):
    name = "table"

    # A terminal is for the headline and the first things to fix; the full list is one
    # --format away, and laying out every row of a large backlog takes rich seconds.
    MAX_ROWS = 50

    def __init__(self, color: bool = False, width: int | None = None) -> None:
        self.color = color
        # A pipe or a file gets a width that fits the usual columns without wrapping.
        self.width = width or 120

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            force_terminal=self.color,
            no_color=not self.color,
            color_system="standard" if self.color else None,
            width=self.width,
            highlight=False,
            emoji=False,
            soft_wrap=False,
        )
        console.print(_renderable(report.data, report.precision, self.MAX_ROWS))
        return buffer.getvalue()


def _cov(value: float | None, precision: int) -> Text:
    shown = display_coverage(value, precision)
    if value is None:
        return Text(shown, style="dim")
    style = "green" if value >= 80 else "yellow" if value >= 50 else "red"
    return Text(shown + "%", style=style)


def _renderable(data: dict[str, Any], precision: int, max_rows: int) -> RenderableType:
    totals = data["totals"]
    parts: list[RenderableType] = []
    scope = "open items" if data["scope"] == "open" else "all items"
    headline = Text.assemble(
        ("Outcome coverage ", "bold"),
        _cov(totals["coverage"], precision),
        f" of {scope}, weighted by {data['weight']}: ",
        (f"{display_weight(totals['aligned'])} aligned", "green"),
        ", ",
        (f"{display_weight(totals['unaligned'])} unaligned", "red"),
        f", {display_weight(totals['exempt'])} exempt ({totals['items']} items",
        f"; {totals['unestimated']} unestimated)" if data["weight"] == "points" else ")",
    )
    parts.append(headline)

    if data["groups"]:
        by = data["groups"][0]["by"]
        groups = Table(box=box.SIMPLE_HEAD, title=f"By {by}", title_justify="left")
        groups.add_column(by.capitalize())
        for name in ("Items", "Aligned", "Unaligned", "Exempt", "Coverage"):
            groups.add_column(name, justify="right")
        for g in data["groups"]:
            groups.add_row(
                Text(g["name"]),
                str(g["items"]),
                display_weight(g["aligned"]),
                display_weight(g["unaligned"]),
                display_weight(g["exempt"]),
                _cov(g["coverage"], precision),
            )
        parts.append(groups)

    if data["outcomes"]:
        outcomes = Table(box=box.SIMPLE_HEAD, title="Outcomes", title_justify="left")
        outcomes.add_column("Outcome", overflow="fold")
        outcomes.add_column("Impact", overflow="fold")
        outcomes.add_column("Team")
        outcomes.add_column("Status")
        for name in ("Items", "Weight", "Done"):
            outcomes.add_column(name, justify="right")
        for o in data["outcomes"]:
            status = Text(o["status"], style="dim" if o["status"] == "retired" else "")
            outcomes.add_row(
                Text(o["id"], style="bold"),
                Text(o["impact"] or "—"),
                Text(o["team"] or "—"),
                status,
                str(o["items"]),
                display_weight(o["weight"]),
                str(o["done"]),
            )
        parts.append(outcomes)

    unaligned = data["unaligned"]
    listing = Table(
        box=box.SIMPLE_HEAD, title=f"Unaligned items ({len(unaligned)})", title_justify="left"
    )
    listing.add_column("Item", no_wrap=True)
    listing.add_column("Reason", no_wrap=True)
    listing.add_column("Title", overflow="ellipsis", no_wrap=True, ratio=3)
    listing.add_column("Tags", overflow="fold", ratio=2, min_width=24)
    for u in unaligned[:max_rows]:
        tags = Text(", ".join(u["refs"]))
        if u["suggestion"]:
            tags.append(f" → {u['suggestion']}?", style="cyan")
        if u["inherited_from"]:
            tags.append(f" (from {u['inherited_from']})", style="dim")
        listing.add_row(Text(u["key"]), Text(u["reason"], style="red"), Text(u["title"]), tags)
    if unaligned:
        parts.append(listing)
        hidden = len(unaligned) - max_rows
        if hidden > 0:
            parts.append(
                Text(
                    f"… and {hidden:,} more unaligned items: --format csv, json or markdown "
                    "lists them all",
                    style="dim",
                )
            )
    else:
        parts.append(Text("No unaligned items.", style="green"))

    if data["orphan_outcomes"]:
        parts.append(
            Text.assemble(
                ("Orphan outcomes ", "bold"),
                "(active, but no item in scope serves them): ",
                ", ".join(data["orphan_outcomes"]),
            )
        )
    for warning in data["warnings"]:
        parts.append(Text.assemble(("warning: ", "yellow"), warning))
    return Group(*parts)
