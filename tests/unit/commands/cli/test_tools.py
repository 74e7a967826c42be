"""``ledger apply`` reads lines of at most LEDGER_MAX_RECORD_BYTES and never holds more."""

from __future__ import annotations

import io

from commands.cli.tools import Oversized, _bounded

LIMIT = 10


def lines(data: bytes) -> list[tuple[int, bytes | Oversized]]:
    return list(_bounded(io.BytesIO(data), LIMIT))


def test_lines_up_to_the_limit_are_read_whole_with_their_numbers() -> None:
    exact = b"x" * LIMIT
    assert lines(exact + b"\n" + exact) == [(1, exact + b"\n"), (2, exact)]
    assert lines(b"a\r\n\n  \nb\n") == [(1, b"a\r\n"), (4, b"b\n")]  # blank lines skipped
    assert lines(b"") == []
    assert lines(exact + b"\r\n") == [(1, exact + b"\r\n")]  # the line ending is not counted


def test_a_longer_line_is_measured_and_skipped_not_held() -> None:
    long = b"y" * (LIMIT + 1)
    assert lines(long + b"\nnext\n") == [(1, Oversized(LIMIT + 1)), (2, b"next\n")]
    assert lines(long) == [(1, Oversized(LIMIT + 1))]  # no newline at the end
    huge = b"z" * 200_000
    assert lines(huge + b"\r\n" + b"a\n") == [(1, Oversized(200_000)), (2, b"a\n")]
    assert lines(b"a\n" + huge + b"\n" + huge) == [
        (1, b"a\n"), (2, Oversized(200_000)), (3, Oversized(200_000))]
