"""The normative alignment rules: direct tags, resolution, inheritance, classification."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from tieback.model import (
    Alignment,
    Classification,
    Declarations,
    Item,
    Outcome,
    Reason,
    TagOrigin,
    marker_lines,
)
from tieback.rules import ExemptRules, TagRules

# Per-run memories (label sets, refs, types) stop growing here: a backlog repeats a few
# thousand of each, and a column of unique values must not double the audit's memory.
_MEMORY = 1 << 16


class Tagger:
    """Finds an item's direct refs: prefixed labels, the Jira field, body marker lines."""

    def __init__(self, tagging: TagRules) -> None:
        self._prefix = tagging.prefix.lower()
        self._marker = tagging.body_marker.lower()
        self._marker_line = re.compile(
            rf"^[ \t]*{re.escape(tagging.body_marker)}[ \t]*(.+)$",
            re.IGNORECASE | re.MULTILINE,
        )
        # Label sets repeat across a backlog (the store hands out one tuple per set):
        # their refs are found once each. Worth a third of alignment (2 s of a
        # million-item audit; bench/results/log.md, 2026-12-04).
        self._label_refs: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}

    def direct_refs(self, item: Item) -> tuple[str, ...]:
        # The marker lines: "" at the cost of one lower-casing for the many bodies
        # without the marker, so the pattern runs only where it can match.
        marked = marker_lines(item.body, self._marker)
        if not marked and not item.field_refs:
            refs = self._label_refs.get(item.labels)
            if refs is None:
                refs = _normalise(self._from_labels(item.labels))
                if len(self._label_refs) < _MEMORY:
                    self._label_refs[item.labels] = refs
            return refs
        found = self._from_labels(item.labels)
        found.extend(item.field_refs)
        # Only lines that hold the marker as Python's lower case finds it: matching
        # case-insensitively alone would also let the long s (U+017F) stand for "s".
        for match in self._marker_line.finditer(marked):
            found.extend(match.group(1).split(","))
        return _normalise(found)

    def _from_labels(self, labels: Iterable[str]) -> list[str]:
        prefix = self._prefix
        return [label[len(prefix) :] for label in labels if label.lower().startswith(prefix)]


def _normalise(refs: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for ref in refs:
        cleaned = ref.strip().lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return tuple(seen)


class Resolver:
    """Resolves refs to outcomes by id or alias, case-insensitively."""

    def __init__(self, declarations: Declarations) -> None:
        self._index = declarations.index
        self._names = sorted(self._index)
        self._suggestions: dict[str, str | None] = {}

    def resolve(self, ref: str) -> Outcome | None:
        return self._index.get(ref.lower())

    def suggest(self, ref: str) -> str | None:
        """The closest declared id or alias, for an unknown ref."""
        ref = ref.lower()
        # The same typo recurs across a backlog; difflib is too slow to ask each time
        # (and only imported once a tag turns out unknown).
        if ref not in self._suggestions:
            import difflib

            close = difflib.get_close_matches(ref, self._names, n=1, cutoff=0.6)
            self._suggestions[ref] = close[0] if close else None
        return self._suggestions[ref]


class Exemptions:
    """Whether items are exempt by the ``[exempt]`` rules, each distinct label set, type
    and author matched once: they repeat across a backlog (0.4 s, 6%, of a
    million-item audit)."""

    def __init__(self, exempt: ExemptRules) -> None:
        self._rules = exempt
        self._by_labels: dict[tuple[str, ...], bool] = {}
        self._by_type: dict[str, bool] = {}
        self._by_author: dict[str, bool] = {}

    def matches(self, item: Item) -> bool:
        by_labels = self._by_labels.get(item.labels)
        if by_labels is None:
            found = self._rules.matching_label(item.labels) is not None
            by_labels = _remember(self._by_labels, item.labels, found)
        if by_labels:
            return True
        by_type = self._by_type.get(item.type)
        if by_type is None:
            by_type = _remember(self._by_type, item.type, self._rules.matches_type(item.type))
        if by_type:
            return True
        by_author = self._by_author.get(item.author)
        if by_author is None:
            found = self._rules.matches_author(item.author)
            by_author = _remember(self._by_author, item.author, found)
        return by_author


def _remember(known: dict[Any, bool], value: Any, answer: bool) -> bool:
    if len(known) < _MEMORY:
        known[value] = answer
    return answer


class _Tags(NamedTuple):
    refs: tuple[str, ...]
    origin: TagOrigin
    source_key: str | None


_NO_TAGS = _Tags((), TagOrigin.NONE, None)


class _Verdict(NamedTuple):
    """What a set of effective refs means, whichever item carries it (rule 4)."""

    aligned: bool
    outcomes: tuple[str, ...]  # canonical ids, sorted
    unknown: tuple[str, ...]
    reason: Reason  # if the item is neither aligned nor exempt
    suggestion: str | None


@dataclass(frozen=True)
class AlignmentResult:
    alignments: list[Alignment]
    warnings: list[str]


def align(
    items: Sequence[Item],
    declarations: Declarations,
    tagging: TagRules,
    exempt: ExemptRules,
) -> AlignmentResult:
    """Classify every item. Linear in the number of items; cycles are reported, not looped.

    One pass, shaped for a million items: what a set of refs means is worked out once
    per distinct set, and only ancestors reached through inheritance are remembered.
    """
    tagger = Tagger(tagging)
    resolver = Resolver(declarations)
    exemptions = Exemptions(exempt)
    inherit = tagging.inherit
    # A key read twice (two sources naming an item alike) carries the tags and the
    # parent of the last item read under it, for every item of that key.
    by_key = {item.key: item for item in items}
    unique = len(by_key) == len(items)
    effective: dict[str, _Tags] = {}  # keys whose tags came through an inheritance walk
    # What a set of refs means (resolution, suggestion) is worked out once a set: a
    # suggestion alone costs a fuzzy match against every id and alias.
    verdicts: dict[tuple[str, ...], _Verdict] = {}
    warnings: list[str] = []
    alignments: list[Alignment] = []
    append = alignments.append
    new = tuple.__new__  # Alignment(...) by keyword costs more than the rest of the loop
    aligned, exempted, unaligned = (
        Classification.ALIGNED,
        Classification.EXEMPT,
        Classification.UNALIGNED,
    )
    direct, inherited, untagged = TagOrigin.DIRECT, TagOrigin.INHERITED, TagOrigin.NONE

    direct_refs = tagger.direct_refs
    for item in items:
        owner = item if unique else by_key[item.key]
        refs = direct_refs(owner)
        origin = direct
        inherited_from = None
        if not refs:
            origin = untagged
            if inherit and owner.parent is not None:
                tags = effective.get(item.key)
                if tags is None:
                    # Siblings share a parent: once its tags are known, a child takes
                    # them without a walk. Nor is the child remembered: a later walk
                    # through it reaches the remembered parent one step on.
                    tags = effective.get(owner.parent)
                    if tags is None:
                        tags = _inherit(owner, by_key, tagger, effective, warnings)
                if tags.origin is not untagged:
                    refs, origin, inherited_from = tags.refs, inherited, tags.source_key
        verdict = verdicts.get(refs)
        if verdict is None:
            verdict = _verdict(refs, resolver)
            if len(verdicts) < _MEMORY:
                verdicts[refs] = verdict
        # Rule 4: aligned, else exempt, else unaligned with a reason; first match wins.
        if verdict.aligned:
            classification, reason, suggestion = aligned, None, None
        elif exemptions.matches(item):
            classification, reason, suggestion = exempted, None, None
        else:
            classification, reason, suggestion = unaligned, verdict.reason, verdict.suggestion
        append(
            new(
                Alignment,
                (
                    item,
                    classification,
                    reason,
                    refs,
                    verdict.outcomes,
                    origin,
                    inherited_from,
                    suggestion,
                    verdict.unknown,
                ),
            )
        )
    return AlignmentResult(alignments, warnings)


def _inherit(
    start: Item,
    by_key: dict[str, Item],
    tagger: Tagger,
    effective: dict[str, _Tags],
    warnings: list[str],
) -> _Tags:
    """Walk up from ``start`` (untagged, with a parent) until tags are found, then give
    them to the whole path; a cycle is reported once and gives nothing."""
    path = [start.key]
    on_path = {start.key}
    key: str | None = start.parent
    found = _NO_TAGS
    while key is not None:
        if key in effective:
            found = effective[key]
            break
        if key in on_path:
            cycle = [*path[path.index(key) :], key]
            warnings.append(f"inheritance cycle: {' → '.join(cycle)} (parents ignored)")
            break
        item = by_key.get(key)
        if item is None:  # the parent is not in any source: nothing to inherit
            break
        path.append(key)
        on_path.add(key)
        refs = tagger.direct_refs(item)
        if refs:
            found = _Tags(refs, TagOrigin.DIRECT, key)
            break
        key = item.parent

    inherited = _Tags(found.refs, TagOrigin.INHERITED, found.source_key)
    for step in path:
        if found.origin is TagOrigin.NONE:
            effective[step] = _NO_TAGS
        elif step == found.source_key:
            effective[step] = found
        else:
            effective[step] = inherited
    return effective[start.key]


def _verdict(refs: tuple[str, ...], resolver: Resolver) -> _Verdict:
    """Resolve each ref (rule 2) and say what the set means for rule 4."""
    resolved: dict[str, Outcome] = {}
    unknown: list[str] = []
    for ref in refs:
        outcome = resolver.resolve(ref)
        if outcome is None:
            unknown.append(ref)
        else:
            resolved[outcome.id] = outcome
    if unknown:
        reason = Reason.UNKNOWN_TAG
    elif resolved:
        reason = Reason.RETIRED_OUTCOME
    else:
        reason = Reason.UNTAGGED
    aligned = any(outcome.active for outcome in resolved.values())
    suggestion = None
    if not aligned:  # difflib is slow: only unaligned items show a suggestion
        suggestion = next(filter(None, map(resolver.suggest, unknown)), None)
    return _Verdict(
        aligned=aligned,
        outcomes=tuple(sorted(resolved)),
        unknown=tuple(unknown),
        reason=reason,
        suggestion=suggestion,
    )
