"""The ledger-key history: registrations, endorsements and retirements, in log order."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from ledger.integrity.ledger_keys import BAD_ENDORSEMENT, UNENDORSED, LedgerKeyHistory
from ledger.integrity.mapper import Record
from ledger.integrity.sealing import endorsement_message
from ledger.integrity.signing import SigningKey, b64encode

FIRST, SECOND, STRANGER = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()


def registration(key: SigningKey, at: str, endorser: SigningKey | None = None,
                 endorsed: SigningKey | None = None) -> dict[str, Any]:
    """``endorser`` signs the endorsement of ``endorsed`` (default: of ``key`` itself)."""
    public = b64encode(key.public_key)
    target = endorsed or key
    endorsement = None if endorser is None else b64encode(endorser.sign(
        endorsement_message(target.key_id, b64encode(target.public_key))))
    return {"key_id": key.key_id, "algorithm": key.algorithm, "public_key": public,
            "registered_at": at, "endorsed_by": endorser.key_id if endorser else None,
            "endorsement": endorsement}


def record(event_type: str, data: dict[str, Any]) -> Record:
    return Record(uuid4(), 1, event_type, "2026-01-01T00:00:00.000000Z", data, None, None, b"")


def rotated() -> LedgerKeyHistory:
    return LedgerKeyHistory.of([
        record("LedgerKeyRegistered", registration(FIRST, "T1")),
        record("BatchSealed", {"lane": "local"}),
        record("LedgerKeyRegistered", registration(SECOND, "T2", FIRST)),
        record("LedgerKeyRetired", {"key_id": FIRST.key_id, "retired_at": "T2"}),
    ])


def test_an_empty_history_has_no_keys() -> None:
    history = LedgerKeyHistory()
    assert history.first is None and history.current is None and history.keys == {}
    assert history.to_json() == []


def test_the_first_key_needs_no_endorsement() -> None:
    assert LedgerKeyHistory().endorsement_fault(registration(FIRST, "T1")) is None


def test_a_rotation_keeps_the_first_key_names_the_current_and_retires_the_old() -> None:
    history = rotated()
    assert history.first == FIRST.key_id
    assert history.current == SECOND.key_id
    assert history.keys == {FIRST.key_id: ("ed25519", FIRST.public_key),
                            SECOND.key_id: ("ed25519", SECOND.public_key)}
    assert history.is_retired(FIRST.key_id) and not history.is_retired(SECOND.key_id)
    assert history.retired == {FIRST.key_id: "T2"}
    assert [(k["key_id"], k["retired_at"]) for k in history.to_json()] == [
        (FIRST.key_id, "T2"), (SECOND.key_id, None)]


def test_a_later_key_without_endorsement_is_refused() -> None:
    history = LedgerKeyHistory.of([record("LedgerKeyRegistered", registration(FIRST, "T1"))])
    assert history.endorsement_fault(registration(SECOND, "T2")) == UNENDORSED
    unnamed = registration(SECOND, "T2", FIRST) | {"endorsed_by": STRANGER.key_id}
    assert history.endorsement_fault(unnamed) == UNENDORSED


def test_an_endorsement_by_a_key_outside_the_history_or_of_another_key_fails() -> None:
    history = LedgerKeyHistory.of([record("LedgerKeyRegistered", registration(FIRST, "T1"))])
    forged = registration(SECOND, "T2", STRANGER) | {"endorsed_by": FIRST.key_id}
    assert history.endorsement_fault(forged) == BAD_ENDORSEMENT
    other = registration(SECOND, "T2", FIRST, endorsed=STRANGER)
    assert history.endorsement_fault(other) == BAD_ENDORSEMENT
    assert history.endorsement_fault(registration(SECOND, "T2", FIRST)
                                     | {"endorsement": "not base64!"}) == BAD_ENDORSEMENT
    assert history.endorsement_fault(registration(SECOND, "T2", FIRST)) is None


def test_a_public_key_that_is_not_base64_is_refused_and_not_registered() -> None:
    history = LedgerKeyHistory()
    with pytest.raises(ValueError, match="ledger public key is not valid base64"):
        history.register(registration(FIRST, "T1") | {"public_key": "%%%"})
    assert history.keys == {} and history.current is None


def test_retiring_a_key_never_registered_is_remembered_but_exports_nothing() -> None:
    history = LedgerKeyHistory()
    history.retire(FIRST.key_id, "T0")
    assert history.is_retired(FIRST.key_id) and not history.is_registered(FIRST.key_id)
    assert history.to_json() == []


def test_the_first_retirement_time_is_kept() -> None:
    history = rotated()
    history.retire(FIRST.key_id, "T9")
    assert history.retired[FIRST.key_id] == "T2"
