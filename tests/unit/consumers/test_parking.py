"""The parking policy: when a waiting command is retried, released or kept (consumers/parking)."""

from __future__ import annotations

from consumers.parking import Decision, decide, others_passed


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
