"""Decoding a licence type's definition: every rule refused with the path of the bad value
(commands/messages/definitions.py)."""

from __future__ import annotations

from typing import Any

import pytest

from commands.messages import limits
from commands.messages.definitions import decode_definition
from ledger.domain.identifiers import make_uscc
from ledger.errors import InvalidCommandError

AUTHORITY = make_uscc("11100000", "00001312")
ISSUER = make_uscc("11320581", "MB0000A1")
TYPE = AUTHORITY + "001"


def definition(**changes: Any) -> dict[str, Any]:
    return {
        "name": "营业执照", "category": "执照", "defining_authority": AUTHORITY,
        "issuers": [ISSUER], "holder_category": "legal_entity",
        "face_fields": [{"name": "company", "type": "string", "required": True},
                        {"name": "scale", "type": "code", "codes": ["small", "large"]},
                        {"name": "no", "type": "string", "pattern": "[0-9]{4}"}],
        "validity": {"max_years": 5}, "template": {"id": "t", "version": 1},
        "disclosure": "public", "multiple_per_holder": False, **changes}


def test_a_good_definition_decodes_frozen_with_defaults() -> None:
    decoded = decode_definition(TYPE, definition(public_fields=["company"]))
    assert decoded["issuers"] == (ISSUER,) and decoded["public_fields"] == ("company",)
    assert decoded["annotation"] == {"max_days": 90, "max_live": 3}
    assert decoded["validity"] == {"max_years": 5, "open_ended": False}
    assert decoded["face_fields"][0] == {"name": "company", "type": "string", "required": True,
                                         "pattern": None, "codes": ()}


@pytest.mark.parametrize(("type_code", "fragment"), [
    (AUTHORITY + "01", "payload.type_code: expected 21 characters"),
    (AUTHORITY + "0A1", "payload.type_code: expected 21 characters"),
    (AUTHORITY[:-1] + ("0" if AUTHORITY[-1] != "0" else "1") + "001",
     "its first 18 characters are not a valid USCC"),
])
def test_the_type_code_is_a_uscc_and_a_sequence(type_code: str, fragment: str) -> None:
    with pytest.raises(InvalidCommandError, match=fragment):
        decode_definition(type_code, definition())


LONGEST = limits.MAX_YEAR - limits.MIN_YEAR


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"category": "证书"}, "definition.category: '证书' is not one of"),
    ({"holder_category": "robot"}, "definition.holder_category"),
    ({"disclosure": "secret"}, "definition.disclosure"),
    ({"issuers": []}, "at least one issuing department is required"),
    ({"issuers": [ISSUER, "not-a-uscc"]}, r"definition.issuers\[1\]"),
    ({"face_fields": [{"name": "a", "type": "string"}, {"name": "a", "type": "date"}]},
     "field names must be unique"),
    ({"face_fields": [{"name": "a", "type": "float"}]}, r"face_fields\[0\].type"),
    ({"face_fields": [{"name": "a", "type": "code"}]}, "a code field needs its list of codes"),
    ({"face_fields": [{"name": "a", "type": "string", "pattern": "("}]}, "not a valid pattern"),
    ({"public_fields": ["company", "secret"]}, "public_fields: not face fields: secret"),
    ({"validity": {"max_years": 0}}, "validity.max_years: must be 1"),
    ({"validity": {"max_years": LONGEST + 1}}, "validity.max_years: must be 1"),
    ({"annotation": {"max_days": 0, "max_live": 3}}, "must be at least 1"),
    ({"annotation": {"max_days": 30, "max_live": 0}}, "must be at least 1"),
    ({"annotation": {"max_days": LONGEST * 366 + 1, "max_live": 1}}, "max_days: must be at most"),
    ({"template": {"id": "t"}}, "template.version: required field is missing"),
    ({"multiple_per_holder": "no"}, "expected true or false"),
    ({"colour": "red"}, "unknown field"),
])
def test_a_bad_definition_is_refused_naming_the_path(changes: dict[str, Any],
                                                      fragment: str) -> None:
    with pytest.raises(InvalidCommandError, match=fragment):
        decode_definition(TYPE, definition(**changes))


def test_limits_at_their_edges_are_accepted() -> None:
    decode_definition(TYPE, definition(validity={"max_years": LONGEST}))
    decode_definition(TYPE, definition(validity={"max_years": None, "open_ended": True}))
    decode_definition(TYPE, definition(annotation={"max_days": LONGEST * 366, "max_live": 1}))
