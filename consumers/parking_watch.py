"""Parks partitions whose next command waits for another aggregate, and frees them.

The policy is in :mod:`consumers.parking`; this module applies it to a live consumer:
it pauses the partition at the waiting record, looks again every ``park_check_ms``
(other partitions' positions from the database, their next record's timestamp from
the broker, the dependency from fresh ledger state), and resumes the partition with
the record either ready or released to the bus for its final answer.

Before parking it looks once more, at once: with the cache refreshed if another
process wrote, and at the other partitions. A command whose dependency will never come
(or a barrier, see :mod:`consumers.readiness`) is then often released without waiting
``park_check_ms``, which matters for a grant revocation when the others have passed it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from kafka import KafkaConsumer, TopicPartition

from commands.bus.pipeline import Result
from commands.signed.envelope import SignedCommand
from consumers import kafka_io
from consumers.config import KafkaOptions
from consumers.parking import Decision, Parked, decide, others_passed
from consumers.readiness import grant_created, missing_dependency
from consumers.records import Incoming, Positions, stored_position
from consumers.store_watch import DATABASE_ERRORS
from ledger.store.application import Ledger

log = logging.getLogger("ledger.consumers.parking")


class NextRecords(Protocol):
    """Reads other partitions' next records outside the group (:class:`SideReader`)."""

    def next_timestamps(self, topic: str, positions: Mapping[int, int]
                        ) -> dict[int, int | None] | None: ...


class ParkingWatch:
    """The parked partitions of one consumer.

    It is given the group's Kafka consumer, the ledger's stored positions, the side
    reader, the ledger whose state says what is ready, and ``refresh`` (the store watch's
    :meth:`~consumers.store_watch.StoreWatch.refresh_if_others_wrote`).
    """

    def __init__(self, options: KafkaOptions, *, consumer: KafkaConsumer, positions: Positions,
                 reader: NextRecords, ledger: Ledger, refresh: Callable[[], None]) -> None:
        self.options = options
        self.consumer, self.positions, self.reader = consumer, positions, reader
        self.ledger, self.refresh = ledger, refresh
        self.parked: dict[TopicPartition, Parked] = {}
        # offsets to hand to the bus as they are, without asking readiness again
        self.released: dict[TopicPartition, set[int]] = {}
        self.first_parked: dict[tuple[TopicPartition, int], float] = {}
        self.next_check = 0.0

    def busy(self) -> bool:
        return bool(self.parked or self.released)

    def poll_timeout_ms(self, poll_ms: int) -> int:
        """How long the next poll may block: no longer than until the next look at the
        parked partitions (at once after progress, see :meth:`applied`), so a command
        whose dependency was just applied does not sit out a whole idle poll."""
        if not self.parked:
            return poll_ms
        return max(0, min(poll_ms, int((self.next_check - time.monotonic()) * 1000)))

    def is_parked(self, tp: TopicPartition) -> bool:
        return tp in self.parked

    def first_unready(self, tp: TopicPartition, batch: Sequence[Incoming],
                      decoded: Sequence[SignedCommand | Result]) -> tuple[int, str | None]:
        """Index of the first command that must wait, and what for (len(batch) if none)."""
        ledger = self.ledger
        released = self._released_from(tp, batch[0].offset) if batch else set()
        granted: set[str] = set()  # created earlier in this batch: applied first, same transaction
        for i, (record, item) in enumerate(zip(batch, decoded, strict=True)):
            if isinstance(item, Result):
                continue  # undecodable: nothing to wait for
            if record.offset not in released:
                waiting_for = missing_dependency(ledger, item, granted)
                if waiting_for is not None and i == 0:
                    # Later in a batch, what is missing may come from the records before it:
                    # those are applied first, then it is looked at again, at the head.
                    waiting_for = self._look_again(tp, record, item)
                if waiting_for is not None:
                    return i, waiting_for
            created = grant_created(item)
            if created is not None:
                granted.add(created)
        return len(batch), None

    def _released_from(self, tp: TopicPartition, first: int) -> set[int]:
        """The partition's released offsets; those before ``first`` are decided: dropped."""
        released = {o for o in self.released.pop(tp, set()) if o >= first}
        if released:
            self.released[tp] = released
        return released

    def _look_again(self, tp: TopicPartition, record: Incoming,
                    signed: SignedCommand) -> str | None:
        """Before parking: what it still waits for, or None if it may go (ready or released).

        The same order as :meth:`_decide`: the other partitions are observed first, then
        the ledger is read afresh (if another process wrote since this one last looked).
        """
        passed = self._passed(tp.topic, tp.partition, record.timestamp)
        self.refresh()
        waiting_for = missing_dependency(self.ledger, signed)
        if waiting_for is not None and passed:
            log.info("%s offset %d: %s %s released at once: every other partition has passed"
                     " it (it waited for %s)", tp, record.offset, signed.type,
                     signed.command_id, waiting_for)
            self.released.setdefault(tp, set()).add(record.offset)
            return None
        return waiting_for

    def park(self, tp: TopicPartition, record: Incoming, signed: SignedCommand,
             waiting_for: str) -> None:
        now = time.monotonic()
        since = self.first_parked.setdefault((tp, record.offset), now)
        if not self.parked:
            self.next_check = now + self.options.park_check_ms / 1e3
        if tp not in self.parked:
            log.info("%s paused at offset %d: %s %s waits for %s", tp, record.offset,
                     signed.type, signed.command_id, waiting_for)
        self.parked[tp] = Parked(tp.topic, tp.partition, record.offset, record.timestamp, since,
                                 waiting_for, signed)
        self.consumer.seek(tp, record.offset)
        self.consumer.pause(tp)

    def applied(self, tp: TopicPartition, records: Sequence[Incoming]) -> None:
        """The records were handled: forget that any of them waited, and look at the parked
        partitions again on the next turn of the loop (what they wait for, or the records
        they wait to be passed by, may have been among these: no need to sit out
        ``park_check_ms``)."""
        if self.parked:
            self.next_check = 0.0
        if tp in self.released:
            self.released[tp] -= {r.offset for r in records}
            if not self.released[tp]:
                del self.released[tp]
        for r in records:
            self.first_parked.pop((tp, r.offset), None)

    def forget(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions were assigned or revoked: start afresh from the database position."""
        for tp in partitions:
            self.parked.pop(tp, None)
            self.released.pop(tp, None)
        if partitions:
            kafka_io.resume(self.consumer, *[tp for tp in partitions
                                             if tp in self.consumer.assignment()])

    def check(self) -> None:
        """Look at every parked partition if it is time; resume those that may go on."""
        now = time.monotonic()
        if not self.parked or now < self.next_check:
            return
        self.next_check = now + self.options.park_check_ms / 1e3
        for tp, parked in list(self.parked.items()):
            try:
                decision = self._decide(parked)
            except DATABASE_ERRORS as exc:
                log.warning("%s: cannot look at the parked command (%s); still waiting", tp, exc)
                continue
            if decision is Decision.WAIT:
                continue
            waited = time.monotonic() - parked.since
            if decision is Decision.GIVE_UP:
                log.warning("%s offset %d: %s waited %.0fs for %s, longer than"
                            " LEDGER_PARK_MAX_SECONDS; handing it to the ledger as it is",
                            tp, parked.offset, parked.command.command_id, waited,
                            parked.waiting_for)
            else:
                log.info("%s offset %d: %s after %.1fs (%s)", tp, parked.offset,
                         "retrying" if decision is Decision.RETRY else "released",
                         waited, parked.waiting_for)
            if decision is not Decision.RETRY:
                self.released.setdefault(tp, set()).add(parked.offset)
            del self.parked[tp]
            kafka_io.resume(self.consumer, tp)

    def _decide(self, parked: Parked) -> Decision:
        # Observe the other partitions first, then read fresh state: whatever a partition
        # had committed when it was seen to have passed is then visible.
        passed = self._passed(parked.topic, parked.partition, parked.timestamp)
        # Our own writes keep the cache true; only another process's make it stale (and
        # dropping the whole cache at every look made every later batch read it all again).
        self.refresh()
        ready = missing_dependency(self.ledger, parked.command) is None
        return decide(ready=ready, passed=passed, waited=time.monotonic() - parked.since,
                      max_wait=self.options.park_max_seconds)

    def _passed(self, topic: str, partition: int, timestamp: int) -> bool:
        """Has every other partition of ``topic`` decided everything stamped by ``timestamp``?"""
        if timestamp < 0:
            return False  # never placeable: spare the broker the question
        partitions = self.consumer.partitions_for_topic(topic) or set()
        positions = {p: stored_position(self.positions, topic, p)
                     for p in partitions if p != partition}
        upcoming = self.reader.next_timestamps(topic, positions)
        return upcoming is not None and others_passed(timestamp, upcoming)
