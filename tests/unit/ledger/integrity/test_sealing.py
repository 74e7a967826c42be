"""The bytes a batch seal and a key endorsement sign (ledger/integrity/sealing.py).
These bytes are in every recorded ledger: they must never change."""

from __future__ import annotations

import pytest

from ledger.domain.events import decode_event
from ledger.errors import InvalidSignatureError
from ledger.integrity.sealing import (
    BatchSealed,
    LedgerKeyRegistered,
    LedgerKeyRetired,
    endorsement_message,
    seal_message,
)
from ledger.integrity.signing import SigningKey, verify

AT = "2026-11-27T08:00:00.000000Z"


def test_the_seal_message_is_canonical_json_of_its_place_time_and_hashes() -> None:
    message = seal_message("embedded", 3, "ab" * 32, ["01" * 32, "02" * 32], "ed25519:k", AT)
    assert message == (
        b'{"at":"2026-11-27T08:00:00.000000Z","events":["' + b"01" * 32 + b'","'
        + b"02" * 32 + b'"],"key_id":"ed25519:k","lane":"embedded","prev":"' + b"ab" * 32
        + b'","version":3}')


def test_the_first_seal_of_a_lane_has_no_previous() -> None:
    assert b'"prev":null' in seal_message("p-0", 1, None, [], "k", AT)


@pytest.mark.parametrize("change", [
    {"lane": "p-1"}, {"version": 4}, {"prev": "cd" * 32}, {"hashes": ["02" * 32, "01" * 32]},
    {"hashes": ["01" * 32]}, {"key_id": "ed25519:other"}, {"at": "2026-11-27T08:00:00.000001Z"},
])
def test_every_part_of_a_seal_is_signed(change: dict[str, object]) -> None:
    args: dict[str, object] = {"lane": "p-0", "version": 3, "prev": "ab" * 32,
                               "hashes": ["01" * 32, "02" * 32], "key_id": "ed25519:k",
                               "at": AT}
    assert seal_message(**{**args, **change}) != seal_message(**args)  # type: ignore[arg-type]


def test_a_seal_signed_by_the_ledger_key_verifies_and_any_other_batch_does_not() -> None:
    key = SigningKey("ed25519", bytes(32))
    message = seal_message("embedded", 1, None, ["01" * 32], key.key_id, AT)
    signature = key.sign(message)
    verify("ed25519", key.public_key, message, signature)
    other = seal_message("embedded", 1, None, ["02" * 32], key.key_id, AT)
    with pytest.raises(InvalidSignatureError):
        verify("ed25519", key.public_key, other, signature)


def test_an_endorsement_names_the_new_key_and_its_bytes() -> None:
    assert endorsement_message("ed25519:new", "QUJD") == (
        b'{"endorse":{"key_id":"ed25519:new","public_key":"QUJD"}}')


def test_seal_and_key_events_are_registered_and_decode_as_stored() -> None:
    sealed = BatchSealed("embedded", ("01" * 32,), "ed25519:k", "c2ln")
    assert decode_event("BatchSealed", {**sealed.to_data(), "events": ["01" * 32]}) == sealed
    first = LedgerKeyRegistered("ed25519:k", "ed25519", "QUJD", AT, None, None)
    assert decode_event("LedgerKeyRegistered", first.to_data()) == first
    assert decode_event("LedgerKeyRetired", {"key_id": "k", "retired_at": AT}) == (
        LedgerKeyRetired("k", AT))
