"""Reading rounds of records for the consumer's writer: one gathering of polls, a batch
per partition, each handed to the verify pool; and the next round read ahead while the
writer applies this one (:mod:`consumers.read_ahead` says when what was read ahead is
dropped). Given what it uses, by name, as the consumer's other collaborators are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from consumers.config import KafkaOptions
from consumers.read_ahead import ReadAhead, Round
from consumers.records import Incoming, group_by_partition
from consumers.verify_pool import VerifyPool

log = logging.getLogger("ledger.consumers")


class RoundReader:
    def __init__(self, consumer: KafkaConsumer, options: KafkaOptions, *, verify: VerifyPool,
                 ahead: ReadAhead, rebalances: Callable[[], int]) -> None:
        self.consumer, self.options = consumer, options
        self.verify, self.ahead, self.rebalances = verify, ahead, rebalances

    def read(self, timeout_ms: int) -> Round | None:
        """Gather records and hand each partition's batch to the verify pool."""
        records, rebalances = self._gather(timeout_ms)
        if not records:
            return None
        batches = [(TopicPartition(t, p), batch)
                   for (t, p), batch in group_by_partition(records).items()]
        pending = self.verify.submit_round([[r.value for r in batch] for _, batch in batches])
        return Round(batches, pending, rebalances)

    def read_ahead(self) -> None:
        """Read the next round now, without waiting, so that the verify pool works on it
        while the writer applies this one (see :mod:`consumers.read_ahead`). Waiting for
        a fetch when the round in hand was full found no more rounds ahead (benchmarks:
        docs/benchmarks.md, issue 18)."""
        try:
            ahead = self.read(0)
        except KafkaError as exc:  # the loop's next poll meets it again, with its backoff
            log.debug("reading ahead failed: %s", exc)
            return
        if ahead is None:
            self.ahead.missed += 1
        else:
            self.ahead.hold(ahead)

    def _gather(self, timeout: int) -> tuple[list[Incoming], int]:
        """Up to a batch per assigned partition: what one poll returns, plus what is
        already fetched. A poll alone hands out a few records per partition, and every
        partition's share is its own transaction; fuller batches commit less often.

        Also the count of rebalances the records were read after: a poll that rebalances
        drops what earlier polls returned (the assignment positioned every partition
        still ours from the ledger: they are fetched again), and keeps its own records,
        read from those positions."""
        partitions = max(1, len(self.consumer.assignment()))
        limit = self.options.batch_size * partitions
        budget, held = self.options.batch_bytes * partitions, 0  # bounded memory
        records: list[Incoming] = []
        rebalances = self.rebalances()
        while len(records) < limit and held < budget:
            polled = self.consumer.poll(timeout_ms=timeout, max_records=limit - len(records))
            if self.rebalances() != rebalances:
                rebalances, records, held = self.rebalances(), [], 0
            got = [Incoming.of(r) for batch in polled.values() for r in batch]
            if not got:
                break
            records.extend(got)
            held += sum(len(r.value or b"") for r in got)
            timeout = 0
        return records, rebalances
