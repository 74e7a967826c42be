"""Partitions arriving and leaving: resume from the ledger, answer what may be unanswered.

On assignment a partition is sought to the position stored in the ledger database
(the tracking record written with its last batch), never to Kafka's committed offset:
that one is advisory and marks only what was *answered*. If it lags the ledger, the
previous owner stopped between a commit and its answers, and those records are
answered again (by a dry run, so nothing is applied twice) before anything new.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.errors import KafkaError

from consumers import kafka_io
from consumers.records import stored_position
from consumers.store_watch import DATABASE_ERRORS, DatabaseUnavailable, describe

if TYPE_CHECKING:
    from consumers.command_consumer import CommandConsumer

log = logging.getLogger("ledger.consumers")


class Assignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """The rebalance listener of a :class:`CommandConsumer`, and what it leaves to do."""

    def __init__(self, owner: CommandConsumer) -> None:
        self.owner = owner
        self.assigned_once = False
        self.to_recover: dict[TopicPartition, int] = {}  # partition -> the ledger's position
        self.unpositioned: set[TopicPartition] = set()  # the database did not answer yet

    def busy(self) -> bool:
        return bool(self.to_recover or self.unpositioned)

    def waiting(self, tp: TopicPartition) -> bool:
        return tp in self.unpositioned

    def must_recover(self, tp: TopicPartition) -> bool:
        return tp in self.to_recover

    # -- called inside poll() by kafka-python ----------------------------------------
    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        self.owner.parking.forget(list(revoked))
        for tp in revoked:
            self.to_recover.pop(tp, None)
            self.unpositioned.discard(tp)

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        self.assigned_once = True
        self.owner.last_activity = time.monotonic()
        self.owner.parking.forget(list(assigned))
        for tp in assigned:
            try:
                position = stored_position(self.owner.store, tp.topic, tp.partition)
            except DATABASE_ERRORS as exc:
                log.warning("%s: cannot read its position from the database (%s); paused"
                            " until the database answers", tp, exc)
                self.unpositioned.add(tp)
                self.owner.consumer.pause(tp)
                continue
            self._seek_stored(tp, position)

    # -- called from the consumer's loop --------------------------------------------------
    def settle(self) -> None:
        """Position what could not be positioned, and re-answer what may be unanswered."""
        self._position_unpositioned()
        for tp, position in list(self.to_recover.items()):
            del self.to_recover[tp]
            try:
                self._recover(tp, position)
            except DATABASE_ERRORS as exc:  # answered again once the database is back
                self.to_recover[tp] = position
                self.owner.wait_for_database(DatabaseUnavailable(describe(exc)))
                return

    def _seek_stored(self, tp: TopicPartition, position: int) -> None:
        self.owner.consumer.seek(tp, position)
        self.to_recover[tp] = position
        log.info("%s assigned: resuming at offset %d (the ledger's position)", tp, position)

    def _position_unpositioned(self) -> None:
        for tp in list(self.unpositioned):
            try:
                position = stored_position(self.owner.store, tp.topic, tp.partition)
            except DATABASE_ERRORS as exc:
                self.owner.wait_for_database(DatabaseUnavailable(describe(exc)))
                return
            self.unpositioned.discard(tp)
            self._seek_stored(tp, position)
            kafka_io.resume(self.owner.consumer, tp)

    def _recover(self, tp: TopicPartition, position: int) -> None:
        owner = self.owner
        try:
            answered = owner.consumer.committed(tp)
        except KafkaError as exc:
            log.warning("%s: cannot read Kafka's committed offset (%s); not re-answering", tp,
                        exc)
            return
        if answered is not None and answered > position:
            log.warning("%s: Kafka's committed offset %d is ahead of the ledger's position %d;"
                        " the ledger's position wins", tp, answered, position)
        if answered is None:
            answered = 0  # never committed (killed before its first commit): from the start
        if answered >= position:
            return
        records = owner.reader.read_range(tp.topic, tp.partition, answered, position)
        log.info("%s: answering offsets %d-%d again (applied before the last stop, maybe"
                 " unanswered)", tp, answered, position - 1)
        owner.publish(owner.answer_applied(records), {tp: position})
