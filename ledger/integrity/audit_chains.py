"""The audit's second pass: every stream's versions and hash links, one stream at a time.

Checking ``prev`` links in global order needs the last hash of every stream seen so far:
hundreds of bytes per stream, and a ledger of a million licences has several million
streams (each command's receipt, each read, each licence and its number claim). Reading
the rows a second time ordered by (stream, version) — the store's primary key, so no
sort — needs one head at a time, whatever the size of the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.integrity.mapper import RecordFormatError, decode_stored

Fail = Callable[[str, int, int, str, bool], None]
"""(stream, position, notification id, reason, consequence)"""

ITERSIZE = 50  # rows a PostgreSQL server-side cursor sends at a time. A seal row lists
# every hash of its batch (~130 KB at 500 commands a batch) and, in this order, a seal
# lane's rows come together: 500 at a time held ~60 MB more at 100k licences (and grew
# with the ledger); 50 costs no measurable time there.


class ChainChecker:
    """Versions run 1, 2, 3… and each ``prev`` is the hash of the version before.

    Rows must come ordered by stream, then version. A row that cannot be decoded is left
    to the first pass (which reports it); the row after it then reports the gap.
    """

    def __init__(self, fail: Fail) -> None:
        self.fail = fail
        self.streams = 0
        self._stream: UUID | None = None
        self._head: tuple[int, str] | None = None
        self.last_nid = 0  # of the row read last (where damage met later is reported)

    def row(self, nid: int, row: StoredEvent) -> None:
        self.last_nid = nid
        try:
            record = decode_stored(row)
        except (RecordFormatError, ValueError, TypeError):  # the first pass reports it
            return
        stream, version = str(record.stream), record.version
        if record.stream != self._stream:
            self._stream, self._head = record.stream, None
            self.streams += 1
        last, self._head = self._head, (version, record.hash)
        if last is None:
            if version != 1 or record.prev is not None:
                self.fail(stream, version, nid, f"stream starts at version {version}, expected"
                          " 1 with no predecessor (earlier rows missing?)", False)
        elif version != last[0] + 1:
            self.fail(stream, version, nid,
                      f"version {version} follows {last[0]} (row missing or reordered)", False)
        elif record.prev != last[1]:
            # An altered event is reported where it is (its bytes or its seal); the broken
            # link after it is the knock-on effect.
            self.fail(stream, version, nid, "hash chain broken: prev does not match the hash"
                      f" of version {last[0]} (an earlier event was altered)", True)

    def run(self, rows: Iterable[tuple[int, StoredEvent]],
            progress: Callable[[int], None] | None = None) -> None:
        for n, (nid, row) in enumerate(rows, 1):
            self.row(nid, row)
            if progress is not None and n % 10_000 == 0:
                progress(n)


def in_stream_order(rows: Iterable[tuple[int, StoredEvent]]) -> list[tuple[int, StoredEvent]]:
    """Rows already in memory, ordered as :func:`rows_by_stream` reads them."""
    return sorted(rows, key=lambda r: (str(r[1].originator_id), r[1].originator_version))


def rows_by_stream(recorder: Any, sqlite: bool,
                   until: int) -> Iterator[tuple[int, StoredEvent]]:
    """Every row up to notification id ``until``, ordered by (stream, version): an index
    scan of the primary key read through a streaming cursor in one read transaction.

    Not pages of N rows: ordered by stream, a seal lane's rows come together, each listing
    hundreds of hashes, and a page of them would hold tens of megabytes."""
    table = recorder.events_table_name
    if sqlite:
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM"
                      f" {table} WHERE rowid <= ? ORDER BY originator_id, originator_version",
                      [until])
            for r in iter(c.fetchone, None):
                try:
                    stream = UUID(r[1])
                except (ValueError, TypeError, AttributeError):
                    continue  # not a stream id: the first pass reports the row
                yield r[0], StoredEvent(stream, r[2], r[3], r[4])
        return
    from psycopg.sql import SQL, Identifier

    statement = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state FROM {}.{}"
        " WHERE notification_id <= %s ORDER BY originator_id, originator_version"
    ).format(Identifier(recorder.datastore.schema), Identifier(table))
    with recorder.datastore.get_connection() as conn, conn.transaction(), \
            conn.cursor(name="ledger_audit_chains") as curs:
        curs.itersize = ITERSIZE
        curs.execute(statement, [until])
        for r in curs:
            state = r["state"]
            yield r["notification_id"], StoredEvent(r["originator_id"], r["originator_version"],
                                                    r["topic"], b"" if state is None
                                                    else bytes(state))
