"""The one thread that owns the ledger: group commit for the requests of a few milliseconds.

The bus is synchronous and its services (connections, the state cache) belong to one
thread, so every request hands its work to this thread through a queue and awaits a
future. Commands that arrive within ``window`` seconds of the first (and whatever piled
up while the previous batch committed) share one bus batch, one transaction; the writer
waits for more only while a request it was told of (:meth:`Writer.expect`) is still being
read or decoded, so at a fixed number of clients a batch goes as soon as every request
received is in it, not a fixed window later (throughput there is clients ÷ latency). Each
request is answered only after that transaction committed, so nothing is acknowledged
before it is durable. Other work (public reads, proofs) runs between batches, and so
does bringing inline read models up to date (embedded SQLite): when no work came for
``IDLE_CATCH_UP`` seconds, or at least every ``CATCH_UP_EVERY`` seconds under load, rather
than after every commit; after work that may have written (:meth:`Writer.on_writer`: a
checkpoint) as after a batch; and once more when the service stops.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from commands.bootstrap import Services, bootstrap
from commands.bus.pipeline import Result
from commands.settings import Settings
from commands.signed.envelope import SignedCommand
from consumers.store_watch import StoreWatch

log = logging.getLogger("sharing.writer")
T = TypeVar("T")
# Seconds without work before the read models catch up: not after every small batch (at
# 16 requests in flight a batch of 16 left the queue empty each time, and catching up
# after each cost a fifth of the writer's time), yet at once when the load pauses.
IDLE_CATCH_UP = 0.005
# Under sustained load, at least this often; a catch-up holds the writer, so a longer
# interval is a longer stall for the requests that arrive meanwhile (once a second gave
# a p99 near 100 ms at 400 verifications/s).
CATCH_UP_EVERY = 0.1


class WriterStoppedError(RuntimeError):
    """The service is shutting down: the request was not handled."""


class WriterLostError(TimeoutError):
    """The writer process died holding the request (sharing/writer_process.py): its batch
    may have committed before it could answer, so, as after a time-out, the command may
    have taken effect; it is answered as a time-out is (503 ``unavailable``: post it
    again with the same command id), never "nothing was done"."""


class WriterDatabaseError(RuntimeError):
    """The writer process could not reach the database; nothing of the batch was written
    (sharing/writer_process.py; answered 503 like a driver's own error)."""


@dataclass(frozen=True)
class _Command:
    signed: SignedCommand
    future: Future[Result]


@dataclass(frozen=True)
class _Call:
    fn: Callable[[Services], Any]
    future: Future[Any]


_STOP = object()
_WAKE = object()  # a batch committed elsewhere (sharing/writer_process.py): look again


class Writer:
    def __init__(self, open_services: Callable[[], Services], *, window: float,
                 max_batch: int) -> None:
        """``open_services`` should not update read models after each commit (see
        :func:`serving_services`); the writer does it between batches."""
        self._open = open_services
        self._window = window
        self._max_batch = max_batch
        self._queue: queue.Queue[Any] = queue.Queue()
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self.batches = 0  # committed batches, for tests and the bench
        # Requests received that will post a command but have not yet (their body is
        # read or decoded); counted in the event loop's thread, read in this one.
        self._expected = 0
        self._watch = StoreWatch()
        self._woken = False
        # Writes the read models may not have seen: batches, here or in the writer process,
        # and calls that may have written (a checkpoint); counted from two threads.
        self._writes = 0
        self._writes_lock = threading.Lock()

    def start(self) -> None:
        """Open the services in the writer thread; raises what opening raised. Starting
        again only answers the same way."""
        if not self._thread.is_alive() and not self._ready.done():
            self._thread.start()
        self._ready.result()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The service's event loop, once it runs (sharing/writer_process.py serves its
        pipe from it); nothing to do here."""

    def stop(self) -> None:
        """Finish the work queued so far, then close the services."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def expect(self) -> None:
        """A request that will post a command arrived: a batch being gathered waits for it
        (at most the window). Then :meth:`submit` with ``expected``, or :meth:`unexpect`."""
        self._expected += 1

    def unexpect(self) -> None:
        self._expected -= 1

    def committed_elsewhere(self) -> None:
        """A batch was committed by another process for this service: this thread brings
        the read models up to date as after its own batches (when idle, or every
        ``CATCH_UP_EVERY`` under load), unless a projector process keeps them."""
        self.batches += 1
        self._wrote()

    def _wrote(self, *, wake: bool = True) -> None:
        """The ledger changed: the read models catch up when this thread is idle, or
        every ``CATCH_UP_EVERY`` under load (``wake``: tell the thread, if it waits)."""
        with self._writes_lock:
            self._writes += 1
            if self._woken:
                wake = False  # told already, and not yet looked
            elif wake:
                self._woken = True
        if wake:
            self._queue.put(_WAKE)

    def _catches_up(self) -> bool:
        """Whether this thread keeps the embedded read models (sharing/writer_process.py
        may leave them to a process of their own)."""
        return True

    def _in_flight(self) -> bool:
        """Whether commands wait for an answer other than through this thread's queue:
        never here, where every command is in the queue (sharing/writer_process.py)."""
        return False

    def submit(self, signed: SignedCommand, *, expected: bool = False) -> Future[Result]:
        """Queue a command (``expected``: the one announced by :meth:`expect`)."""
        future: Future[Result] = Future()
        self._queue.put(_Command(signed, future))
        if expected:
            self._expected -= 1
        return future

    async def execute(self, signed: SignedCommand) -> Result:
        return await asyncio.wrap_future(self.submit(signed))

    async def call(self, fn: Callable[[Services], T]) -> T:
        future: Future[T] = Future()
        self._queue.put(_Call(fn, future))
        return await asyncio.wrap_future(future)

    async def on_writer(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(services, *args)`` where the ledger is written: work that writes to it (a
        checkpoint) goes here, not to :meth:`call` (sharing/writer_process.py runs the
        two in different processes)."""
        try:
            return await self._on_writer(fn, args)
        finally:
            # A checkpoint it published is two events the read models must show too:
            # before, they waited for the next command's batch (`ledger show` said
            # "read models are 2 event(s) behind"). Catching up when nothing was written
            # is one query, so a health check may wake it as well.
            self._wrote()

    async def _on_writer(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        """Where :meth:`on_writer` runs ``fn``: this thread."""
        return await self.call(lambda services: fn(services, *args))

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            services = self._open()
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._watch.attach(services)
        chained = services.bus.after_commit

        def committed(ids: list[int]) -> None:  # our own writes leave the cache true
            self._watch.committed(ids)
            if chained is not None:
                chained(ids)

        services.bus.after_commit = committed
        self._ready.set_result(None)
        caught_up, last = 0, time.monotonic()
        inline = services.settings.inline_projections
        try:
            while True:
                behind = inline and self._writes != caught_up and self._catches_up()
                if behind and time.monotonic() - last >= CATCH_UP_EVERY:
                    job = None  # sustained load: catch up now, every CATCH_UP_EVERY at least
                else:
                    try:
                        job = self._queue.get(timeout=IDLE_CATCH_UP if behind else None)
                    except queue.Empty:  # idle for a moment: catch up now
                        if self._in_flight():
                            continue  # not idle: commands wait elsewhere (a writer process)
                        job = None
                if job is None:
                    caught_up, last = self._writes, time.monotonic()
                    catch_up(services)
                elif job is _WAKE:
                    self._woken = False
                elif not self._step(services, job):
                    break
        finally:
            self._drain()
            if inline and self._writes != caught_up and self._catches_up():  # the last
                catch_up(services)  # batches: `ledger show` after a stop finds none behind
            services.close()

    def _step(self, services: Services, job: Any) -> bool:
        """Handle one batch (or one call) starting with ``job``; False once asked to stop."""
        if job is _STOP:
            return False
        if isinstance(job, _Call):
            _settle(job.future, job.fn, services)
            return True
        batch, calls, going_on = self._gather(job)
        # A request that gave up (time-out, client gone) before its batch began is dropped.
        batch = [c for c in batch if c.future.set_running_or_notify_cancel()]
        self._commit(services, batch)
        for call in calls:
            _settle(call.future, call.fn, services)
        return going_on

    def _gather(self, first: _Command) -> tuple[list[_Command], list[_Call], bool]:
        batch: list[_Command] = [first]
        calls: list[_Call] = []
        deadline = time.monotonic() + self._window
        while len(batch) < self._max_batch:
            try:
                if len(batch) >= self._expected:  # nothing received is on its way: go now
                    job = self._queue.get_nowait()
                else:
                    job = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if job is _STOP:
                return batch, calls, False
            if isinstance(job, _Call):
                calls.append(job)
            else:
                batch.append(job)
        return batch, calls, True

    def _commit(self, services: Services, batch: list[_Command]) -> None:
        if not batch:
            return
        try:
            results = commit_batch(services, self._watch, [c.signed for c in batch])
        except BaseException as exc:  # the database went away: nobody is acknowledged
            for command in batch:
                command.future.set_exception(exc)
            return
        self.batches += 1
        self._wrote(wake=False)  # this thread: it looks before it waits again
        for command, result in zip(batch, results, strict=True):
            command.future.set_result(result)

    def _drain(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job not in (_STOP, _WAKE) and job.future.set_running_or_notify_cancel():
                job.future.set_exception(WriterStoppedError("the service is shutting down"))


def serving_services(settings: Settings) -> Callable[[], Services]:
    """The composition root's services for the writer: read models are brought up to date
    by the writer between batches, not inside every commit."""
    return lambda: bootstrap(settings, after_commit=_nothing)


def _nothing(_ids: list[int]) -> None:
    return None


def commit_batch(services: Services, watch: StoreWatch,
                 signed: list[SignedCommand]) -> list[Result]:
    """One batch through the bus, for either writer; a failure is logged and raised
    (nothing of the batch was written)."""
    try:
        # `ledger apply` or a consumer may have written meanwhile: a key revoked or a
        # grant withdrawn there must not be taken from this writer's cache.
        watch.refresh_if_others_wrote()
        return services.bus.execute(signed)
    except BaseException as exc:
        log.warning("a batch of %d command(s) failed: %s", len(signed), type(exc).__name__)
        raise


def catch_up(services: Services) -> None:
    try:
        services.projections.catch_up()
    except Exception as exc:  # read models catch up at the next chance; commands go on
        log.warning("read models did not catch up: %s", type(exc).__name__)


def _settle(future: Future[Any], fn: Callable[[Services], Any], services: Services) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(fn(services))
    except BaseException as exc:
        future.set_exception(exc)
