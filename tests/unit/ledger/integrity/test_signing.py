"""Keys, key ids, strict base64 and the scheme registry (ledger/integrity/signing.py).
The RFC 8032 vectors are run in tests/vectors/test_ed25519_vectors.py."""

from __future__ import annotations

import hashlib

import pytest

from ledger.errors import InvalidSignatureError
from ledger.integrity.signing import SigningKey, b64decode, b64encode, key_id_for, verify

# RFC 8032 section 7.1, TEST 1 (also in tests/vectors/data/rfc8032-ed25519.json).
SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def test_a_key_derives_its_public_key_and_its_id_from_its_bytes() -> None:
    key = SigningKey("ed25519", SECRET)
    assert key.public_key == PUBLIC
    digest = hashlib.sha256(b"ed25519:" + PUBLIC).hexdigest()
    assert key.key_id == key_id_for("ed25519", PUBLIC) == f"ed25519:{digest[:24]}"


def test_key_ids_differ_by_key_and_by_algorithm() -> None:
    assert key_id_for("ed25519", PUBLIC) != key_id_for("ed25519", PUBLIC[:-1] + b"\x00")
    assert key_id_for("ed25519", PUBLIC) != key_id_for("sm2", PUBLIC)


def test_repr_never_shows_the_secret() -> None:
    key = SigningKey("ed25519", SECRET)
    text = repr(key)
    assert text == f"SigningKey({key.key_id})"
    assert SECRET.hex() not in text and b64encode(SECRET) not in text


def test_a_signature_verifies_under_its_key_only() -> None:
    key, other = SigningKey("ed25519", SECRET), SigningKey.generate()
    signature = key.sign(b"message")
    verify("ed25519", key.public_key, b"message", signature)
    with pytest.raises(InvalidSignatureError):
        verify("ed25519", other.public_key, b"message", signature)
    with pytest.raises(InvalidSignatureError):
        verify("ed25519", key.public_key, b"messagE", signature)


def test_generated_keys_are_fresh() -> None:
    assert SigningKey.generate().key_id != SigningKey.generate().key_id


def test_an_unknown_algorithm_cannot_sign_or_verify() -> None:
    with pytest.raises(InvalidSignatureError, match="unknown signature algorithm 'rsa'"):
        SigningKey("rsa", SECRET).sign(b"m")
    with pytest.raises(InvalidSignatureError, match="supported: ed25519"):
        verify("rsa", PUBLIC, b"m", bytes(64))


def test_base64_round_trips() -> None:
    for data in (b"", b"\x00", b"\xff\xfe", PUBLIC):
        assert b64decode(b64encode(data), what="x") == data


@pytest.mark.parametrize(("text", "fragment"), [
    ("AAA", "not valid base64"),             # missing padding
    ("AA AA", "not valid base64"),           # a space
    ("AA-_", "not valid base64"),            # the URL-safe alphabet
    ("ＡＡＡＡ", "not valid base64"),          # full-width look-alikes
    ("AB==", "not canonical base64"),        # unused bits set: decodes like AA==
    ("AAB=", "not canonical base64"),
])
def test_only_the_one_canonical_spelling_is_taken(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=f"public key is {fragment}"):
        b64decode(text, what="public key")


def test_a_non_string_is_refused_as_bad_base64() -> None:
    with pytest.raises(ValueError, match="signature is not valid base64"):
        b64decode(None, what="signature")  # type: ignore[arg-type]
