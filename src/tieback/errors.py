"""The exceptions tieback raises; the CLI turns each into one line and exit code 1."""

from __future__ import annotations


class TiebackError(Exception):
    """Base of every error tieback reports to the user as one line."""


class ConfigError(TiebackError):
    """The configuration file, an environment override or the outcomes file is wrong."""


class SourceError(TiebackError):
    """A source of work items (an export file, Jira, GitHub) could not be read."""


class SinkError(TiebackError):
    """Writing back to a tracker failed."""


class StoreError(TiebackError):
    """The local store could not be read or written."""
