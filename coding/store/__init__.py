"""The store: one SQLite file holding transcripts, turns, codings, runs and the log."""

from .store import CODING_COLUMNS, SCHEMA_VERSION, Store

__all__ = ["CODING_COLUMNS", "SCHEMA_VERSION", "Store"]
