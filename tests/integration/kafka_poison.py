"""Set-up the dead-letter tests share: hostile records in front of real commands in every
partition of the commands topic, and a consumer run that must get past them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaProducer

from tests.integration.conftest import KafkaTopics, snapshot
from tests.kafka_broker import cli, start_consumer


@dataclass(frozen=True)
class Hostile:
    """One record sent in front of the commands; ``value`` None is a tombstone."""
    value: bytes | None
    key: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def poison_in_front(topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path,
                    hostile: list[Hostile], *, licences: int, seed: int,
                    max_request_size: int = 1 << 20) -> list[dict[str, Any]]:
    """Put ``hostile`` first in every partition, then post the commands of a ``loadgen``
    run of ``licences`` behind them, and consume until idle. Asserts the consumer ended
    cleanly and every command was applied; returns the commands' envelopes."""
    env = topics.env(pg_url, ledger_key)
    made = cli(["loadgen", "--licences", str(licences), "--seed", str(seed)], env)
    envelopes = [orjson.loads(line) for line in made.stdout.splitlines()]
    producer = KafkaProducer(bootstrap_servers=topics.bootstrap,
                             max_request_size=max_request_size)
    for partition in range(3):  # in front of the commands, in every partition
        for record in hostile:
            producer.send(topics.commands, value=record.value, key=record.key,
                          partition=partition, headers=record.headers or None)
    producer.flush()
    producer.close()
    path = tmp_path / "stream.jsonl"
    path.write_bytes(made.stdout)
    assert cli(["post", str(path)], env).returncode == 0

    assert start_consumer(env, tmp_path / "consumer.log").wait(timeout=90) == 0
    assert snapshot(pg_url, ledger_key, envelopes).accepted == {
        e["command_id"] for e in envelopes}
    return envelopes
