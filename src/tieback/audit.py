"""The audit pipeline: declarations + sources → alignment → one report."""

from __future__ import annotations

from collections.abc import Iterable

from tieback.alignment import align
from tieback.config import Config, Coverage
from tieback.errors import ConfigError
from tieback.model import Item
from tieback.outcomes import Declarations, focus_warnings, load_declarations
from tieback.report import Grouping, Report, build_report
from tieback.sources.interface import Source


def configured_sources(config: Config, offline: bool) -> list[Source]:
    """The sources an audit reads: export files always, trackers unless offline."""
    sources: list[Source] = []
    if config.settings.files.paths:
        from tieback.sources.files import FilesSource

        sources.append(FilesSource(config))
    if not offline:
        live = [
            name
            for name, section in (
                ("jira", config.settings.jira),
                ("github", config.settings.github),
            )
            if section.enabled
        ]
        if live:
            raise ConfigError(
                f"{config.label}: [{live[0]}] is configured, but this version of tieback "
                "reads trackers only through export files; run 'tieback audit --offline' "
                f"or leave [{live[0]}] out"
            )
    return sources


def read_items(sources: Iterable[Source]) -> tuple[list[Item], list[str]]:
    """Every item once (a key seen again replaces the earlier one), plus source warnings."""
    items: dict[str, Item] = {}
    warnings: list[str] = []
    for source in sources:
        for item in source.items():
            items[item.key] = item
        warnings.extend(source.warnings)
    return list(items.values()), warnings


def run_audit(
    config: Config,
    coverage: Coverage | None = None,
    by: Grouping = "team",
    offline: bool = False,
    declarations: Declarations | None = None,
) -> Report:
    declarations = declarations or load_declarations(config)
    items, source_warnings = read_items(configured_sources(config, offline))
    settings = config.settings
    result = align(items, declarations, settings.tagging, settings.exempt)
    return build_report(
        result.alignments,
        declarations,
        coverage or settings.coverage,
        by=by,
        warnings=[*focus_warnings(declarations), *result.warnings, *source_warnings],
    )
