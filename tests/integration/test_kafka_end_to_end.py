"""Post → consume → result, with our command line and with an independent client."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import confluent_kafka
import orjson
import pytest

from consumers.loadgen import LoadGenerator
from consumers.producer import partition_key
from tests.integration.conftest import KafkaTopics, snapshot
from tests.kafka_broker import cli, read_topic, results_by_command, start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_a_posted_file_is_applied_and_every_command_answered(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    env = topics.env(pg_url, ledger_key)
    keys = tmp_path / "keys"
    made = cli(["loadgen", "--licences", "6", "--seed", "4", "--keys", str(keys)], env)
    stream = tmp_path / "stream.jsonl"
    stream.write_bytes(made.stdout)
    envelopes = [orjson.loads(line) for line in made.stdout.splitlines()]
    city = LoadGenerator(4).scenario.city
    assert {p.stem for p in keys.glob("*.pem")} == {d.code for d in city.departments}

    consumer = start_consumer(env, tmp_path / "consumer.log", until_idle=4)
    posted = cli(["post", str(stream), "--wait", "60"], env)
    out = posted.stdout.decode()
    assert posted.returncode == 0, out + posted.stderr.decode()
    assert f"posted {len(envelopes)} commands to {topics.commands}" in out
    assert f"results: {len(envelopes)} accepted, 0 rejected, 0 not answered" in out
    assert consumer.wait(timeout=60) == 0

    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=len(envelopes)))
    issued = next(a[0] for a in answers.values() if a[0]["type"] == "IssueLicence")
    assert issued["status"] == "accepted" and issued["code"] is None
    assert issued["events"] and issued["topic"] == topics.commands
    assert snapshot(pg_url, ledger_key, envelopes).accepted == set(answers)


def test_post_signs_unsigned_commands_with_the_keys_given(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    env = topics.env(pg_url, ledger_key)
    keys = tmp_path / "keys"
    gen = LoadGenerator(8, start=datetime.now(UTC) - timedelta(seconds=5))
    gen.write_keys(keys)
    unsigned = [{k: v for k, v in e.items() if k not in ("signature", "key_id")}
                for e in gen.stream(2)]
    stream = tmp_path / "unsigned.jsonl"
    stream.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in unsigned))

    refused = cli(["post", str(stream)], env)
    assert refused.returncode == 2 and b"not signed; give --keys DIR" in refused.stderr

    consumer = start_consumer(env, tmp_path / "consumer.log", until_idle=3)
    posted = cli(["post", str(stream), "--keys", str(keys), "--wait", "60"], env)
    assert posted.returncode == 0, posted.stdout.decode() + posted.stderr.decode()
    assert f"({len(unsigned)} signed here;" in posted.stdout.decode()
    assert consumer.wait(timeout=60) == 0


def test_an_independent_client_posts_and_reads_results(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    """confluent-kafka (librdkafka) as a department's client: key = the aggregate."""
    env = topics.env(pg_url, ledger_key)
    gen = LoadGenerator(9, start=datetime.now(UTC) - timedelta(seconds=5))
    envelopes = list(gen.stream(3))
    producer = confluent_kafka.Producer({  # murmur2: the partitioner `ledger post` uses
        "bootstrap.servers": topics.bootstrap, "enable.idempotence": True,
        "partitioner": "murmur2_random"})
    for e in envelopes:
        producer.produce(topics.commands, key=partition_key(e), value=orjson.dumps(e))
    assert producer.flush(30) == 0

    consumer = start_consumer(env, tmp_path / "consumer.log", until_idle=3)
    assert consumer.wait(timeout=90) == 0

    reader = confluent_kafka.Consumer({
        "bootstrap.servers": topics.bootstrap, "group.id": f"reader-{topics.group}",
        "enable.auto.commit": False})
    reader.assign([confluent_kafka.TopicPartition(topics.results, p,
                                                  confluent_kafka.OFFSET_BEGINNING)
                   for p in range(3)])  # no group join needed to read a topic
    answers: dict[str, dict[str, object]] = {}
    deadline = time.monotonic() + 60
    try:
        while len(answers) < len(envelopes) and time.monotonic() < deadline:
            message = reader.poll(0.5)
            if message is None or message.error():
                continue
            body = json.loads(message.value())
            assert message.key().decode() == body["command_id"]
            answers[body["command_id"]] = body
    finally:
        reader.close()
    assert set(answers) == {e["command_id"] for e in envelopes}
    assert all(a["status"] == "accepted" for a in answers.values())
