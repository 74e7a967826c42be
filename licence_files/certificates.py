"""A department's file signer (ECDSA P-256 key, certificate chain, CRLs) and the PKIX
check of signing certificates with pyHanko's certificate validator.

Revocation information is *required*: a certificate is accepted only when a CRL (or OCSP
response) covers it. pyHanko silently skips a supplied CRL for a certificate without a
CRL distribution point, so "soft" modes would let a revoked certificate through.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import crl as acrl  # type: ignore[import-untyped]
from asn1crypto import keys as akeys
from asn1crypto import pem as apem
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from commands.setting_sections import FileSettings
from ledger.errors import ConfigurationError


def fingerprint(cert: Any) -> str:
    return hashlib.sha256(cert.dump()).hexdigest()


def _pem_blocks(data: bytes, kind: str) -> list[bytes]:
    if not apem.detect(data):
        return [data] if data.strip() else []
    return [der for name, _, der in apem.unarmor(data, multiple=True) if name == kind]


def self_signed(certs: Iterable[Any]) -> list[Any]:
    return [c for c in certs if c.self_signed in ("maybe", "yes")]


def missing_crl_point(chain: Sequence[Any]) -> Any | None:
    """The first non-root certificate without a CRL distribution point, if any.

    pyHanko, even in "require" mode, accepts such a certificate when a CRL is supplied:
    it skips the CRL as not applicable. We refuse it instead.
    """
    roots = self_signed(chain)
    return next((c for c in chain if c not in roots and not c.crl_distribution_points), None)


def validation_context(chain: Sequence[Any], crls: Sequence[Any],
                       moment: datetime | None) -> ValidationContext:
    """Trust the chain's self-signed root; require revocation info; never fetch."""
    roots = self_signed(chain)
    others = [c for c in chain if c not in roots]
    return ValidationContext(trust_roots=roots, other_certs=others, crls=list(crls),
                             revocation_mode="require", allow_fetching=False, moment=moment)


@dataclass(frozen=True)
class FileSigner:
    """A department's file-signing key with its certificate chain (leaf first) and CRLs."""

    code: str
    key: Any  # asn1crypto PrivateKeyInfo
    chain: tuple[Any, ...]  # asn1crypto Certificates
    crls: tuple[Any, ...]  # asn1crypto CertificateLists

    def __repr__(self) -> str:
        return f"FileSigner({self.code}, {self.fingerprint[:16]})"

    @property
    def certificate(self) -> Any:
        return self.chain[0]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)

    def pyhanko_signer(self) -> SimpleSigner:
        return SimpleSigner(self.certificate, self.key,
                            SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                                list(self.chain[1:])))

    def check_usable(self, moment: datetime) -> None:
        """Refuse to sign with a certificate that is expired, revoked or unchecked."""
        bare = missing_crl_point(self.chain)
        if bare is not None:
            raise ConfigurationError(
                f"the file-signing certificate of {self.code} ({bare.subject.human_friendly})"
                " has no CRL distribution point, so its revocation cannot be checked")
        context = validation_context(self.chain, self.crls, moment)
        validator = CertificateValidator(self.certificate, list(self.chain[1:]), context)
        try:
            asyncio.run(validator.async_validate_usage(  # type: ignore[no-untyped-call]
                {"digital_signature"}))
        except (PathBuildingError, PathValidationError, ValidationError) as exc:
            raise ConfigurationError(
                f"the file-signing certificate of {self.code} cannot sign now: {exc}") from None


def load_signer(settings: FileSettings, code: str) -> FileSigner:
    """Read ``<code>.file-key.pem``, ``.file-cert.pem`` and ``.file-crl.pem``."""
    key_path, cert_path, crl_path = settings.file_material(code)
    key_data, cert_data = _read(key_path, code), _read(cert_path, code)
    crl_data = crl_path.read_bytes() if crl_path.exists() else b""
    try:
        key_blocks = _pem_blocks(key_data, "PRIVATE KEY")
        cert_blocks = _pem_blocks(cert_data, "CERTIFICATE")
        crl_blocks = _pem_blocks(crl_data, "X509 CRL")
        if len(key_blocks) != 1 or not cert_blocks:
            raise ValueError(f"{key_path} must hold one unencrypted PKCS#8 private key and"
                             f" {cert_path} the certificate then its chain")
        private = serialization.load_der_private_key(key_blocks[0], password=None)
        leaf = x509.load_der_x509_certificate(cert_blocks[0])
        [x509.load_der_x509_certificate(b) for b in cert_blocks[1:]]
        [x509.load_der_x509_crl(b) for b in crl_blocks]
        certs = [ax509.Certificate.load(b) for b in cert_blocks]
        crls = [acrl.CertificateList.load(b) for b in crl_blocks]
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot parse the file signer of {code}: {exc}") from None
    raw = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(*raw) != leaf.public_key().public_bytes(*raw):
        raise ConfigurationError(f"{key_path} is not the key of the certificate in {cert_path}")
    key = akeys.PrivateKeyInfo.load(key_blocks[0])
    return FileSigner(code, key, tuple(certs), tuple(crls))


def _read(path: Path, code: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read {path} ({exc.strerror}): department {code} needs its file-signing"
            " key, certificate chain and CRLs in LEDGER_KEYS_DIR") from None
