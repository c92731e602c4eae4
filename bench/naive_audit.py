"""The baseline for the audit benchmark: what a PM would script by hand over a Jira export.

One ``json.load`` of a saved search answer, then a plain loop over dicts: tags from
``outcome:`` labels and ``Outcome:`` description lines, resolved against the declared
ids and aliases, inherited from the parent through a dict; exempt by label or type;
open items only, as tieback counts by default. It prints the counts: no store, no
report, no suggestions, no validation.

    python bench/naive_audit.py export.json outcomes.toml
"""

from __future__ import annotations

import json
import sys
import tomllib

EXEMPT_LABELS = {"ktlo"}
EXEMPT_TYPES = {"Bug"}


def main(export_path: str, outcomes_path: str) -> None:
    with open(outcomes_path, "rb") as declarations:
        outcomes = tomllib.load(declarations)["outcomes"]
    active: dict[str, str] = {}
    for outcome in outcomes:
        if outcome.get("status", "active") == "active":
            for name in [outcome["id"], *outcome.get("aliases", [])]:
                active[name.lower()] = outcome["id"]

    with open(export_path, encoding="utf-8") as export:
        issues = json.load(export)["issues"]

    tags: dict[str, list[str]] = {}
    parents: dict[str, str] = {}
    for issue in issues:
        fields = issue["fields"]
        found = [
            label[len("outcome:") :].lower()
            for label in fields.get("labels") or []
            if label.lower().startswith("outcome:")
        ]
        for line in (fields.get("description") or "").splitlines():
            if line.lower().startswith("outcome:"):
                found += [ref.strip().lower() for ref in line[8:].split(",") if ref.strip()]
        tags[issue["key"]] = found
        if fields.get("parent"):
            parents[issue["key"]] = fields["parent"]["key"]

    counts = {"aligned": 0, "exempt": 0, "unaligned": 0}
    for issue in issues:
        fields = issue["fields"]
        if fields["status"]["statusCategory"]["key"] == "done":
            continue
        key = issue["key"]
        effective = tags[key]
        seen = {key}
        while not effective and key in parents and parents[key] not in seen:
            key = parents[key]
            seen.add(key)
            effective = tags.get(key, [])
        if any(ref in active for ref in effective):
            counts["aligned"] += 1
        elif fields["issuetype"]["name"] in EXEMPT_TYPES or EXEMPT_LABELS & set(fields["labels"]):
            counts["exempt"] += 1
        else:
            counts["unaligned"] += 1
    print(json.dumps({"items": sum(counts.values()), **counts}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
