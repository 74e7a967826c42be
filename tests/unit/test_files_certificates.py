"""File-signing certificates: what registration accepts, and when a signer may sign."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from commands.settings import load_settings
from ledger.domain.file_certificates import check_chain, leaf_fingerprint, parse_chain
from ledger.errors import ConfigurationError, InvalidCommandError
from licence_files.certificates import load_signer
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


def test_a_signer_needs_revocation_info_and_an_unrevoked_certificate(tmp_path: Path) -> None:
    fs = load_settings({"LEDGER_KEYS_DIR": str(tmp_path)}).files
    ca = DevCA.create()
    key, cert = ca.issue("签名", "部门")
    ca.write_signer(tmp_path, "A", key, cert)
    load_signer(fs, "A").check_usable(NOW)
    (tmp_path / "A.file-crl.pem").unlink()
    with pytest.raises(ConfigurationError, match="cannot sign now"):
        load_signer(fs, "A").check_usable(NOW)  # no CRL: revocation is required
    ca.revoke(cert)
    ca.write_crl(tmp_path, "A")
    with pytest.raises(ConfigurationError, match="cannot sign now"):
        load_signer(fs, "A").check_usable(NOW)
    key_b, cert_b = ca.issue("签名", "部门", crl_point=False)
    ca.write_signer(tmp_path, "B", key_b, cert_b)
    with pytest.raises(ConfigurationError, match="no CRL distribution point"):
        load_signer(fs, "B").check_usable(NOW)  # a CRL that cannot apply is not enough


def test_a_key_that_does_not_match_its_certificate_is_refused(tmp_path: Path) -> None:
    fs = load_settings({"LEDGER_KEYS_DIR": str(tmp_path)}).files
    ca = DevCA.create()
    key, _ = ca.issue("a", "b")
    _, other = ca.issue("a", "b")
    ca.write_signer(tmp_path, "A", key, other)
    with pytest.raises(ConfigurationError, match="not the key of the certificate"):
        load_signer(fs, "A")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_signer(fs, "missing")
