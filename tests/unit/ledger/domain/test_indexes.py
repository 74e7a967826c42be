"""Uniqueness claims: a licence number per type, a holder slot per type
(ledger/domain/indexes.py)."""

from __future__ import annotations

import pytest

from ledger.domain.grants import GrantRevoked
from ledger.domain.indexes import (
    Claim,
    HolderSlotReleased,
    HolderSlotTaken,
    LicenceNumberClaimed,
    LicenceNumberReleased,
    apply_claim,
    claim_number,
    take_slot,
)
from ledger.errors import AlreadyExistsError, DuplicateLicenceNumberError


def test_a_free_number_is_claimed_by_its_licence() -> None:
    evt = claim_number(None, "T", "No.1", "ID1")
    assert evt == LicenceNumberClaimed("T", "No.1", "ID1")
    assert apply_claim(None, evt) == Claim("ID1")


def test_a_number_in_use_is_refused_naming_its_owner() -> None:
    held = apply_claim(None, claim_number(None, "T", "No.1", "ID1"))
    with pytest.raises(DuplicateLicenceNumberError) as info:
        claim_number(held, "T", "No.1", "ID2")
    assert "already used by licence ID1 of type T" in info.value.message


def test_a_released_number_can_be_claimed_again() -> None:
    held = apply_claim(None, claim_number(None, "T", "No.1", "ID1"))
    released = apply_claim(held, LicenceNumberReleased("T", "No.1", "ID1"))
    assert released == Claim(None)
    assert claim_number(released, "T", "No.1", "ID2").owner == "ID2"


def test_a_holder_has_one_live_licence_of_a_single_licence_type() -> None:
    taken = apply_claim(None, take_slot(None, "T", "111", "11010519491231002X", "ID1"))
    with pytest.raises(AlreadyExistsError) as info:
        take_slot(taken, "T", "111", "11010519491231002X", "ID2")
    assert info.value.code == "holder_already_licensed"
    assert "already has a live licence ID1 of type T" in info.value.message
    freed = apply_claim(taken, HolderSlotReleased("T", "111", "11010519491231002X", "ID1"))
    assert take_slot(freed, "T", "111", "11010519491231002X", "ID2") == HolderSlotTaken(
        "T", "111", "11010519491231002X", "ID2")


def test_only_claim_events_apply_to_a_claim() -> None:
    with pytest.raises(TypeError, match="GrantRevoked does not apply to a claim"):
        apply_claim(Claim("ID1"), GrantRevoked("g", "x"))
