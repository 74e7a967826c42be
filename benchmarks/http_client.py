"""A small HTTP/1.1 keep-alive load generator for the HTTP bench: asyncio protocols on
raw sockets, one connection per concurrent client, on uvloop when it is installed.

httpx costs a few hundred µs of CPU per request; on 2 cores the client shares with the
server under test, that CPU is taken from the server and the figure measures the client.
This one writes a prepared request and reads the answer by its ``Content-Length``: tens
of µs. It speaks only what the bench needs (no TLS, no chunked answers, no redirects),
and it is used for every HTTP figure alike, so their ratios stay fair.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, cast

Request = tuple[str, str, bytes | None]  # method, path, body


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run`` on uvloop when it is installed (it is, with ``uvicorn[standard]``)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def encode(host: str, method: str, path: str, body: bytes | None) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode("ascii") + (body or b"")


class ProtocolError(Exception):
    pass


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.need = -1  # bytes of the whole answer once its head is in
        self.status = 0
        self.closed = False  # the server closes a connection idle past its keep-alive

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.need < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).split(b"\r\n")
            self.status = int(head[0].split(b" ", 2)[1])
            length = None
            for line in head[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length is None:
                self._fail(ProtocolError("an answer without Content-Length"))
                return
            self.need = end + 4 + length
        if len(self.buffer) >= self.need:
            if len(self.buffer) > self.need:
                self._fail(ProtocolError("more bytes than the answer announced"))
                return
            self.buffer.clear()
            self.need = -1
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(self.status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionResetError("the server closed the connection"))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    async def send(self, raw: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class Client:
    """Keep-alive connections to one server; :meth:`send` takes an idle one, or opens one."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._idle: list[_Connection] = []
        self._all: list[_Connection] = []

    async def send(self, raw: bytes) -> int:
        """Send one encoded request; its answer's status."""
        while self._idle and self._idle[-1].closed:  # closed by the server while idle
            self._all.remove(self._idle.pop())
        connection = self._idle.pop() if self._idle else await self._open()
        try:
            status = await connection.send(raw)
        except BaseException:
            connection.close()
            self._all.remove(connection)
            raise
        self._idle.append(connection)
        return status

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(_Connection, self.host, self.port)
        self._all.append(connection)
        return connection

    def close(self) -> None:
        for connection in self._all:
            connection.close()
        self._all.clear()
        self._idle.clear()


def summary(samples: list[float], statuses: dict[int, int]) -> dict[str, Any]:
    from benchmarks.suite_env import percentiles

    return {**percentiles(samples),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


async def closed_loop(host: str, port: int, requests: Iterator[bytes], count: int,
                      concurrency: int) -> dict[str, Any]:
    """``concurrency`` clients, each sending its next request when the last is answered."""
    client = Client(host, port)
    samples: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(count))

    async def worker() -> None:
        for _ in counter:
            raw = next(requests)
            t = time.perf_counter()
            status = await client.send(raw)
            samples.append((time.perf_counter() - t) * 1000)
            statuses[status] = statuses.get(status, 0) + 1

    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    finally:
        client.close()
    return {"requests_per_s": round(count / seconds, 1), **summary(samples, statuses)}


async def open_loop(host: str, port: int, requests: Iterator[bytes], count: int,
                    rate: float) -> dict[str, Any]:
    """Requests sent on a fixed schedule of ``rate`` per second, whatever the answers do
    (a request due while every connection is busy opens another)."""
    client = Client(host, port)
    samples: list[float] = []
    statuses: dict[int, int] = {}
    loop = asyncio.get_running_loop()

    async def one(raw: bytes, at: float) -> None:
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        t = time.perf_counter()
        status = await client.send(raw)
        samples.append((time.perf_counter() - t) * 1000)
        statuses[status] = statuses.get(status, 0) + 1

    try:
        start = time.perf_counter() + 0.1
        tasks = [loop.create_task(one(next(requests), start + n / rate)) for n in range(count)]
        await asyncio.gather(*tasks)
    finally:
        client.close()
    return {"rate_per_s": round(rate, 1), **summary(samples, statuses)}


def requests_of(host: str, method: str, path: str,
                bodies: Iterator[bytes | None]) -> Iterator[bytes]:
    return (encode(host, method, path, body) for body in bodies)


Send = Callable[[bytes], Coroutine[Any, Any, int]]
