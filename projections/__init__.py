"""Read models: projections of the one event stream, kept up to date idempotently.

``engine`` applies events to tables (positions saved with the rows); ``models`` are the
tables and their queries; ``registry`` lists every model the runner keeps.
"""
