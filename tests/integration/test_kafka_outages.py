"""Outages: the database goes away mid-stream, the broker is not there at start.

The database is a private PostgreSQL server started here (the shared one must stay up
for other tests), stopped and started again while a consumer runs. Nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import psycopg
import pytest

from tests.integration.conftest import KafkaTopics, apply_in_process, snapshot
from tests.kafka_broker import (
    cli,
    free_port,
    read_topic,
    results_by_command,
    start_consumer,
    tansu,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PrivatePostgres:
    """A throwaway PostgreSQL server on a free port that a test may stop and start."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ledger-pg-", dir="/tmp"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                           "-U", "postgres", "--no-sync"])

    def _as_postgres(self, args: list[str]) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + args, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                           str(self.dir / "log"), "-o",
                           f"-p {self.port} -h 127.0.0.1 -k {self.dir} -F", "start"])

    def stop(self) -> None:
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast",
                           "stop"])

    def applied(self, topic: str) -> int:
        try:
            with psycopg.connect(self.url, connect_timeout=2) as conn:
                rows = conn.execute(
                    "SELECT application_name, max(notification_id) FROM ledger_tracking"
                    " WHERE application_name LIKE %s GROUP BY 1", (f"{topic}:%",)).fetchall()
        except psycopg.Error:
            return -1
        return sum(int(n) + 1 for _, n in rows)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 server binaries are needed at {PG_BIN}")
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(server.dir, ignore_errors=True)


def _wait(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


def test_postgres_going_away_mid_stream_loses_nothing(
        topics: KafkaTopics, private_pg: PrivatePostgres, second_pg_url: str,
        ledger_key: Path, tmp_path: Path) -> None:
    env = topics.env(private_pg.url, ledger_key, LEDGER_BATCH_SIZE="20")
    made = cli(["loadgen", "--licences", "40", "--seed", "41", "--bad-ratio", "0.05"], env)
    lines = made.stdout.splitlines()
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    half = len(lines) // 2
    first.write_bytes(b"\n".join(lines[:half]) + b"\n")
    second.write_bytes(b"\n".join(lines[half:]) + b"\n")

    assert cli(["post", str(first)], env).returncode == 0
    log = tmp_path / "consumer.log"
    consumer = start_consumer(env, log, until_idle=None)
    assert _wait(lambda: private_pg.applied(topics.commands) == half, 60), log.read_text()

    private_pg.stop()
    assert cli(["post", str(second)], env).returncode == 0
    assert _wait(lambda: "database is unavailable" in log.read_text(), 60), log.read_text()
    private_pg.start()
    assert _wait(lambda: private_pg.applied(topics.commands) == len(lines), 90), log.read_text()
    consumer.send_signal(signal.SIGTERM)
    assert consumer.wait(timeout=30) == 0

    envelopes = [orjson.loads(line) for line in lines]
    apply_in_process(second_pg_url, ledger_key, lines)
    expected = snapshot(second_pg_url, ledger_key, envelopes)
    got = snapshot(f"{private_pg.url}?schema=public", ledger_key, envelopes)
    assert (got.accepted, got.licences, got.events) == (
        expected.accepted, expected.licences, expected.events)
    answers = results_by_command(read_topic(topics.bootstrap, topics.results))
    assert set(answers) == {e["command_id"] for e in envelopes}


def test_a_consumer_started_before_the_broker_waits_for_it(
        pg_url: str, ledger_key: Path, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    port = free_port()
    topics = KafkaTopics(f"127.0.0.1:{port}", f"cmd-{tag}", f"res-{tag}", f"dlq-{tag}",
                         f"g-{tag}")
    env = topics.env(pg_url, ledger_key)
    log = tmp_path / "consumer.log"
    consumer = start_consumer(env, log, until_idle=None)
    try:
        assert _wait(lambda: "no Kafka broker answers" in log.read_text(), 30), log.read_text()
        with tansu(tmp_path, port=port) as broker:
            broker.create_topics({topics.commands: 3, topics.results: 3, topics.dlq: 1})
            made = cli(["loadgen", "--licences", "2", "--seed", "42"], env)
            path = tmp_path / "stream.jsonl"
            path.write_bytes(made.stdout)
            assert cli(["post", str(path)], env).returncode == 0
            answers = results_by_command(read_topic(
                broker.bootstrap, topics.results, expect=len(made.stdout.splitlines()),
                timeout=90))
            assert len(answers) == len(made.stdout.splitlines()), log.read_text()
            assert all(a[0]["status"] == "accepted" for a in answers.values())
    finally:
        consumer.send_signal(signal.SIGTERM)
        consumer.wait(timeout=30)
    assert "Traceback" not in log.read_text()
