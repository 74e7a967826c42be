"""The store's interface for positions: what consumers ask instead of the recorder, and
the one error they catch instead of the driver's."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import Tracking
from psycopg.sql import SQL, Identifier

from consumers.records import stored_position, tracking_name
from consumers.store_watch import DATABASE_ERRORS
from ledger.errors import StoreUnavailable
from ledger.store.event_store import EventStore


def test_a_position_is_the_last_one_tracked_under_its_name(database_url: str) -> None:
    store = EventStore(database_url)
    try:
        assert store.position("licence.commands:0") is None
        assert stored_position(store, "licence.commands", 0) == 0  # nothing applied yet
        store.append([], Tracking(tracking_name("licence.commands", 0), 41))
        assert store.position("licence.commands:0") == 41
        assert stored_position(store, "licence.commands", 0) == 42
        assert stored_position(store, "licence.commands", 1) == 0  # another partition
    finally:
        store.close()


def test_a_database_that_cannot_answer_is_store_unavailable(pg_url: str) -> None:
    store = EventStore(pg_url)
    try:
        recorder: Any = store.recorder
        with recorder.datastore.get_connection() as conn:  # the table goes from under it
            conn.execute(SQL("DROP TABLE {}.{}").format(
                Identifier(recorder.datastore.schema), Identifier(recorder.tracking_table_name)))
        with pytest.raises(StoreUnavailable) as caught:
            store.position("licence.commands:0")
        assert str(caught.value) == str(caught.value.__cause__)  # the driver's message
        assert isinstance(caught.value, DATABASE_ERRORS)  # what the consumers wait out
    finally:
        store.close()
