"""A licence lineage's writes (ledger/domain/lineage.py) and the rules it composes: the
fields a catalogue entry admits (catalogue.check_licence_fields) and the uniqueness claims
(indexes.claims). Pure: the claims already held are a dictionary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import pytest

from ledger.domain import indexes, lineage, streams
from ledger.domain.catalogue import CatalogueEntry, check_licence_fields
from ledger.domain.identifiers import make_licence_identifier, make_uscc
from ledger.domain.indexes import (
    Claim,
    HolderSlotReleased,
    HolderSlotTaken,
    LicenceNumberClaimed,
    LicenceNumberReleased,
)
from ledger.domain.licence import SUSPENDED, TRANSFERRED_OUT, VALID, Licence, LicenceIssued
from ledger.errors import (
    AlreadyExistsError,
    DuplicateLicenceNumberError,
    IllegalTransitionError,
    InvalidCommandError,
)

TYPE = make_uscc("11350100", "00300001") + "001"
ISSUER = "91350100M000100Y43"
HOLDER = {"name": "示例公司", "code": "91110000600037341L", "code_type": "001"}
OTHER_HOLDER = {"name": "另一公司", "code": "914403001922038216", "code_type": "001"}


def entry(multiple: bool = False) -> CatalogueEntry:
    return CatalogueEntry(TYPE, 1, {
        "name": "营业执照", "issuers": [ISSUER], "holder_category": "legal_entity",
        "multiple_per_holder": multiple, "validity": {"max_years": None, "open_ended": True},
        "face_fields": [{"name": "company_name", "type": "string", "required": True}]})


def fields(**overrides: Any) -> dict[str, Any]:
    return {"licence_number": "No.1", "holders": (HOLDER,), "issue_date": "2026-01-01",
            "valid_from": "2026-01-01", "valid_until": None, "area_code": "320581",
            "face": {"company_name": "示例公司"}, "file_hash": None, "matter_code": "M",
            "case_number": "C", "paper_number": None, **overrides}


IDENT = make_licence_identifier(TYPE, ISSUER, "S1", 1)


def held(*claims: UUID) -> indexes.Lookup:
    taken = {c: Claim("someone else") for c in claims}
    return lambda stream: taken.get(stream)


def licence(status: str = VALID, **overrides: Any) -> Licence:
    return Licence(TYPE, ISSUER, "S1", str(IDENT), 1, 1, status, fields(**overrides), None,
                   (str(IDENT),), "01")


NUMBER = streams.licence_number_stream(TYPE, indexes.number_key("No.1"))
SLOT = streams.holder_slot_stream(TYPE, "001", HOLDER["code"])


# -- the fields ---------------------------------------------------------------------------------
def test_valid_fields_pass() -> None:
    check_licence_fields(entry(), fields())


@pytest.mark.parametrize(("overrides", "where"), [
    ({"holders": ()}, "payload.holders: a licence needs at least one holder"),
    ({"holders": ({**HOLDER, "code": "91110000600037341X"},)}, "payload.holders[0]"),
    ({"holders": ({**HOLDER, "code_type": "777"},)}, "payload.holders[0]"),
    ({"holders": ({**HOLDER, "code_type": "111", "code": "11010519491231002X"},)},
     "holders[0].code_type"),  # a person cannot hold a legal entity's licence
    ({"face": {}}, "payload.face.company_name: required"),
    ({"face": {"company_name": "x", "extra": "y"}}, "payload.face: unknown field"),
    ({"area_code": "32058"}, "payload.area_code: expected a 6-digit"),
    ({"area_code": "３２０５８１"}, "payload.area_code"),
    ({"file_hash": "AB" * 32}, "payload.file_hash: expected 64 lower-case hex"),
    ({"file_hash": "ab"}, "payload.file_hash"),
    ({"licence_number": " "}, "payload.licence_number: required text"),
    ({"matter_code": ""}, "payload.matter_code: required text"),
    ({"case_number": None}, "payload.case_number: required text"),
])
def test_fields_the_entry_does_not_admit_are_refused(overrides: Mapping[str, Any],
                                                     where: str) -> None:
    with pytest.raises(InvalidCommandError) as refused:
        check_licence_fields(entry(), fields(**overrides))
    assert where in refused.value.message


# -- issuing ------------------------------------------------------------------------------------
def test_issuing_claims_the_number_then_the_holders_slot_then_writes_the_licence() -> None:
    step = lineage.issue(None, entry(), str(IDENT), ISSUER, "S1", fields(), None, held())
    assert step.claims == [(NUMBER, LicenceNumberClaimed(TYPE, "No.1", str(IDENT))),
                           (SLOT, HolderSlotTaken(TYPE, "001", HOLDER["code"], str(IDENT)))]
    assert isinstance(step.licence, LicenceIssued)


def test_a_type_with_many_licences_per_holder_claims_only_the_number() -> None:
    step = lineage.issue(None, entry(multiple=True), str(IDENT), ISSUER, "S1", fields(), None,
                         held())
    assert [s for s, _ in step.claims] == [NUMBER]


def test_holder_slots_are_claimed_in_a_stable_order() -> None:
    two = fields(holders=(OTHER_HOLDER, HOLDER))
    step = lineage.issue(None, entry(), str(IDENT), ISSUER, "S1", two, None, held())
    codes = [e.code for _, e in step.claims if isinstance(e, HolderSlotTaken)]
    assert codes == sorted(codes)


def test_a_number_that_looks_the_same_is_the_same_claim() -> None:
    assert indexes.number_key("Ｎｏ.1") == indexes.number_key("No.1")
    with pytest.raises(DuplicateLicenceNumberError):
        lineage.issue(None, entry(), str(IDENT), ISSUER, "S1", fields(licence_number="Ｎｏ.1"),
                      None, held(NUMBER))


def test_a_holder_with_a_live_licence_of_the_type_is_refused_another() -> None:
    with pytest.raises(AlreadyExistsError) as refused:
        lineage.issue(None, entry(), str(IDENT), ISSUER, "S1", fields(), None, held(SLOT))
    assert refused.value.code == "holder_already_licensed"


def test_bad_fields_are_refused_before_the_serial_is_looked_at() -> None:
    with pytest.raises(InvalidCommandError):
        lineage.issue(licence(), entry(), str(IDENT), ISSUER, "S1", fields(holders=()), None,
                      held())
    with pytest.raises(AlreadyExistsError, match="serial S1"):
        lineage.issue(licence(), entry(), str(IDENT), ISSUER, "S1", fields(), None, held())


# -- new versions ---------------------------------------------------------------------------------
def test_a_change_keeping_number_and_holders_claims_nothing() -> None:
    step = lineage.new_version(licence(), entry(), IDENT, "change", "r",
                               fields(face={"company_name": "新名"}), held(NUMBER, SLOT))
    assert step.claims == []


def test_a_new_number_is_claimed_and_the_old_one_released() -> None:
    step = lineage.new_version(licence(), entry(), IDENT, "change", "r",
                               fields(licence_number="No.2"), held(NUMBER, SLOT))
    next_ident = str(IDENT.next_version())
    assert [e for _, e in step.claims] == [
        LicenceNumberClaimed(TYPE, "No.2", next_ident),
        LicenceNumberReleased(TYPE, "No.1", next_ident)]


def test_a_new_holder_takes_a_slot_and_the_old_one_is_released() -> None:
    step = lineage.new_version(licence(), entry(), IDENT, "change", "r",
                               fields(holders=(OTHER_HOLDER,)), held(NUMBER, SLOT))
    assert [type(e) for _, e in step.claims] == [HolderSlotReleased, HolderSlotTaken]


def test_a_suspended_licence_is_not_renewed() -> None:
    with pytest.raises(IllegalTransitionError, match="cannot renewal"):
        lineage.new_version(licence(SUSPENDED), entry(), IDENT, "renewal", "r", fields(),
                            held())


# -- status changes -------------------------------------------------------------------------------
def test_withdrawing_a_licence_releases_its_holders_slots() -> None:
    step = lineage.change_status(licence(), entry(), "revoke", "r", held(NUMBER, SLOT))
    assert step.claims == [(SLOT, HolderSlotReleased(TYPE, "001", HOLDER["code"], str(IDENT)))]


def test_suspending_keeps_the_slots() -> None:
    assert lineage.change_status(licence(), entry(), "suspend", "r", held()).claims == []


def test_a_type_with_many_licences_per_holder_has_no_slots_to_release() -> None:
    assert lineage.change_status(licence(), entry(multiple=True), "revoke", "r",
                                 held()).claims == []


def test_reinstating_a_withdrawn_licence_takes_its_slots_back() -> None:
    step = lineage.change_status(licence(TRANSFERRED_OUT), entry(), "cancel_transfer_out", "r",
                                 held(NUMBER))
    assert step.claims == [(SLOT, HolderSlotTaken(TYPE, "001", HOLDER["code"], str(IDENT)))]


def test_reinstating_is_refused_when_the_holder_has_another_live_licence() -> None:
    with pytest.raises(AlreadyExistsError):
        lineage.change_status(licence(TRANSFERRED_OUT), entry(), "cancel_transfer_out", "r",
                              held(SLOT))
