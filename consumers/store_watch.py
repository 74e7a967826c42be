"""Keeping the ledger's state cache true when other processes write too.

The ledger caches the state of streams between batches. Several consumers write one
database: a department's keys or a catalogue entry may change in another process, and
a stale copy would let this one accept a command signed with a key revoked elsewhere.
Before each batch the highest notification id is compared with the last one this
process knows of; if someone else wrote since, the cache is dropped.
"""

from __future__ import annotations

from commands.bootstrap import Services
from ledger.store.event_store import STORE_ERRORS

# What the store raises when the database cannot be reached or used, as the store names
# it (its translated StoreUnavailable among them): consumers never see the driver.
DATABASE_ERRORS = STORE_ERRORS


class DatabaseUnavailable(Exception):
    """The ledger database could not be used; nothing of the batch in hand was applied."""


def describe(exc: BaseException) -> str:
    """The first line of a driver error, for a log line."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class StoreWatch:
    """Tracks the notification ids this process wrote; see the module docstring."""

    def __init__(self) -> None:
        self.services: Services | None = None
        self.seen = -1  # unknown: the first batch starts from a fresh cache anyway

    def attach(self, services: Services) -> None:
        self.services = services

    def committed(self, ids: list[int]) -> None:
        """``after_commit`` hook of the bus: our own writes do not make the cache stale."""
        if ids and min(ids) == self.seen + 1:
            self.seen = max(ids)

    def refresh_if_others_wrote(self) -> None:
        assert self.services is not None, "attach() the services first"
        latest = self.services.store.max_notification_id()
        if latest != self.seen:
            self.services.ledger.forget()
            self.seen = latest
