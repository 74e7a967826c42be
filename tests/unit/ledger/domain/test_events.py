"""Domain events: registered by name, frozen, rebuilt from stored data
(ledger/domain/events.py)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from typing import Any

import pytest

from ledger.domain.catalogue import LicenceTypeRegistered
from ledger.domain.departments import DepartmentRegistered
from ledger.domain.events import EVENT_TYPES, DomainEvent, decode_event, event


def test_an_event_is_registered_under_its_class_name() -> None:
    assert EVENT_TYPES["DepartmentRegistered"] is DepartmentRegistered
    assert DepartmentRegistered.type_name == "DepartmentRegistered"


def test_to_data_gives_every_field_by_name() -> None:
    evt = DepartmentRegistered("C", "名称", ("issuing",), "320581")
    assert evt.to_data() == {"code": "C", "name": "名称", "roles": ("issuing",),
                             "area_code": "320581"}


def test_decoding_freezes_lists_so_a_replayed_event_equals_the_live_one() -> None:
    live = LicenceTypeRegistered("T", 1, {"issuers": ("A",), "face_fields": ({"name": "x"},)})
    stored: dict[str, Any] = {"type_code": "T", "version": 1,
                              "definition": {"issuers": ["A"], "face_fields": [{"name": "x"}]}}
    assert decode_event("LicenceTypeRegistered", stored) == live


def test_events_are_immutable() -> None:
    evt = DepartmentRegistered("C", "名称", ("issuing",), "320581")
    with pytest.raises(FrozenInstanceError):
        evt.code = "D"  # type: ignore[misc]


def test_an_unknown_type_name_does_not_decode() -> None:
    with pytest.raises(KeyError):
        decode_event("NoSuchEvent", {})


@pytest.mark.parametrize("data", [
    {"code": "C", "name": "n", "roles": []},  # a field missing
    {"code": "C", "name": "n", "roles": [], "area_code": "1", "extra": 1},  # one too many
])
def test_stored_data_that_does_not_fit_the_class_does_not_decode(data: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        decode_event("DepartmentRegistered", data)


def test_a_type_name_is_registered_once() -> None:
    with pytest.raises(RuntimeError, match="DepartmentRegistered registered twice"):
        @event
        @dataclass(frozen=True)
        class DepartmentRegistered(DomainEvent):  # the same stored name again
            code: str
    assert EVENT_TYPES["DepartmentRegistered"].__module__ == "ledger.domain.departments"
