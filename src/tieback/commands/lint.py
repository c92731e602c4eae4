"""``tieback lint``: check the configuration and the outcomes file."""

from __future__ import annotations

import argparse
import sys

from tieback.commands import EXIT_ERROR, EXIT_OK, EXIT_POLICY, load


def run(args: argparse.Namespace) -> int:
    from tieback.lint import lint_config

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
