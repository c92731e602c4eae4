"""Sinks: what tieback writes back to the trackers."""
