"""The licence catalogue: versioned entries, face validation, holder categories
(ledger/domain/catalogue.py)."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.domain.catalogue import (
    MAX_FACE_TEXT,
    CatalogueEntry,
    LicenceTypeRegistered,
    LicenceTypeRevised,
    apply_catalogue,
    check_holder_category,
    register_type,
    revise_type,
    validate_face,
)
from ledger.domain.departments import DepartmentRegistered
from ledger.errors import AlreadyExistsError, InvalidCommandError, NotFoundError

TYPE = "11100000000013127D001"


def definition(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "食品经营许可证", "category": "证件", "issuers": ["A", "B"],
        "multiple_per_holder": False, "disclosure": "public", "holder_category": "legal_entity",
        "validity": {"max_years": 5},
        "face_fields": [
            {"name": "company", "type": "string", "required": True},
            {"name": "licence_no", "type": "string", "pattern": "JY[0-9]{4}"},
            {"name": "issued_on", "type": "date"},
            {"name": "staff", "type": "integer"},
            {"name": "scale", "type": "code", "codes": ["small", "large"]},
        ],
    }
    return {**base, **changes}


def entry(**changes: Any) -> CatalogueEntry:
    return apply_catalogue(None, register_type(None, TYPE, definition(**changes)))


def test_registering_gives_version_one_with_a_frozen_definition() -> None:
    evt = register_type(None, TYPE, definition())
    assert isinstance(evt, LicenceTypeRegistered) and evt.version == 1
    assert evt.definition["issuers"] == ("A", "B")  # lists frozen to tuples
    assert evt.definition["face_fields"][0]["name"] == "company"


def test_a_type_already_in_the_catalogue_cannot_be_registered_again() -> None:
    with pytest.raises(AlreadyExistsError, match=r"version 1.*ReviseLicenceType"):
        register_type(entry(), TYPE, definition())


def test_revising_bumps_the_version_and_replaces_the_definition() -> None:
    first = entry()
    evt = revise_type(first, TYPE, definition(name="新名称"))
    assert isinstance(evt, LicenceTypeRevised) and evt.version == 2
    revised = apply_catalogue(first, evt)
    assert (revised.version, revised.name, revised.type_code) == (2, "新名称", TYPE)
    assert first.version == 1 and first.name == "食品经营许可证"  # states are values


def test_revising_an_unknown_type_is_refused() -> None:
    with pytest.raises(NotFoundError, match=TYPE):
        revise_type(None, TYPE, definition())


def test_a_foreign_event_does_not_apply_to_an_entry() -> None:
    with pytest.raises(TypeError, match="DepartmentRegistered"):
        apply_catalogue(entry(), DepartmentRegistered("X", "x", ("issuing",), "110000"))


def test_entry_properties_read_the_definition() -> None:
    e = entry()
    assert e.issuers == ("A", "B") and not e.multiple_per_holder
    assert (e.disclosure, e.holder_category) == ("public", "legal_entity")
    assert e.max_validity_years == 5 and not e.open_ended_allowed
    open_ended = entry(validity={"max_years": None, "open_ended": True})
    assert open_ended.max_validity_years is None and open_ended.open_ended_allowed


def test_a_good_face_passes() -> None:
    validate_face(entry(), {"company": "某某公司", "licence_no": "JY1234",
                            "issued_on": "2026-11-27", "staff": 0, "scale": "small"})
    validate_face(entry(), {"company": "某某公司", "staff": None})  # optional may be null


@pytest.mark.parametrize(("face", "fragment"), [
    ({}, "face.company: required by the catalogue, missing"),
    ({"company": None}, "face.company: required"),
    ({"company": "x", "colour": "red", "age": 3}, "unknown field(s) age, colour"),
    ({"company": ""}, "text must be 1..500 characters"),
    ({"company": "   "}, "text must be 1..500 characters"),
    ({"company": "x" * (MAX_FACE_TEXT + 1)}, "text must be 1..500 characters"),
    ({"company": 7}, "face.company: expected text, got int"),
    ({"company": "x", "licence_no": "JY12345"}, "does not match pattern"),
    ({"company": "x", "licence_no": "jy1234"}, "does not match pattern"),
    ({"company": "x", "issued_on": "2026-02-30"}, "face.issued_on"),
    ({"company": "x", "issued_on": "27/11/2026"}, "face.issued_on"),
    ({"company": "x", "staff": "12"}, "face.staff: expected an integer"),
    ({"company": "x", "staff": True}, "face.staff: expected an integer"),
    ({"company": "x", "staff": 1.5}, "face.staff: expected an integer"),
    ({"company": "x", "scale": "huge"}, "'huge' is not one of small, large"),
    ({"company": "x", "scale": 1}, "face.scale: expected text"),
])
def test_a_bad_face_is_refused_naming_the_field(face: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidCommandError) as info:
        validate_face(entry(), face)
    assert fragment in info.value.message


def test_the_refusal_names_where_the_face_came_from() -> None:
    with pytest.raises(InvalidCommandError, match=r"changes\.company: required"):
        validate_face(entry(), {}, where="changes")


def test_a_code_field_without_codes_accepts_nothing() -> None:
    e = entry(face_fields=[{"name": "kind", "type": "code"}])
    with pytest.raises(InvalidCommandError, match="is not one of"):
        validate_face(e, {"kind": "anything"})


def test_holder_categories_allow_only_their_code_types() -> None:
    organisation = entry(holder_category="legal_entity")
    check_holder_category(organisation, ["001", "099"])
    with pytest.raises(InvalidCommandError, match=r"holders\[1\]\.code_type: 111"):
        check_holder_category(organisation, ["001", "111"])
    person = entry(holder_category="natural_person")
    check_holder_category(person, ["111", "414", "999"])
    with pytest.raises(InvalidCommandError, match=r"holders\[0\]\.code_type: 001 is not a"):
        check_holder_category(person, ["001"])
    check_holder_category(entry(holder_category="any"), ["001", "111", "999"])
