"""File-signing certificate chains: parsed and checked (ledger/domain/file_certificates.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from ledger.domain.file_certificates import check_chain, leaf_fingerprint, parse_chain
from ledger.errors import InvalidCommandError
from licence_files.dev_ca import DevCA

NOW = datetime.now(UTC)


def chain(ca: DevCA, **kwargs: bool) -> list[x509.Certificate]:
    _, cert = ca.issue("常熟市市场监督管理局 文件签名", "常熟市市场监督管理局", **kwargs)
    return parse_chain(ca.chain_pem(cert))


def test_a_dev_ca_chain_is_accepted() -> None:
    ca = DevCA.create()
    certs = chain(ca)
    check_chain(certs, NOW)
    assert len(leaf_fingerprint(certs)) == 64


@pytest.mark.parametrize("pem", ["", "not a certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                             "-----END CERTIFICATE-----\n"])
def test_garbage_is_refused(pem: str) -> None:
    with pytest.raises(InvalidCommandError, match=r"payload\.certificate"):
        parse_chain(pem)


def test_a_certificate_without_crl_point_is_refused() -> None:
    with pytest.raises(InvalidCommandError, match="no CRL distribution point"):
        check_chain(chain(DevCA.create(), crl_point=False), NOW)


def test_a_chain_from_another_ca_is_refused() -> None:
    ca, other = DevCA.create(), DevCA.create("Another Root")
    leaf = chain(ca)[0]
    with pytest.raises(InvalidCommandError, match="not issued by the next certificate"):
        check_chain([leaf, other.cert], NOW)
    with pytest.raises(InvalidCommandError, match="self-signed root"):
        check_chain([leaf], NOW)


def test_a_non_p256_key_is_refused() -> None:
    ca = DevCA.create()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _, template = ca.issue("x", "y")
    cert = (x509.CertificateBuilder().subject_name(template.subject)
            .issuer_name(ca.cert.subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(template.not_valid_before_utc)
            .not_valid_after(template.not_valid_after_utc).sign(ca.key, hashes.SHA256()))
    with pytest.raises(InvalidCommandError, match="ECDSA P-256"):
        check_chain([cert, ca.cert], NOW)
