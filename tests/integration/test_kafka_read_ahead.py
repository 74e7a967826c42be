"""Records read a round ahead are used only while they are still the partition's next.

A real consumer on the Tansu broker reads round N, then round N+1 ahead of it (as
:class:`consumers.command_consumer.CommandConsumer` does); the partition is then parked,
sought, paused, revoked or rebalanced as the writer's handling of round N may do, and
:class:`consumers.read_ahead.ReadAhead` must drop exactly the partitions moved, leave
their position where the move put it (or put it back to the first held record when
nothing moved it), cancel their work in the verify pool, and the records must come again
from the broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from consumers.read_ahead import ReadAhead, Round
from consumers.records import Incoming, group_by_partition
from consumers.verify_pool import Decoded, Pending, VerifyPool
from tests.integration.conftest import KafkaTopics, make_topics
from tests.kafka_broker import Broker

pytestmark = [pytest.mark.kafka]

PER_PARTITION = 30
ROUND = 5  # records per partition and round


class Stage:
    """A consumer of a fresh two-partition topic holding round N and the round ahead."""

    def __init__(self, topics: KafkaTopics) -> None:
        self.tps = [TopicPartition(topics.commands, p) for p in (0, 1)]
        producer = KafkaProducer(bootstrap_servers=topics.bootstrap)
        for p in (0, 1):
            for i in range(PER_PARTITION):
                producer.send(topics.commands, value=f"{p}-{i}".encode(), partition=p)
        producer.flush()
        producer.close()
        self.consumer = KafkaConsumer(bootstrap_servers=topics.bootstrap, group_id=None,
                                      enable_auto_commit=False, fetch_max_wait_ms=50)
        self.consumer.assign(self.tps)
        self.consumer.seek_to_beginning(*self.tps)
        self.rebalances = 0
        self.ahead = ReadAhead(self.consumer, lambda: self.rebalances)
        self.pool = VerifyPool(0, 1 << 20)
        self.current = self.read_round()
        self.ahead.hold(self.read_round())
        held = self.ahead.held
        assert held is not None
        self.pending = {tp: p for (tp, _), p in zip(held.batches, held.pending, strict=True)}

    def read_round(self) -> Round:
        """ROUND records of each partition (both paused in turn, so each gets its share)."""
        records: list[Incoming] = []
        for tp in self.tps:
            others = [o for o in self.tps if o != tp]
            self.consumer.pause(*others)
            got: list[Incoming] = []
            for _ in range(100):
                polled = self.consumer.poll(timeout_ms=200, max_records=ROUND - len(got))
                got += [Incoming.of(r) for batch in polled.values() for r in batch]
                if len(got) >= ROUND:
                    break
            assert len(got) == ROUND, f"{tp}: only {len(got)} records"
            self.consumer.resume(*others)
            records += got
        batches = [(TopicPartition(t, p), b) for (t, p), b in group_by_partition(records).items()]
        # futures no worker has started: what a dropped partition cancels
        pending = [Pending(self.pool, [[r.value for r in b]], [Future[list[Decoded]]()])
                   for _, b in batches]
        return Round(batches, pending, self.rebalances)

    def next_offsets(self, tp: TopicPartition) -> list[int]:
        """The offsets the broker hands out next for ``tp``."""
        others = [o for o in self.tps if o != tp]
        self.consumer.pause(*others)
        for _ in range(100):
            polled = self.consumer.poll(timeout_ms=200, max_records=3)
            got = [r.offset for batch in polled.values() for r in batch]
            if got:
                return got
        raise AssertionError(f"{tp}: nothing fetched")

    def cancelled(self, tp: TopicPartition) -> bool:
        """Was the verify pool's work on ``tp``'s held records cancelled?"""
        return all(f.cancelled() for f in self.pending[tp].futures)

    def close(self) -> None:
        self.consumer.close()


@pytest.fixture
def stage(kafka_broker: Broker) -> Iterator[Stage]:
    stage = Stage(make_topics(kafka_broker, 2))
    try:
        yield stage
    finally:
        stage.close()


def taken(stage: Stage) -> dict[TopicPartition, list[int]]:
    kept = stage.ahead.take()
    assert stage.ahead.held is None, "taking empties the slot"
    return {tp: [r.offset for r in b] for tp, b in (kept.batches if kept else [])}


def offsets(records: list[Incoming]) -> list[int]:
    return [r.offset for r in records]


def test_a_round_ahead_nothing_moved_is_used_as_read(stage: Stage) -> None:
    tp0, tp1 = stage.tps
    assert taken(stage) == {tp0: list(range(ROUND, 2 * ROUND)),
                            tp1: list(range(ROUND, 2 * ROUND))}
    assert stage.consumer.position(tp0) == 2 * ROUND  # and reading goes on after it
    assert stage.next_offsets(tp0)[0] == 2 * ROUND


def test_a_partition_parked_in_round_n_drops_what_was_read_ahead(stage: Stage) -> None:
    tp0, tp1 = stage.tps
    parked_at = offsets(dict(stage.current.batches)[tp0])[2]
    stage.consumer.seek(tp0, parked_at)  # ParkingWatch.park: seek to the waiting record,
    stage.consumer.pause(tp0)  # and pause
    assert taken(stage) == {tp1: list(range(ROUND, 2 * ROUND))}
    assert stage.cancelled(tp0) and not stage.cancelled(tp1)
    assert stage.consumer.position(tp0) == parked_at  # the parking's seek stands
    stage.consumer.resume(tp0)
    assert stage.next_offsets(tp0)[0] == parked_at


def test_a_partition_sought_back_drops_what_was_read_ahead(stage: Stage) -> None:
    tp0, tp1 = stage.tps
    # a database outage (or a conflict, or a poison record passed) seeks to a record of
    # round N that was not applied
    stage.consumer.seek(tp0, 1)
    assert taken(stage) == {tp1: list(range(ROUND, 2 * ROUND))}
    assert stage.cancelled(tp0)
    assert stage.next_offsets(tp0)[0] == 1


def test_a_paused_partition_nothing_sought_is_put_back_to_its_first_held_record(
        stage: Stage) -> None:
    tp0, tp1 = stage.tps
    stage.consumer.pause(tp1)  # waiting for the database, say: its position did not move
    assert taken(stage) == {tp0: list(range(ROUND, 2 * ROUND))}
    assert stage.cancelled(tp1)
    assert stage.consumer.position(tp1) == ROUND
    stage.consumer.resume(tp1)
    assert stage.next_offsets(tp1)[0] == ROUND  # not lost: fetched again


def test_a_revoked_partition_drops_what_was_read_ahead(stage: Stage) -> None:
    tp0, tp1 = stage.tps
    stage.consumer.assign([tp1])  # tp0 revoked
    assert taken(stage) == {tp1: list(range(ROUND, 2 * ROUND))}
    assert stage.cancelled(tp0)


def test_a_rebalance_drops_the_whole_round_ahead_and_seeks_nothing(stage: Stage) -> None:
    tp0, tp1 = stage.tps
    stage.rebalances += 1  # the assignment positioned each partition from the ledger:
    stage.consumer.seek(tp0, 3)  # here tp0 at 3; tp1's position left just past the round
    assert taken(stage) == {}
    assert stage.cancelled(tp0) and stage.cancelled(tp1)
    assert stage.consumer.position(tp0) == 3
    assert stage.consumer.position(tp1) == 2 * ROUND  # not sought back: not ours to move


def test_an_outage_drops_the_round_ahead_and_puts_back_what_nothing_moved(
        stage: Stage) -> None:
    tp0, tp1 = stage.tps
    stage.consumer.seek(tp0, 2)  # the outage's seek back, in round N
    stage.ahead.drop()
    assert stage.ahead.held is None and stage.ahead.take() is None
    assert stage.cancelled(tp0) and stage.cancelled(tp1)
    assert stage.consumer.position(tp0) == 2
    assert stage.consumer.position(tp1) == ROUND  # back to its first held record
    assert stage.next_offsets(tp1)[0] == ROUND
