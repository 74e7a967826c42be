"""A history written through Kafka by two consumers (a seal lane per partition, commands
that wait for others, refusals) replays clean on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.replay.run import replay_store
from ledger.store.event_store import EventStore
from tests.builders import RawEvents
from tests.integration.conftest import KafkaTopics
from tests.kafka_broker import cli, start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


def test_two_consumers_history_replays_clean(topics: KafkaTopics, pg_url: str,
                                             ledger_key: Path, tmp_path: Path) -> None:
    env = topics.env(pg_url, ledger_key)
    made = cli(["loadgen", "--licences", "30", "--seed", "6", "--bad-ratio", "0.1"], env)
    assert made.returncode == 0, made.stderr.decode()
    stream = tmp_path / "stream.jsonl"
    stream.write_bytes(made.stdout)
    consumers = [start_consumer(env, tmp_path / f"consumer-{i}.log", until_idle=6)
                 for i in range(2)]
    posted = cli(["post", str(stream), "--wait", "90"], env, timeout=180)
    out = posted.stdout.decode()
    assert posted.returncode == 1 and " 0 not answered" in out, out  # 1: the bad lines
    assert "rejected" in out
    for consumer in consumers:
        assert consumer.wait(timeout=90) == 0
    rows = RawEvents(pg_url).rows()
    lanes = {r.stream for r in rows if r.topic == "BatchSealed"}
    assert len(lanes) >= 2, "one seal lane per partition"
    store = EventStore(pg_url, create_table=False)
    try:
        report = replay_store(store)
    finally:
        store.close()
    assert report.ok, report.divergence
    assert report.events == len(rows)
    assert report.commands == sum(1 for r in rows if r.topic == "CommandRecorded")
