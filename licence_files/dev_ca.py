"""A throw-away certificate authority for tests, demos and benchmarks. Never production.

It issues ECDSA P-256 file-signing certificates with a CRL distribution point, publishes
CRLs, and writes a department's file-signing material where :mod:`.settings` looks for
it. A real deployment gets certificates and CRLs from a licensed CA instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CRL_URL = "http://ca.invalid/dev-root.crl"
YEARS = timedelta(days=3650)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class DevCA:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    revoked: list[int] = field(default_factory=list)

    @classmethod
    def create(cls, name: str = "Licence Ledger Dev Root CA",
               organisation: str = "licence-ledger (test only)") -> DevCA:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(name, organisation)
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - YEARS).not_valid_after(now + YEARS)
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                             False, False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        return cls(key, cert)

    def issue(self, common_name: str, organisation: str, *, crl_point: bool = True,
              key: ec.EllipticCurvePrivateKey | None = None, crl_url: str = CRL_URL,
              ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A file-signing certificate (digitalSignature, nonRepudiation)."""
        key = key or ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder().subject_name(_name(common_name, organisation))
            .issuer_name(self.cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - YEARS).not_valid_after(now + YEARS)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self.key.public_key()), critical=False))
        if crl_point:
            builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
        return key, builder.sign(self.key, hashes.SHA256())

    def write_ca(self, cert_path: Path, key_path: Path) -> None:
        """The CA's certificate and (mode 0600) private key, as PEM."""
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        cert_path.write_bytes(_pem(self.cert))
        key_path.write_bytes(self.key.private_bytes(serialization.Encoding.PEM,
                                                    serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        key_path.chmod(0o600)

    def revoke(self, cert: x509.Certificate) -> None:
        self.revoked.append(cert.serial_number)

    def crl(self) -> x509.CertificateRevocationList:
        now = datetime.now(UTC)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.cert.subject)
                   .last_update(now - timedelta(days=1)).next_update(now + YEARS)
                   .add_extension(x509.CRLNumber(len(self.revoked) + 1), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self.key.public_key()), critical=False))
        for serial in self.revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(now - timedelta(hours=1)).build())
        return builder.sign(self.key, hashes.SHA256())

    def chain_pem(self, cert: x509.Certificate) -> str:
        """The certificate then this CA's root: what RegisterFileCertificate takes."""
        return (_pem(cert) + _pem(self.cert)).decode()

    def write_signer(self, keys_dir: Path, code: str, key: ec.EllipticCurvePrivateKey,
                     cert: x509.Certificate) -> None:
        """Write ``<code>.file-key.pem``, ``.file-cert.pem`` and ``.file-crl.pem``."""
        keys_dir.mkdir(parents=True, exist_ok=True)
        key_path = keys_dir / f"{code}.file-key.pem"
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)
        (keys_dir / f"{code}.file-cert.pem").write_text(self.chain_pem(cert))
        self.write_crl(keys_dir, code)

    def write_crl(self, keys_dir: Path, code: str) -> None:
        (keys_dir / f"{code}.file-crl.pem").write_bytes(
            self.crl().public_bytes(serialization.Encoding.PEM))
