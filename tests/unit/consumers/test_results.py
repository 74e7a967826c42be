"""Result messages on the results topic (consumers/results.py)."""

from __future__ import annotations

import orjson

from commands.bus.pipeline import Result
from consumers.records import Incoming
from consumers.results import result_message


def rec(partition: int, offset: int, value: bytes = b"{}", topic: str = "cmds",
        headers: tuple[tuple[str, bytes], ...] = ()) -> Incoming:
    return Incoming(topic, partition, offset, b"k", value, 1_000 + offset, headers)


# -- result messages --------------------------------------------------------------------
def test_result_message_is_keyed_by_command_id_and_says_where_it_came_from() -> None:
    result = Result("3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60", True, events=(("s", 1),),
                    command_type="IssueLicence")
    message = result_message(result, rec(2, 9), "results")
    body = orjson.loads(message.value or b"")
    assert message.key == b"3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60"
    assert body["status"] == "accepted" and body["events"] == [{"stream": "s", "version": 1}]
    assert (body["topic"], body["partition"], body["offset"]) == ("cmds", 2, 9)
    assert "recovered" not in body


def test_a_result_without_a_readable_id_is_keyed_by_its_position() -> None:
    message = result_message(Result("-", False, "malformed_json", "x"), rec(0, 4), "results",
                             recovered=True)
    assert message.key == b"cmds:0:4"
    assert orjson.loads(message.value or b"")["recovered"] is True
