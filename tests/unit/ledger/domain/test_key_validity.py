"""Key validity (KeyRecord.fault), the one rule the bus, the audit and the archive share."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ledger.domain.departments import (
    NOT_YET_VALID,
    RETIRED,
    REVOKED,
    DepartmentKeyRegistered,
    DepartmentKeyRetired,
    DepartmentKeyRevoked,
    KeyRecord,
    apply_key,
)
from ledger.errors import KeyNotValidError
from ledger.integrity.canonical import parse_instant

REGISTERED = "2026-03-01T00:00:00.000000Z"
ROTATED = "2026-06-01T00:00:00.000000Z"
REVOKED_AT = "2026-09-01T00:00:00.000000Z"
KEY = KeyRecord("ed25519:0123456789abcdef01234567", "ed25519", "AAAA", REGISTERED)
RETIRED_KEY = replace(KEY, retired_at=ROTATED)
REVOKED_KEY = replace(KEY, revoked_at=REVOKED_AT, revocation_reason="stolen laptop")


def test_a_key_signs_from_the_instant_it_is_registered() -> None:
    assert KEY.fault(parse_instant(REGISTERED)) is None
    assert KEY.fault(parse_instant("2030-01-01T00:00:00Z")) is None
    KEY.check_usable(parse_instant(REGISTERED))


def test_a_command_signed_before_its_key_was_registered_is_refused() -> None:
    before = parse_instant("2026-02-28T23:59:59.999999Z")
    assert KEY.fault(before) == NOT_YET_VALID
    with pytest.raises(KeyNotValidError, match="after the command claims to have been signed"):
        KEY.check_usable(before)


def test_a_rotated_key_signs_until_its_retirement_and_not_from_it() -> None:
    assert RETIRED_KEY.fault(parse_instant("2026-05-31T23:59:59.999999Z")) is None
    assert RETIRED_KEY.fault(parse_instant(ROTATED)) == RETIRED
    assert RETIRED_KEY.fault(parse_instant("2027-01-01T00:00:00+08:00")) == RETIRED
    with pytest.raises(KeyNotValidError, match=r"retired at .* by a key rotation"):
        RETIRED_KEY.check_usable(parse_instant(ROTATED))


def test_a_revoked_key_is_refused_now_whatever_signing_time_is_claimed() -> None:
    backdated = parse_instant("2026-04-01T00:00:00Z")  # a thief can backdate
    assert REVOKED_KEY.fault(backdated) == REVOKED
    with pytest.raises(KeyNotValidError, match=r"revoked at .* \(stolen laptop\)"):
        REVOKED_KEY.check_usable(backdated)


def test_history_judges_revocation_at_the_instant_the_command_was_accepted() -> None:
    signed = parse_instant("2026-04-01T00:00:00Z")
    assert REVOKED_KEY.fault(signed, "2026-08-31T23:59:59.999999Z") is None
    assert REVOKED_KEY.fault(signed, REVOKED_AT) == REVOKED
    assert REVOKED_KEY.fault(signed, "2026-12-01T00:00:00.000000Z") == REVOKED


def test_signing_before_registration_is_named_first() -> None:
    both = replace(RETIRED_KEY, revoked_at=REVOKED_AT)
    assert both.fault(parse_instant("2026-01-01T00:00:00Z"), REVOKED_AT) == NOT_YET_VALID


def test_a_stored_instant_that_is_not_one_raises_value_error() -> None:
    with pytest.raises(ValueError):
        replace(KEY, registered_at="yesterday").fault(parse_instant(ROTATED))


def test_active_means_neither_retired_nor_revoked() -> None:
    assert KEY.active
    assert not RETIRED_KEY.active
    assert not REVOKED_KEY.active


def test_a_key_follows_its_events_and_an_ending_needs_a_registration() -> None:
    registered = apply_key(None, DepartmentKeyRegistered("D", KEY.key_id, "ed25519", "AAAA",
                                                         REGISTERED))
    assert registered == KEY
    assert apply_key(registered, DepartmentKeyRetired("D", KEY.key_id, ROTATED, "k2")) == (
        RETIRED_KEY)
    assert apply_key(registered, DepartmentKeyRevoked("D", KEY.key_id, REVOKED_AT,
                                                      "stolen laptop")) == REVOKED_KEY
    with pytest.raises(KeyError):
        apply_key(None, DepartmentKeyRevoked("D", KEY.key_id, REVOKED_AT, "stolen laptop"))
