"""The side reader against the real broker: the parking rule's look at other partitions'
next records, and the re-reading of ranges, with the small fetches that keep a look at
~10 ms (consumers/side_reader.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kafka import KafkaProducer

from consumers.config import KafkaOptions
from consumers.side_reader import SIDE_FETCH_BYTES, SideReader
from tests.integration.conftest import KafkaTopics

pytestmark = pytest.mark.kafka


@pytest.fixture
def reader(topics: KafkaTopics) -> Iterator[SideReader]:
    options = KafkaOptions(bootstrap_servers=topics.bootstrap, group=topics.group,
                           commands_topic=topics.commands, results_topic=topics.results,
                           dlq_topic=topics.dlq, batch_size=200)
    reader = SideReader(options, "side-test")
    yield reader
    reader.close()


def post(topics: KafkaTopics) -> dict[int, list[int]]:
    """Partition 0: small records; 1: a record far larger than a side fetch first; 2: a
    record batch larger than one (the producer's batches are 256 KB). Their timestamps."""
    producer = KafkaProducer(bootstrap_servers=topics.bootstrap, batch_size=256 * 1024,
                             linger_ms=50, max_request_size=2 * 1024 * 1024)
    futures: dict[int, list[object]] = {0: [], 1: [], 2: []}
    futures[1].append(producer.send(topics.commands, b"big" * 200_000, partition=1))
    for i in range(600):
        futures[i % 3].append(producer.send(topics.commands, b"x" * 800, partition=i % 3))
    producer.flush()
    producer.close()
    return {p: [f.get().timestamp for f in fs] for p, fs in futures.items()}  # type: ignore[attr-defined]


def test_each_partitions_next_record_is_read_again_and_again(
        topics: KafkaTopics, reader: SideReader) -> None:
    stamps = post(topics)
    assert 4 * SIDE_FETCH_BYTES < 3 * 200 * 800  # more than one side fetch holds
    for _ in range(3):  # again and again: nothing of one look stays in the way of the next
        assert reader.next_timestamps(topics.commands, {0: 5, 1: 0, 2: 150}) == {
            0: stamps[0][5], 1: stamps[1][0], 2: stamps[2][150]}
    ends = {p: len(ts) for p, ts in stamps.items()}
    for _ in range(3):  # one partition drained, another not
        assert reader.next_timestamps(topics.commands, {0: 5, 2: ends[2]}) == {
            0: stamps[0][5], 2: None}


def test_a_range_is_read_whole_after_looks_at_its_partition(
        topics: KafkaTopics, reader: SideReader) -> None:
    post(topics)
    reader.next_timestamps(topics.commands, {0: 0, 1: 0, 2: 0})
    records, unread = reader.read_range(topics.commands, 1, 0, 201)
    assert unread == []
    assert [r.offset for r in records] == list(range(201))
    assert len(records[0].value or b"") == 600_000
