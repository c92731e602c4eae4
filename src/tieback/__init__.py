"""tieback: tie the backlog back to the outcomes it is meant to move."""

__version__ = "0.1.0"
