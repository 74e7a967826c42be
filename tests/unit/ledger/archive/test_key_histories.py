"""The key histories an archive package carries, derived from its events alone."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from ledger.archive.events import department_key_history
from ledger.integrity.mapper import Record


def record(event_type: str, **data: Any) -> Record:
    return Record(uuid4(), 1, event_type, "T", data, None, None, b"")


def registered(code: str, key_id: str, at: str) -> Record:
    return record("DepartmentKeyRegistered", code=code, key_id=key_id, algorithm="ed25519",
                  public_key="AAAA", registered_at=at)


def test_each_department_s_keys_in_order_with_their_ends() -> None:
    history = department_key_history([
        record("DepartmentRegistered", code="A", name="n", roles=["issuing"], area_code="1"),
        registered("A", "k1", "T1"), registered("A", "k2", "T2"),
        record("DepartmentKeyRetired", code="A", key_id="k1", retired_at="T3", replaced_by="k2"),
        record("DepartmentKeyRevoked", code="A", key_id="k2", revoked_at="T4", reason="lost"),
        registered("C", "k3", "T2"),
    ])
    assert history == {
        "A": [{"key_id": "k1", "algorithm": "ed25519", "public_key": "AAAA",
               "registered_at": "T1", "retired_at": "T3", "revoked_at": None},
              {"key_id": "k2", "algorithm": "ed25519", "public_key": "AAAA",
               "registered_at": "T2", "retired_at": None, "revoked_at": "T4"}],
        "C": [{"key_id": "k3", "algorithm": "ed25519", "public_key": "AAAA",
               "registered_at": "T2", "retired_at": None, "revoked_at": None}],
    }


def test_an_ending_of_a_key_never_registered_adds_nothing() -> None:
    assert department_key_history([
        record("DepartmentKeyRevoked", code="B", key_id="k9", revoked_at="T4", reason="lost"),
        registered("A", "k1", "T1"),
        record("DepartmentKeyRetired", code="A", key_id="k0", retired_at="T3", replaced_by="k1"),
    ]) == {"A": [{"key_id": "k1", "algorithm": "ed25519", "public_key": "AAAA",
                  "registered_at": "T1", "retired_at": None, "revoked_at": None}]}
