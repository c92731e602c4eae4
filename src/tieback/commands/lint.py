"""``tieback lint``: check the configuration and the outcomes file, each warning a line."""

from __future__ import annotations

import argparse
import sys

from tieback import metrics
from tieback.commands import EXIT_ERROR, EXIT_OK, EXIT_POLICY, load
from tieback.config import Config
from tieback.outcomes import Finding, lint, load_declarations


def run(args: argparse.Namespace) -> int:
    config = load(args)
    errors: list[str] = []
    findings = lint_config(config, errors)
    for error in errors:
        print(f"error: {error}")
    for finding in findings:
        print(finding)
    counts = [
        f"{count} {noun}{'s' if count != 1 else ''}"
        for count, noun in ((len(errors), "error"), (len(findings), "warning"))
        if count
    ]
    print(f"tieback lint: {', '.join(counts) or 'no problems found'}", file=sys.stderr)
    if errors:
        return EXIT_ERROR
    return EXIT_POLICY if args.strict and findings else EXIT_OK


def lint_config(config: Config, errors: list[str] | None = None) -> list[str]:
    """Every warning as ``where[:line]: warning: message [rule]``. Errors raise
    ConfigError, or with ``errors`` are each a line there, the rest still checked."""
    declarations = load_declarations(config, errors)
    findings = [*lint(declarations), *metrics.lint(declarations)]
    lines = [_line(declarations.origin, finding) for finding in findings]
    lines.extend(_line(config.label, finding) for finding in _config_findings(config))
    return lines


def _line(where: str, finding: Finding) -> str:
    # Declarations may come from two places; the line number only fits the file.
    located = f"{where}:{finding.line}" if finding.line and " + " not in where else where
    return f"{located}: warning: {finding.message} [{finding.rule}]"


def _config_findings(config: Config) -> list[Finding]:
    findings: list[Finding] = []
    for path in config.file_paths:
        if not path.is_file():
            findings.append(
                Finding("missing-file", f"[files] paths: {path} does not exist", "files")
            )
    for path in config.metric_paths:
        if not path.is_file():
            findings.append(
                Finding("missing-file", f"[metrics] paths: {path} does not exist", "metrics")
            )
    from tieback.connectors import configured

    for connector, context in configured(config):
        findings.extend(connector.lint(context))
    return findings
