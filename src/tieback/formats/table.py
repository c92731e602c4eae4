"""The terminal report: a headline, coverage by group, outcomes and unaligned items.

Each table is laid out for the width it is given. Keys, reasons, tags, suggestions,
outcome and impact ids and team names are always shown whole; when they do not fit side
by side, an item's title gives way first (cut short with an ellipsis, then left out);
after it, fields move under the one to their left, a line each, until the table fits.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from tieback.coverage import display_coverage, display_weight
from tieback.formats.interface import Format, Options
from tieback.report import Report, display_measure, measure_rows

# Without a terminal (a pipe, a file, a CI log) no width is given: each table is as wide
# as its keys, tags and ids need to stand on one line, and at least this wide, what a
# log viewer shows unwrapped; the titles get what is left.
PIPED_WIDTH = 120

# A title cut shorter than this no longer tells one item from another: leave it out.
TITLE_MIN = 16

# How far a field stacked under another is set in, so a row's first line stands out.
INDENT = 2

# How a field gives way: "whole" never does; "words" wraps between words, never inside
# one; "shrink" is cut short with an ellipsis.
Fit = Literal["whole", "words", "shrink"]


class TableFormat(Format):
    name = "table"

    # A terminal is for the headline and the first things to fix; the full list is one
    # --format away, and laying out every row of a large backlog takes rich seconds.
    MAX_ROWS = 50

    def __init__(self, color: bool = False, width: int | None = None) -> None:
        self.color = color
        self.width = width  # None: not a terminal (see PIPED_WIDTH)

    @classmethod
    def from_options(cls, options: Options) -> Format:
        return cls(color=options.color, width=options.width)

    def render(self, report: Report) -> str:
        renderable, widest = _renderable(report.data, report.precision, self.MAX_ROWS, self.width)
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            force_terminal=self.color,
            no_color=not self.color,
            color_system="standard" if self.color else None,
            width=self.width or max(PIPED_WIDTH, widest),
            highlight=False,
            emoji=False,
            soft_wrap=False,
        )
        console.print(renderable)
        return buffer.getvalue()


@dataclass(frozen=True)
class _Field:
    """What a table shows of each row under one header, and how it may give way."""

    header: str
    cells: Sequence[Text]
    fit: Fit = "whole"
    justify: JustifyMethod = "left"
    # A number's phrase when it is stacked under another field, e.g. "items {}".
    phrase: str = ""


class _Column:
    """One or more fields in one column: the first on a row's first line, the rest set in
    beneath it (numbers gathered on one line as phrases)."""

    def __init__(self, fields: Sequence[_Field]) -> None:
        first, rest = fields[0], fields[1:]
        texts = [f for f in rest if not f.phrase]
        numbers = [f for f in rest if f.phrase]
        self.header = " / ".join([first.header, *(f.header.lower() for f in texts)])
        self.fit: Fit = first.fit if not rest else "words"
        self.justify: JustifyMethod = first.justify if not rest else "left"
        self.parts: list[tuple[Sequence[Text], Fit, int]] = [(first.cells, first.fit, 0)]
        self.parts += [(f.cells, f.fit, INDENT) for f in texts]
        if numbers:
            phrases = [
                Text(", ").join(_phrase(f.phrase, f.cells[row]) for f in numbers)
                for row in range(len(first.cells))
            ]
            self.parts.append((phrases, "words", INDENT))
        self.minimum = max(cell_len(word) for word in self.header.split())
        self.natural = cell_len(self.header)
        for cells, fit, indent in self.parts:
            least, most = _measure(cells, fit)
            self.minimum = max(self.minimum, least + indent)
            self.natural = max(self.natural, most + indent)

    def cell(self, row: int) -> RenderableType:
        if len(self.parts) == 1:
            return self.parts[0][0][row]
        lines: list[RenderableType] = [self.parts[0][0][row]]
        for cells, _, indent in self.parts[1:]:
            if cells[row].plain:
                lines.append(Padding(cells[row], (0, 0, 0, indent)))
        return Group(*lines)


def _phrase(phrase: str, value: Text) -> Text:
    before, _, after = phrase.partition("{}")
    return Text.assemble(before, value, after)


def _measure(cells: Sequence[Text], fit: Fit) -> tuple[int, int]:
    """The narrowest and the widest a field's cells can be shown at without giving way."""
    lines = [line for cell in cells for line in cell.plain.splitlines()]
    natural = max((cell_len(line) for line in lines), default=0)
    if fit == "whole":
        return natural, natural
    if fit == "shrink":
        return min(natural, TITLE_MIN), natural
    return max((cell_len(word) for line in lines for word in line.split()), default=0), natural


def _chrome(columns: int) -> int:
    """What box.SIMPLE_HEAD adds to its columns' widths: a space either side of each
    column, a divider between two, and an edge at each end."""
    return 3 * columns + 1


def _fit(
    title: str,
    fields: Sequence[_Field],
    layouts: Sequence[Sequence[Sequence[int]]],
    width: int | None,
) -> tuple[Table, int]:
    """The table in the first layout (columns of field indexes) that fits ``width``, and
    its width; the last layout if none does, where only a word wider than the terminal is
    folded. The spare width goes to the columns that wrap, then to those that shrink."""
    for layout in layouts:
        columns = [_Column([fields[index] for index in group]) for group in layout]
        chrome = _chrome(len(columns))
        room = width or max(
            PIPED_WIDTH,
            chrome + sum(c.minimum if c.fit == "shrink" else c.natural for c in columns),
        )
        if chrome + sum(c.minimum for c in columns) <= room:
            break
    widths = [c.minimum for c in columns]
    spare = room - chrome - sum(widths)
    for shrinking in (False, True):
        for index, column in enumerate(columns):
            if (column.fit == "shrink") is shrinking and spare > 0:
                grow = min(spare, column.natural - widths[index])
                widths[index] += grow
                spare -= grow
    table = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left")
    for column, column_width in zip(columns, widths, strict=True):
        shrink = column.fit == "shrink"
        table.add_column(
            column.header,
            justify=column.justify,
            width=column_width,
            no_wrap=shrink,
            overflow="ellipsis" if shrink else "fold",
        )
    for row in range(len(fields[0].cells)):
        table.add_row(*(column.cell(row) for column in columns))
    return table, min(room, chrome + sum(widths))


def _cov(value: float | None, precision: int) -> Text:
    shown = display_coverage(value, precision)
    if value is None:
        return Text(shown, style="dim")
    style = "green" if value >= 80 else "yellow" if value >= 50 else "red"
    return Text(shown + "%", style=style)


def _number(header: str, cells: Sequence[Text], phrase: str) -> _Field:
    return _Field(header, cells, justify="right", phrase=phrase)


def _groups(data: dict[str, Any], precision: int, width: int | None) -> tuple[Table, int]:
    groups = data["groups"]
    by = groups[0]["by"]
    fields = [
        _Field(by.capitalize(), [Text(g["name"]) for g in groups]),
        _number("Items", [Text(str(g["items"])) for g in groups], "items {}"),
        *(
            _number(key.capitalize(), [Text(display_weight(g[key])) for g in groups], key + " {}")
            for key in ("aligned", "unaligned", "exempt")
        ),
        _number("Coverage", [_cov(g["coverage"], precision) for g in groups], "coverage {}"),
    ]
    layouts = [
        [[0], [1], [2], [3], [4], [5]],
        [[0, 1, 2, 3, 4], [5]],
        [[0, 1, 2, 3, 4, 5]],
    ]
    return _fit(f"By {by}", fields, layouts, width)


def _outcomes(data: dict[str, Any], width: int | None) -> tuple[Table, int]:
    outcomes = data["outcomes"]
    fields = [
        _Field("Outcome", [Text(o["id"], style="bold") for o in outcomes]),
        _Field("Impact", [Text(o["impact"] or "—") for o in outcomes]),
        _Field("Team", [Text(o["team"] or "—") for o in outcomes]),
        _Field(
            "Status",
            [Text(o["status"], style="dim" if o["status"] == "retired" else "") for o in outcomes],
        ),
        _number("Items", [Text(str(o["items"])) for o in outcomes], "items {}"),
        _number("Weight", [Text(display_weight(o["weight"])) for o in outcomes], "weight {}"),
        _number("Done", [Text(str(o["done"])) for o in outcomes], "done {}"),
    ]
    layouts = [
        [[0], [1], [2], [3], [4], [5], [6]],
        [[0, 1], [2], [3], [4], [5], [6]],
        [[0, 1, 2], [3], [4], [5], [6]],
        [[0, 1, 2, 3], [4], [5], [6]],
        [[0, 1, 2, 3, 4, 5, 6]],
    ]
    return _fit("Outcomes", fields, layouts, width)


_STATUS_STYLES = {"met": "green", "moving": "green", "worse": "red", "stale": "yellow"}


def _measures(rows: Sequence[dict[str, Any]], width: int | None) -> tuple[Table, int]:
    """Each impact's readings (lagging) with its outcomes' (leading) beneath it."""
    fields = [
        _Field(
            "Measure",
            [Text(r["id"], style="bold") if r["impact"] else Text(f"  {r['id']}") for r in rows],
        ),
        _number("Current", [Text(display_measure(r["current"])) for r in rows], "now {}"),
        _number("Target", [Text(display_measure(r["target"])) for r in rows], "target {}"),
        _number("Progress", [Text(_percent(r["percent"])) for r in rows], "{}"),
        _Field(
            "Status",
            [Text(r["status"] or "—", style=_STATUS_STYLES.get(r["status"], "")) for r in rows],
        ),
        _Field("As of", [Text(r["at"] or "—") for r in rows]),
    ]
    layouts = [
        [[0], [1], [2], [3], [4], [5]],
        [[0, 5], [1], [2], [3], [4]],
        [[0, 5, 1, 2, 3], [4]],
        [[0, 4, 5, 1, 2, 3]],
    ]
    return _fit("Measures (impacts, then their outcomes)", fields, layouts, width)


def _measure_name(row: dict[str, Any]) -> Text:
    """An impact in bold; its outcomes set in beneath it."""
    return Text(row["id"], style="bold") if row["impact"] else Text(f"  {row['id']}")


def _percent(percent: float | None) -> str:
    return "—" if percent is None else f"{percent:.0f}%"


def _tags(unaligned: dict[str, Any]) -> Text:
    tags = Text(", ".join(unaligned["refs"]))
    if unaligned["suggestion"]:
        tags.append(f" → {unaligned['suggestion']}?", style="cyan")
    if unaligned["inherited_from"]:
        # A line of its own, so the tags and suggestion need no more width than they take.
        tags.append("\n" if tags.plain else "")
        tags.append(f"(from {unaligned['inherited_from']})", style="dim")
    return tags


def _unaligned(shown: Sequence[dict[str, Any]], total: int, width: int | None) -> tuple[Table, int]:
    fields = [
        _Field("Item", [Text(u["key"]) for u in shown]),
        _Field("Reason", [Text(u["reason"], style="red") for u in shown]),
        _Field("Title", [Text(u["title"]) for u in shown], fit="shrink"),
        _Field("Tags", [_tags(u) for u in shown], fit="words"),
    ]
    layouts = [
        [[0], [1], [2], [3]],
        [[0], [1], [3]],
        [[0], [1, 3]],
        [[0, 1, 3]],
    ]
    return _fit(f"Unaligned items ({total})", fields, layouts, width)


def _renderable(
    data: dict[str, Any], precision: int, max_rows: int, width: int | None
) -> tuple[RenderableType, int]:
    """The report, and the widest of its tables."""
    totals = data["totals"]
    parts: list[RenderableType] = []
    widest = 0
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
        groups, table_width = _groups(data, precision, width)
        parts.append(groups)
        widest = max(widest, table_width)

    if data["outcomes"]:
        outcomes, table_width = _outcomes(data, width)
        parts.append(outcomes)
        widest = max(widest, table_width)

    measures = measure_rows(data)
    if any(row["readings"] for row in measures):  # once measuring has begun
        table, table_width = _measures(measures, width)
        parts.append(table)
        widest = max(widest, table_width)

    unaligned = data["unaligned"]
    if unaligned:
        listing, table_width = _unaligned(unaligned[:max_rows], len(unaligned), width)
        parts.append(listing)
        widest = max(widest, table_width)
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
    return Group(*parts), widest
