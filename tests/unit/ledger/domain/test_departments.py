"""Departments, their keys and key validity at signing time (ledger/domain/departments.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledger.domain.catalogue import LicenceTypeRegistered
from ledger.domain.departments import (
    Department,
    DepartmentKeyRegistered,
    DepartmentKeyRetired,
    DepartmentKeyRevoked,
    UsageListSet,
    apply_department,
    register_department,
    register_key,
    retire_key,
    revoke_key,
)
from ledger.errors import (
    AlreadyExistsError,
    IllegalTransitionError,
    KeyNotValidError,
    NotFoundError,
    UnknownKeyError,
)

CODE = "11320581LJ2K0XTF1R"
T0 = "2026-11-27T08:00:00.000000Z"
T1 = "2026-11-28T08:00:00.000000Z"
AT_T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
AT_T1 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def dept() -> Department:
    registered = register_department(None, CODE, "市场监管局", ("issuing",), "320581")
    d = apply_department(None, registered)
    return apply_department(d, register_key(d, "k1", "ed25519", "AAAA", T0))


def test_registration_and_its_key_build_the_state() -> None:
    d = dept()
    assert (d.code, d.name, d.roles, d.area_code) == (CODE, "市场监管局", ("issuing",), "320581")
    assert d.has_role("issuing") and not d.has_role("management")
    assert [k.key_id for k in d.active_keys()] == ["k1"]
    assert d.key("k1").registered_at == T0


def test_a_department_is_registered_once() -> None:
    with pytest.raises(AlreadyExistsError, match="already registered as '市场监管局'"):
        register_department(dept(), CODE, "again", ("issuing",), "320581")


def test_a_key_id_is_registered_once() -> None:
    with pytest.raises(AlreadyExistsError, match="key k1 is already registered"):
        register_key(dept(), "k1", "ed25519", "BBBB", T1)


def test_an_unknown_key_is_named() -> None:
    with pytest.raises(UnknownKeyError, match=f"key k9 is not registered to department {CODE}"):
        dept().key("k9")


def test_a_key_is_usable_from_its_registration_on() -> None:
    record = dept().key("k1")
    record.check_usable(AT_T0)
    record.check_usable(AT_T1)
    with pytest.raises(KeyNotValidError, match="after the command claims to have been signed"):
        record.check_usable(AT_T0 - timedelta(microseconds=1))


def test_a_retired_key_signs_until_its_retirement_only() -> None:
    d = dept()
    d = apply_department(d, register_key(d, "k2", "ed25519", "BBBB", T1))
    evt = retire_key(d, "k1", "k2", T1)
    assert isinstance(evt, DepartmentKeyRetired) and evt.replaced_by == "k2"
    d = apply_department(d, evt)
    d.key("k1").check_usable(AT_T1 - timedelta(microseconds=1))  # signed before: still good
    with pytest.raises(KeyNotValidError, match=r"retired at .* by a key rotation"):
        d.key("k1").check_usable(AT_T1)
    assert [k.key_id for k in d.active_keys()] == ["k2"]


def test_a_revoked_key_signs_nothing_whatever_time_it_claims() -> None:
    d = dept()
    d = apply_department(d, revoke_key(d, "k1", "stolen laptop", T1))
    for claimed in (AT_T0, AT_T1 - timedelta(days=1), AT_T1 + timedelta(days=1)):
        with pytest.raises(KeyNotValidError, match=r"revoked at .* \(stolen laptop\)"):
            d.key("k1").check_usable(claimed)
    assert d.active_keys() == []


def test_an_inactive_key_cannot_be_retired_and_a_revoked_one_not_revoked_again() -> None:
    d = dept()
    retired = apply_department(d, retire_key(d, "k1", "k2", T1))
    with pytest.raises(IllegalTransitionError, match="no longer active"):
        retire_key(retired, "k1", "k3", T1)
    revoked = apply_department(d, revoke_key(d, "k1", "leak", T1))
    with pytest.raises(IllegalTransitionError, match="no longer active"):
        retire_key(revoked, "k1", "k3", T1)
    with pytest.raises(IllegalTransitionError, match="already revoked"):
        revoke_key(revoked, "k1", "again", T1)
    # A retired key can still be revoked: it may have leaked after the rotation.
    assert isinstance(revoke_key(retired, "k1", "leak", T1), DepartmentKeyRevoked)


def test_retiring_or_revoking_an_unknown_key_is_refused() -> None:
    with pytest.raises(UnknownKeyError):
        retire_key(dept(), "k9", "k1", T1)
    with pytest.raises(UnknownKeyError):
        revoke_key(dept(), "k9", "why", T1)


def test_the_usage_list_replaces_the_previous_one() -> None:
    d = apply_department(dept(), UsageListSet(CODE, ({"type_code": "X", "purpose": "a"},)))
    d = apply_department(d, UsageListSet(CODE, ({"type_code": "Y", "purpose": "b"},)))
    assert [e["type_code"] for e in d.usage_list] == ["Y"]


def test_events_before_registration_or_foreign_events_do_not_apply() -> None:
    with pytest.raises(NotFoundError, match="DepartmentKeyRegistered before"):
        apply_department(None, DepartmentKeyRegistered(CODE, "k1", "ed25519", "AAAA", T0))
    with pytest.raises(TypeError, match="LicenceTypeRegistered does not apply"):
        apply_department(dept(), LicenceTypeRegistered("T", 1, {}))


def test_applying_never_changes_the_previous_state() -> None:
    before = dept()
    after = apply_department(before, register_key(before, "k2", "ed25519", "BBBB", T1))
    assert list(before.keys) == ["k1"] and list(after.keys) == ["k1", "k2"]
