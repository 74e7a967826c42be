"""A group-less reader for partitions this process does not consume in the group.

Used to look at the next undecided record of other partitions (for the parking rule)
and to re-read records whose results must be published again after a crash. It only
fetches: it never joins the group and never commits offsets. Fetch is used rather
than ListOffsets because fetch responses carry exact high watermarks on every broker
we test against (Tansu answers ListOffsets per record batch, not per record).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from consumers.config import KafkaOptions
from consumers.kafka_io import BOOTSTRAP_MS
from consumers.records import Incoming

log = logging.getLogger("ledger.consumers.side_reader")
SIDE_FETCH_BYTES = 64 * 1024
SIDE_FETCH_WAIT_MS = 5  # an empty partition's fetch comes back at once, high watermark and all
POLL_MS = 5


class SideReader:
    """Reads chosen partitions from chosen offsets, without a consumer group."""

    range_timeout = 15.0  # seconds one :meth:`read_range` may wait for the broker

    def __init__(self, options: KafkaOptions, client_id: str) -> None:
        self._consumer = KafkaConsumer(
            bootstrap_servers=options.servers, group_id=None, enable_auto_commit=False,
            client_id=f"{client_id}-side", bootstrap_timeout_ms=BOOTSTRAP_MS,
            max_poll_records=max(options.batch_size, 500), fetch_max_wait_ms=SIDE_FETCH_WAIT_MS,
            # The parking rule asks for one record a partition, often while a partition is
            # parked: kafka-python decodes every record a fetch brings, and with its 1 MB
            # a partition that was ~80 ms of the writer's time a look (issue 18). The
            # broker still sends a whole record batch when it is larger than this.
            max_partition_fetch_bytes=SIDE_FETCH_BYTES, fetch_max_bytes=4 * SIDE_FETCH_BYTES,
        )

    def _start(self, positions: Mapping[TopicPartition, int]) -> None:
        # Dropping the assignment first forgets high watermarks seen in earlier reads,
        # which could otherwise make a partition look empty.
        self._consumer.unsubscribe()
        self._consumer.assign(list(positions))
        for tp, offset in positions.items():
            self._consumer.seek(tp, offset)

    def next_timestamps(self, topic: str, positions: Mapping[int, int],
                        timeout: float = 3.0) -> dict[int, int | None] | None:
        """Timestamp of the record at each partition's position (None: no record there).

        Returns None if some partition could not be read within ``timeout`` seconds:
        the caller must then assume that partition has not passed anything.
        """
        if not positions:
            return {}
        wanted = {TopicPartition(topic, p): o for p, o in positions.items()}
        self._start(wanted)
        found: dict[TopicPartition, int | None] = {}
        deadline = time.monotonic() + timeout
        while len(found) < len(wanted) and time.monotonic() < deadline:
            # Short polls: a partition with nothing at its position answers an empty
            # fetch, which does not end a poll early, and only then is its high
            # watermark known (a 100 ms poll made each look at a drained partition 100 ms).
            batch = self._consumer.poll(timeout_ms=POLL_MS)
            for tp, records in batch.items():
                first = next((r for r in records if r.offset >= wanted[tp]), None)
                if first is not None and tp not in found:
                    found[tp] = int(first.timestamp if first.timestamp is not None else -1)
            for tp, offset in wanted.items():
                high = self._consumer.highwater(tp)
                if tp not in found and high is not None and high <= offset:
                    found[tp] = None
        if len(found) < len(wanted):
            log.info("could not read partitions %s of %s in %.1fs",
                     sorted(tp.partition for tp in wanted if tp not in found), topic, timeout)
            return None
        return {tp.partition: ts for tp, ts in found.items()}

    def read_range(self, topic: str, partition: int, start: int, end: int,
                   timeout: float | None = None) -> tuple[list[Incoming], list[int]]:
        """Records with ``start <= offset < end``, and the offsets of that range still
        unread after ``timeout`` seconds (default :attr:`range_timeout`): a caller that
        needs them all reads those again. Offsets below the partition's log start (gone
        for good with retention) are logged and not counted as unread."""
        if end <= start:
            return [], []
        tp = TopicPartition(topic, partition)
        self._start({tp: start})
        got: dict[int, Incoming] = {}
        deadline = time.monotonic() + (self.range_timeout if timeout is None else timeout)
        while (left := deadline - time.monotonic()) > 0:
            # never past the deadline: a slow broker must not stretch the caller's wait
            for record in self._consumer.poll(timeout_ms=max(1, min(200, int(left * 1000)))
                                              ).get(tp, []):
                if start <= record.offset < end:
                    got[record.offset] = Incoming.of(record)
            high = self._consumer.highwater(tp)
            position = self._consumer.position(tp)
            if position is not None and (position >= end or (high is not None
                                                              and position >= high)):
                break
        records = [got[o] for o in sorted(got)]
        unread = [o for o in range(start, end) if o not in got]
        if unread and (first := self._log_start(tp, start)) > unread[0]:
            log.error("%s: offsets %s are no longer on the broker (its log starts at %d): they"
                      " cannot be read", tp, spans([o for o in unread if o < first]), first)
            unread = [o for o in unread if o >= first]
        return records, unread

    def _log_start(self, tp: TopicPartition, fallback: int) -> int:
        """The partition's first offset the broker holds (``fallback`` if it cannot say)."""
        try:
            return int(self._consumer.beginning_offsets([tp]).get(tp, fallback))
        except KafkaError as exc:
            log.info("%s: cannot read its log start offset (%s)", tp, exc)
            return fallback

    def close(self) -> None:
        self._consumer.close()


def spans(offsets: list[int]) -> str:
    """``[3, 4, 5, 9]`` as ``"3-5, 9"``: short log lines for long ranges."""
    runs: list[list[int]] = []
    for o in offsets:
        if runs and runs[-1][1] == o - 1:
            runs[-1][1] = o
        else:
            runs.append([o, o])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
