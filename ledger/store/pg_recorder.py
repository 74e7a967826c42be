"""The PostgreSQL recorder: eventsourcing's, with binary rows and rows sent as they are made.

Everything that makes the store trustworthy is the parent's and stays as it is: one
transaction holds a batch's events and its tracking record, the ``EXCLUSIVE`` table lock
makes notification ids follow commit order, the NOTIFY wakes readers. What changes is
only how the rows travel (:class:`BinaryInsertRecorder`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, suppress
from itertools import chain
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


class Replayable:
    """Chunks of rows from a generator, kept as they are drawn, so that a retried
    transaction sends the same rows again (the generator runs once)."""

    def __init__(self, chunks: Iterable[Sequence[StoredEvent]]) -> None:
        self._source = iter(chunks)
        self._drawn: list[Sequence[StoredEvent]] = []

    def __iter__(self) -> Iterator[Sequence[StoredEvent]]:
        yield from list(self._drawn)
        for chunk in self._source:
            self._drawn.append(chunk)
            yield chunk


class BinaryInsertRecorder(PostgresProcessRecorder):
    """eventsourcing's PostgreSQL recorder, sending a batch's rows as binary arrays.

    The parent binds the rows as one array of a composite type in *text* format, and
    psycopg escapes every ``bytea`` with a regular expression: ~35 µs of CPU a row here,
    a third of the ledger's cost per command. This sends the same single
    ``INSERT … SELECT FROM unnest(…) RETURNING notification_id`` with four binary arrays
    (~1 µs a row). Everything else is the parent's: the table lock that orders
    notification ids, the NOTIFY, the tracking record and the one transaction.

    :meth:`insert_chunks` sends a batch's rows in chunks as the caller makes them.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events",
                 tracking_table_name: str = "notification_tracking") -> None:
        super().__init__(datastore, events_table_name=events_table_name,
                         tracking_table_name=tracking_table_name)
        self.insert_rows_statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%b::{id_type}[], %b::int8[], %b::text[], %b::bytea[])"
            " RETURNING notification_id"
        ).format(schema=Identifier(datastore.schema), table=Identifier(events_table_name),
                 id_type=Identifier(datastore.originator_id_type))

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                              **_: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        self._insert_rows(curs, stored_events)

    def _insert_rows(self, curs: Cursor[DictRow], rows: Sequence[StoredEvent]) -> None:
        # unnest yields the rows in array order, so notification ids follow the batch.
        curs.execute(self.insert_rows_statement, [
            [e.originator_id for e in rows],
            [e.originator_version for e in rows],
            [e.topic for e in rows],
            [e.state for e in rows],
        ], prepare=True)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_chunks(self, chunks: Replayable, tracking: Tracking | None) -> list[int]:
        """:meth:`insert_events` of every row of ``chunks``, in one transaction, but each
        chunk is sent as soon as it is drawn (pipeline mode): PostgreSQL inserts a chunk
        while the caller makes the next (the ledger hashes and chains its records there).
        The writer used to wait for the whole insert after making every row: a fifth of
        its time (issue 18). The table lock is asked for once the first chunk is made,
        so it is held while the later chunks are made (docs/scaling.md says what that
        costs, and ``LEDGER_INSERT_CHUNK=0`` makes the whole batch one chunk).

        A chunk that cannot be made (an exception from the caller's generator) rolls
        the transaction back: nothing is written. A retried transaction (the connection
        failed) sends the same rows again (:class:`Replayable`)."""
        with self.datastore.get_connection() as conn:
            failed, ids = self._insert_chunks(conn, chunks, tracking)
            if failed is not None:  # raised here, as the parent does, once the pipeline is left
                raise failed
        return ids

    def _insert_chunks(self, conn: Any, chunks: Replayable, tracking: Tracking | None
                       ) -> tuple[Exception | None, list[int]]:
        drawn = iter(chunks)
        first = next(drawn, [])  # made before the lock is asked for: not part of its hold
        with conn.pipeline() as pipeline, conn.transaction(), ExitStack() as cursors:
            curs = cursors.enter_context(conn.cursor())
            inserts: list[Cursor[DictRow]] = []
            try:
                if tracking is not None:
                    self._insert_tracking(curs, tracking=tracking)
                self._lock_table(curs)
                self._notify_channel(curs)
                # The caller's own errors (a chunk that cannot be made) are not caught:
                # they leave the transaction, which rolls back.
                for chunk in chain([first], drawn):
                    if chunk:
                        inserts.append(cursors.enter_context(conn.cursor()))
                        self._insert_rows(inserts[-1], chunk)
                pipeline.sync()
                return None, [row["notification_id"] for c in inserts for row in c.fetchall()]
            except psycopg.Error as exc:
                # The server's: a collision (an IntegrityError), a lock timeout. In pipeline
                # mode it surfaces at the next statement sent or at the sync; the rest of
                # the pipeline is skipped and the transaction ends rolled back, as the
                # parent's does (the error is raised once the pipeline is left).
                with suppress(psycopg.Error):
                    pipeline.sync()
                return exc, []
