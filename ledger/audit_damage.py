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

# ValueError and TypeError: eventsourcing builds each row's UUID and bytes itself, so a
# column edited to something it cannot convert raises from the row source, not the audit.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (
    EventSourcingError, sqlite3.Error, PsycopgError, ValueError, TypeError, OSError)

Damage = Callable[[str], None]
"""Called once with the description of the damage (where it was met, the database's words)."""


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
            damaged(describe(exc, last(), what))
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
