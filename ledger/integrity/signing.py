"""Signatures behind one small, pluggable interface.

``verify`` returns nothing or raises :class:`InvalidSignatureError`, never a boolean,
and every internal failure (bad key bytes, wrong length, wrong scheme) maps to that one
error. Ed25519 is the default; another scheme (SM2 with SM3, say) plugs in by adding a
:class:`SignatureScheme` to ``SCHEMES``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.errors import ConfigurationError, InvalidSignatureError


class SignatureScheme(Protocol):
    """What a signature algorithm must provide to the ledger."""

    name: str

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> None: ...

    def public_from_private(self, private_key: bytes) -> bytes: ...

    def sign(self, private_key: bytes, message: bytes) -> bytes: ...

    def generate(self) -> bytes: ...


@functools.lru_cache(maxsize=64)  # a signer uses a few keys many times: load each once (~40 µs)
def _ed25519_private(private_key: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(private_key)


class Ed25519Scheme:
    """RFC 8032 Ed25519 through pyca/cryptography."""

    name = "ed25519"

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> None:
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        except (InvalidSignature, ValueError, TypeError) as exc:
            raise InvalidSignatureError("Ed25519 signature does not verify") from exc

    def public_from_private(self, private_key: bytes) -> bytes:
        return (
            Ed25519PrivateKey.from_private_bytes(private_key)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def sign(self, private_key: bytes, message: bytes) -> bytes:
        return _ed25519_private(private_key).sign(message)

    def generate(self) -> bytes:
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )


SCHEMES: dict[str, SignatureScheme] = {"ed25519": Ed25519Scheme()}
DEFAULT_SCHEME = "ed25519"


def get_scheme(name: str) -> SignatureScheme:
    try:
        return SCHEMES[name]
    except KeyError:
        raise InvalidSignatureError(
            f"unknown signature algorithm {name!r}; supported: {', '.join(sorted(SCHEMES))}"
        ) from None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, *, what: str) -> bytes:
    """Strict standard base64; raises ValueError naming ``what`` on bad input.

    Only the one canonical spelling of the bytes is taken: with padding, and with the
    unused low bits of the last character zero. Otherwise one signature could be sent
    as several strings (``…Dw==`` and ``…Dx==`` decode alike), and the same signed
    command would arrive, and be recorded, in different words.
    """
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError) as exc:
        raise ValueError(f"{what} is not valid base64") from exc
    if base64.b64encode(data) != text.encode("ascii"):
        raise ValueError(f"{what} is not canonical base64 (the unused bits of its last"
                         " character must be zero)")
    return data


def key_id_for(algorithm: str, public_key: bytes) -> str:
    """A key's id is derived from its bytes, so an id can never name two keys."""
    digest = hashlib.sha256(algorithm.encode() + b":" + public_key).hexdigest()
    return f"{algorithm}:{digest[:24]}"


def verify(algorithm: str, public_key: bytes, message: bytes, signature: bytes) -> None:
    """Verify or raise :class:`InvalidSignatureError`."""
    get_scheme(algorithm).verify(public_key, message, signature)


@dataclass(frozen=True)
class SigningKey:
    """A private key with its scheme; ``repr`` never shows the secret."""

    algorithm: str
    private_key: bytes

    def __repr__(self) -> str:
        return f"SigningKey({self.key_id})"

    @functools.cached_property  # derived once: every signed envelope names its key
    def public_key(self) -> bytes:
        return get_scheme(self.algorithm).public_from_private(self.private_key)

    @functools.cached_property
    def key_id(self) -> str:
        return key_id_for(self.algorithm, self.public_key)

    def sign(self, message: bytes) -> bytes:
        return get_scheme(self.algorithm).sign(self.private_key, message)

    @classmethod
    def generate(cls, algorithm: str = DEFAULT_SCHEME) -> SigningKey:
        return cls(algorithm, get_scheme(algorithm).generate())


def save_signing_key(key: SigningKey, path: Path) -> None:
    """Write a PKCS#8 PEM readable by the owner only; never overwrite a key."""
    if key.algorithm != "ed25519":
        raise ConfigurationError(f"cannot write {key.algorithm} keys as PEM yet")
    pem = Ed25519PrivateKey.from_private_bytes(key.private_key).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def load_signing_key(path: Path) -> SigningKey:
    """Read a PKCS#8 PEM private key; raise ConfigurationError saying what is wrong."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read key file {path}: {exc.strerror}") from None
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"key file {path} is not an unencrypted PKCS#8 PEM private key ({exc})"
        ) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigurationError(f"key file {path} holds a {type(private).__name__}, not Ed25519")
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return SigningKey("ed25519", raw)
