"""The writer in a process of its own, so that the service uses two cores.

In one process the event loop (HTTP, decoding) and the writer thread (authenticate,
authorise, handle, seal, commit) take turns holding one interpreter lock, so the service
used one core however many it had. Here the service's process keeps the event loop: it
reads each request and decodes its command (refusing what is malformed before the writer
sees it), and the writer process does the rest. Checking signatures here instead, against
a book of keys the writer sent back, cost this process more than it saved the writer
(431 against 238 µs a request here, the writer 350 against 400; 1,460-1,510 against
1,930-2,010 verifications/s, alternating runs), so the writer verifies, as the bus always
does. The writer process gathers what is waiting on its pipe into one bus batch (group
commit: whatever arrived while the previous batch committed), commits and answers each
request. A projector process keeps the embedded read models (sharing/projector.py; the
service's process did, and does if it dies). The service's process runs the reads that need
no writer (pages, public status, downloads) on its own connections, in the thread that
:class:`~sharing.writer.Writer` keeps for them; the few that write to the ledger
(publishing a checkpoint, proofs) and ``/healthz`` go to the writer process by name
(:meth:`ProcessWriter.on_writer`).

What happens when ...
- the writer process dies (killed, out of memory): every request it held is answered 503
  ``unavailable`` (it may have committed their batch: post again with the same command
  id), and the next command starts a new one in a thread of its own while the other
  requests go on;
- the database is away: the batch is answered 503 ``database`` (nothing was written), as
  in one process; so are commands while a new writer process cannot open it;
- the writer waits (a locked table): the event loop writes to the pipe only what it takes
  without waiting (sharing/loop_pipe.py), so only commands wait; pages and ``/healthz``
  answer;
- the service stops: the writer commits what it was given, closes the ledger and exits
  (it is ended if it reads nothing for ``STOP_SECONDS``); it ignores Ctrl-C itself (the
  service's process decides when it stops).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any

from commands.bootstrap import Services
from commands.bus.pipeline import Result
from commands.settings import Settings
from commands.signed.envelope import SignedCommand
from sharing.loop_pipe import LoopPipe, call_soon_in
from sharing.projector import Projector
from sharing.writer import (
    Writer,
    WriterDatabaseError,
    WriterLostError,
    WriterStoppedError,
)
from sharing.writer_child import writer_main

log = logging.getLogger("sharing.writer")
START_SECONDS = 120  # opening a large ledger reads its lanes and keys
RESPAWN_AFTER = 5.0  # seconds between attempts to start a writer process that failed
STOP_SECONDS = 60  # the longest a stop waits for the writer process to finish its work


class ProcessWriter(Writer):
    """:class:`~sharing.writer.Writer`'s interface, with the bus in a process of its own;
    the inherited thread serves :meth:`call` on the service process's own services."""

    def __init__(self, settings: Settings, open_services: Callable[[], Services], *,
                 window: float, max_batch: int, projector: Projector | None = None) -> None:
        super().__init__(open_services, window=window, max_batch=max_batch)
        self._settings = settings
        self._projector = projector  # keeps the read models, if given (sharing/projector.py)
        self._ids = itertools.count()
        self._pending: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()  # the pending table, the outbox, the process
        self._conn: Connection | None = None
        self._pipe: LoopPipe | None = None  # the pipe of ``_conn``, served by ``_loop``
        self._loop: asyncio.AbstractEventLoop | None = None  # the service's event loop
        self._child: multiprocessing.process.BaseProcess | None = None
        self._outbox: list[tuple[str, int, Any]] = []
        self._failed_at = -RESPAWN_AFTER
        self._start_error: BaseException | None = None  # why the last start failed
        self._starting: threading.Thread | None = None  # a replacement being started
        self._opening: multiprocessing.process.BaseProcess | None = None  # its process
        self._stopped = False

    # -- life ------------------------------------------------------------------------------
    def start(self) -> None:
        super().start()
        with self._lock:
            if self._conn is None:
                self._spawn()
        if self._projector is not None:
            self._projector.start()

    def _catches_up(self) -> bool:
        """Whether the inherited thread keeps the read models: only while no projector
        process does (none was given, or it died: said once)."""
        projector = self._projector
        if projector is None or projector.alive():
            return projector is None
        if not self._stopped:
            log.error("the projector process exited; the read models catch up in the"
                      " service's process")
            self._projector = None
        return True

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Serve the pipe from ``loop`` (the service's, in its thread); the first request
        from a loop binds it too."""
        with self._lock:
            self._loop, pipe = loop, self._pipe
        if pipe is not None:
            pipe.bind(loop)

    def stop(self) -> None:
        with self._lock:
            self._stopped, starting = True, self._starting
        if starting is not None:  # let it finish, so that its process is stopped too; a
            starting.join(STOP_SECONDS)  # process that cannot open the ledger (a locked
            if starting.is_alive():  # table) is ended as one that reads nothing would be
                _end(self._opening)
                starting.join()
        with self._lock:
            child = self._child
        # A writer process that reads nothing (waiting on a lock that is never released,
        # or stopped) held the stop for ever, in the send or the join: it is ended after
        # STOP_SECONDS; what it had not committed was never acknowledged.
        watchdog = threading.Timer(STOP_SECONDS, _end, args=(child,))
        watchdog.daemon = True
        if child is not None:
            watchdog.start()
        try:
            with self._lock:
                conn, self._conn, self._child = self._conn, None, None
                pipe = self._pipe
            if pipe is not None and conn is not None:
                pipe.send_last(self._stop_message)
            if child is not None:
                child.join()
        finally:
            watchdog.cancel()
        if pipe is not None and conn is not None:
            self._gone(conn)  # a request the writer never answered is not left waiting
            pipe.close()
        projector = self._projector  # the writer thread drops it if it died
        if projector is not None:
            projector.stop()  # after the last write: it catches up once more
        super().stop()

    def _stop_message(self) -> list[tuple[str, int, Any]]:
        with self._lock:
            work, self._outbox = self._outbox, []
        return [*work, ("stop", -1, None)]

    def _spawn(self) -> None:
        """Start the writer process and wait until its ledger is open (lock held); at the
        service's start, before it takes requests."""
        self._check_may_start()
        try:
            self._attach(*self._start_child())
        except BaseException as exc:
            self._failed_at, self._start_error = time.monotonic(), exc
            raise

    def _check_may_start(self) -> None:
        """After a failed start, requests are refused at once for a few seconds rather
        than each waiting for another attempt (lock held)."""
        if self._stopped:
            raise WriterStoppedError("the service is shutting down")
        if time.monotonic() - self._failed_at < RESPAWN_AFTER:
            if isinstance(self._start_error, WriterDatabaseError):  # say why, as it did
                raise WriterDatabaseError(str(self._start_error))
            raise WriterLostError("the writer process could not start; retrying shortly")

    def _replace(self) -> None:
        """In a thread of its own: start a writer process in place of one that died, then
        send it what was queued meanwhile. Opening a large ledger takes a while, and in
        the event loop's thread it held every request (pages, public status) that long."""
        try:
            conn, child = self._start_child()
        except BaseException as exc:
            with self._lock:
                self._failed_at, self._starting = time.monotonic(), None
                self._start_error = exc
                work, self._outbox = self._outbox, []
                lost = [self._pending.pop(request, None) for _, request, _ in work]
            for future in lost:
                if future is not None and future.set_running_or_notify_cancel():
                    future.set_exception(exc)
            return
        with self._lock:
            self._attach(conn, child)
            self._starting = None
        self._flush_soon()

    def _attach(self, conn: Connection, child: multiprocessing.process.BaseProcess) -> None:
        """Take ``conn`` as the writer process's pipe (lock held); the service's loop, if
        it runs already, serves it."""
        if self._pipe is not None:
            self._pipe.close()
        self._conn, self._child = conn, child
        self._pipe = pipe = LoopPipe(conn, self._received, lambda: self._gone(conn))
        loop = self._loop
        if loop is not None:
            call_soon_in(loop, functools.partial(pipe.bind, loop))

    def _start_child(self) -> tuple[Connection, multiprocessing.process.BaseProcess]:
        ctx = multiprocessing.get_context("spawn")  # no copies of the event loop's threads
        ours, theirs = ctx.Pipe()
        level = logging.getLogger().getEffectiveLevel()  # the service's --verbose
        child = ctx.Process(target=writer_main,
                            args=(theirs, self._settings, self._max_batch, level),
                            name="ledger-writer", daemon=True)
        child.start()
        self._opening = child
        theirs.close()
        if not ours.poll(START_SECONDS):
            child.kill()
            raise WriterLostError("the writer process did not open the ledger in time")
        try:
            first = ours.recv()
        except EOFError:
            raise WriterLostError("the writer process exited while opening the ledger"
                                     " (its log says why)") from None
        if first[0] != "ready":
            child.join(timeout=10)
            raise first[1]
        return ours, child

    # -- asking ----------------------------------------------------------------------------
    def expect(self) -> None:
        """The writer takes whatever its pipe holds; nothing to wait for."""

    def unexpect(self) -> None:
        """See :meth:`expect`."""

    def submit(self, signed: SignedCommand, *, expected: bool = False) -> Future[Result]:
        return self._send("command", signed)

    def _in_flight(self) -> bool:
        """Requests wait for the writer process: not idle (the inherited thread's queue never
        holds commands here: 1,513 catch-ups in 24,000 verifications, not 310-370)."""
        return bool(self._pending)

    async def _on_writer(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """In the writer process (``fn``: a module-level function)."""
        return await asyncio.wrap_future(self._send("call", (fn, args)))

    def _send(self, kind: str, payload: Any) -> Future[Any]:
        """Queue the work; what the event loop queues in one turn goes as one message
        (one pickling, one write), and reaches the writer together: one batch."""
        future: Future[Any] = Future()
        with self._lock:
            if self._conn is None and self._starting is None:
                self._check_may_start()  # the previous one died, or never started
                self._starting = threading.Thread(target=self._replace, daemon=True,
                                                  name="writer-start")
                self._starting.start()
            request = next(self._ids)
            self._pending[request] = future
            self._outbox.append((kind, request, payload))
            if len(self._outbox) > 1 or self._starting is not None:
                return future  # a flush is on its way, or the new process's start sends it
        self._flush_soon()
        return future

    def _flush_soon(self) -> None:
        """Send the outbox at the end of this turn of the loop (what the loop queues in
        one turn goes as one message, and reaches the writer together: one batch)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # another thread (a replacement's start): the service's loop
            if not call_soon_in(self._loop, self._flush):
                self._flush()  # no loop runs: the message waits in the pipe for one to bind
            return
        if running is not self._loop:
            self.bind(running)
        running.call_soon(self._flush)

    def _flush(self) -> None:
        """Send the outbox (in the loop's thread, or any while none runs; the pipe takes
        what fits, the loop writes the rest when there is room)."""
        with self._lock:
            if self._starting is not None:
                return  # a writer process is being started: it sends the outbox
            work, self._outbox, pipe = self._outbox, [], self._pipe
        if not work:
            return
        try:
            if pipe is None:
                raise OSError("no writer process")
            pipe.send(work)
        except Exception as exc:  # nothing of it reached the writer
            if not isinstance(exc, OSError):
                log.exception("could not send %d request(s) to the writer", len(work))
            with self._lock:
                lost = [self._pending.pop(request, None) for _, request, _ in work]
            for future in lost:
                if future is not None and future.set_running_or_notify_cancel():
                    future.set_exception(WriterStoppedError("the writer process is gone"))

    # -- answers ---------------------------------------------------------------------------
    def _received(self, message: Any) -> None:
        """One message of the writer process (in the loop's thread)."""
        if message[0] == "answers":  # a batch committed
            _, answers = message
            self.committed_elsewhere()  # for the read models (the projector's, or ours)
            for request, result in answers:
                self._settle(request, result, None)
        elif message[0] == "answer":  # a call's value
            self._settle(message[1], message[2], None)
        else:  # ("failed", requests, exception)
            _, requests, exc = message
            for request in requests:
                self._settle(request, None, exc)

    def _settle(self, request: int, value: Any, exc: BaseException | None) -> None:
        with self._lock:
            future = self._pending.pop(request, None)
        if future is None or not future.set_running_or_notify_cancel():
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(value)

    def _gone(self, conn: Connection) -> None:
        """The pipe closed: a stop, or the process died. Nobody waits for ever."""
        with self._lock:
            stopping = self._conn is not conn
            if not stopping:
                log.error("the writer process exited; the requests it held are answered 503"
                          " and the next command starts a new one")
                self._conn, self._child = None, None
            waiting, self._pending = self._pending, {}
        for future in waiting.values():  # a batch may have committed before the end
            if future.set_running_or_notify_cancel():
                future.set_exception(WriterLostError("the writer process stopped"))


def _end(child: multiprocessing.process.BaseProcess | None) -> None:
    if child is not None and child.is_alive():
        log.error("the writer process did not stop within %d s; it was ended", STOP_SECONDS)
        child.kill()
