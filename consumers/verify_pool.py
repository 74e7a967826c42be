"""Decoding and signature verification in worker processes, ahead of the writer.

The consumer's writer (one thread: authorise ▸ handle ▸ encode ▸ insert) holds the GIL;
decoding a record and verifying its Ed25519 signature are pure CPU work that needs no
ledger state, so ``LEDGER_VERIFY_WORKERS`` processes do it for the next partitions of a
round while the writer applies the current one. What moves, and what stays:

- a worker decodes a chunk of raw records (the same :func:`commands.bus.pipeline.decode_any`, so
  the same refusals) and verifies each signature against the public key the writer's
  *key book* names for its ``key_id``: a snapshot of keys the ledger held, sent with
  the chunk. A command that verifies comes back as :class:`PreVerified`, with the key
  it verified with; anything else (no such key in the book, a bad signature) comes back
  as a plain command and the writer verifies it itself, answering exactly as before;
- the writer still authenticates every command against ledger state at handling time
  (actor, key registration, validity window, revocation: commands/signed/authenticate.py) and
  skips its own verification only if the worker's key is exactly the ledger's key for
  that ``key_id`` then. So a stale book costs speed, never correctness;
- the consumer hands the pool the next round before it applies this one
  (:mod:`consumers.read_ahead`), and the writer takes records as each transaction needs
  them (LEDGER_BATCH_SIZE at a time), so the worker decodes the next transaction's
  records, of this round or the next, while the writer applies this one; the pool then
  holds at most two rounds. Waiting, the writer decodes in-process every
  chunk of the transaction that no worker has started (from the back, while the worker
  works from the front), so neither side idles for long;
- a worker that fails (a crash, a killed process, an exception) costs only speed: its
  chunk is decoded in-process, as with no workers, and the pool is started afresh for
  the next round. Results come back in record order either way.

The ledger is the same as with ``LEDGER_VERIFY_WORKERS=0`` (everything in-process):
tests/integration/test_verify_pool.py replays one stream both ways.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import fields

from commands.bus.pipeline import Result, decode_any
from commands.signed.authenticate import PreVerified, check_signature
from commands.signed.envelope import SignedCommand
from ledger.domain import streams
from ledger.domain.departments import apply_department
from ledger.integrity.signing import b64decode, key_id_for
from ledger.store.application import Ledger

log = logging.getLogger("ledger.consumers")

PARENT_CHECK_SECONDS = 1.0
CHUNK = 125  # records per task: a worker fed between GIL switches of the writer (5 ms)
Decoded = SignedCommand | Result
Keys = Mapping[str, tuple[str, str]]  # key_id -> (algorithm, base64 public key)
ChunkDecoder = Callable[[Sequence[bytes | None], int, Keys], list[Decoded]]
_FIELDS = tuple(f.name for f in fields(SignedCommand))


def decode_chunk(values: Sequence[bytes | None], max_bytes: int, keys: Keys) -> list[Decoded]:
    """In a worker: decode each record and verify what the key book can verify."""
    return [pre_verify(decode_any(v, max_bytes), keys) for v in values]


def pre_verify(decoded: Decoded, keys: Keys) -> Decoded:
    if not isinstance(decoded, SignedCommand):
        return decoded
    known = keys.get(decoded.key_id)
    if known is None:
        return decoded
    try:
        check_signature(known[0], known[1], decoded)
    except Exception:  # the writer verifies again and says why, as without workers
        return decoded
    return PreVerified(**{name: getattr(decoded, name) for name in _FIELDS},
                       verified_with=(known[0], known[1]))


def in_process(values: Sequence[bytes | None], max_bytes: int) -> list[Decoded]:
    return [decode_any(v, max_bytes) for v in values]


class Pending:
    """One partition's records on their way through the pool, handed out in order by
    :meth:`next` as the writer's transactions need them, so that the worker decodes the
    next transaction's records while the writer applies this one."""

    def __init__(self, pool: VerifyPool, chunks: list[Sequence[bytes | None]],
                 futures: list[Future[list[Decoded]]]) -> None:
        self.pool, self.chunks, self.futures = pool, chunks, futures
        self.done: dict[int, list[Decoded]] = {}
        self.taken = 0  # records handed out so far
        self.total = sum(len(c) for c in chunks)

    def next(self, count: int) -> list[Decoded]:
        """The next ``count`` records (fewer at the end), decoded, in order."""
        end = min(self.taken + max(count, 0), self.total)
        if end <= self.taken:
            return []
        size = self.pool.chunk
        first, last = self.taken // size, (end - 1) // size
        for i in reversed(range(first, last + 1)):  # take back what no worker started
            if i in self.done:
                continue
            if i < len(self.futures) and not self.futures[i].cancel():
                break
            self.done[i] = in_process(self.chunks[i], self.pool.max_bytes)
            self.pool.taken_back += 1
        out: list[Decoded] = []
        for i in range(first, last + 1):
            if i not in self.done:
                self.done[i] = self._collect(i, self.futures[i])
            out.extend(self.done[i][max(self.taken - i * size, 0):end - i * size])
            if end >= (i + 1) * size:
                del self.done[i]  # handed out whole
        self.taken = end
        self.pool.note(out)
        return out

    def result(self) -> list[Decoded]:
        """Every record not yet handed out."""
        return self.next(self.total)

    def _collect(self, i: int, future: Future[list[Decoded]]) -> list[Decoded]:
        if future.cancelled():  # by a pool dropped after a failure: not this chunk's fault
            return in_process(self.chunks[i], self.pool.max_bytes)
        try:
            decoded = future.result()
            self.pool.from_workers += 1
            return decoded
        except Exception as exc:  # a worker died or failed: this chunk is decoded here
            log.warning("a verify worker failed on %d records (%s: %s); decoding them"
                        " in-process", len(self.chunks[i]), type(exc).__name__, exc)
            self.pool.broken()
            return in_process(self.chunks[i], self.pool.max_bytes)

    def cancel(self) -> None:
        """The records are not needed (their partition was revoked, paused or sought)."""
        for future in self.futures:
            future.cancel()


def exit_with_parent(parent: int) -> None:
    """A worker's initializer: end the worker when the consumer that started it is gone.

    A consumer killed with SIGKILL (the OOM killer, ``kill -9``) never shuts its pool
    down, and an idle worker does not notice: it holds both ends of its own call queue, so
    it waits for work for ever (~55 MB each, one more per restart). A daemon thread looks
    at the worker's parent every ``PARENT_CHECK_SECONDS``; once the worker has been handed
    to another parent, it exits (a chunk it was verifying is lost with the consumer that
    asked for it)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class VerifyPool:
    """``workers`` processes decoding and verifying for one writer; 0: all in-process."""

    def __init__(self, workers: int, max_bytes: int, decode: ChunkDecoder = decode_chunk,
                 chunk: int = CHUNK) -> None:
        self.workers, self.max_bytes, self.decode, self.chunk = workers, max_bytes, decode, chunk
        self.keys: dict[str, tuple[str, str]] = {}
        self._executor: ProcessPoolExecutor | None = None
        self.from_workers = self.taken_back = 0  # chunks: how much of the work the pool did

    def submit_round(self, partitions: Sequence[Sequence[bytes | None]]) -> list[Pending]:
        """:meth:`submit` for each partition of a round, in order. The caller cancels
        what it does not take (:meth:`Pending.cancel`): two rounds may be in the pool
        at once, the one in hand and the one read ahead (consumers/read_ahead.py)."""
        return [self.submit(values) for values in partitions]

    def submit(self, values: Sequence[bytes | None]) -> Pending:
        chunks = [values[i:i + self.chunk] for i in range(0, len(values), self.chunk)]
        if self.workers <= 0 or not chunks:
            return Pending(self, chunks, [])
        executor = self._pool()
        keys = dict(self.keys)  # one snapshot for the whole partition
        try:
            futures = [executor.submit(self.decode, c, self.max_bytes, keys) for c in chunks]
        except Exception as exc:  # a broken pool refuses work: decode in-process this time
            log.warning("the verify pool refused work (%s); decoding in-process", exc)
            self.broken()
            return Pending(self, chunks, [])
        return Pending(self, chunks, futures)

    def note(self, decoded: Iterable[Decoded]) -> None:
        """Put the keys that commands register (department, key, rotation) in the book at
        once, before they are applied: a key id is derived from the key's bytes, and the
        writer accepts a worker's verdict only for the key the ledger holds, so a key
        that is never registered only costs the worker a verification."""
        for d in decoded:
            command = d.command if isinstance(d, SignedCommand) else None
            public_key = getattr(command, "public_key", None)
            algorithm = getattr(command, "algorithm", None)
            if isinstance(public_key, str) and isinstance(algorithm, str):
                try:
                    key_id = key_id_for(algorithm, b64decode(public_key, what="public key"))
                except ValueError:
                    continue
                self.keys[key_id] = (algorithm, public_key)

    def learn(self, decoded: Iterable[Decoded], ledger: Ledger) -> None:
        """After a batch: add the keys of actors whose commands the workers could not
        verify (a key not yet in the book: registered before this process started),
        read from the ledger's (cached) state."""
        actors = {d.actor for d in decoded
                  if isinstance(d, SignedCommand) and not isinstance(d, PreVerified)
                  and d.key_id not in self.keys}
        if self.workers <= 0 or not actors:
            return
        for actor in actors:
            try:
                department = ledger.get(streams.department_stream(actor), apply_department)
            except Exception as exc:  # the book is an optimisation: never fail a batch for it
                log.debug("could not read the keys of %s: %s", actor, exc)
                return
            for record in (department.keys.values() if department else ()):
                self.keys[record.key_id] = (record.algorithm, record.public_key)

    def warm(self, wait: bool = False) -> None:
        """Start the workers now (a spawned worker takes a second to import the code)."""
        if self.workers > 0:
            started = self._pool().submit(self.decode, [], self.max_bytes, {})
            if wait:
                started.result()

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn, not fork: the consumer has Kafka client threads whose locks a fork copies
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_with_parent, initargs=(os.getpid(),))
        return self._executor

    def broken(self, wait: bool = False) -> None:
        """Drop the pool; the next :meth:`submit` starts a fresh one."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

    def close(self) -> None:
        if self.workers > 0:
            log.info("verify pool: %d chunks decoded by workers, %d taken back by the writer",
                     self.from_workers, self.taken_back)
        # Waiting (for the chunk a worker is on, a few ms) lets the pool's helper thread
        # end before the interpreter does: left running, it could write to a closed pipe
        # at exit ("Bad file descriptor", seen before this change too).
        self.broken(wait=True)
