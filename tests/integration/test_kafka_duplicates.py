"""A command takes effect once however often it arrives, and is answered every time."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from tests.integration.conftest import KafkaTopics, snapshot
from tests.kafka_broker import cli, read_topic, results_by_command, start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def _stream(env: dict[str, str], tmp_path: Path) -> tuple[Path, list[dict[str, object]]]:
    made = cli(["loadgen", "--licences", "4", "--seed", "12"], env)
    path = tmp_path / "stream.jsonl"
    path.write_bytes(made.stdout)
    return path, [orjson.loads(line) for line in made.stdout.splitlines()]


def test_a_repeated_record_and_a_reposted_file_change_nothing(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    env = topics.env(pg_url, ledger_key)
    path, envelopes = _stream(env, tmp_path)
    assert cli(["post", str(path)], env).returncode == 0
    issue = next(e for e in envelopes if e["type"] == "IssueLicence")
    producer = KafkaProducer(bootstrap_servers=topics.bootstrap)
    producer.send(topics.commands, key=b"again", value=orjson.dumps(issue))  # delivered twice
    producer.flush()
    producer.close()
    assert start_consumer(env, tmp_path / "first.log").wait(timeout=90) == 0
    first = snapshot(pg_url, ledger_key, envelopes)
    assert first.accepted == {e["command_id"] for e in envelopes}

    assert cli(["post", str(path)], env).returncode == 0  # the whole file again
    assert start_consumer(env, tmp_path / "second.log").wait(timeout=90) == 0
    assert snapshot(pg_url, ledger_key, envelopes) == first

    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=2 * len(envelopes) + 1))
    assert len(answers[str(issue["command_id"])]) == 3
    for command_id, (original, *repeats) in answers.items():
        assert original["status"] == "accepted" and not original["duplicate"], command_id
        for repeat in repeats:
            assert repeat["duplicate"] and repeat["events"] == original["events"]


def test_an_applied_batch_delivered_again_is_answered_not_applied_again(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    """Kafka's offsets lag the ledger (a crash after the commit, before the answers)."""
    env = topics.env(pg_url, ledger_key)
    path, envelopes = _stream(env, tmp_path)
    assert cli(["post", str(path)], env).returncode == 0
    assert start_consumer(env, tmp_path / "first.log").wait(timeout=90) == 0
    before = snapshot(pg_url, ledger_key, envelopes)

    rewind = KafkaConsumer(bootstrap_servers=topics.bootstrap, group_id=topics.group,
                           enable_auto_commit=False)
    tps = [TopicPartition(topics.commands, p) for p in range(3)]
    rewind.assign(tps)
    rewind.commit({tp: OffsetAndMetadata(0, "", -1) for tp in tps})
    rewind.close()

    assert start_consumer(env, tmp_path / "second.log").wait(timeout=90) == 0
    assert snapshot(pg_url, ledger_key, envelopes) == before
    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=2 * len(envelopes)))
    for command_id, (original, again) in answers.items():
        assert again["recovered"] and again["status"] == "accepted", command_id
        assert again["events"] == original["events"]
    assert "answering offsets 0-" in (tmp_path / "second.log").read_text()
