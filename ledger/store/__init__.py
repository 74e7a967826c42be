"""The event store and the Ledger on it: SQLite or PostgreSQL, batches, the SQL seam.

:mod:`.application` holds the ``Ledger`` (streams loaded, events saved in one unit of work
with their position), :mod:`.event_store` the eventsourcing recorders, :mod:`.sql` the
seam read models and checkpoints write their tables through.
"""
