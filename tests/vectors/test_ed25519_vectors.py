"""RFC 8032 Ed25519 vectors through the ledger's signing interface; mostly negative cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.errors import InvalidSignatureError
from ledger.integrity.signing import SigningKey, get_scheme, verify

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "rfc8032-ed25519.json").read_text()
)["cases"]
IDS = [c["name"] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_signing_reproduces_the_published_signature(case: dict[str, Any]) -> None:
    key = SigningKey("ed25519", bytes.fromhex(case["secret"]))
    assert key.public_key.hex() == case["public"]
    assert key.sign(bytes.fromhex(case["message"])).hex() == case["signature"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_published_signature_verifies(case: dict[str, Any]) -> None:
    verify("ed25519", bytes.fromhex(case["public"]), bytes.fromhex(case["message"]),
           bytes.fromhex(case["signature"]))


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("byte", [0, 31, 32, 63])
def test_any_flipped_signature_byte_is_rejected(case: dict[str, Any], byte: int) -> None:
    signature = bytearray.fromhex(case["signature"])
    signature[byte] ^= 0x01
    with pytest.raises(InvalidSignatureError):
        verify("ed25519", bytes.fromhex(case["public"]), bytes.fromhex(case["message"]),
               bytes(signature))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_altered_message_is_rejected(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidSignatureError):
        verify("ed25519", bytes.fromhex(case["public"]),
               bytes.fromhex(case["message"]) + b"\x00", bytes.fromhex(case["signature"]))


def test_signature_under_another_key_is_rejected() -> None:
    a, b = CASES[0], CASES[1]
    with pytest.raises(InvalidSignatureError):
        verify("ed25519", bytes.fromhex(b["public"]), bytes.fromhex(a["message"]),
               bytes.fromhex(a["signature"]))


@pytest.mark.parametrize("public, signature", [
    (b"", b"\x00" * 64),                 # empty key
    (b"\x01" * 31, b"\x00" * 64),        # short key
    (bytes.fromhex(CASES[0]["public"]), b"\x00" * 63),   # short signature
    (bytes.fromhex(CASES[0]["public"]), b""),            # no signature
])
def test_malformed_inputs_raise_the_one_error_type(public: bytes, signature: bytes) -> None:
    with pytest.raises(InvalidSignatureError):
        verify("ed25519", public, b"message", signature)


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(InvalidSignatureError, match="unknown signature algorithm"):
        get_scheme("sm2")
