"""Records grouped per partition and tracked at their last offset (consumers/records.py)."""

from __future__ import annotations

from consumers.records import Incoming, group_by_partition, lane_name, tracking_for


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
