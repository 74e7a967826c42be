"""Fuzz tier through the Kafka consumer: hostile records of every class on one partition.

The same hostile lines as the ``ledger apply`` fuzz tier (``tests/fuzz/hostile.py``) are
produced as Kafka records, interleaved with a valid signed stream on one key, so that
every hostile record sits in front of valid ones in the same partition. One consumer
process applies them. Expected: it exits cleanly (no crash, no stuck partition), no
hostile record is accepted, every valid command is, every record is answered on the
results topic, and ``ledger audit`` passes afterwards. ``LEDGER_FUZZ_EXAMPLES`` (the
apply tier's knob) scales the number of hostile records (default 60 → 40 records).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from kafka import KafkaProducer

from ledger.integrity.signing import SigningKey, save_signing_key
from tests.conftest import fresh_schema
from tests.fuzz.hostile import KINDS, hostile_line
from tests.integration.conftest import KafkaTopics, make_topics, snapshot
from tests.kafka_broker import Broker, cli, read_topic, results_by_command, start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

HOSTILE = max(10, int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "60")) * 2 // 3)


def _command_id(line: bytes) -> str | None:
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    value = raw.get("command_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


# Each example makes its own schema, topics and key: hypothesis runs a failing example
# again to report it, and a second run on the same topics would see the first's records.
@settings(max_examples=1, deadline=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_hostile_records_never_stop_the_partition(
        data: st.DataObject, kafka_broker: Broker, pg_database: str, tmp_path: Path) -> None:
    run = tmp_path / uuid.uuid4().hex[:8]
    run.mkdir()
    ledger_key = run / "ledger-key.pem"
    save_signing_key(SigningKey.generate(), ledger_key)
    topics = make_topics(kafka_broker, 1)
    with fresh_schema(pg_database) as pg_url:
        _hostile_records_on_one_partition(data, topics, pg_url, ledger_key, run)


def _hostile_records_on_one_partition(data: st.DataObject, topics: KafkaTopics, pg_url: str,
                                      ledger_key: Path, tmp_path: Path) -> None:
    env = topics.env(pg_url, ledger_key, LEDGER_BATCH_SIZE="25")
    made = cli(["loadgen", "--licences", "8", "--seed", "31"], env)
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    # Hostile records are mutations of a valid IssueLicence of the stream (the donor):
    # arriving before it they must not block it, after it they must not replace it.
    donor: dict[str, Any] = orjson.loads(max(
        line for line in lines if b'"IssueLicence"' in line and b'"company_name"' in line))
    valid = lines
    # The classes in turn: the one example this test runs is hypothesis's simplest, which
    # would otherwise draw the first class for every record.
    hostile = [data.draw(hostile_line(donor, KINDS[i % len(KINDS)])) for i in range(HOSTILE)]
    spots = data.draw(st.lists(st.integers(0, len(valid)), min_size=HOSTILE,
                               max_size=HOSTILE))
    records: list[bytes] = list(valid)
    for line, spot in sorted(zip(hostile, spots, strict=True), key=lambda p: -p[1]):
        records.insert(spot, line)

    producer = KafkaProducer(bootstrap_servers=topics.bootstrap, max_request_size=4 << 20)
    for value in records:  # one key, one partition: hostile records in front of valid ones
        producer.send(topics.commands, value=value, key=b"fuzz", partition=0)
    producer.flush()
    producer.close()

    log = tmp_path / "consumer.log"
    assert start_consumer(env, log).wait(timeout=300) == 0, log.read_text()[-3000:]
    told = log.read_text()
    assert "Traceback" not in told, told[-3000:]

    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=len(records)))
    assert sum(len(a) for a in answers.values()) >= len(records)  # every record answered
    envelopes = [orjson.loads(line) for line in valid]
    accepted = snapshot(pg_url, ledger_key, envelopes).accepted
    for envelope in envelopes:
        last = answers[envelope["command_id"]][-1]
        assert last["status"] == "accepted", (envelope["type"], last)
        assert envelope["command_id"] in accepted
    for line in hostile:
        command_id = _command_id(line) or "-"
        accepted_answers = [a for a in answers.get(command_id, []) if a["status"] == "accepted"]
        # Only the donor itself may be accepted under its id, and only once.
        assert len(accepted_answers) <= (1 if command_id == donor["command_id"] else 0), line
    for answer in (a for group in answers.values() for a in group):
        assert len(answer.get("message") or "") < 1000  # nothing echoed back unbounded

    audit = subprocess.run([sys.executable, "-m", "commands.cli.main", "audit", "--replay"],
                           env={**os.environ, **env}, capture_output=True, timeout=300,
                           check=False)
    assert audit.returncode == 0, audit.stdout.decode()[-2000:] + audit.stderr.decode()[-2000:]
