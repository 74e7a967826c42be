"""How a replay divergence is told: the first differing field, both values, bounded."""

from __future__ import annotations

from uuid import UUID

from commands.replay.report import Divergence, ReplayReport, first_difference
from ledger.domain.licence import LicenceSuspended
from ledger.integrity.mapper import Record, encode_record

STREAM = UUID(int=7)
AT = "2026-11-27T08:00:00.000000Z"


def record(reason: str = "check", *, version: int = 2, at: str = AT,
           prev: str | None = "ab" * 32, cause: dict[str, str] | None = None) -> Record:
    evt = LicenceSuspended("1.2.156.3005.2.X", "01", "02", reason)
    return encode_record(STREAM, version, evt, at, cause or {"command_id": "c-1"}, prev)


def test_the_same_event_has_no_difference_but_its_encoding() -> None:
    assert first_difference(record(), record()) == "the bytes differ in their encoding"


def test_a_changed_value_is_named_with_both_values() -> None:
    said = first_difference(record("forged"), record("check"))
    assert said == "data.reason is 'forged' stored, 'check' on replay"


def test_time_cause_and_link_are_compared_too() -> None:
    assert first_difference(record(at="2020-01-01T00:00:00.000000Z"), record()).startswith("at ")
    assert first_difference(record(cause={"command_id": "c-2"}), record()).startswith(
        "cause.command_id is 'c-2' stored")
    assert first_difference(record(prev=None), record()).startswith("prev is None stored")


def test_another_event_at_the_place() -> None:
    said = first_difference(record(version=3), record(version=2))
    assert said == f"the replay produces LicenceSuspended (stream {STREAM} version 2) at this place"


def test_long_values_are_cut() -> None:
    said = first_difference(record("x" * 5000), record())
    assert len(said) < 200 and "…" in said


def test_the_report_json_says_ok_or_where() -> None:
    report = ReplayReport(events=10, batches=2, commands=4, ledger_events=1, seconds=0.5)
    assert report.to_json() == {"ok": True, "events": 10, "batches": 2, "commands": 4,
                                "ledger_events": 1, "seconds": 0.5, "events_per_second": 20.0}
    report.divergence = Divergence(str(STREAM), 2, 9, "extra", "why")
    out = report.to_json()
    assert out["ok"] is False and out["divergence"] == {
        "stream": str(STREAM), "position": 2, "notification_id": 9, "kind": "extra",
        "reason": "why"}
    assert ReplayReport().events_per_second == 0.0
