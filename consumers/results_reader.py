"""Reading answers back: wait on the results topic for the commands one posted."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition

from consumers.config import KafkaOptions
from consumers.kafka_io import BOOTSTRAP_MS, client_id


class ResultsReader:
    """Remembers where the results topic ends now, to read only answers that follow."""

    def __init__(self, options: KafkaOptions) -> None:
        self.options = options
        self.consumer = KafkaConsumer(bootstrap_servers=options.servers, group_id=None,
                                      enable_auto_commit=False, client_id=client_id("results"),
                                      fetch_max_wait_ms=200, bootstrap_timeout_ms=BOOTSTRAP_MS)
        self.tps: list[TopicPartition] = []
        self.start: dict[TopicPartition, int] = {}
        self._locate()

    def _locate(self) -> None:
        topic = self.options.results_topic
        partitions = self.consumer.partitions_for_topic(topic) or set()
        self.tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        # A lower bound is enough: earlier answers are filtered out by command id.
        self.start = dict(self.consumer.end_offsets(self.tps)) if self.tps else {}

    def wait(self, command_ids: Collection[str], timeout: float) -> dict[str, dict[str, Any]]:
        """The first answer seen for each command id, until all are in or time is up."""
        wanted = set(command_ids)
        found: dict[str, dict[str, Any]] = {}
        if not self.tps:
            self._locate()  # the topic did not exist yet when we started
            self.start = {}
        self.consumer.assign(self.tps)
        for tp in self.tps:
            self.consumer.seek(tp, self.start.get(tp, 0))
        deadline = time.monotonic() + timeout
        while wanted - found.keys() and time.monotonic() < deadline:
            for records in self.consumer.poll(timeout_ms=500).values():
                for r in records:
                    body = orjson.loads(r.value)
                    cid = body.get("command_id")
                    if cid in wanted and cid not in found:
                        found[cid] = body
        return found

    def close(self) -> None:
        self.consumer.close()
