"""Re-answering after a crash never gives up: applied records are answered, however slow
the broker is to hand them back.

A consumer killed between a batch's database commit and its answers leaves Kafka's
committed offset behind the ledger's position; the next owner of the partition reads
those records again (with its side reader) and answers them by a dry run. That read
used to give up after 15 s and answer only what it had, then commit the ledger's
position: what it had not read was never answered (a CI failure of
test_kafka_crash.py). Here the first read of every range gets nothing at all.
"""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from commands.bootstrap import bootstrap
from commands.settings import load_settings
from consumers.command_consumer import CommandConsumer
from consumers.config import kafka_options
from consumers.store_watch import StoreWatch
from tests.integration.conftest import KafkaTopics
from tests.kafka_broker import cli, read_topic, results_by_command, start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def _forget_answers(topics: KafkaTopics) -> None:
    """Kafka's committed offsets back to 0: as if every batch's answers were lost in a
    crash right after its database commit (the ledger's positions stay where they are)."""
    group = KafkaConsumer(bootstrap_servers=topics.bootstrap, group_id=topics.group,
                          enable_auto_commit=False)
    try:
        tps = [TopicPartition(topics.commands, p)
               for p in sorted(group.partitions_for_topic(topics.commands) or [])]
        group.assign(tps)
        group.commit({tp: OffsetAndMetadata(0, "", -1) for tp in tps})
        assert all(group.committed(tp) == 0 for tp in tps)
    finally:
        group.close()


def test_records_the_first_read_misses_are_read_again_and_answered(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    env = topics.env(pg_url, ledger_key, LEDGER_BATCH_SIZE="15")
    made = cli(["loadgen", "--licences", "20", "--seed", "34"], env)
    wanted = {orjson.loads(line)["command_id"] for line in made.stdout.splitlines()}
    path = tmp_path / "stream.jsonl"
    path.write_bytes(made.stdout)
    assert cli(["post", str(path)], env).returncode == 0
    assert start_consumer(env, tmp_path / "first.log").wait(timeout=120) == 0
    first = results_by_command(read_topic(topics.bootstrap, topics.results, expect=len(wanted)))
    assert set(first) == wanted
    _forget_answers(topics)

    settings = load_settings(env)
    watch = StoreWatch()
    services = bootstrap(settings, after_commit=watch.committed)
    try:
        watch.attach(services)
        consumer = CommandConsumer(services, kafka_options(settings), watch,
                                   connect_timeout=30)
        consumer.reader.range_timeout = 0.0  # a broker too slow for every first read
        with caplog.at_level(logging.INFO, logger="ledger.consumers"):
            assert consumer.run(until_idle=2.0) == 0
    finally:
        services.close()

    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=2 * len(wanted)))
    recovered = {c for c, bodies in answers.items() if any(b.get("recovered") for b in bodies)}
    assert recovered == wanted  # every applied command answered again
    assert "could not be read in 0.0s" in caplog.text  # though the first reads failed
    assert "re-answered after 1 failed tries" in caplog.text
    for command_id, bodies in answers.items():  # and the same as the first time
        assert {b["status"] for b in bodies} == {bodies[0]["status"]}, command_id
        assert {str(b["events"]) for b in bodies} == {str(bodies[0]["events"])}, command_id
