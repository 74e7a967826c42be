"""Poison records: a record whose handling fails the same way every time never stops its
partition, and a database outage never costs a valid record its turn.

A partition's batch is one transaction. When it fails as a whole with something that
is not an outage (commands/bus/failures.py: a bug, a damaged stored row the record reads,
a value the database refuses), nothing of it was written and nobody knows yet which
record is to blame. :meth:`PoisonGuard.isolate` then applies the batch again one record
at a time, each in its own transaction with its own position, so every record before
the culprit is applied and answered as usual; once the culprit is set aside, the
records behind it are fetched again and go on in batches.

The culprit is tried at most ``LEDGER_POISON_ATTEMPTS`` times. Its tries are counted in
the ledger database (a tracking row named ``"poison:<topic>:<partition>@<offset>"`` whose id
is the count), so the count survives restarts: the first failure is counted when it
happens, every later try *before* it is made, so a record that kills the process
(rather than raising) is also set aside after the limit. (One that kills the process
on its very first batch is not counted: counting every record would cost a write per
record; such a crash would show as a consumer restarting at the same offset.) Between tries the
partition waits a little: what looked deterministic may have been a passing lock or
conflict. Once the tries are used up, and only if the database still answers (an
outage is never blamed on a record), the record is set aside: its position is
recorded alone in one transaction (no events: nothing of it is applied), it is
answered ``internal_error`` on the results topic and its bytes go to the dead-letter
topic with the error, and the records behind it go on.

What each failure does, in short:

- the server is down: nothing is answered or dead-lettered; the batch is sought back
  and retried after a growing pause (``CommandConsumer.wait_for_database``);
- one record fails: the records before it are applied one by one, it is retried a few
  times, then dead-lettered; its partition moves on;
- a record fails while the database also stops answering: treated as the outage.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from kafka import KafkaConsumer, TopicPartition

from commands.bus.failures import database_reachable, describe_failure, is_outage, log_unexpected
from commands.bus.pipeline import Result
from commands.signed.envelope import SignedCommand
from consumers.ports import AfterConflict, Answer
from consumers.records import Incoming, lane_name, tracking_for, tracking_name
from ledger.errors import ConcurrencyError
from ledger.integrity.mapper import Record
from ledger.store.event_store import Tracking

log = logging.getLogger("ledger.consumers.poison")


class DatabaseOutage(Exception):
    """A record failed, but the database does not answer either: wait, blame no one.
    ``applied`` holds the answers of the records applied one by one before it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.applied: list[Answer] = []


def attempts_name(record: Incoming) -> str:
    """Apart from the partitions' positions (``topic:partition``): whatever sums those
    (readiness checks, benchmarks) must not count these."""
    return f"poison:{tracking_name(record.topic, record.partition)}@{record.offset}"


def set_aside(command_id: str, command_type: str | None, attempts: int) -> Result:
    """The answer for a dead-lettered poison record (the error itself is in the DLQ)."""
    return Result(command_id, False, "internal_error",
                  f"internal error; the command was not applied after {attempts} attempt(s)"
                  " and was set aside on the dead-letter topic", command_type=command_type)


class Attempts(Protocol):
    """What the guard reads and writes of the ledger database (:class:`EventStore`): the
    tries counted under :func:`attempts_name`, positions recorded alone, and whether it
    answers at all."""

    def position(self, name: str) -> int | None: ...

    def append(self, records: Sequence[Record], tracking: Tracking | None = None
               ) -> list[int]: ...

    def max_notification_id(self) -> int: ...


class Execute(Protocol):
    """The bus applying records in one transaction with their position
    (:meth:`MessageBus.execute`)."""

    def __call__(self, items: Sequence[Any], tracking: Tracking | None = None,
                 lane: str | None = None) -> list[Result]: ...


class PoisonGuard:
    """Finds and sets aside the record that makes its partition's batch fail.

    It is given the group's Kafka consumer (to seek), the ledger database's store, the
    bus's ``execute``, the parking watch's ``applied``, the command consumer's
    ``after_conflict`` and the number of tries (``LEDGER_POISON_ATTEMPTS``).
    """

    def __init__(self, *, consumer: KafkaConsumer, store: Attempts, execute: Execute,
                 applied: Callable[[TopicPartition, Sequence[Incoming]], None],
                 after_conflict: AfterConflict, limit: int) -> None:
        self.consumer, self.store, self.execute = consumer, store, execute
        self.applied, self.after_conflict = applied, after_conflict
        self.limit = limit

    def isolate(self, tp: TopicPartition, head: list[Incoming],
                decoded: list[SignedCommand | Result], answers: list[Answer]
                ) -> tuple[list[Answer], bool]:
        """Apply ``head`` one record at a time, adding to ``answers`` as it goes; returns
        them and whether the partition must stop here (it was sought back to the first
        record not done). Raises :class:`DatabaseOutage` if the database goes away."""
        for i, (record, item) in enumerate(zip(head, decoded, strict=True)):
            try:
                answer = self._one(tp, record, item)
            except ConcurrencyError:
                answers.extend(self.after_conflict(tp, head[i:]))
                return answers, True
            if answer is None:  # to be tried again after a pause
                self.consumer.seek(tp, record.offset)
                return answers, True
            answers.append(answer)
            if answer.error is not None and i + 1 < len(head):
                # The culprit is set aside: the records behind it go back to batches
                # (fetched again from here), not on one by one.
                self.consumer.seek(tp, record.offset + 1)
                return answers, True
        return answers, False

    def _one(self, tp: TopicPartition, record: Incoming,
             item: SignedCommand | Result) -> Answer | None:
        store = self.store
        name = attempts_name(record)
        tried = store.position(name) or 0
        if tried >= self.limit:  # the process stopped (or died) during the last try
            return self._dead_letter(record, item, tried,
                                     f"failed {tried} time(s) (the consumer stopped while"
                                     " handling it)")
        if tried:  # known to fail: counted before it is tried, in case the process dies
            store.append([], Tracking(name, tried + 1))
        try:
            result = self.execute([item], tracking=tracking_for([record]),
                                  lane=lane_name(record.topic, record.partition))[0]
        except ConcurrencyError:
            raise
        except Exception as exc:
            if is_outage(exc) or not database_reachable(store.max_notification_id):
                raise DatabaseOutage(describe_failure(exc)) from exc
            if not tried:
                store.append([], Tracking(name, 1))
            log_unexpected(log, f"{tp.topic}:{tp.partition} offset {record.offset} failed on"
                           f" its own (attempt {tried + 1} of {self.limit})", exc)
            if tried + 1 >= self.limit:
                return self._dead_letter(record, item, tried + 1, describe_failure(exc))
            time.sleep(min(0.5 * 2 ** tried, 5.0))
            return None
        self.applied(tp, [record])
        return Answer(record, result, isinstance(item, Result))

    def _dead_letter(self, record: Incoming, item: SignedCommand | Result, attempts: int,
                     error: str) -> Answer:
        """Record the position alone (one transaction, no events) and answer the record."""
        self.store.append([], tracking_for([record]))
        self.applied(TopicPartition(record.topic, record.partition), [record])
        log.error("%s:%d offset %d set aside on the dead-letter topic after %d attempt(s): %s",
                  record.topic, record.partition, record.offset, attempts, error)
        command_type = item.type if isinstance(item, SignedCommand) else None
        return Answer(record, set_aside(item.command_id, command_type, attempts), True,
                      error=f"{error} (after {attempts} attempt(s))")
