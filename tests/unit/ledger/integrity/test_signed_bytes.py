"""The bytes a signature covers: canonical bytes without the signature member."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidSignatureError
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import SigningKey, verify

ENVELOPE = {"command_id": "3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60", "type": "RegisterDepartment",
            "actor": "A", "key_id": "k", "issued_at": "2026-01-01T00:00:00Z",
            "payload": {"b": 2, "a": [1, "二"]}}


def test_the_signature_member_is_left_out_and_the_rest_is_canonical() -> None:
    expected = (b'{"actor":"A","command_id":"3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60",'
                b'"issued_at":"2026-01-01T00:00:00Z","key_id":"k",'
                b'"payload":{"a":[1,"\xe4\xba\x8c"],"b":2},"type":"RegisterDepartment"}')
    assert signing_bytes(ENVELOPE) == expected
    assert signing_bytes({**ENVELOPE, "signature": "c2ln"}) == expected


def test_member_order_does_not_change_the_bytes() -> None:
    assert signing_bytes(dict(reversed(ENVELOPE.items()))) == signing_bytes(ENVELOPE)


def test_only_the_top_level_signature_is_left_out() -> None:
    nested = {**ENVELOPE, "payload": {"signature": "kept"}}
    assert b'"signature":"kept"' in signing_bytes(nested)


@pytest.mark.parametrize("change", [
    {"actor": "B"}, {"issued_at": "2026-01-01T00:00:01Z"}, {"payload": {"b": 3, "a": [1, "二"]}},
    {"extra": None},
])
def test_a_signature_over_the_bytes_fails_on_any_other_content(change: dict[str, object]) -> None:
    key = SigningKey.generate()
    signature = key.sign(signing_bytes(ENVELOPE))
    verify(key.algorithm, key.public_key, signing_bytes({**ENVELOPE, "signature": "x"}),
           signature)
    with pytest.raises(InvalidSignatureError):
        verify(key.algorithm, key.public_key, signing_bytes({**ENVELOPE, **change}), signature)
