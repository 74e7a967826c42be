"""Storage the audit cannot read: reported as damage at a position, never a traceback.

A corrupted database page, a broken index, a dropped table or a column holding what its
type cannot hold make the database driver (or eventsourcing's translation of its errors)
raise while the audit reads rows. The audit names the last row it did read, so the damage
has a place: everything after it is unread, hence unverified.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from eventsourcing.domain import EventSourcingError
from psycopg import Error as PsycopgError

T = TypeVar("T")

PERSISTENCE_ERRORS: tuple[type[BaseException], ...] = (
    EventSourcingError, sqlite3.Error, PsycopgError)
"""The database (or eventsourcing's translation of its errors) failing."""

# ValueError, TypeError, KeyError: eventsourcing builds each row's UUID and bytes itself, so a
# column edited to something it cannot convert raises from the row source, not the audit.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (
    EventSourcingError, sqlite3.Error, PsycopgError, ValueError, TypeError, LookupError,
    OSError)

Damage = Callable[[int, str], None]
"""Called with the id of the last row read before the damage and its description (where
it was met, the database's words)."""


def guarded(rows: Iterable[T], last: Callable[[], int], what: str,
            damaged: Damage) -> Iterator[T]:
    """Yield ``rows`` until reading the next one fails with a storage error; then report
    the damage (after the row id ``last()`` gives, if any) and stop."""
    source = iter(rows)
    while True:
        try:
            item = next(source)
        except StopIteration:
            return
        except STORAGE_ERRORS as exc:
            damaged(last(), describe(exc, last(), what))
            return
        yield item


def describe(exc: BaseException, last_id: int, what: str) -> str:
    """The report line: where the damage was met, then the database's own words."""
    words = " ".join(str(exc).split()) or type(exc).__name__
    if last_id <= 0:
        return f"storage damaged: {words} (while reading {what})"
    return (f"storage damaged after event id {last_id}: {words} (while reading {what}; the"
            " rows from there on cannot be read, so they are not verified)")


def storage_error(exc: Any) -> bool:
    """Whether ``exc`` is the storage failing rather than a bug in the audit."""
    return isinstance(exc, STORAGE_ERRORS)


def readable_rows(recorder: Any, sqlite: bool, damaged: Damage,
                  page: int = 5000) -> Iterator[tuple[int, Any]]:
    """(notification id, row) in global order, like ``EventStore.iter_rows``, reading past
    rows that cannot be read: each is reported (``damaged(id, reason)``) and skipped.

    A page that fails is read again one row at a time, so the bad row is named and the
    rest of the page still audited; reading stops, reported after the last row read, only
    when not even the ids of the rows can be read (a damaged table page or index)."""
    start, careful = 1, 0
    while True:
        size = 1 if careful else page
        try:
            rows = recorder.select_notifications(start, size)
        except STORAGE_ERRORS as exc:
            if not careful:
                careful = page  # the bad row is among the next ``page``: find it
                continue
            try:
                bad = _next_id(recorder, sqlite, start)
            except STORAGE_ERRORS as again:
                damaged(start - 1, describe(again, start - 1, "the rows in global order"))
                return
            if bad is None:  # pragma: no cover - the row vanished between two reads
                return
            damaged(bad, f"storage damaged at event id {bad}: the row cannot be read"
                    f" ({' '.join(str(exc).split()) or type(exc).__name__})")
            start, careful = bad + 1, careful - 1
            continue
        if not rows:
            return
        for row in rows:
            yield row.id, row
        start, careful = rows[-1].id + 1, max(0, careful - len(rows))


def _next_id(recorder: Any, sqlite: bool, start: int) -> int | None:
    """The first row id at or after ``start``, reading the id column alone."""
    table = recorder.events_table_name
    if sqlite:
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT rowid FROM {table} WHERE rowid >= ? ORDER BY rowid LIMIT 1",
                      [start])
            found = c.fetchone()
            return None if found is None else int(found[0])
    from psycopg.sql import SQL, Identifier

    statement = SQL("SELECT notification_id FROM {}.{} WHERE notification_id >= %s"
                    " ORDER BY notification_id LIMIT 1").format(
        Identifier(recorder.datastore.schema), Identifier(table))
    with recorder.datastore.get_connection() as conn:
        row = conn.execute(statement, [start]).fetchone()
        return None if row is None else int(row["notification_id"])
