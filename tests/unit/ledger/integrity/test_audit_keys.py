"""The audit's view of keys: department commands judged by the one validity rule."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from ledger.integrity.audit_keys import AuditKeys, DelayedKeyEndings
from ledger.integrity.audit_report import AuditFailure
from ledger.integrity.mapper import Record
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import SigningKey, b64encode

KEY = SigningKey.generate()
DEPT = "91110000000000000X"
REGISTERED = "2026-03-01T00:00:00.000000Z"


def record(event_type: str, **data: Any) -> Record:
    return Record(uuid4(), 1, event_type, REGISTERED, data, None, None, b"")


def keys(*endings: Record) -> AuditKeys:
    audit = AuditKeys()
    audit.apply(record("DepartmentKeyRegistered", code=DEPT, key_id=KEY.key_id,
                       algorithm=KEY.algorithm, public_key=b64encode(KEY.public_key),
                       registered_at=REGISTERED))
    for ending in endings:
        audit.apply(ending)
    return audit


def command(issued_at: str, **change: Any) -> dict[str, Any]:
    body = {"command_id": "c", "type": "T", "actor": DEPT, "key_id": KEY.key_id,
            "issued_at": issued_at, "payload": {}}
    return {**body, "signature": b64encode(KEY.sign(signing_bytes(body))), **change}


def test_a_command_signed_and_recorded_in_the_key_s_life_verifies() -> None:
    keys().verify_command(command("2026-04-01T00:00:00Z"), "2026-04-01T00:00:00.000000Z")


def test_signed_before_registration() -> None:
    with pytest.raises(AuditFailure, match=r"^signed before its key was registered$"):
        keys().verify_command(command("2026-02-01T00:00:00Z"), "2026-04-01T00:00:00.000000Z")


def test_signed_after_rotation() -> None:
    rotated = keys(record("DepartmentKeyRetired", code=DEPT, key_id=KEY.key_id,
                          retired_at="2026-05-01T00:00:00.000000Z", replaced_by="k2"))
    rotated.verify_command(command("2026-04-30T00:00:00Z"), "2026-06-01T00:00:00.000000Z")
    with pytest.raises(AuditFailure, match="signed after its key was retired at 2026-05-01"):
        rotated.verify_command(command("2026-05-01T00:00:00Z"), "2026-06-01T00:00:00.000000Z")


def test_recorded_after_revocation_whatever_the_signing_time() -> None:
    revoked = keys(record("DepartmentKeyRevoked", code=DEPT, key_id=KEY.key_id,
                          revoked_at="2026-05-01T00:00:00.000000Z", reason="stolen"))
    revoked.verify_command(command("2026-04-01T00:00:00Z"), "2026-04-30T00:00:00.000000Z")
    with pytest.raises(AuditFailure, match="accepted after its key was revoked at 2026-05-01"):
        revoked.verify_command(command("2026-04-01T00:00:00Z"), "2026-05-01T00:00:00.000000Z")


def test_a_key_of_another_department_or_altered_bytes_fail() -> None:
    with pytest.raises(AuditFailure, match="was not registered to OTHER"):
        keys().verify_command(command("2026-04-01T00:00:00Z", actor="OTHER"),
                              "2026-04-01T00:00:00.000000Z")
    with pytest.raises(AuditFailure, match="department signature does not verify"):
        keys().verify_command(command("2026-04-01T00:00:00Z", payload={"x": 1}),
                              "2026-04-01T00:00:00.000000Z")


def test_ending_a_key_never_registered_fails() -> None:
    with pytest.raises(AuditFailure, match=r"^revokes a key that was never registered$"):
        AuditKeys().apply(record("DepartmentKeyRevoked", code=DEPT, key_id="k",
                                 revoked_at=REGISTERED, reason="r"))
    with pytest.raises(AuditFailure, match=r"^retires a ledger key that was never registered$"):
        AuditKeys().apply(record("LedgerKeyRetired", key_id="k", retired_at=REGISTERED))


def test_an_ending_waits_for_its_command_and_is_released_once() -> None:
    endings: DelayedKeyEndings[str] = DelayedKeyEndings()
    endings.hold("cmd-1", "retire k1")
    endings.hold("cmd-1", "revoke k2")
    endings.hold("cmd-2", "retire k3")
    assert endings.release("cmd-other") == []
    assert endings.release("cmd-1") == ["retire k1", "revoke k2"]
    assert endings.release("cmd-1") == []  # applied once, never twice
    assert endings.release("cmd-2") == ["retire k3"]
