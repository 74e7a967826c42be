"""File-signing certificates (X.509, ECDSA P-256), registered in the ledger per department.

A department signs commands with its Ed25519 key and signs licence *files* (PDF, OFD)
with a certificate its CA issued. Registering that certificate binds its exact bytes
(by SHA-256 fingerprint) to the department, beside the command key. Verification trusts
a file's signer only through this binding: a look-alike certificate (same subject, other
key) has another fingerprint and is bound to no one.

Each certificate has a stream of its own, keyed by fingerprint, so one certificate can
never be registered to two departments and lookup during verification is one read.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ledger.domain import streams
from ledger.domain.events import DomainEvent, event
from ledger.errors import AlreadyExistsError, InvalidCommandError
from ledger.integrity.canonical import parse_instant

MAX_CHAIN = 5


def file_certificate_stream(fingerprint: str) -> UUID:
    return uuid5(streams.NAMESPACE, f"file-certificate:{fingerprint}")


def fingerprint_of(der: bytes) -> str:
    """SHA-256 of the certificate's DER bytes, lower-case hex."""
    return hashlib.sha256(der).hexdigest()


@event
@dataclass(frozen=True)
class FileCertificateRegistered(DomainEvent):
    code: str  # the department
    fingerprint: str
    certificate_pem: str  # the certificate, then its chain up to and including the root
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    root_fingerprint: str
    registered_at: str


@dataclass(frozen=True)
class FileCertificate:
    """A registered file-signing certificate (the state of its stream)."""

    code: str
    fingerprint: str
    subject: str
    not_before: str
    not_after: str
    root_fingerprint: str
    registered_at: str
    certificate_pem: str

    def valid_at(self, moment: datetime) -> bool:
        return parse_instant(self.not_before) <= moment <= parse_instant(self.not_after)


def apply_file_certificate(state: FileCertificate | None, evt: DomainEvent) -> FileCertificate:
    if isinstance(evt, FileCertificateRegistered) and state is None:
        return FileCertificate(evt.code, evt.fingerprint, evt.subject, evt.not_before,
                               evt.not_after, evt.root_fingerprint, evt.registered_at,
                               evt.certificate_pem)
    raise TypeError(f"{type(evt).__name__} does not apply to a file certificate")


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_chain(pem: str, where: str = "payload.certificate") -> list[x509.Certificate]:
    """The PEM certificates, leaf first; raise InvalidCommandError if it is not PEM."""
    try:
        chain = x509.load_pem_x509_certificates(pem.encode())
    except ValueError as exc:
        raise InvalidCommandError(f"{where}: not PEM X.509 certificates ({exc})") from None
    if not 1 <= len(chain) <= MAX_CHAIN:
        raise InvalidCommandError(f"{where}: expected 1 to {MAX_CHAIN} certificates")
    return chain


def check_chain(chain: Sequence[x509.Certificate], now: datetime,
                where: str = "payload.certificate") -> None:
    """A P-256 signing leaf with a CRL distribution point, chained up to a self-signed root.

    The CRL distribution point is required because pyHanko silently skips a supplied CRL
    for a certificate that has none: without it a revoked certificate would pass.
    """
    leaf = chain[0]
    key = leaf.public_key()
    if not (isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"):
        raise InvalidCommandError(f"{where}: the file-signing key must be ECDSA P-256")
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise InvalidCommandError(f"{where}: the certificate has no key usage") from None
    if not (usage.digital_signature or usage.content_commitment):
        raise InvalidCommandError(f"{where}: key usage allows neither digitalSignature nor"
                                  " nonRepudiation")
    for i, cert in enumerate(chain[:-1]):
        try:
            cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        except x509.ExtensionNotFound:
            raise InvalidCommandError(
                f"{where}[{i}]: no CRL distribution point; revocation could not be checked"
            ) from None
    for i, (cert, issuer) in enumerate(itertools.pairwise(chain)):
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            raise InvalidCommandError(f"{where}[{i}]: not issued by the next certificate"
                                      " in the chain") from None
    root = chain[-1]
    try:
        root.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        raise InvalidCommandError(f"{where}: the chain does not end with a self-signed"
                                  " root certificate") from None
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise InvalidCommandError(
            f"{where}: the certificate is valid {_instant(leaf.not_valid_before_utc)} to"
            f" {_instant(leaf.not_valid_after_utc)}, not now")


def leaf_fingerprint(chain: Sequence[x509.Certificate]) -> str:
    return fingerprint_of(chain[0].public_bytes(serialization.Encoding.DER))


def register(current: FileCertificate | None, code: str, chain: Sequence[x509.Certificate],
             at: str) -> FileCertificateRegistered:
    leaf, root = chain[0], chain[-1]
    fingerprint = leaf_fingerprint(chain)
    if current is not None:
        raise AlreadyExistsError(f"certificate {fingerprint[:16]}… is already registered to"
                                 f" department {current.code}")
    pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in chain)
    return FileCertificateRegistered(
        code, fingerprint, pem, leaf.subject.rfc4514_string(), leaf.issuer.rfc4514_string(),
        format(leaf.serial_number, "x"), _instant(leaf.not_valid_before_utc),
        _instant(leaf.not_valid_after_utc),
        fingerprint_of(root.public_bytes(serialization.Encoding.DER)), at)
