"""The next round, read while the writer applies this one.

A round is what one gathering of polls returns, one batch per partition, each handed to
the verify pool (:mod:`consumers.verify_pool`). Before applying round N the writer polls
round N+1 without waiting and hands it to the pool too, so that a worker decodes and
verifies N+1 while the writer applies N: the writer then rarely verifies a signature
itself. At most two rounds are held, the one in hand and the one ahead.

Records read ahead are the consumer's next records only while nothing moved their
partition. Before the round ahead is used, each partition's share of it is checked and
dropped (its futures in the pool cancelled; the records are fetched again) when:

- a rebalance ran since it was read (revoked, or assigned afresh): the assignment
  positioned every partition still ours from the ledger, and may re-answer first;
  nothing is sought here;
- the partition is no longer assigned (revoked and not given back): nothing to seek;
- the consumer's position is no longer just past the records: something sought it
  while the writer applied the round before (parking at a waiting record, a conflict
  with another consumer, a poison record passed, the seek back of a database outage):
  reading resumes where it was sought;
- the partition is paused (parked, waiting for the database, re-answering to be tried
  again) though its position is still just past the records: it is sought back to the
  first of them, so they are fetched again when the partition resumes.

A database outage drops the whole round ahead the same way (:meth:`ReadAhead.drop`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition

from consumers.records import Incoming
from consumers.verify_pool import Pending

log = logging.getLogger("ledger.consumers")


@dataclass
class Round:
    """A round's batches (one per partition, in offset order), each with its records on
    their way through the verify pool; ``rebalances``: how many rebalances had run when
    its records were read (:meth:`consumers.rounds.RoundReader._gather`)."""

    batches: list[tuple[TopicPartition, list[Incoming]]]
    pending: list[Pending]
    rebalances: int

    def cancel(self) -> None:
        """What no transaction took is not needed: free the pool of it."""
        for pending in self.pending:
            pending.cancel()


class ReadAhead:
    """The round read ahead, if any, and the checks that keep it true.

    It is given the group's Kafka consumer and ``rebalances``, the count of rebalances
    so far (:attr:`consumers.assignment.Assignments.rebalances`).
    """

    def __init__(self, consumer: KafkaConsumer, rebalances: Callable[[], int]) -> None:
        self.consumer, self.rebalances = consumer, rebalances
        self.held: Round | None = None
        self.used = self.dropped = 0  # partition batches: how often reading ahead paid
        self.missed = 0  # rounds for which a poll that did not wait found nothing ahead

    def hold(self, ahead: Round) -> None:
        assert self.held is None, "at most one round is read ahead"
        self.held = ahead

    def take(self) -> Round | None:
        """The round ahead, without the partitions whose records are no longer next."""
        ahead, self.held = self.held, None
        if ahead is None:
            return None
        if ahead.rebalances != self.rebalances():
            self._drop(ahead, seek_back=False)
            return None
        assigned, paused = self.consumer.assignment(), self.consumer.paused()
        kept = Round([], [], ahead.rebalances)
        for (tp, batch), pending in zip(ahead.batches, ahead.pending, strict=True):
            if tp in assigned and tp not in paused and self._intact(tp, batch):
                kept.batches.append((tp, batch))
                kept.pending.append(pending)
            else:
                self._drop_one(tp, batch, pending, seek_back=tp in assigned)
        self.used += len(kept.batches)
        return kept if kept.batches else None

    def drop(self) -> None:
        """Drop the round ahead; partitions nothing sought go back to its first records."""
        ahead, self.held = self.held, None
        if ahead is not None:
            self._drop(ahead, seek_back=ahead.rebalances == self.rebalances())

    def discard(self) -> None:
        """Stopping: free the pool; the ledger's positions say where to resume."""
        ahead, self.held = self.held, None
        if ahead is not None:
            ahead.cancel()
        log.info("read ahead: %d partition batches used, %d dropped; %d rounds found none",
                 self.used, self.dropped, self.missed)

    def _intact(self, tp: TopicPartition, batch: list[Incoming]) -> bool:
        return bool(self.consumer.position(tp) == batch[-1].offset + 1)

    def _drop(self, ahead: Round, seek_back: bool) -> None:
        assigned = self.consumer.assignment() if seek_back else set()
        for (tp, batch), pending in zip(ahead.batches, ahead.pending, strict=True):
            self._drop_one(tp, batch, pending, seek_back=tp in assigned)

    def _drop_one(self, tp: TopicPartition, batch: list[Incoming], pending: Pending,
                  seek_back: bool) -> None:
        pending.cancel()
        self.dropped += 1
        if seek_back and self._intact(tp, batch):
            self.consumer.seek(tp, batch[0].offset)  # nothing else moved it: read them again
        log.debug("%s: offsets %d-%d read ahead are dropped (the partition was sought, paused,"
                  " revoked or reassigned); they are fetched again", tp, batch[0].offset,
                  batch[-1].offset)
