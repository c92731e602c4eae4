"""The Jinja2 environment shared by the template-based formats."""

from __future__ import annotations

from functools import cache

import jinja2

from tieback.coverage import display_coverage, display_weight
from tieback.formats.escape import escape_markdown, safe_url
from tieback.report import display_measure, measure_line, measure_rows


@cache
def environment(package: str = "tieback") -> jinja2.Environment:
    """The environment of the templates in ``package``'s ``templates`` folder (a
    connector's own: ``tieback.connectors.jira``)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = escape_markdown
    env.filters["safe_url"] = safe_url
    env.filters["weight"] = display_weight
    env.globals["display_coverage"] = display_coverage
    env.globals["measure_rows"] = measure_rows
    env.globals["measure"] = measure_line
    env.globals["number"] = display_measure
    return env
