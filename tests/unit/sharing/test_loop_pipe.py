"""The service's end of the writer's pipe (sharing/loop_pipe.py), over a real socket pair:
it speaks ``multiprocessing.Connection``'s framing both ways, never makes the event loop
wait for a peer that reads nothing, and says once when the pipe closed."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from typing import Any

from sharing.loop_pipe import LoopPipe


def read_into(got: list[Any], conn: Any, count: int) -> threading.Thread:
    """A thread reading ``count`` messages' first items from ``conn`` into ``got``."""
    def read() -> None:
        for _ in range(count):
            got.append(conn.recv()[0])

    reader = threading.Thread(target=read)
    reader.start()
    return reader


def pipe_pair() -> tuple[LoopPipe, Any, list[Any], list[str]]:
    """A LoopPipe on one end, a plain Connection on the other (the writer process's)."""
    ours, theirs = multiprocessing.Pipe()
    received: list[Any] = []
    closed: list[str] = []
    return LoopPipe(ours, received.append, lambda: closed.append("closed")), theirs, \
        received, closed


async def until(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.001)


def test_messages_cross_both_ways_in_connection_framing() -> None:
    pipe, theirs, received, _ = pipe_pair()
    big = {"blob": b"x" * 3_000_000}  # more than a socket pair buffers: many partial reads

    async def main() -> None:
        pipe.bind(asyncio.get_running_loop())
        pipe.send([("command", 1, "a")])
        pipe.send(big)
        echo = threading.Thread(target=lambda: [theirs.send(theirs.recv()) for _ in range(2)])
        echo.start()
        await until(lambda: len(received) == 2)
        echo.join()

    asyncio.run(main())
    assert received == [[("command", 1, "a")], big]
    pipe.close()


def test_a_peer_that_reads_nothing_does_not_hold_the_loop() -> None:
    pipe, theirs, _, _ = pipe_pair()

    async def main() -> float:
        pipe.bind(asyncio.get_running_loop())
        started = time.monotonic()
        for _ in range(20):
            pipe.send(b"y" * 500_000)  # 10 MB to a peer that reads nothing yet
        return time.monotonic() - started

    assert asyncio.run(main()) < 1.0
    pipe.close()
    theirs.close()


def test_what_waited_is_written_once_the_peer_reads() -> None:
    pipe, theirs, _, _ = pipe_pair()
    got: list[Any] = []

    async def main() -> None:
        pipe.bind(asyncio.get_running_loop())
        for i in range(8):
            pipe.send((i, b"z" * 400_000))
        reader = read_into(got, theirs, 8)
        await until(lambda: len(got) == 8)
        reader.join()

    asyncio.run(main())
    assert got == list(range(8))  # whole, in order
    pipe.close()


def test_the_end_of_the_pipe_is_told_once() -> None:
    pipe, theirs, received, closed = pipe_pair()

    async def main() -> None:
        pipe.bind(asyncio.get_running_loop())
        theirs.send(("answers", []))
        theirs.close()  # the writer process exited
        await until(lambda: closed)
        await asyncio.sleep(0.05)

    asyncio.run(main())
    assert received == [("answers", [])]
    assert closed == ["closed"]


def test_the_last_message_goes_without_a_loop_after_what_waited() -> None:
    """A stop after the service's loop ended: what the loop could not write goes first,
    then the stop, whole."""
    pipe, theirs, _, _ = pipe_pair()

    async def main() -> None:
        pipe.bind(asyncio.get_running_loop())
        pipe.send(("first", b"w" * 2_000_000))  # more than fits: the rest waits

    asyncio.run(main())
    got: list[Any] = []
    reader = read_into(got, theirs, 2)
    pipe.send_last(lambda: ("stop", b""))
    reader.join(timeout=10)
    assert got == ["first", "stop"]
    pipe.close()


def test_the_last_message_goes_through_a_running_loop_from_another_thread() -> None:
    pipe, theirs, _, _ = pipe_pair()

    async def main() -> None:
        pipe.bind(asyncio.get_running_loop())
        pipe.send(("first", b"v" * 1_000_000))
        await asyncio.to_thread(pipe.send_last, lambda: ("stop", b""))

    got: list[Any] = []
    reader = read_into(got, theirs, 2)
    asyncio.run(main())
    reader.join(timeout=10)
    assert got == ["first", "stop"]
    pipe.close()


def test_a_gone_peer_loses_the_message_without_an_error() -> None:
    pipe, theirs, _, _ = pipe_pair()
    theirs.close()
    pipe.send_last(lambda: ("stop", b""))  # the writer process is gone: nothing to do
    pipe.close()


def stall(pipe: LoopPipe) -> None:
    """Bind ``pipe`` to the running loop and queue more than the pipe holds: nobody reads."""
    pipe.bind(asyncio.get_running_loop())
    pipe.send(("first", b"v" * 4_000_000))


def test_a_last_message_waiting_for_room_ends_when_the_writer_process_goes() -> None:
    pipe, theirs, _, closed = pipe_pair()

    async def main() -> None:
        stall(pipe)
        waiting = asyncio.create_task(asyncio.to_thread(pipe.send_last, lambda: ("stop", b"")))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # it waits for the queue to empty...
        theirs.close()  # ...until the writer process is gone
        await asyncio.wait_for(waiting, 10)

    asyncio.run(main())
    assert closed == ["closed"]


def test_a_last_message_after_the_pipe_closed_in_the_loop_returns_at_once() -> None:
    pipe, theirs, _, _ = pipe_pair()

    async def main() -> None:
        stall(pipe)
        # the writer process went, seen before the stop's send
        asyncio.get_running_loop().call_soon(pipe.close)
        await asyncio.wait_for(asyncio.to_thread(pipe.send_last, lambda: ("stop", b"")), 5)

    asyncio.run(main())
    theirs.close()


def test_a_last_message_nobody_reads_is_given_up_after_the_wait() -> None:
    pipe, theirs, _, _ = pipe_pair()

    async def main() -> None:
        stall(pipe)
        started = time.monotonic()
        await asyncio.to_thread(pipe.send_last, lambda: ("stop", b""), 0.3)
        assert 0.3 <= time.monotonic() - started < 5

    asyncio.run(main())
    pipe.close()
    theirs.close()
