"""Event evolution: the upcaster registry, class versions and the stored ``type_version``.

Pure: events are encoded and decoded in memory; test-only event types are registered for
the length of one test (monkeypatch) and never stored.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import orjson
import pytest
from eventsourcing.persistence import StoredEvent

import ledger.integrity.all_events  # noqa: F401 - registers every real event type
from ledger.domain import upcasting
from ledger.domain.events import EVENT_TYPES, DomainEvent, decode_event, event
from ledger.domain.upcasting import (
    Upcaster,
    UpcastError,
    missing_steps,
    register_step,
    upcast,
    upcaster,
)
from ledger.integrity.canonical import canonical_bytes
from ledger.integrity.mapper import RecordFormatError, decode_stored, encode_record, to_stored

STREAM = uuid.UUID("00000000-0000-4000-8000-000000000001")
AT = "2026-12-07T04:00:00.000000Z"


def _steps() -> dict[tuple[str, int], Upcaster]:
    return {
        ("Widget", 1): lambda d: {**d, "colour": "grey"},
        ("Widget", 2): lambda d: {**{k: v for k, v in d.items() if k != "size"},
                                  "size_mm": d["size"] * 10},
    }


def test_the_steps_apply_in_order_from_the_stored_version() -> None:
    steps = _steps()
    assert upcast("Widget", {"size": 3}, 1, 3, steps) == {"size_mm": 30, "colour": "grey"}
    assert upcast("Widget", {"size": 3, "colour": "red"}, 2, 3, steps) == {
        "size_mm": 30, "colour": "red"}
    data = {"size_mm": 5, "colour": "red"}
    assert upcast("Widget", data, 3, 3, steps) is data  # current: no copy, no step


def test_a_step_never_alters_the_stored_data() -> None:
    stored = {"size": 3}
    upcast("Widget", stored, 1, 3, _steps())
    assert stored == {"size": 3}


def test_a_missing_step_names_the_type_and_the_gap() -> None:
    steps = _steps()
    del steps[("Widget", 2)]
    with pytest.raises(UpcastError, match=r"Widget stored at type version 1 cannot reach"
                       r" version 3: no upcaster from version 2 to 3"):
        upcast("Widget", {"size": 3}, 1, 3, steps)
    assert missing_steps({"Widget": 3, "Gadget": 2}, steps) == ["Gadget 1->2", "Widget 2->3"]


def test_a_version_from_the_future_names_the_type_and_both_versions() -> None:
    with pytest.raises(UpcastError, match=r"Widget stored at type version 4, newer than the"
                       r" version 3 this software knows"):
        upcast("Widget", {"size_mm": 1}, 4, 3, _steps())


@pytest.mark.parametrize("version", [0, -1, True, "2", None])
def test_a_stored_version_that_is_no_version_is_refused(version: Any) -> None:
    with pytest.raises(UpcastError, match="not a version"):
        upcast("Widget", {}, version, 3, _steps())


def test_an_upcast_error_is_a_type_error_like_data_that_does_not_fit() -> None:
    assert issubclass(UpcastError, TypeError)


def test_registering_a_step_twice_or_from_no_version_is_refused() -> None:
    steps: dict[tuple[str, int], Upcaster] = {}
    register_step("Widget", 1, lambda d: d, steps)
    with pytest.raises(RuntimeError, match="Widget from version 1 registered twice"):
        register_step("Widget", 1, lambda d: d, steps)
    with pytest.raises(ValueError, match="from_version must be a whole number"):
        register_step("Widget", 0, lambda d: d, steps)


def test_the_decorator_registers_into_the_ledgers_registry(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upcasting, "STEPS", {})

    @upcaster("Widget", 1)
    def add_colour(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "colour": "grey"}

    assert {("Widget", 1): add_colour} == upcasting.STEPS
    assert upcast("Widget", {}, 1, 2) == {"colour": "grey"}


def test_every_real_event_type_has_a_version_and_a_complete_chain() -> None:
    versions = {name: cls.class_version for name, cls in EVENT_TYPES.items()}
    assert all(isinstance(v, int) and v >= 1 for v in versions.values())
    assert missing_steps(versions) == []


def test_an_event_class_needs_a_whole_version() -> None:
    @dataclasses.dataclass(frozen=True)
    class Broken(DomainEvent):
        class_version = 0

    with pytest.raises(RuntimeError, match="Broken: class_version must be a whole number"):
        event(Broken)
    assert "Broken" not in EVENT_TYPES


# -- a test-only type at version 2, through the mapper ---------------------------------------
@dataclasses.dataclass(frozen=True)
class Parcel(DomainEvent):
    """Version 1 had ``weight`` only; version 2 added ``unit``."""

    class_version = 2
    weight: int
    unit: str


@pytest.fixture
def parcel(monkeypatch: pytest.MonkeyPatch) -> None:
    Parcel.type_name = "Parcel"
    monkeypatch.setitem(EVENT_TYPES, "Parcel", Parcel)
    monkeypatch.setitem(upcasting.STEPS, ("Parcel", 1), lambda d: {**d, "unit": "g"})


def _stored_v1(weight: int) -> StoredEvent:
    body = {"at": AT, "cause": None, "data": {"weight": weight}, "prev": None,
            "stream": str(STREAM), "type": "Parcel", "version": 1}
    return StoredEvent(STREAM, 1, "Parcel", canonical_bytes(body))


@pytest.mark.usefixtures("parcel")
def test_data_stored_at_version_1_decodes_into_version_2_and_keeps_its_bytes() -> None:
    stored = _stored_v1(5)
    record = decode_stored(stored)
    assert record.type_version == 1 and record.data == {"weight": 5}
    assert record.event() == Parcel(5, "g")
    assert record.current_data == {"weight": 5, "unit": "g"}
    assert record.data == {"weight": 5} and record.raw == stored.state
    assert decode_event("Parcel", {"weight": 5}) == Parcel(5, "g")  # no version: version 1


@pytest.mark.usefixtures("parcel")
def test_a_version_2_event_stores_its_type_version_and_decodes_without_a_step() -> None:
    record = encode_record(STREAM, 1, Parcel(7, "kg"), AT, None, None)
    body = orjson.loads(record.raw)
    assert body["type_version"] == 2 and body["data"] == {"unit": "kg", "weight": 7}
    again = decode_stored(to_stored(record))
    assert again.type_version == 2 and again.event() == Parcel(7, "kg")
    assert again.current_data is again.data


def test_a_version_1_event_stores_no_type_version_so_todays_bytes_never_change() -> None:
    from ledger.integrity.receipts import CommandRecorded  # a real, version-1 type

    fields: dict[str, Any] = {f.name: f"x{i}"
                              for i, f in enumerate(dataclasses.fields(CommandRecorded))}
    record = encode_record(STREAM, 1, CommandRecorded(**fields), AT, None, None)
    assert b"type_version" not in record.raw
    assert set(orjson.loads(record.raw)) == {
        "at", "cause", "data", "prev", "stream", "type", "version"}


@pytest.mark.usefixtures("parcel")
def test_a_stored_event_from_the_future_says_so_when_decoded() -> None:
    body = {"at": AT, "cause": None, "data": {"weight": 1, "unit": "g", "x": 1}, "prev": None,
            "stream": str(STREAM), "type": "Parcel", "type_version": 3, "version": 1}
    future = decode_stored(StoredEvent(STREAM, 1, "Parcel", canonical_bytes(body)))
    assert future.type_version == 3
    with pytest.raises(UpcastError, match="Parcel stored at type version 3, newer than the"
                       " version 2"):
        future.event()
    with pytest.raises(UpcastError, match="newer than the version 2"):
        _ = future.current_data


@pytest.mark.parametrize("version", [0, "2", True, None, 1.5])
def test_a_mangled_stored_type_version_is_a_format_error(version: Any) -> None:
    body = {"at": AT, "cause": None, "data": {}, "prev": None, "stream": str(STREAM),
            "type": "Parcel", "type_version": version, "version": 1}
    raw = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    with pytest.raises(RecordFormatError, match="type_version"):
        decode_stored(StoredEvent(STREAM, 1, "Parcel", raw))
