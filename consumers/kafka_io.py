"""Kafka clients as this project configures them, and publishing that survives outages.

When the broker is away, kafka-python reconnects by itself (with its own backoff);
what is ours is to never drop an answer: :class:`Publisher` retries what failed with
growing pauses and clear log lines, and reports failure only when asked to stop.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

from consumers.config import KafkaOptions
from consumers.records import Outgoing
from ledger.errors import ConfigurationError

log = logging.getLogger("ledger.consumers.kafka")
BOOTSTRAP_MS = 5_000  # how long one attempt to reach a broker may take


def client_id(role: str) -> str:
    return f"ledger-{role}-{socket.gethostname()}-{os.getpid()}"


class Backoff:
    """Pauses of 0.5 s doubling to ``ceiling``; reset after a success."""

    def __init__(self, first: float = 0.5, ceiling: float = 30.0) -> None:
        self.first, self.ceiling, self._next = first, ceiling, first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.ceiling)
        return delay

    def reset(self) -> None:
        self._next = self.first


def connect(factory: Callable[[], Any], options: KafkaOptions, what: str,
            give_up_after: float | None, stopping: Callable[[], bool] = lambda: False) -> Any:
    """Build a client, retrying while no broker answers (they may still be starting).

    With ``give_up_after`` (seconds) a broker that stays away is a configuration error
    saying what was tried; without, it retries until ``stopping()``.
    """
    backoff, started = Backoff(), time.monotonic()
    while True:
        try:
            return factory()
        except (KafkaTimeoutError, KafkaConnectionError):  # no broker answered the bootstrap
            waited = time.monotonic() - started
            if stopping() or (give_up_after is not None and waited >= give_up_after):
                raise ConfigurationError(
                    f"no Kafka broker answered at {options.bootstrap_servers} for {what}"
                    f" (tried for {waited:.0f}s); check KAFKA_BOOTSTRAP_SERVERS and that the"
                    " broker is running (`docker compose ps kafka`)"
                ) from None
            delay = backoff.next()
            log.warning("no Kafka broker answers at %s (%s); retrying in %.1fs",
                        options.bootstrap_servers, what, delay)
            time.sleep(delay)


FETCH_MAX_WAIT_MS = 50


def make_consumer(options: KafkaOptions) -> KafkaConsumer:
    return KafkaConsumer(
        bootstrap_servers=options.servers, group_id=options.group, client_id=client_id("consume"),
        enable_auto_commit=False,  # offsets are committed only after results are published
        auto_offset_reset="earliest",  # only matters before the ledger tracks a partition
        session_timeout_ms=options.session_timeout_ms,
        heartbeat_interval_ms=options.heartbeat_interval_ms,
        max_poll_records=options.batch_size,
        # What one fetch may buffer: a batch's worth of bytes, not kafka-python's 50 MB.
        fetch_max_bytes=max(options.batch_bytes, 1 << 20),
        # A fetch in flight for drained partitions is held by the broker up to this long,
        # and a partition resumed after parking is fetched only when it returns: with
        # the default 500 ms every hop of a dependency chain across partitions cost half
        # a second. Idle, this is ~20 small fetches a second.
        fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        reconnect_backoff_max_ms=10_000, bootstrap_timeout_ms=BOOTSTRAP_MS,
    )


# A round's answers to one partition in one record batch. With kafka-python's 16 KB a
# batch filled after ~50 answers, and once a partition held two batches every send()
# counted as "full" and woke the sender thread (a socket write, and a thread taking the
# GIL): 38 µs of CPU a record against 24 with this (issue 18). The buffer grows as
# records come, so this bounds a batch, it does not allocate one; it stays well under
# the broker's default message.max.bytes (1 MB).
PRODUCER_BATCH_BYTES = 256 * 1024


def make_producer(options: KafkaOptions, role: str = "publish") -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=options.servers, client_id=client_id(role),
        enable_idempotence=True, acks="all",  # no duplicates or reordering from retries
        linger_ms=5, batch_size=PRODUCER_BATCH_BYTES, max_block_ms=10_000,
        reconnect_backoff_max_ms=10_000, bootstrap_timeout_ms=BOOTSTRAP_MS,
    )


class Publisher:
    """Sends records and waits until the broker has them all, retrying what failed."""

    def __init__(self, producer: KafkaProducer, stopping: Callable[[], bool]) -> None:
        self.producer = producer
        self.stopping = stopping
        self.backoff = Backoff()

    def publish(self, records: Sequence[Outgoing]) -> bool:
        """True once every record is acknowledged; False if told to stop first."""
        remaining = list(records)
        while remaining:
            remaining, error = self._attempt(remaining)
            if not remaining:
                break
            if self.stopping():
                log.warning("stopping with %d results unpublished: they will be published again"
                            " when their partitions are next assigned", len(remaining))
                return False
            delay = self.backoff.next()
            log.warning("cannot publish %d records to Kafka (%s); retrying in %.1fs",
                        len(remaining), error, delay)
            time.sleep(delay)
        self.backoff.reset()
        return True

    def _attempt(self, records: list[Outgoing]) -> tuple[list[Outgoing], str]:
        sent: list[tuple[Outgoing, Any]] = []
        failed: list[Outgoing] = []
        error = ""
        for i, record in enumerate(records):
            try:
                sent.append((record, self.producer.send(
                    record.topic, key=record.key, value=record.value,
                    headers=list(record.headers))))
            except KafkaError as exc:  # e.g. no metadata within max_block_ms: broker away
                error = f"{type(exc).__name__}: {exc}"
                failed.extend(records[i:])
                break
        try:
            self.producer.flush(timeout=30)
        except KafkaError as exc:
            error = f"{type(exc).__name__}: {exc}"
        for record, future in sent:
            if not future.is_done or future.failed():
                failed.append(record)
                if future.is_done and not error:
                    error = repr(future.exception)
        return failed, error or "timed out"


def resume(consumer: KafkaConsumer, *partitions: Any) -> None:
    """``consumer.resume``, working around a kafka-python 3.0.12 stall.

    Records fetched for a partition while it was paused are set aside, and the partition
    is not fetched again until they are put back in line; that happens only while the
    fetcher's in-line slot is None, but a drained slot stays set (falsy, not None). So a
    resumed partition could wait for as long as other partitions stayed paused, or for
    good. Its set-aside records are dropped instead: the position does not move, so they
    are simply fetched again from it (and after a seek they were stale anyway).
    """
    consumer.resume(*partitions)
    fetcher = getattr(consumer, "_fetcher", None)
    for name in ("_paused_partition_records", "_paused_completed_fetches"):
        set_aside = getattr(fetcher, name, None)
        if not isinstance(set_aside, dict):
            continue
        for tp in partitions:
            stale = set_aside.pop(tp, None)
            if stale is not None and hasattr(stale, "drain"):
                stale.drain()
