"""Genuine histories replay clean: load with refused commands, ledger key rotation,
checkpoints and several lanes, on SQLite and PostgreSQL; and the replay keeps memory flat."""

from __future__ import annotations

import tracemalloc
from datetime import timedelta

from commands.bootstrap import Services
from commands.bus.own_writes import publish_checkpoint, rotate_ledger_key
from commands.bus.pipeline import MessageBus
from commands.replay.run import replay_store
from consumers.loadgen import LoadGenerator
from ledger.domain import streams
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey, load_signing_key
from ledger.store.application import Ledger
from ledger.transparency.log import TransparencyLog
from tests.builders import RawEvents
from tests.conftest import FakeClock

BATCH = 40


def _apply(bus: MessageBus, clock: FakeClock, lines: list[dict[str, object]],
           lane: str | None = None) -> tuple[int, int]:
    accepted = refused = 0
    for start in range(0, len(lines), BATCH):
        for result in bus.execute(lines[start:start + BATCH], lane=lane):
            accepted += result.accepted
            refused += not result.accepted
        clock.advance(seconds=5)
    return accepted, refused


def _publish(services: Services, ledger: Ledger, clock: FakeClock) -> None:
    publish_checkpoint(MessageBus(ledger), TransparencyLog(services.store, services.read_db),
                       format_instant(clock.now))
    clock.advance(seconds=5)


def test_load_with_refusals_rotation_checkpoints_and_lanes_replays_clean(
        services: Services, clock: FakeClock) -> None:
    lines = list(LoadGenerator(5, start=clock.now - timedelta(hours=1)).stream(
        60, bad_ratio=0.15, today=clock.now.date()))
    half = len(lines) // 2
    accepted, refused = _apply(services.bus, clock, lines[:half])
    _publish(services, services.ledger, clock)
    # The ledger key is rotated: later seals and checkpoints are signed by the new key.
    old = load_signing_key(services.settings.key_file)
    rotated = Ledger(services.store, SigningKey.generate())
    rotate_ledger_key(MessageBus(rotated), old, format_instant(clock.now))
    bus = MessageBus(rotated, clock=clock)
    more = _apply(bus, clock, lines[half:], lane="partition-1")
    _publish(services, rotated, clock)
    assert refused + more[1] > 10 and accepted + more[0] > 100
    report = replay_store(services.store)
    assert report.ok, report.divergence
    rows = RawEvents(services.settings.database_url).rows()
    assert report.events == len(rows)
    assert report.commands == sum(1 for r in rows if r.topic == "CommandRecorded")
    # Two ledger keys, one retirement, two checkpoints: fed back, not re-derived.
    assert report.ledger_events == 5
    refused_reads = [r for r in rows if r.topic == "CommandRecorded"
                     and r.body()["data"]["outcome"] == "refused"]
    assert refused_reads, "the load should record refused reads"


def test_memory_stays_flat_as_the_history_grows(services: Services, clock: FakeClock) -> None:
    """The peak memory of a replay of twice the history is not twice the peak."""
    generator = LoadGenerator(9, start=clock.now - timedelta(hours=1))
    lines = list(generator.stream(400, today=clock.now.date()))
    third = len(lines) // 3
    _apply(services.bus, clock, lines[:third])
    peaks = []
    for part in (lines[third:2 * third], lines[2 * third:], []):
        streams._sid.cache_clear()  # bounded (65,536 ids) but filling up: not what is measured
        tracemalloc.start()
        report = replay_store(services.store, cache_size=100, page=200)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert report.ok, report.divergence
        _apply(services.bus, clock, part)
    # A third of the history, two thirds, all: the peak is a page of rows, one batch and
    # the bounded cache, whatever the length of the history.
    assert peaks[2] < peaks[0] * 1.25, peaks
