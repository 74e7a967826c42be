"""A poison record never stops its partition, across consumer restarts.

The poison is real: a licence whose stored row is damaged makes every command that
reads it fail (the batch's prefetch cannot decode the row), deterministically and
whatever is retried. Such commands sit in front of valid ones on the same key (one
partition), with a record the decoder cannot cope with at the very front.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import orjson
import psycopg
import pytest
from kafka import KafkaProducer
from psycopg import sql

from tests.builders import RawEvents, licence_stream
from tests.integration.conftest import KafkaTopics, snapshot
from tests.kafka_broker import cli, read_topic, results_by_command, start_consumer

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def _attempts(pg_url: str) -> dict[str, int]:
    """The tries counted per poison record (tracking rows ``poison:topic:partition@offset``)."""
    base, query = pg_url.split("?")
    with psycopg.connect(base) as conn:
        rows = conn.execute(sql.SQL(
            "SELECT application_name, max(notification_id) FROM {}.ledger_tracking"
            " WHERE application_name LIKE 'poison:%%' GROUP BY 1").format(
                sql.Identifier(query.split("=", 1)[1]))).fetchall()
    return {str(name): int(n) for name, n in rows}


def test_poison_records_are_set_aside_and_the_valid_ones_behind_them_applied(
        topics: KafkaTopics, pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    env = topics.env(pg_url, ledger_key, LEDGER_BATCH_SIZE="50",
                     LEDGER_MAX_RECORD_BYTES="65536")
    made = cli(["loadgen", "--licences", "6", "--seed", "21"], env)
    lines = made.stdout.splitlines()
    first_issue = next(i for i, line in enumerate(lines) if b'"IssueLicence"' in line)
    setup, rest = lines[:first_issue + 1], lines[first_issue + 1:]
    (tmp_path / "setup.jsonl").write_bytes(b"\n".join(setup) + b"\n")
    assert cli(["post", str(tmp_path / "setup.jsonl")], env).returncode == 0
    assert start_consumer(env, tmp_path / "setup.log").wait(timeout=120) == 0

    serial = orjson.loads(setup[-1])["payload"]["serial"]
    identifier = next(str(orjson.loads(line)["payload"]["identifier"]) for line in rest
                      if serial in str(orjson.loads(line)["payload"].get("identifier")))
    events = RawEvents(pg_url)
    row = next(r for r in events.rows() if r.stream == str(licence_stream(identifier)))
    events.set_state(row.nid, b'{"not": "a ledger row"}')

    undecodable = orjson.dumps({**orjson.loads(rest[0]), "command_id": "absurd-instant",
                                "issued_at": "0001-01-01T00:00:00+05:00"})
    oversized = orjson.dumps({**orjson.loads(rest[0]), "command_id": "oversized",
                              "pad": "x" * 70_000})
    records = [undecodable, oversized, *rest]
    poison = [line for line in rest if identifier.encode() in line]
    assert len(poison) >= 2
    producer = KafkaProducer(bootstrap_servers=topics.bootstrap)
    for value in records:  # one key, one partition: the poison is in front of valid ones
        producer.send(topics.commands, value=value, key=b"one-key", partition=0)
    producer.flush()
    producer.close()

    # A first consumer, allowed many tries, is killed while it retries the first poison.
    patient = start_consumer({**env, "LEDGER_POISON_ATTEMPTS": "50"},
                             tmp_path / "patient.log", until_idle=None)
    deadline = time.monotonic() + 90
    while max(_attempts(pg_url).values(), default=0) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    patient.send_signal(signal.SIGKILL)
    patient.wait(timeout=10)
    tried = _attempts(pg_url)
    assert len(tried) == 1 and max(tried.values()) >= 2, tried

    # Restarted with a limit of 2: the count survived, so the first poison is set aside
    # at once; the others get their 2 tries each; every valid command is applied.
    log = tmp_path / "restarted.log"
    assert start_consumer({**env, "LEDGER_POISON_ATTEMPTS": "2"}, log).wait(timeout=180) == 0
    after = _attempts(pg_url)
    assert len(after) == len(poison) and after[min(tried)] == tried[min(tried)], after
    assert all(n == 2 for name, n in after.items() if name != min(tried))
    told = log.read_text()  # the operator's log says what was set aside, and why
    assert told.count("set aside on the dead-letter topic") == len(poison)
    assert "RecordFormatError" in told

    envelopes = [orjson.loads(line) for line in rest]
    answers = results_by_command(read_topic(topics.bootstrap, topics.results,
                                            expect=len(records)))
    accepted = snapshot(pg_url, ledger_key, envelopes).accepted
    for line, envelope in zip(rest, envelopes, strict=True):
        last = answers[envelope["command_id"]][-1]
        if line in poison:
            assert last["code"] == "internal_error" and "set aside" in last["message"]
            assert envelope["command_id"] not in accepted
        elif envelope["type"] != "RevokeGrant":  # it may revoke a consent to the poison
            assert last["status"] == "accepted", last
            assert envelope["command_id"] in accepted
    assert answers["absurd-instant"][-1]["code"] in {"internal_error", "invalid_command"}

    assert answers["-"][-1]["code"] == "invalid_command"  # too long to read its id
    assert "LEDGER_MAX_RECORD_BYTES" in answers["-"][-1]["message"]

    letters = read_topic(topics.bootstrap, topics.dlq, expect=len(poison) + 2)
    by_value = {letter.value: {k: v.decode() for k, v in letter.headers} for letter in letters}
    assert set(by_value) == {undecodable, oversized, *poison}
    for value in poison:
        headers = by_value[value]
        assert headers["ledger-error-code"] == "internal_error"
        assert "RecordFormatError" in headers["ledger-error"] or "stopped" in headers[
            "ledger-error"]
        assert headers["ledger-source-partition"] == "0"
