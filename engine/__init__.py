"""wenze engine: evaluation of case histories, calendars, store, reports and CLI."""

__version__ = "0.1.0"
