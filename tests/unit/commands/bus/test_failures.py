"""Bugs and damaged rows are not outages; a failure is one short line (commands/bus/failures.py)."""

from __future__ import annotations

from commands.bus.failures import describe_failure, is_outage
from ledger.integrity.mapper import decode_stored
from tests.raising import raised


def test_bugs_and_damaged_rows_are_not_outages() -> None:
    from uuid import uuid4

    from eventsourcing.persistence import StoredEvent

    damaged = raised(lambda: decode_stored(StoredEvent(uuid4(), 1, "T", b"{not json")))
    assert type(damaged).__name__ == "RecordFormatError" and not is_outage(damaged)
    for bug in (raised(lambda: dict[str, int]()["missing"]), raised(lambda: 1 / 0),
                raised(lambda: int("x")), OverflowError("date value out of range"),
                RecursionError("maximum recursion depth exceeded")):
        assert not is_outage(bug)


def test_a_failure_is_described_in_one_short_line() -> None:
    text = describe_failure(ValueError("line one\nline two " + "x" * 500))
    assert text.startswith("ValueError: line one line two") and "\n" not in text
    assert len(text) < 240
    assert describe_failure(KeyError()) == "KeyError"
