"""The command consumer: poll ▸ batch per partition ▸ apply with position ▸ answer ▸ commit.

Each partition's batch is one database transaction holding its events and the
partition's position (a tracking record), so a record is applied once however often
it is delivered; a redelivered, already-tracked batch collides and changes nothing.
Results and dead letters are published after the commit, then Kafka's offset is
committed: an advisory marker of what was *answered*. On assignment a partition
resumes from the database position; records between Kafka's marker and that position
were applied but perhaps not answered, and are answered again by a dry run.

What happens when ...
- the broker is away: polls come back empty and publishing retries (nothing is
  committed to Kafka until results are out); the client reconnects by itself;
- PostgreSQL is away: the batch in hand is dropped, its partitions are sought back
  and paused, and the consumer retries after a growing pause; nothing was applied;
- a record repeats: its tracked position makes the batch collide (the bus changes
  nothing); a command id posted again is answered with its original result;
- a key is revoked: the department's partition applies the revocation; commands
  signed with that key and applied after it are rejected by the bus (key_not_valid);
- a command arrives before what it depends on: see :mod:`consumers.parking`;
- a record fails the same way every time (a poison record: a bug, a damaged row it
  reads, a value the database refuses): the records before it are applied, it is tried
  a bounded number of times, then answered ``internal_error``, dead-lettered with the
  error, and its partition moves on: see :mod:`consumers.poison`. Which failures are
  outages and which are a record's own: :mod:`commands.bus.failures`;
- the next round, read ahead while this one is applied (for the verify worker), finds
  its partition parked, sought, paused, revoked or reassigned: its records there are
  dropped and fetched again, see :mod:`consumers.read_ahead`.
"""

from __future__ import annotations

import logging
import time

from kafka import TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from commands.bootstrap import Services
from commands.bus.failures import is_outage, log_unexpected
from commands.bus.pipeline import Result, decode_any
from commands.signed.envelope import SignedCommand
from consumers import kafka_io
from consumers.assignment import Assignments
from consumers.config import KafkaOptions
from consumers.dead_letter import dead_letter
from consumers.parking_watch import ParkingWatch
from consumers.poison import DatabaseOutage, PoisonGuard
from consumers.ports import Answer
from consumers.read_ahead import ReadAhead, Round
from consumers.records import (
    Incoming,
    Outgoing,
    lane_name,
    stored_position,
    tracking_for,
)
from consumers.results import DryRun, result_message
from consumers.rounds import RoundReader
from consumers.side_reader import SideReader
from consumers.store_watch import DATABASE_ERRORS, DatabaseUnavailable, StoreWatch, describe
from consumers.verify_pool import Pending, VerifyPool
from ledger.errors import ConcurrencyError

log = logging.getLogger("ledger.consumers")


class CommandConsumer:
    """One member of the consumer group; :meth:`run` until stopped or idle."""

    def __init__(self, services: Services, options: KafkaOptions, watch: StoreWatch,
                 connect_timeout: float | None = None) -> None:
        self.services, self.options, self.watch = services, options, watch
        self.stopping = False
        self.store = services.store
        self.dry = DryRun(services)
        self.consumer = kafka_io.connect(lambda: kafka_io.make_consumer(options), options,
                                         "the consumer", connect_timeout, self._stopped)
        producer = kafka_io.connect(lambda: kafka_io.make_producer(options), options,
                                    "the results producer", connect_timeout, self._stopped)
        self.publisher = kafka_io.Publisher(producer, self._stopped)
        self.reader = kafka_io.connect(lambda: SideReader(options, kafka_io.client_id("consume")),
                                       options, "the side reader", connect_timeout,
                                       self._stopped)
        # The collaborators get what they use, by name (consumers/ports.py), never `self`.
        self.parking = ParkingWatch(options, consumer=self.consumer, positions=self.store,
                                    reader=self.reader, ledger=services.ledger,
                                    refresh=watch.refresh_if_others_wrote)
        self.poison = PoisonGuard(consumer=self.consumer, store=self.store,
                                  execute=services.bus.execute, applied=self.parking.applied,
                                  after_conflict=self.after_conflict,
                                  limit=options.poison_attempts)
        self.db_backoff = kafka_io.Backoff()
        self.kafka_backoff = kafka_io.Backoff()
        self.assignments = Assignments(
            consumer=self.consumer, positions=self.store, reader=self.reader,
            forget_parked=self.parking.forget, answer_applied=self.answer_applied,
            publish=self.publish, wait_for_database=self.wait_for_database)
        self.verify = VerifyPool(options.verify_workers, options.max_record_bytes)
        self.verify.warm()  # decoding and verifying ahead of the writer: verify_pool.py
        self.ahead = ReadAhead(self.consumer, lambda: self.assignments.rebalances)
        self.rounds = RoundReader(self.consumer, options, verify=self.verify, ahead=self.ahead,
                                  rebalances=lambda: self.assignments.rebalances)
        self.last_activity = time.monotonic()
        self.consumer.subscribe([options.commands_topic], listener=self.assignments)

    def _stopped(self) -> bool:
        return self.stopping

    def stop(self) -> None:
        """Finish the batch in hand, then leave (safe to call from a signal handler)."""
        self.stopping = True

    # -- the loop ------------------------------------------------------------------------
    def run(self, until_idle: float | None = None) -> int:
        started = time.monotonic()
        log.info("consuming %s as group %s from %s", self.options.commands_topic,
                 self.options.group, self.options.bootstrap_servers)
        try:
            while not self.stopping:
                self.assignments.settle()
                self.parking.check()
                try:
                    current = self.ahead.take() or self.rounds.read(
                        self.parking.poll_timeout_ms(self.options.poll_ms))
                except KafkaError as exc:  # the client retries by itself; do not spin
                    delay = self.kafka_backoff.next()
                    log.warning("polling Kafka failed (%s); retrying in %.1fs", exc, delay)
                    time.sleep(delay)
                    continue
                self.kafka_backoff.reset()
                if current is not None:
                    self.last_activity = time.monotonic()
                    self._round(current)
                elif until_idle is not None and self._idle_for(until_idle, started):
                    log.info("no new records for %.0fs: stopping", until_idle)
                    break
        finally:
            self.ahead.discard()
            self.close()
        return 0

    def _idle_for(self, seconds: float, started: float) -> bool:
        if self.parking.busy() or self.assignments.busy():
            return False
        now = time.monotonic()
        if not self.assignments.assigned_once:  # joining a group takes a few seconds: allow for it
            return now - started >= max(seconds, 60.0)
        last = max(self.last_activity, self.assignments.last_assigned)
        return now - last >= seconds and not self._lagging()

    def _lagging(self) -> bool:
        """Does the broker hold records of our partitions that we have not read?"""
        for tp in self.consumer.assignment():
            high = self.consumer.highwater(tp)
            if high is None:
                # No fetch answered yet for this partition (just assigned, or seeked): ask
                # the broker, rather than take "unknown" for "nothing left to read".
                try:
                    high = self.consumer.end_offsets([tp]).get(tp)
                except KafkaError:
                    return True
            if high is not None and self.consumer.position(tp) < high:
                return True
        return False

    def _round(self, current: Round) -> None:
        self.assignments.settle()  # re-answer before anything new of a just-assigned partition
        self.rounds.read_ahead()
        try:
            self._apply_round(current)
        finally:
            current.cancel()  # what was not taken (a partition parked, revoked, a failure)

    def _apply_round(self, current: Round) -> None:
        if current.rebalances != self.assignments.rebalances:
            # A poll since these records were read (reading ahead, say) rebalanced: every
            # partition still ours was positioned from the ledger by the assignment, and
            # these records are fetched again from there.
            return
        answers: list[Answer] = []
        commits: dict[TopicPartition, int] = {}
        batches = current.batches
        for i, (tp, batch) in enumerate(batches):
            if tp not in self.consumer.assignment() or self.parking.is_parked(tp):
                continue  # revoked or paused while this poll's records were in flight
            if self.assignments.must_recover(tp):  # its re-answering waits for the database
                self.consumer.seek(tp, batch[0].offset)
                continue
            done, failure = self._handle_partition(tp, batch, current.pending[i])
            answers.extend(done)
            if done:
                commits[tp] = done[-1].record.offset + 1
            if failure is not None:
                for rest_tp, rest in batches[i + 1:]:
                    if rest_tp in self.consumer.assignment():
                        self.consumer.seek(rest_tp, rest[0].offset)
                self.ahead.drop()  # fetched again after the outage, from where they start
                self.publish(answers, commits)
                self.wait_for_database(failure)
                return
        self.publish(answers, commits)

    def _handle_partition(self, tp: TopicPartition, batch: list[Incoming], pending: Pending
                          ) -> tuple[list[Answer], DatabaseUnavailable | None]:
        """Apply the batch up to the first command that must wait, and park there.

        If the database fails, the partition is sought back to the first record not
        applied, and the failure is returned with the answers of what was applied.
        """
        answers: list[Answer] = []
        decoded: list[SignedCommand | Result] = []
        while batch:
            n = min(len(batch), self.options.batch_size, self._bytes_cut(batch))
            decoded += pending.next(n - len(decoded))  # as far as this transaction needs
            try:
                cut, waiting_for = self.parking.first_unready(tp, batch[:n], decoded[:n])
                if cut == 0:
                    signed = decoded[0]
                    assert isinstance(signed, SignedCommand) and waiting_for is not None
                    self.parking.park(tp, batch[0], signed, waiting_for)
                    break
                done, stop = self._execute(tp, batch[:cut], decoded[:cut])
            except DatabaseOutage as exc:  # after some records were applied one by one
                self.services.ledger.forget()
                answers.extend(exc.applied)
                return answers, DatabaseUnavailable(exc.reason)
            except Exception as exc:
                # Outside a batch's execution (parking's queries, say) any database error
                # is taken for an outage, as before: only a batch can isolate a record.
                if not (is_outage(exc) or isinstance(exc, DATABASE_ERRORS)):
                    raise
                self.services.ledger.forget()
                self.consumer.seek(tp, batch[0].offset)
                return answers, DatabaseUnavailable(describe(exc))
            answers.extend(done)
            if stop:
                break
            batch, decoded = batch[cut:], decoded[cut:]
        return answers, None

    def _bytes_cut(self, batch: list[Incoming]) -> int:
        """How many records fit in one transaction's LEDGER_BATCH_BYTES (at least one)."""
        total = 0
        for n, record in enumerate(batch):
            total += len(record.value or b"")
            if total > self.options.batch_bytes:
                return max(1, n)
        return len(batch)

    def _execute(self, tp: TopicPartition, head: list[Incoming],
                 decoded: list[SignedCommand | Result]) -> tuple[list[Answer], bool]:
        try:
            self.watch.refresh_if_others_wrote()
            results = self.services.bus.execute(decoded, tracking=tracking_for(head),
                                                lane=lane_name(tp.topic, tp.partition))
        except ConcurrencyError:
            return self.after_conflict(tp, head), True
        except Exception as exc:
            if is_outage(exc):
                raise  # nothing was applied: wait for the server, blame no record
            log_unexpected(log, f"{tp.topic}:{tp.partition} offsets {head[0].offset}-"
                           f"{head[-1].offset} failed as one batch; applying them one by one",
                           exc)
            self.services.ledger.forget()
            return self._isolate(tp, head, decoded)
        self.db_backoff.reset()
        self.parking.applied(tp, head)
        self.verify.learn(decoded, self.services.ledger)
        return [Answer(r, res, isinstance(d, Result))
                for r, res, d in zip(head, results, decoded, strict=True)], False

    def _isolate(self, tp: TopicPartition, head: list[Incoming],
                 decoded: list[SignedCommand | Result]) -> tuple[list[Answer], bool]:
        """:meth:`PoisonGuard.isolate`; an outage midway keeps the answers of what was
        applied (they travel in the exception) and seeks back to the first not applied."""
        done: list[Answer] = []
        try:
            answers, stop = self.poison.isolate(tp, head, decoded, done)
        except DatabaseOutage as exc:
            self.consumer.seek(tp, head[len(done)].offset)
            exc.applied = done
            raise
        return answers, stop

    def after_conflict(self, tp: TopicPartition, head: list[Incoming]) -> list[Answer]:
        """Someone else applied (part of) this batch: a zombie owner of the partition."""
        position = stored_position(self.store, tp.topic, tp.partition)
        applied = [r for r in head if r.offset < position]
        log.warning("%s: offsets %d-%d collide with the ledger's position %d (another consumer"
                    " applied them); answering those from the ledger and resuming at %d",
                    tp, head[0].offset, head[-1].offset, position, max(position, head[0].offset))
        self.consumer.seek(tp, max(position, head[0].offset))
        return self.answer_applied(applied)

    def answer_applied(self, records: list[Incoming]) -> list[Answer]:
        """Answers for records already applied (by a dry run: nothing is written)."""
        if not records:
            return []
        results = self.dry.answer_applied(records)
        limit = self.options.max_record_bytes
        return [Answer(r, res, isinstance(decode_any(r.value, limit), Result), recovered=True)
                for r, res in zip(records, results, strict=True)]

    # -- answering -----------------------------------------------------------------------
    def publish(self, answers: list[Answer], commits: dict[TopicPartition, int]) -> None:
        out: list[Outgoing] = []
        for a in answers:
            out.append(result_message(a.result, a.record, self.options.results_topic,
                                      recovered=a.recovered))
            if a.poison:
                out.append(dead_letter(a.record, a.result, self.options.dlq_topic, a.error))
        if out and not self.publisher.publish(out):
            return  # stopping: Kafka's offsets stay put, so these are answered on restart
        owned = {tp: OffsetAndMetadata(o, "", -1) for tp, o in commits.items()
                 if tp in self.consumer.assignment()}
        if owned:
            try:
                self.consumer.commit(owned)
            except KafkaError as exc:  # advisory only: at worst results are sent twice
                log.warning("could not commit Kafka offsets %s (%s); the ledger's positions"
                            " stand", {str(k): v.offset for k, v in owned.items()}, exc)

    # -- outages ------------------------------------------------------------------------
    def wait_for_database(self, exc: Exception) -> None:
        delay = self.db_backoff.next()
        log.warning("the ledger database is unavailable (%s); nothing of the batch in hand was"
                    " applied; retrying in %.1fs", exc, delay)
        held = [tp for tp in self.consumer.assignment() if not self.parking.is_parked(tp)]
        self.consumer.pause(*held)
        deadline = time.monotonic() + delay
        while not self.stopping and time.monotonic() < deadline:
            # polling paused partitions fetches nothing but keeps this member in the group
            self.consumer.poll(timeout_ms=int(min(0.5, deadline - time.monotonic()) * 1000) + 1)
        kafka_io.resume(self.consumer, *[tp for tp in held if tp in self.consumer.assignment()
                                         and not self.assignments.waiting(tp)])

    def close(self) -> None:
        for closing in (self.consumer.close, self.publisher.producer.close, self.reader.close,
                        self.verify.close):
            try:
                closing()
            except Exception as exc:  # closing must not hide why we stopped
                log.info("while closing: %s", exc)
