"""The normative alignment rules: direct tags, resolution, inheritance, classification."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tieback.config import Exempt, Tagging
from tieback.model import Alignment, Classification, Item, Outcome, Reason, TagOrigin
from tieback.outcomes import Declarations


class Tagger:
    """Finds an item's direct refs: prefixed labels, the Jira field, body marker lines."""

    def __init__(self, tagging: Tagging) -> None:
        self._prefix = tagging.prefix.lower()
        self._marker = tagging.body_marker.lower()
        self._marker_line = re.compile(
            rf"^[ \t]*{re.escape(tagging.body_marker)}[ \t]*(.+)$",
            re.IGNORECASE | re.MULTILINE,
        )

    def direct_refs(self, item: Item) -> tuple[str, ...]:
        refs: list[str] = []
        for label in item.labels:
            if label.lower().startswith(self._prefix):
                refs.append(label[len(self._prefix) :])
        refs.extend(item.field_refs)
        # The substring test skips the regex for the many bodies without a marker.
        if item.body and self._marker in item.body.lower():
            for match in self._marker_line.finditer(item.body):
                refs.extend(match.group(1).split(","))
        return _normalise(refs)


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
        # The same typo recurs across a backlog; difflib is too slow to ask each time.
        if ref not in self._suggestions:
            close = difflib.get_close_matches(ref, self._names, n=1, cutoff=0.6)
            self._suggestions[ref] = close[0] if close else None
        return self._suggestions[ref]


class ExemptRules:
    """The ``[exempt]`` rules, matched case-insensitively."""

    def __init__(self, exempt: Exempt) -> None:
        self._labels = {label.lower() for label in exempt.labels}
        self._types = {kind.lower() for kind in exempt.types}
        self._authors = {author.lower() for author in exempt.authors}

    def matches(self, item: Item) -> bool:
        return (
            any(label.lower() in self._labels for label in item.labels)
            or item.type.lower() in self._types
            or (bool(item.author) and item.author.lower() in self._authors)
        )


@dataclass(frozen=True, slots=True)
class _Tags:
    refs: tuple[str, ...]
    origin: TagOrigin
    source_key: str | None


_NO_TAGS = _Tags((), TagOrigin.NONE, None)


@dataclass(frozen=True)
class AlignmentResult:
    alignments: list[Alignment]
    warnings: list[str]


def align(
    items: Sequence[Item],
    declarations: Declarations,
    tagging: Tagging,
    exempt: Exempt,
) -> AlignmentResult:
    """Classify every item. Linear in the number of items; cycles are reported, not looped."""
    tagger = Tagger(tagging)
    resolver = Resolver(declarations)
    rules = ExemptRules(exempt)
    by_key = {item.key: item for item in items}
    direct = {item.key: tagger.direct_refs(item) for item in items}
    effective: dict[str, _Tags] = {}
    warnings: list[str] = []

    for item in items:
        if item.key not in effective:
            _resolve_chain(item, by_key, direct, tagging.inherit, effective, warnings)

    alignments = [_classify(item, effective[item.key], resolver, rules) for item in items]
    return AlignmentResult(alignments, warnings)


def _resolve_chain(
    start: Item,
    by_key: dict[str, Item],
    direct: dict[str, tuple[str, ...]],
    inherit: bool,
    effective: dict[str, _Tags],
    warnings: list[str],
) -> None:
    """Walk up from ``start`` until tags are found, then give them to the whole path."""
    path: list[str] = []
    on_path: set[str] = set()
    key: str | None = start.key
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
        refs = direct[key]
        if refs:
            found = _Tags(refs, TagOrigin.DIRECT, key)
            break
        key = item.parent if inherit else None

    inherited = _Tags(found.refs, TagOrigin.INHERITED, found.source_key)
    for step in path:
        if found.origin is TagOrigin.NONE:
            effective[step] = _NO_TAGS
        elif step == found.source_key:
            effective[step] = found
        else:
            effective[step] = inherited


def _classify(item: Item, tags: _Tags, resolver: Resolver, rules: ExemptRules) -> Alignment:
    """Rule 4: aligned, else exempt, else unaligned with a reason; first match wins."""
    resolved: dict[str, Outcome] = {}
    unknown: list[str] = []
    for ref in tags.refs:
        outcome = resolver.resolve(ref)
        if outcome is None:
            unknown.append(ref)
        else:
            resolved[outcome.id] = outcome

    reason: Reason | None = None
    if any(outcome.active for outcome in resolved.values()):
        classification = Classification.ALIGNED
    elif rules.matches(item):
        classification = Classification.EXEMPT
    else:
        classification = Classification.UNALIGNED
        if unknown:
            reason = Reason.UNKNOWN_TAG
        elif resolved:
            reason = Reason.RETIRED_OUTCOME
        else:
            reason = Reason.UNTAGGED
    suggestion = None
    if reason is Reason.UNKNOWN_TAG:
        suggestion = next(filter(None, map(resolver.suggest, unknown)), None)
    return Alignment(
        item=item,
        classification=classification,
        reason=reason,
        refs=tags.refs,
        outcomes=tuple(sorted(resolved)),
        origin=tags.origin,
        inherited_from=tags.source_key if tags.origin is TagOrigin.INHERITED else None,
        suggestion=suggestion,
        unknown_refs=tuple(unknown),
    )
