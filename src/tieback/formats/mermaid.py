"""The impact → outcome → output map as a Mermaid flowchart GitHub renders in Markdown."""

from __future__ import annotations

from collections import defaultdict

from tieback.formats.interface import Format, Options
from tieback.model import Alignment, Classification
from tieback.report import Report, sort_key


class MermaidFormat(Format):
    """Outputs beyond ``max_outputs`` per outcome collapse into one "+ N more" node."""

    name = "mermaid"

    def __init__(self, max_outputs: int = 8) -> None:
        self.max_outputs = max_outputs

    @classmethod
    def from_options(cls, options: Options) -> Format:
        return cls(max_outputs=options.max_outputs)

    def render(self, report: Report) -> str:
        data = report.data
        served: dict[str, list[Alignment]] = defaultdict(list)
        for alignment in report.alignments:
            if alignment.classification is Classification.ALIGNED:
                for outcome_id in alignment.outcomes:
                    served[outcome_id].append(alignment)

        lines = ["```mermaid", "flowchart LR"]
        node_ids: dict[str, str] = {}

        def node(kind: str, key: str) -> str:
            return node_ids.setdefault(f"{kind}:{key}", f"{kind[0]}{len(node_ids)}")

        for impact in data["impacts"]:
            lines.append(f'  {node("impact", impact["id"])}{{{{"{_label(impact["title"])}"}}}}')
        for outcome in data["outcomes"]:
            if outcome["status"] != "active":
                continue
            outcome_node = node("outcome", outcome["id"])
            lines.append(f'  {outcome_node}(["{_label(outcome["title"])}"])')
            if outcome["impact"]:
                lines.append(f"  {node('impact', outcome['impact'])} --- {outcome_node}")
            outputs = sorted(served.get(outcome["id"], []), key=sort_key)
            for alignment in outputs[: self.max_outputs]:
                item = alignment.item
                output_node = node("output", item.key)
                text = _label(f"{item.key} {item.title}", limit=60)
                lines.append(f'  {outcome_node} --> {output_node}["{text}"]')
            hidden = len(outputs) - self.max_outputs
            if hidden > 0:
                lines.append(f'  {outcome_node} --> {outcome_node}more["+ {hidden} more"]')
            if not outputs:
                lines.append(f"  class {outcome_node} orphan")
        lines.append("  classDef orphan stroke-dasharray: 5 5")
        lines.append("```")
        return "\n".join(lines) + "\n"


def _label(text: str, limit: int = 80) -> str:
    """Text safe inside a quoted Mermaid label: no quotes, brackets, markup or pings."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    for char, entity in (
        ("&", "#amp;"),
        ('"', "#quot;"),
        ("<", "#lt;"),
        (">", "#gt;"),
        ("@", "#64;"),
        ("`", "#96;"),
    ):
        text = text.replace(char, entity)
    return text
