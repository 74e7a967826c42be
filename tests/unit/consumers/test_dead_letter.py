"""Dead letters keep the bytes and say why and where (consumers/dead_letter.py)."""

from __future__ import annotations

from commands.bus.pipeline import Result
from consumers.dead_letter import (
    ERROR,
    ERROR_CODE,
    SOURCE_OFFSET,
    SOURCE_PARTITION,
    SOURCE_TOPIC,
    dead_letter,
    dead_letter_headers,
)
from consumers.records import Incoming


def rec(partition: int, offset: int, value: bytes = b"{}", topic: str = "cmds",
        headers: tuple[tuple[str, bytes], ...] = ()) -> Incoming:
    return Incoming(topic, partition, offset, b"k", value, 1_000 + offset, headers)


# -- dead letters -----------------------------------------------------------------------
def test_dead_letter_keeps_the_bytes_and_says_why_and_where() -> None:
    poison = rec(1, 42, value=b"\x00not json", headers=(("trace", b"abc"),))
    result = Result("-", False, "malformed_json", "not valid JSON: unexpected byte")
    letter = dead_letter(poison, result, "cmds.dlq")
    assert (letter.topic, letter.key, letter.value) == ("cmds.dlq", b"k", b"\x00not json")
    headers = dict(letter.headers)
    assert headers[ERROR] == b"not valid JSON: unexpected byte"
    assert headers[ERROR_CODE] == b"malformed_json"
    assert (headers[SOURCE_TOPIC], headers[SOURCE_PARTITION], headers[SOURCE_OFFSET]) == (
        b"cmds", b"1", b"42")
    assert headers["trace"] == b"abc"  # the sender's own headers travel with it


def test_a_dead_letter_posted_back_carries_only_the_new_reason() -> None:
    old = rec(0, 3, headers=((ERROR, b"old reason"), (ERROR_CODE, b"old")))
    headers = dead_letter_headers(old, "invalid_command", "new reason")
    assert [v for k, v in headers if k == ERROR] == [b"new reason"]
    assert [v for k, v in headers if k == ERROR_CODE] == [b"invalid_command"]


def test_a_dead_letter_without_a_message_names_its_code() -> None:
    letter = dead_letter(rec(0, 1), Result("-", False, None, None), "dlq")
    assert dict(letter.headers)[ERROR] == b"undecodable"
