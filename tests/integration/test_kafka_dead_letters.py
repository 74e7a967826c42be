"""Bytes that are not a command go to the dead-letter topic; the consumer keeps going."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer

from tests.integration.conftest import KafkaTopics, snapshot
from tests.kafka_broker import cli, read_topic, results_by_command, start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

POISON = [
    b"\xff\xfe\x00 not even text",
    b"[1, 2, 3]",
    b'{"command_id": "8c1d2a3e-0d4a-4e57-9b7f-1a2c3d4e5f60", "type": "IssueLicence"}',
]


def test_poison_is_dead_lettered_with_its_reason_and_the_rest_applied(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    env = topics.env(pg_url, ledger_key)
    made = cli(["loadgen", "--licences", "3", "--seed", "13"], env)
    envelopes = [orjson.loads(line) for line in made.stdout.splitlines()]
    producer = KafkaProducer(bootstrap_servers=topics.bootstrap)
    for partition in range(3):  # poison first in every partition, commands after it
        for value in POISON:
            producer.send(topics.commands, value=value, key=b"poison", partition=partition)
    producer.flush()
    producer.close()
    path = tmp_path / "stream.jsonl"
    path.write_bytes(made.stdout)
    assert cli(["post", str(path)], env).returncode == 0

    assert start_consumer(env, tmp_path / "consumer.log").wait(timeout=90) == 0
    assert snapshot(pg_url, ledger_key, envelopes).accepted == {
        e["command_id"] for e in envelopes}

    letters = read_topic(topics.bootstrap, topics.dlq, expect=3 * len(POISON))
    assert sorted(r.value for r in letters) == sorted(POISON * 3)
    for letter in letters:
        headers = {k: v.decode() for k, v in letter.headers}
        assert headers["ledger-source-topic"] == topics.commands
        assert int(headers["ledger-source-offset"]) < len(POISON)  # first in its partition
        assert headers["ledger-error-code"] in {"malformed_json", "invalid_command"}
        assert headers["ledger-error"]

    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=len(envelopes) + 3 * len(POISON)))
    rejected = [a for bodies in answers.values() for a in bodies if a["status"] == "rejected"]
    assert len(rejected) == 3 * len(POISON)
    assert {a["code"] for a in rejected} == {"malformed_json", "invalid_command"}
