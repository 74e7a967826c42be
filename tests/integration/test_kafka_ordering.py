"""The same commands build the same ledger through Kafka as applied in order in-process.

3 partitions, 2 consumer processes in one group: commands for different aggregates
travel on different partitions and arrive out of order (a licence before its
catalogue entry, a department before the management department that registers it).
The parking rule (docs/kafka.md) must make that invisible.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.integration.conftest import KafkaTopics, apply_in_process, snapshot
from tests.kafka_broker import cli, read_topic, results_by_command, start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_two_consumers_on_three_partitions_build_the_in_order_ledger(
        topics: KafkaTopics, pg_url: str, second_pg_url: str, ledger_key: Path,
        tmp_path: Path) -> None:
    env = topics.env(pg_url, ledger_key)
    made = cli(["loadgen", "--licences", "60", "--seed", "21", "--bad-ratio", "0.1"], env)
    assert made.returncode == 0, made.stderr.decode()
    stream = tmp_path / "stream.jsonl"
    stream.write_bytes(made.stdout)
    lines = made.stdout.splitlines()
    envelopes = [orjson.loads(line) for line in lines]

    apply_in_process(second_pg_url, ledger_key, lines)
    expected = snapshot(second_pg_url, ledger_key, envelopes)
    assert 0 < len(expected.accepted) < len(lines)  # the bad ones are refused

    posted = cli(["post", str(stream)], env)
    assert posted.returncode == 0, posted.stderr.decode()
    logs = [tmp_path / "consumer-a.log", tmp_path / "consumer-b.log"]
    consumers = [start_consumer(env, log, until_idle=4) for log in logs]
    assert [c.wait(timeout=150) for c in consumers] == [0, 0]

    # Both members of the group did work: the partitions were shared.
    for log in logs:
        assert "assigned: resuming at offset" in log.read_text(), log.read_text()

    got = snapshot(pg_url, ledger_key, envelopes)
    assert got.accepted == expected.accepted
    assert got.licences == expected.licences
    assert got.events == expected.events

    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=len(lines)))
    assert set(answers) == {e["command_id"] for e in envelopes}
    assert {cid for cid, a in answers.items() if a[0]["status"] == "accepted"} == got.accepted
