"""A batch's records sent in chunks as they are made (EventStore.append_chunks): one
transaction all the same, on both stores. On PostgreSQL each chunk goes to the server
as soon as it is drawn (ledger/store/pg_recorder.py), so the cases that matter are the
ones where something goes wrong half-way: nothing may be left written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import orjson
import psycopg
import pytest
from eventsourcing.persistence import StoredEvent, Tracking

from commands.bootstrap import bootstrap
from commands.settings import load_settings
from consumers.loadgen import LoadGenerator
from ledger.domain.departments import DepartmentRegistered
from ledger.errors import ConcurrencyError
from ledger.integrity.audit import audit_store
from ledger.integrity.mapper import Record, encode_record
from ledger.store.event_store import EventStore
from ledger.store.pg_recorder import Replayable
from tests.conftest import FakeClock, fresh_schema

AT = "2026-12-07T08:00:00.000000Z"
EVT = DepartmentRegistered("C", "名称", ("issuing",), "320581")


def chain(stream: UUID, count: int, first: int = 1) -> list[Record]:
    records: list[Record] = []
    for version in range(first, first + count):
        prev = records[-1].hash if records else None
        records.append(encode_record(stream, version, EVT, AT, None, prev))
    return records


def stored(store: EventStore) -> list[tuple[int, UUID, int]]:
    return [(nid, row.originator_id, row.originator_version) for nid, row in store.iter_rows()]


@pytest.fixture
def store(database_url: str) -> Iterator[EventStore]:
    store = EventStore(database_url)
    yield store
    store.close()


def test_chunks_are_stored_in_order_as_one_append(store: EventStore) -> None:
    a, b = uuid4(), uuid4()
    first, second = chain(a, 3), chain(b, 2)
    ids = store.append_chunks(iter([first[:2], [], first[2:] + second]),
                              Tracking("licence.commands:0", 7))
    assert len(ids) == 5 and ids == sorted(ids)
    assert [(s, v) for _, s, v in stored(store)] == [(a, 1), (a, 2), (a, 3), (b, 1), (b, 2)]
    assert [nid for nid, _, _ in stored(store)] == ids
    assert store.position("licence.commands:0") == 7


def test_a_chunk_that_cannot_be_made_leaves_nothing_written(store: EventStore) -> None:
    a = uuid4()
    store.append(chain(a, 1))
    before = stored(store)

    def chunks() -> Iterator[list[Record]]:
        yield chain(a, 2, first=2)  # sent to the server already, on PostgreSQL
        raise RuntimeError("the seal could not be signed")

    with pytest.raises(RuntimeError, match="could not be signed"):
        store.append_chunks(chunks(), Tracking("licence.commands:0", 9))
    assert stored(store) == before
    assert store.position("licence.commands:0") is None
    store.append(chain(a, 1, first=2))  # the store is usable, and version 2 is still free
    assert [v for _, s, v in stored(store) if s == a] == [1, 2]


def test_a_collision_in_a_later_chunk_is_a_conflict_and_writes_nothing(
        store: EventStore) -> None:
    a, b = uuid4(), uuid4()
    store.append(chain(a, 1))
    before = stored(store)
    with pytest.raises(ConcurrencyError, match="another writer got there first"):
        store.append_chunks(iter([chain(b, 2), chain(a, 1)]),  # version 1 of a is taken
                            Tracking("licence.commands:0", 3))
    assert stored(store) == before
    assert store.position("licence.commands:0") is None


def test_a_position_already_tracked_is_a_conflict(store: EventStore) -> None:
    store.append_chunks(iter([chain(uuid4(), 1)]), Tracking("licence.commands:0", 3))
    with pytest.raises(ConcurrencyError):
        store.append_chunks(iter([chain(uuid4(), 1)]), Tracking("licence.commands:0", 3))
    assert len(stored(store)) == 1


def test_a_read_only_store_makes_every_chunk_and_writes_none(store: EventStore) -> None:
    made: list[int] = []

    def chunks() -> Iterator[list[Record]]:
        for i in range(3):
            made.append(i)
            yield chain(uuid4(), 1)

    assert store.read_only().append_chunks(chunks()) == []
    assert made == [0, 1, 2]
    assert stored(store) == []


def test_a_retried_transaction_sends_the_same_rows_and_makes_each_once() -> None:
    made: list[int] = []

    def chunks() -> Iterator[list[StoredEvent]]:
        for i in range(3):
            made.append(i)
            yield [StoredEvent(uuid4(), i, "T", b"{}")]

    replay = Replayable(chunks())
    first_try = []
    for chunk in replay:  # the connection fails after two chunks
        first_try.append(chunk)
        if len(first_try) == 2:
            break
    second_try = list(replay)
    assert second_try[:2] == first_try
    assert len(second_try) == 3 and made == [0, 1, 2]
    assert list(replay) == second_try  # and again, all drawn already


@pytest.mark.postgres
@pytest.mark.parametrize("chunk", ["0", "1", "7"])
def test_the_ledger_is_the_same_whatever_the_chunk(pg_database: str, tmp_path: Path,
                                                  chunk: str) -> None:
    """LEDGER_INSERT_CHUNK changes how rows travel, never what is stored: the same stream
    with the same clock and key gives the same rows, byte for byte, as the default, and
    every chain and seal audits."""
    key = tmp_path / "ledger-key.pem"
    stream = [orjson.dumps(e) for e in LoadGenerator(5, start=datetime(2026, 12, 1, tzinfo=UTC))
              .stream(20)]

    def ledger(chunk: str | None) -> list[tuple[int, UUID, int, bytes]]:
        with fresh_schema(pg_database) as url:
            env = {"LEDGER_DATABASE_URL": url, "LEDGER_KEY_FILE": str(key)}
            services = bootstrap(load_settings({**env, "LEDGER_INSERT_CHUNK": chunk} if chunk
                                               else env),
                                 clock=FakeClock(datetime(2026, 12, 1, 9, tzinfo=UTC)))
            try:
                for i in range(0, len(stream), 25):
                    services.bus.execute(stream[i:i + 25])
                assert audit_store(services.store).ok
                return [(nid, row.originator_id, row.originator_version, bytes(row.state))
                        for nid, row in services.store.iter_rows()]
            finally:
                services.close()

    assert ledger(chunk) == ledger(None)


@pytest.mark.postgres
def test_a_connection_lost_half_way_is_retried_with_the_same_rows(pg_url: str) -> None:
    """PostgreSQL drops the writer's connection after the first chunk was sent: the
    transaction is retried on a new connection (eventsourcing's retry, as for a plain
    append), the chunks already made are sent again and the rest made once."""
    store = EventStore(pg_url)
    schema = pg_url.split("?schema=")[1]
    base = pg_url.split("?")[0]
    a, b = uuid4(), uuid4()
    made: list[str] = []

    def chunks() -> Iterator[list[Record]]:
        made.append("first")
        yield chain(a, 2)
        if made.count("first") == 1 and "killed" not in made:
            with psycopg.connect(base, autocommit=True) as admin:
                killed = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE pid <> pg_backend_pid() AND query LIKE %s",
                    (f"%{schema}%",)).fetchall()
            assert killed, "the writer's connection was not found"
            made.append("killed")
        made.append("second")
        yield chain(b, 1)

    try:
        ids = store.append_chunks(chunks(), Tracking("licence.commands:0", 5))
        assert made == ["first", "killed", "second"]  # each chunk made once
        assert len(ids) == 3
        assert [(s, v) for _, s, v in stored(store)] == [(a, 1), (a, 2), (b, 1)]
        assert store.position("licence.commands:0") == 5
    finally:
        store.close()
