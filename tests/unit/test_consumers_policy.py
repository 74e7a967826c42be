"""Pure parts of the consumers: grouping, tracking, dead-letter headers, the retry policy."""

from __future__ import annotations

import orjson
import pytest

from commands.bus.pipeline import Result
from commands.settings import load_settings
from consumers.config import kafka_options
from consumers.dead_letter import (
    ERROR,
    ERROR_CODE,
    SOURCE_OFFSET,
    SOURCE_PARTITION,
    SOURCE_TOPIC,
    dead_letter,
    dead_letter_headers,
)
from consumers.parking import Decision, decide, others_passed
from consumers.records import Incoming, group_by_partition, lane_name, tracking_for
from consumers.results import result_message
from ledger.errors import ConfigurationError


def rec(partition: int, offset: int, value: bytes = b"{}", topic: str = "cmds",
        headers: tuple[tuple[str, bytes], ...] = ()) -> Incoming:
    return Incoming(topic, partition, offset, b"k", value, 1_000 + offset, headers)


# -- grouping and positions -------------------------------------------------------------
def test_records_are_grouped_per_partition_in_offset_order() -> None:
    grouped = group_by_partition([rec(1, 5), rec(0, 2), rec(1, 3), rec(0, 1), rec(1, 4)])
    assert {tp: [r.offset for r in rs] for tp, rs in grouped.items()} == {
        ("cmds", 0): [1, 2], ("cmds", 1): [3, 4, 5]}


def test_a_record_fetched_twice_is_handled_once() -> None:
    grouped = group_by_partition([rec(0, 7), rec(0, 8), rec(0, 7)])
    assert [r.offset for r in grouped[("cmds", 0)]] == [7, 8]


def test_partitions_of_different_topics_stay_apart() -> None:
    grouped = group_by_partition([rec(0, 1, topic="a"), rec(0, 1, topic="b")])
    assert set(grouped) == {("a", 0), ("b", 0)}


def test_a_batch_is_tracked_at_its_last_offset_on_its_own_lane() -> None:
    tracking = tracking_for([rec(2, 10), rec(2, 11), rec(2, 12)])
    assert (tracking.application_name, tracking.notification_id) == ("cmds:2", 12)
    assert lane_name("cmds", 2) == "kafka:cmds:2"


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


# -- the retry policy ---------------------------------------------------------------------
def test_a_ready_command_is_retried_whatever_else_holds() -> None:
    assert decide(ready=True, passed=True, waited=999, max_wait=1) is Decision.RETRY


def test_a_command_is_released_once_every_other_partition_has_passed_it() -> None:
    assert decide(ready=False, passed=True, waited=0, max_wait=60) is Decision.RELEASE


def test_a_command_waits_while_a_partition_may_still_bring_its_dependency() -> None:
    assert decide(ready=False, passed=False, waited=59.9, max_wait=60) is Decision.WAIT


def test_the_wait_is_bounded() -> None:
    assert decide(ready=False, passed=False, waited=60, max_wait=60) is Decision.GIVE_UP


def test_partitions_with_later_or_no_records_have_passed() -> None:
    assert others_passed(100, {0: 101, 2: None})
    assert others_passed(100, {})


def test_a_partition_with_an_earlier_or_equal_record_has_not_passed() -> None:
    assert not others_passed(100, {0: 101, 2: 99})
    assert not others_passed(100, {0: 100})  # same millisecond: order unknown


def test_a_record_without_timestamp_is_never_passed() -> None:
    assert not others_passed(-1, {0: None})


# -- configuration ----------------------------------------------------------------------
def test_kafka_needs_bootstrap_servers() -> None:
    with pytest.raises(ConfigurationError, match="KAFKA_BOOTSTRAP_SERVERS"):
        kafka_options(load_settings({}))


def test_group_timeouts_come_from_the_environment() -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": "a:1, b:2", "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000",
           "LEDGER_KAFKA_HEARTBEAT_MS": "1000", "LEDGER_PARK_MAX_SECONDS": "5"}
    options = kafka_options(load_settings(env))
    assert options.servers == ["a:1", "b:2"]
    assert (options.session_timeout_ms, options.heartbeat_interval_ms) == (6000, 1000)
    assert options.park_max_seconds == 5.0
    assert options.with_overrides(group="g2", batch_size=None).group == "g2"


@pytest.mark.parametrize("name, value", [
    ("LEDGER_KAFKA_SESSION_TIMEOUT_MS", "soon"), ("LEDGER_KAFKA_POLL_MS", "0"),
    ("LEDGER_KAFKA_HEARTBEAT_MS", "9000"),
])
def test_bad_timeouts_are_configuration_errors(name: str, value: str) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": "a:1", name: value}
    with pytest.raises(ConfigurationError, match=name):
        kafka_options(load_settings(env))
