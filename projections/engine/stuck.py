"""A projection that cannot apply an event stops alone; every other one goes on.

Read models must store whatever the ledger accepts, and the tests try hard to make it so
(tests/property/test_read_models_accept_*.py). Still, an event stored long ago (by a
version with looser decoding, say: a NUL character that PostgreSQL text refuses), or a
bug in one fold, must not hold every read model back. When a page fails as a whole and
the database is up (commands/bus/failures.py tells the two apart), the runner takes each
projection alone over the next page, and the one that still fails, event by event, to
name the event. It is applied up to the event before; it then stops there (for the rest
of the process) and is reported with the event's stream, version, notification id and
the error. ``ledger project`` exits 1 naming it; ``--follow`` keeps the others current.
Restarting after the cause is fixed (code, or the read model's database) resumes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from commands.bus.failures import describe_failure, is_outage
from ledger.integrity.mapper import Record, decode_stored
from projections.engine.base import Projection, unapplied

log = logging.getLogger("ledger.projections")


@dataclass(frozen=True)
class StuckProjection:
    """Where and why a projection stopped."""

    projection: str
    notification_id: int
    stream: str | None  # None when the stored row itself could not be decoded
    version: int | None
    error: str

    def describe(self) -> str:
        at = f"stream {self.stream} version {self.version}, " if self.stream else ""
        return (f"projection {self.projection} is stuck at {at}notification"
                f" {self.notification_id}: {self.error}")


# (projection, page of (notification id, record), last id of the page) -> None
WritePage = Callable[[Projection, list[tuple[int, Record]], int], None]


def find_stuck(projections: Sequence[Projection], positions: dict[str, int], head: int,
               page_size: int, read_rows: Callable[[int, int, list[str]], list[Any]],
               write: WritePage) -> list[StuckProjection]:
    """Apply each projection alone over its next page; return those that fail, each
    applied up to the event before the one it fails on. Outages are raised."""
    stuck = []
    for p in projections:
        first = positions[p.name] + 1
        last = min(head, first + page_size - 1)
        if first > last:
            continue
        try:
            write(p, _decoded(read_rows(first, last, sorted(p.topics))), last)
        except Exception as exc:
            if is_outage(exc):
                raise
            found = _bisect(p, first, last, read_rows, write)
            if found is not None:
                log.error("%s; the other read models go on", found.describe())
                stuck.append(found)
            else:  # it went through alone, event by event: the page as a whole failed
                log.warning("projection %s failed on notifications %d-%d as a page (%s) but"
                            " not event by event; it goes on", p.name, first, last,
                            describe_failure(exc))
    return stuck


def _decoded(rows: list[Any]) -> list[tuple[int, Record]]:
    return [(row.id, decode_stored(row)) for row in rows]


def _bisect(p: Projection, first: int, last: int,
            read_rows: Callable[[int, int, list[str]], list[Any]], write: WritePage
            ) -> StuckProjection | None:
    """Apply ``p``'s events of the window one at a time, each with its position, up to
    the one that fails; that one is where ``p`` is stuck."""
    for row in read_rows(first, last, sorted(p.topics)):
        try:
            record = decode_stored(row)
        except Exception as exc:
            write(p, [], row.id - 1)
            return StuckProjection(p.name, row.id, None, None, describe_failure(exc))
        if not unapplied(p, [(row.id, record)], first - 1):
            continue
        try:
            write(p, [(row.id, record)], row.id)
        except Exception as exc:
            if is_outage(exc):
                raise
            write(p, [], row.id - 1)  # everything before the event is done
            return StuckProjection(p.name, row.id, str(record.stream), record.version,
                                   describe_failure(exc))
    return None
