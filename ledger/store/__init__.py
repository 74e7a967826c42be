"""The event store: persistence on SQLite or PostgreSQL, batches, the SQL seam for tables."""
