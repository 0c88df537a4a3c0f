"""Poll tables and charts: a side branch over poll files that does not touch the store."""
