"""Decoding and signature verification in worker processes, ahead of the writer.

The consumer's writer (one thread: authorise ▸ handle ▸ encode ▸ insert) holds the GIL;
decoding a record and verifying its Ed25519 signature are pure CPU work that needs no
ledger state, so ``LEDGER_VERIFY_WORKERS`` processes do it for the next partitions of a
round while the writer applies the current one. What moves, and what stays:

- a worker decodes a chunk of raw records (the same :func:`commands.bus.decode_any`, so
  the same refusals) and verifies each signature against the public key the writer's
  *key book* names for its ``key_id``: a snapshot of keys the ledger held, sent with
  the chunk. A command that verifies comes back as :class:`PreVerified`, with the key
  it verified with; anything else (no such key in the book, a bad signature) comes back
  as a plain command and the writer verifies it itself, answering exactly as before;
- the writer still authenticates every command against ledger state at handling time
  (actor, key registration, validity window, revocation: commands/authenticate.py) and
  skips its own verification only if the worker's key is exactly the ledger's key for
  that ``key_id`` then. So a stale book costs speed, never correctness;
- chunks are taken back when the writer needs them first: waiting for a partition, the
  writer decodes in-process every chunk of it that no worker has started (from the
  back, while the worker works from the front), so neither side idles for long;
- a worker that fails (a crash, a killed process, an exception) costs only speed: its
  chunk is decoded in-process, as with no workers, and the pool is started afresh for
  the next round. Results come back in record order either way.

The ledger is the same as with ``LEDGER_VERIFY_WORKERS=0`` (everything in-process):
tests/integration/test_verify_pool.py replays one stream both ways.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import fields

from commands.authenticate import PreVerified, check_signature
from commands.bus import Result, decode_any
from commands.envelope import SignedCommand
from ledger import streams
from ledger.application import Ledger
from ledger.departments import apply_department

log = logging.getLogger("ledger.consumers")

CHUNK = 50  # records per task: small enough to share a partition, large enough for IPC
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
    """One partition's records on their way through the pool (:meth:`result` in order)."""

    def __init__(self, pool: VerifyPool, chunks: list[Sequence[bytes | None]],
                 futures: list[Future[list[Decoded]]]) -> None:
        self.pool, self.chunks, self.futures = pool, chunks, futures

    def result(self) -> list[Decoded]:
        done: list[list[Decoded] | None] = [None] * len(self.chunks)
        for i in reversed(range(len(self.futures))):  # take back what no worker started
            if not self.futures[i].cancel():
                break
            done[i] = in_process(self.chunks[i], self.pool.max_bytes)
        for i, future in enumerate(self.futures):
            if done[i] is None:
                done[i] = self._collect(i, future)
        for i in range(len(self.futures), len(self.chunks)):  # no pool: all in-process
            done[i] = in_process(self.chunks[i], self.pool.max_bytes)
        return [d for chunk in done for d in chunk or ()]

    def _collect(self, i: int, future: Future[list[Decoded]]) -> list[Decoded]:
        try:
            return future.result()
        except Exception as exc:  # a worker died or failed: this chunk is decoded here
            log.warning("a verify worker failed on %d records (%s: %s); decoding them"
                        " in-process", len(self.chunks[i]), type(exc).__name__, exc)
            self.pool.broken()
            return in_process(self.chunks[i], self.pool.max_bytes)

    def cancel(self) -> None:
        """The records are not needed (their partition was revoked or paused)."""
        for future in self.futures:
            future.cancel()


class VerifyPool:
    """``workers`` processes decoding and verifying for one writer; 0: all in-process."""

    def __init__(self, workers: int, max_bytes: int, decode: ChunkDecoder = decode_chunk,
                 chunk: int = CHUNK) -> None:
        self.workers, self.max_bytes, self.decode, self.chunk = workers, max_bytes, decode, chunk
        self.keys: dict[str, tuple[str, str]] = {}
        self._executor: ProcessPoolExecutor | None = None

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

    def learn(self, decoded: Iterable[Decoded], ledger: Ledger) -> None:
        """After a batch: add the keys of actors whose commands the workers could not
        verify (a key not yet in the book), read from the ledger's (cached) state."""
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
                self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    def broken(self) -> None:
        """Drop the pool; the next :meth:`submit` starts a fresh one."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self.broken()
