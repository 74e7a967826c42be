"""The ledger's own writes (key rotation, checkpoints) take the bus's save: one sealed batch
on their lane, chained like the command batches around them, and all or nothing when the
database fails in the middle of it (commands/bus/own_writes.py). Both stores."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pytest

from commands.bootstrap import Services, bootstrap
from commands.bus.failures import is_outage
from ledger.domain import streams
from ledger.integrity.audit import audit_rows
from ledger.integrity.canonical import format_instant
from ledger.integrity.ledger_keys import LedgerKeyHistory
from ledger.integrity.mapper import Record, decode_stored
from ledger.integrity.sealing import seal_message
from ledger.integrity.signing import SigningKey, b64decode, verify
from ledger.transparency.log import LANE, TransparencyLog
from tests.builders import RawEvents, apply_all, build_city
from tests.conftest import FakeClock


def _records(services: Services) -> list[Record]:
    return [decode_stored(row) for _, row in services.store.iter_rows()]


def _seals(records: list[Record], lane: str) -> list[Record]:
    return [r for r in records if r.stream == streams.seal_stream(lane)]


def _check_sealed(records: list[Record], seal: Record, key: SigningKey) -> list[Record]:
    """The rows ``seal`` closes (the ones just before it), its signature by ``key`` over
    them checked; they carry no cause (no command, no receipt)."""
    at = records.index(seal)
    hashes = list(seal.data["events"])
    batch = records[at - len(hashes):at]
    assert [r.hash for r in batch] == hashes
    assert seal.data["key_id"] == key.key_id
    verify(key.algorithm, key.public_key,
           seal_message(seal.data["lane"], seal.version, seal.prev, hashes, key.key_id,
                        seal.at),
           b64decode(seal.data["signature"], what="seal signature"))
    assert all(r.cause is None for r in batch)
    assert not any(r.type == "CommandRecorded" for r in batch)
    return batch


def test_a_rotation_and_a_checkpoint_are_sealed_batches_among_the_commands(
        services: Services, clock: FakeClock) -> None:
    scenario = build_city(services, clock, licences=4, lifecycle=False)
    lane = services.ledger.lane
    old = services.ledger.signer
    log = TransparencyLog(services.store, services.read_db)
    checkpoint, new = services.publish_checkpoint(log, format_instant(clock.now))
    assert new
    records = _records(services)
    batch = _check_sealed(records, _seals(records, LANE)[-1], old)
    assert [r.type for r in batch] == ["CheckpointPublished"]
    assert log.latest() == checkpoint and batch[0].at == checkpoint.time
    before = len(_seals(records, lane))

    clock.advance(minutes=1)
    key = SigningKey.generate()
    rotated = bootstrap(services.settings, clock=clock, signer=key)
    try:
        assert rotated.rotate_ledger_key(old, format_instant(clock.now)) == key.key_id
        clock.advance(minutes=1)
        apply_all(rotated, clock, scenario.issue(1))  # commands go on, on the same lane
        records = _records(rotated)
        seals = _seals(records, lane)
        assert len(seals) == before + 2
        rotation, after = seals[-2:]
        assert [r.type for r in _check_sealed(records, rotation, key)] == [
            "LedgerKeyRegistered", "LedgerKeyRetired"]
        # One chain of seals on the lane: commands, the rotation, commands again.
        assert (rotation.version, rotation.prev) == (seals[-3].version + 1, seals[-3].hash)
        assert (after.version, after.prev) == (rotation.version + 1, rotation.hash)
        assert after.data["key_id"] == key.key_id
        history = LedgerKeyHistory.of(records)
        assert history.current == key.key_id and history.is_retired(old.key_id)
        second, new = rotated.publish_checkpoint(log, format_instant(clock.now))
        assert new and second.key_id == key.key_id and second.size > checkpoint.size
    finally:
        rotated.close()
    report = audit_rows(services.store.iter_rows())
    assert report.ok, report.to_json()


class _SealsFail:
    """A trigger that makes the database fail the insert of a seal on ``lane``: the last
    row of the batch's transaction, after its events were inserted. On PostgreSQL it fails
    as a server shutting down does (SQLSTATE 57P01, an outage to the bus)."""

    def __init__(self, url: str, lane: str) -> None:
        self.raw = RawEvents(url)
        self.stream = streams.seal_stream(lane)

    def _execute(self, *statements: str) -> None:
        conn: Any
        if self.raw.sqlite:
            conn = sqlite3.connect(self.raw.path, isolation_level=None)
        else:
            conn = psycopg.connect(self.raw.dsn, autocommit=True)
        try:
            for statement in statements:
                conn.execute(statement)
        finally:
            conn.close()

    def __enter__(self) -> None:
        table = self.raw.table
        if self.raw.sqlite:
            self._execute(f"CREATE TRIGGER seals_fail BEFORE INSERT ON {table} WHEN"
                          f" NEW.originator_id = '{self.stream.hex}' BEGIN SELECT"
                          " RAISE(ABORT, 'disk failed'); END")
        else:
            self._execute(
                "CREATE FUNCTION seals_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " RAISE EXCEPTION 'terminating connection due to administrator command'"
                " USING ERRCODE = '57P01'; END $$",
                f"CREATE TRIGGER seals_fail BEFORE INSERT ON {table} FOR EACH ROW WHEN"
                f" (NEW.originator_id = '{self.stream}') EXECUTE FUNCTION seals_fail()")

    def __exit__(self, *_: object) -> None:
        if self.raw.sqlite:
            self._execute("DROP TRIGGER seals_fail")
        else:
            self._execute(f"DROP TRIGGER seals_fail ON {self.raw.table}",
                          "DROP FUNCTION seals_fail()")


def _failed_at_the_seal(url: str, exc: BaseException) -> None:
    """Raised by the trigger: on PostgreSQL an outage, which the caller waits out."""
    if url.startswith("sqlite"):
        assert "disk failed" in str(exc), exc
    else:
        assert is_outage(exc) and "administrator command" in str(exc), exc


def test_a_failure_mid_way_leaves_nothing_of_the_rotation_or_the_checkpoint(
        services: Services, clock: FakeClock) -> None:
    build_city(services, clock, licences=2, lifecycle=False)
    old = services.ledger.signer
    url = services.settings.database_url
    stored = RawEvents(url).rows()
    key = SigningKey.generate()
    rotated = bootstrap(services.settings, clock=clock, signer=key)
    log = TransparencyLog(services.store, services.read_db)
    try:
        with _SealsFail(url, services.ledger.lane), pytest.raises(Exception) as failed:
            rotated.rotate_ledger_key(old, format_instant(clock.now))
        _failed_at_the_seal(url, failed.value)
        with _SealsFail(url, LANE), pytest.raises(Exception) as failed:
            services.publish_checkpoint(log, format_instant(clock.now))
        _failed_at_the_seal(url, failed.value)
        assert RawEvents(url).rows() == stored  # not one event of either batch
        assert log.latest() is None
        history = LedgerKeyHistory.of(_records(services))
        assert history.current == old.key_id and not history.is_retired(old.key_id)
        # Once the database works again, both are written whole.
        clock.advance(minutes=1)
        assert rotated.rotate_ledger_key(old, format_instant(clock.now)) == key.key_id
        checkpoint, new = rotated.publish_checkpoint(log, format_instant(clock.now))
        assert new and checkpoint.key_id == key.key_id
    finally:
        rotated.close()
    assert [r.type for r in _records(services)[-5:]] == [
        "LedgerKeyRegistered", "LedgerKeyRetired", "BatchSealed", "CheckpointPublished",
        "BatchSealed"]
    report = audit_rows(services.store.iter_rows())
    assert report.ok, report.to_json()
