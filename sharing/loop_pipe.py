"""The service's end of the writer process's pipe, read and written by the event loop.

With a thread sending and a thread reading, every batch crossed the interpreter lock
twice more: the event loop queued the commands, and the sending thread waited for the
lock (held by the busy event loop, up to the 5 ms switch interval) before it could send;
answers waited the same way in the reading thread. Here the event loop writes what it
can at once without waiting (the rest when the pipe has room again, so a writer process
that reads nothing never blocks it) and reads answers as soon as they arrive, between
requests. Alternating runs of 16,000 verifications at concurrency 16: 940-1,126 requests/s
against 810-920 with the two threads (docs/benchmarks.md, "HTTP (issue 14)").

Messages are framed as :class:`multiprocessing.connection.Connection` frames them (a
4-byte big-endian length, then the pickle), so the writer process keeps a plain
``Connection``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import socket
import struct
import time
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

READ_SIZE = 1 << 20
# The longest send_last waits for a running loop to write the last message: the stop's
# watchdog (sharing/writer_process.py, STOP_SECONDS) ends a writer process sooner.
LAST_WAIT_SECONDS = 90.0
_LENGTH = struct.Struct("!i")
_LONG_LENGTH = struct.Struct("!Q")


def frame(message: Any) -> bytes:
    """``message`` as ``Connection.send`` writes it."""
    payload = bytes(ForkingPickler.dumps(message))
    if len(payload) > 0x7FFFFFFF:
        return _LENGTH.pack(-1) + _LONG_LENGTH.pack(len(payload)) + payload
    return _LENGTH.pack(len(payload)) + payload


class LoopPipe:
    """One pipe to a writer process, served by the event loop it is bound to.

    ``on_message`` gets each message the writer process sends; ``on_closed`` is called
    once when the pipe closes (the process exited or died). Everything but
    :meth:`send_last` and :meth:`close` runs in the bound loop's thread (or in any thread
    while no loop is bound: what is sent then waits for one)."""

    def __init__(self, conn: Connection, on_message: Callable[[Any], None],
                 on_closed: Callable[[], None]) -> None:
        # A socket of our own over the same pipe (a socket pair on Unix), so that a read or
        # a write can be asked not to wait (MSG_DONTWAIT) while the pipe itself stays
        # blocking for the writer process's start and for a stop without a loop.
        self._sock = socket.socket(fileno=os.dup(conn.fileno()))
        self._on_message = on_message
        self._on_closed = on_closed
        self._out = bytearray()
        self._in = bytearray()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._writing = False
        self._closed = False
        self._drained: Future[None] | None = None  # send_last waits for an empty queue

    # -- the loop --------------------------------------------------------------------------
    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read (and write) in ``loop`` from now on (in its thread)."""
        if self.loop is loop or self._closed:
            return
        self.unbind()
        self.loop = loop
        loop.add_reader(self._sock.fileno(), self._readable)
        self._write_now()

    def unbind(self) -> None:
        loop, self.loop = self.loop, None
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(Exception):  # a loop being torn down
                loop.remove_reader(self._sock.fileno())
                loop.remove_writer(self._sock.fileno())
        self._writing = False

    def send(self, message: Any) -> None:
        """Queue ``message`` and write what the pipe takes now (in the loop's thread)."""
        self._out += frame(message)
        self._write_now()

    def _write_now(self) -> None:
        if not self._out or self.loop is None:
            return
        try:
            sent = self._sock.send(self._out, socket.MSG_DONTWAIT)
        except BlockingIOError:
            sent = 0
        except OSError:  # the writer process is gone: the reader sees the end
            self._out.clear()
            sent = 0
        del self._out[:sent]
        if not self._out and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)  # send_last is waiting for this
        if self._out and not self._writing:
            self.loop.add_writer(self._sock.fileno(), self._write_now)
            self._writing = True
        elif not self._out and self._writing:
            self.loop.remove_writer(self._sock.fileno())
            self._writing = False

    def _readable(self) -> None:
        try:
            data = self._sock.recv(READ_SIZE, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._end()
            return
        self._in += data
        while (message := self._next()) is not None:
            self._on_message(message)

    def _next(self) -> Any:
        """The next whole message read, unpickled; None until one is complete."""
        if len(self._in) < _LENGTH.size:
            return None
        (size,) = _LENGTH.unpack_from(self._in)
        start = _LENGTH.size
        if size == -1:
            if len(self._in) < start + _LONG_LENGTH.size:
                return None
            (size,) = _LONG_LENGTH.unpack_from(self._in, start)
            start += _LONG_LENGTH.size
        if len(self._in) < start + size:
            return None
        payload = bytes(self._in[start:start + size])
        del self._in[:start + size]
        return pickle.loads(payload)

    def _end(self) -> None:
        if self._closed:
            return
        self.close()
        self._on_closed()

    # -- from another thread ---------------------------------------------------------------
    def send_last(self, make: Callable[[], Any], wait: float = LAST_WAIT_SECONDS) -> None:
        """Send ``make()``, from any thread: through the bound loop while it runs (it may
        be writing to the pipe), else directly, waiting for room (a stop after the
        service's loop ended). Nothing if the writer process is gone already.

        From another thread it returns once the loop has written everything queued (the
        stop used to return once it was queued, and a loop ending at once left it
        unwritten), or when the pipe closes, or after ``wait`` seconds (the caller's
        watchdog ends a writer process that reads nothing). Only once the loop is closed,
        so that it can never write again, does it write the rest itself."""
        loop = self.loop
        if _in_its_thread(loop):
            self.send(make())
            return
        drained: Future[None] = Future()
        made: list[bool] = []

        def send() -> None:
            made.append(True)  # before make(): never made twice, even if it raises
            try:
                self.send(make())
            finally:
                if self._out and not self._closed and self.loop is loop:
                    self._drained = drained  # _write_now resolves it once the queue empties
                elif not drained.done():
                    drained.set_result(None)

        if loop is not None and call_soon_in(loop, send):
            deadline = time.monotonic() + wait
            while not _wait(drained, 0.05):
                if loop.is_closed():
                    break  # it can never write again: the rest is written below
                if self._closed or self.loop is not loop or time.monotonic() > deadline:
                    return
            else:
                return
        if self._closed:
            return
        if not made:  # no loop ran ``send``: the message is made here
            self._out += frame(make())
        self._drained = None
        self.unbind()
        data, self._out = bytes(self._out), bytearray()
        with contextlib.suppress(OSError):
            self._sock.sendall(data)

    def close(self) -> None:
        """Stop serving the pipe (in the loop's thread, where the loop reads it)."""
        if not _in_its_thread(self.loop) and call_soon_in(self.loop, self.close):
            return
        self._closed = True
        self.unbind()
        self._sock.close()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)  # the writer process is gone: nothing to wait for


def call_soon_in(loop: asyncio.AbstractEventLoop | None, fn: Callable[[], None]) -> bool:
    """Have ``fn`` run in ``loop`` (from another thread); False if no such loop runs."""
    if loop is None or not loop.is_running():
        return False
    try:
        loop.call_soon_threadsafe(fn)
    except RuntimeError:  # it closed meanwhile
        return False
    return True


def _wait(future: Future[None], seconds: float) -> bool:
    try:
        future.result(timeout=seconds)
    except TimeoutError:
        return False
    return True


def _in_its_thread(loop: asyncio.AbstractEventLoop | None) -> bool:
    try:
        return loop is not None and asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
