"""Kafka mode: a command posted over HTTP goes to ``licence.commands`` and the request
waits, bounded, for its result on ``licence.results``.

Records are keyed by the aggregate, as ``ledger post`` keys them, with strictly increasing
timestamps (the consumers' parking rule orders by them, docs/kafka.md). One listener
thread follows the results topic from where it ended at start-up and hands each answer to
the requests waiting for its command id; answers that came too late for their request
are kept (the most recent ones, bounded) for ``GET /api/v1/results/{command_id}``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from commands.signed.envelope import SignedCommand
from consumers.config import KafkaOptions
from consumers.kafka_io import BOOTSTRAP_MS, client_id, connect, make_producer

log = logging.getLogger("sharing.kafka")
KEEP_RESULTS = 100_000  # late answers kept for polling (a few hundred bytes each)
CONNECT_SECONDS = 15.0


class KafkaDoor:
    def __init__(self, options: KafkaOptions, wait: float) -> None:
        self.options = options
        self.wait = wait
        self._lock = threading.Lock()
        self._waiting: dict[str, list[Future[dict[str, Any]]]] = {}
        self._seen: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._last_ms = 0
        self._stopping = threading.Event()
        self._producer: KafkaProducer | None = None
        self._consumer: KafkaConsumer | None = None
        self._thread = threading.Thread(target=self._listen, name="results-listener",
                                        daemon=True)

    # -- life --------------------------------------------------------------------------
    def start(self) -> None:
        """Connect (a broker that stays away is a configuration error), then listen.
        Starting again does nothing."""
        if self._producer is not None:
            return
        o = self.options
        self._producer = connect(lambda: make_producer(o, "serve"), o, "the sharing service",
                                 CONNECT_SECONDS)
        self._consumer = connect(lambda: KafkaConsumer(
            bootstrap_servers=o.servers, group_id=None, enable_auto_commit=False,
            client_id=client_id("serve-results"), fetch_max_wait_ms=50,
            bootstrap_timeout_ms=BOOTSTRAP_MS), o, "the results topic", CONNECT_SECONDS)
        self._assign()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if self._producer is not None:
            self._producer.close(timeout=5)
        if self._consumer is not None:
            self._consumer.close()

    def _assign(self) -> bool:
        assert self._consumer is not None
        topic = self.options.results_topic
        partitions = self._consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return False
        self._consumer.assign(tps)
        self._consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the end offsets now: answers to what we post come after
            self._consumer.position(tp)
        return True

    # -- requests ----------------------------------------------------------------------
    async def post(self, signed: SignedCommand, value: bytes) -> dict[str, Any] | None:
        """Post the command; its result, or None if it did not come within the bound."""
        answer: Future[dict[str, Any]] = Future()
        with self._lock:  # wait before posting: the answer may come at once
            self._waiting.setdefault(signed.command_id, []).append(answer)
        try:
            # Sending may block on the brokers' metadata: not in the event loop.
            await asyncio.to_thread(self._send, signed.partition_key().encode(), value)
            return await asyncio.wait_for(asyncio.wrap_future(answer), self.wait)
        except TimeoutError:
            return None
        finally:
            with self._lock:
                waiting = self._waiting.get(signed.command_id, [])
                if answer in waiting:
                    waiting.remove(answer)
                if not waiting:
                    self._waiting.pop(signed.command_id, None)

    def _send(self, key: bytes, value: bytes) -> None:
        assert self._producer is not None
        with self._lock:  # strictly increasing timestamps, in the order of sending
            self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
            sent = self._producer.send(self.options.commands_topic, key=key, value=value,
                                       timestamp_ms=self._last_ms)
        sent.get(timeout=10)  # acknowledged by the brokers (acks=all)

    def result(self, command_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._seen.get(command_id)

    # -- the listener thread -----------------------------------------------------------
    def _listen(self) -> None:
        assert self._consumer is not None
        assigned = bool(self._consumer.assignment())
        while not self._stopping.is_set():
            if not assigned:
                assigned = self._assign()
                if not assigned:
                    time.sleep(0.5)
                    continue
            try:
                batches = self._consumer.poll(timeout_ms=200)
            except Exception as exc:  # the client reconnects by itself; say so and go on
                log.warning("reading results failed (%s); retrying", type(exc).__name__)
                time.sleep(0.5)
                continue
            for records in batches.values():
                for record in records:
                    self._deliver(record.value)

    def _deliver(self, value: bytes) -> None:
        try:
            body = orjson.loads(value)
        except orjson.JSONDecodeError:
            return
        if not isinstance(body, dict) or not isinstance(body.get("command_id"), str):
            return
        command_id = body["command_id"]
        with self._lock:
            self._seen[command_id] = body
            self._seen.move_to_end(command_id)
            if len(self._seen) > KEEP_RESULTS:
                self._seen.popitem(last=False)
            waiting = self._waiting.pop(command_id, [])
        for future in waiting:
            if not future.done():
                future.set_result(body)
