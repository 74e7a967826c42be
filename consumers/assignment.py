"""Partitions arriving and leaving: resume from the ledger, answer what may be unanswered.

On assignment a partition is sought to the position stored in the ledger database
(the tracking record written with its last batch), never to Kafka's committed offset:
that one is advisory and marks only what was *answered*. If it lags the ledger, the
previous owner stopped between a commit and its answers, and those records are
answered again (by a dry run, so nothing is applied twice) before anything new.

Re-answering never gives up: if Kafka's committed offset or a record to answer cannot
be read, the partition stays paused (nothing new is applied, answered or committed for
it) and is tried again after a growing pause, each read given longer; the consumer does
not stop for idleness meanwhile. Only records the broker no longer holds are skipped,
and logged as errors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from consumers import kafka_io
from consumers.ports import AnswerApplied, Publish, WaitForDatabase
from consumers.records import Incoming, Positions, stored_position
from consumers.side_reader import spans
from consumers.store_watch import DATABASE_ERRORS, DatabaseUnavailable, describe

log = logging.getLogger("ledger.consumers")
COMMITTED_TIMEOUT_MS = 10_000  # reading Kafka's committed offset: then try again later


class RangeReader(Protocol):
    """Reads a range of a partition outside the group (:class:`SideReader`)."""

    range_timeout: float

    def read_range(self, topic: str, partition: int, start: int, end: int,
                   timeout: float | None = None) -> tuple[list[Incoming], list[int]]: ...


class Assignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """The rebalance listener of a :class:`CommandConsumer`, and what it leaves to do.

    It is given the group's Kafka consumer, the ledger's stored positions, the side
    reader, and the command consumer's ``forget_parked`` (:meth:`ParkingWatch.forget`),
    ``answer_applied``, ``publish`` and ``wait_for_database``.
    """

    def __init__(self, *, consumer: KafkaConsumer, positions: Positions, reader: RangeReader,
                 forget_parked: Callable[[Sequence[TopicPartition]], None],
                 answer_applied: AnswerApplied, publish: Publish,
                 wait_for_database: WaitForDatabase) -> None:
        self.consumer, self.positions, self.reader = consumer, positions, reader
        self.forget_parked, self.answer_applied = forget_parked, answer_applied
        self.publish, self.wait_for_database = publish, wait_for_database
        self.assigned_once = False
        self.last_assigned = 0.0  # time.monotonic() of the last assignment
        self.to_recover: dict[TopicPartition, int] = {}  # partition -> the ledger's position
        self.unpositioned: set[TopicPartition] = set()  # the database did not answer yet
        self.retries: dict[TopicPartition, _Retry] = {}  # re-answering failed: paused till then
        # Bumped by every revocation and assignment: records read before a rebalance are
        # not used after it (consumers/read_ahead.py), whatever partitions came back.
        self.rebalances = 0

    def busy(self) -> bool:
        return bool(self.to_recover or self.unpositioned)

    def waiting(self, tp: TopicPartition) -> bool:
        """Paused here, to stay paused (not yet positioned, or re-answering to try again)."""
        return tp in self.unpositioned or tp in self.retries

    def must_recover(self, tp: TopicPartition) -> bool:
        return tp in self.to_recover

    # -- called inside poll() by kafka-python ----------------------------------------
    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.rebalances += 1
        self.forget_parked(list(revoked))
        for tp in revoked:
            self.to_recover.pop(tp, None)
            self.retries.pop(tp, None)
            self.unpositioned.discard(tp)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.rebalances += 1
        self.assigned_once = True
        self.last_assigned = time.monotonic()
        self.forget_parked(list(assigned))
        for tp in assigned:
            try:
                position = stored_position(self.positions, tp.topic, tp.partition)
            except DATABASE_ERRORS as exc:
                log.warning("%s: cannot read its position from the database (%s); paused"
                            " until the database answers", tp, exc)
                self.unpositioned.add(tp)
                self.consumer.pause(tp)
                continue
            self._seek_stored(tp, position)

    # -- called from the consumer's loop --------------------------------------------------
    def settle(self) -> None:
        """Position what could not be positioned, and re-answer what may be unanswered."""
        self._position_unpositioned()
        for tp, position in list(self.to_recover.items()):
            retry = self.retries.get(tp)
            if retry is not None and time.monotonic() < retry.at:
                continue
            try:
                done = self._recover(tp, position, self._read_timeout(retry))
            except DATABASE_ERRORS as exc:  # answered again once the database is back
                self.wait_for_database(DatabaseUnavailable(describe(exc)))
                return
            if not done:
                self._retry_later(tp, retry)
                continue
            del self.to_recover[tp]
            if retry is not None:
                del self.retries[tp]
                log.info("%s: re-answered after %d failed tries; resuming it", tp, retry.tries)
                kafka_io.resume(self.consumer, tp)

    def _read_timeout(self, retry: _Retry | None) -> float:
        """The first read of a range gets the side reader's ``range_timeout``; each retry
        four times longer (the broker is slow), at most a minute (never so long that the
        group takes this member for dead: max.poll.interval.ms is 5 minutes)."""
        base: float = self.reader.range_timeout
        if retry is None or retry.tries == 0:
            return base
        return min(max(base, 1.0) * 4.0 ** retry.tries, max(base, 60.0))

    def _retry_later(self, tp: TopicPartition, retry: _Retry | None) -> None:
        """Hold the partition (paused, so nothing new of it is fetched) and try again."""
        retry = retry or _Retry()
        retry.tries += 1
        delay = retry.backoff.next()
        retry.at = time.monotonic() + delay
        self.retries[tp] = retry
        self.consumer.pause(tp)
        log.warning("%s: re-answering failed (try %d); the partition stays paused and is tried"
                    " again in %.1fs", tp, retry.tries, delay)

    def _seek_stored(self, tp: TopicPartition, position: int) -> None:
        self.consumer.seek(tp, position)
        self.to_recover[tp] = position
        self.retries.pop(tp, None)
        log.info("%s assigned: resuming at offset %d (the ledger's position)", tp, position)

    def _position_unpositioned(self) -> None:
        for tp in list(self.unpositioned):
            try:
                position = stored_position(self.positions, tp.topic, tp.partition)
            except DATABASE_ERRORS as exc:
                self.wait_for_database(DatabaseUnavailable(describe(exc)))
                return
            self.unpositioned.discard(tp)
            self._seek_stored(tp, position)
            kafka_io.resume(self.consumer, tp)

    def _recover(self, tp: TopicPartition, position: int, read_timeout: float) -> bool:
        """Answer again what may be unanswered; False if that could not be done yet."""
        try:
            answered = self.consumer.committed(tp, timeout_ms=COMMITTED_TIMEOUT_MS)
        except KafkaError as exc:
            log.warning("%s: cannot read Kafka's committed offset (%s): cannot tell what is"
                        " unanswered", tp, exc)
            return False
        if answered is not None and answered > position:
            log.warning("%s: Kafka's committed offset %d is ahead of the ledger's position %d;"
                        " the ledger's position wins", tp, answered, position)
        if answered is None:
            answered = 0  # never committed (killed before its first commit): from the start
        if answered >= position:
            return True
        records, unread = self.reader.read_range(tp.topic, tp.partition, answered, position,
                                                 read_timeout)
        if unread:
            log.warning("%s: to answer offsets %d-%d again, offsets %s could not be read in"
                        " %.1fs (the broker is slow or away); answering none of them yet", tp,
                        answered, position - 1, spans(unread), read_timeout)
            return False
        log.info("%s: answering offsets %d-%d again (applied before the last stop, maybe"
                 " unanswered)", tp, answered, position - 1)
        self.publish(self.answer_applied(records), {tp: position})
        return True


class _Retry:
    """When a partition's re-answering is tried next, and how often it failed."""

    def __init__(self) -> None:
        self.tries, self.at, self.backoff = 0, 0.0, kafka_io.Backoff(ceiling=10.0)
