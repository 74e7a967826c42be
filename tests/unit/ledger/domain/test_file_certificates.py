"""File-signing certificate chains: parsed, checked and registered once
(ledger/domain/file_certificates.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from ledger.domain.file_certificates import (
    MAX_CHAIN,
    apply_file_certificate,
    check_chain,
    leaf_fingerprint,
    parse_chain,
    register,
)
from ledger.domain.grants import GrantRevoked
from ledger.errors import AlreadyExistsError, InvalidCommandError
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


def test_a_certificate_is_accepted_only_within_its_validity() -> None:
    certs = chain(DevCA.create())
    leaf = certs[0]
    check_chain(certs, leaf.not_valid_before_utc)
    check_chain(certs, leaf.not_valid_after_utc)
    for moment in (leaf.not_valid_before_utc - timedelta(seconds=1),
                   leaf.not_valid_after_utc + timedelta(seconds=1)):
        with pytest.raises(InvalidCommandError, match="not now"):
            check_chain(certs, moment)


def test_a_leaf_that_may_not_sign_is_refused() -> None:
    ca = DevCA.create()
    _, template = ca.issue("x", "y")
    no_usage = (x509.CertificateBuilder().subject_name(template.subject)
                .issuer_name(ca.cert.subject).public_key(template.public_key())
                .serial_number(2).not_valid_before(template.not_valid_before_utc)
                .not_valid_after(template.not_valid_after_utc).sign(ca.key, hashes.SHA256()))
    with pytest.raises(InvalidCommandError, match="has no key usage"):
        check_chain([no_usage, ca.cert], NOW)
    encipher_only = (x509.CertificateBuilder().subject_name(template.subject)
                     .issuer_name(ca.cert.subject).public_key(template.public_key())
                     .serial_number(3).not_valid_before(template.not_valid_before_utc)
                     .not_valid_after(template.not_valid_after_utc)
                     .add_extension(x509.KeyUsage(False, False, True, False, False, False, False,
                                                  False, False), critical=True)
                     .sign(ca.key, hashes.SHA256()))
    with pytest.raises(InvalidCommandError, match="neither digitalSignature nor"):
        check_chain([encipher_only, ca.cert], NOW)


def test_a_chain_longer_than_the_limit_is_refused() -> None:
    ca = DevCA.create()
    _, cert = ca.issue("x", "y")
    pem = ca.chain_pem(cert)
    with pytest.raises(InvalidCommandError, match=f"expected 1 to {MAX_CHAIN} certificates"):
        parse_chain(pem * MAX_CHAIN)


def test_a_certificate_is_registered_once_with_what_identifies_it() -> None:
    ca = DevCA.create()
    certs = chain(ca)
    evt = register(None, "D", certs, "2026-11-27T08:00:00.000000Z")
    assert evt.fingerprint == leaf_fingerprint(certs) and evt.code == "D"
    assert "常熟市市场监督管理局" in evt.subject and evt.root_fingerprint != evt.fingerprint
    assert parse_chain(evt.certificate_pem) == certs
    state = apply_file_certificate(None, evt)
    end = certs[0].not_valid_after_utc.replace(microsecond=0)
    assert state.valid_at(NOW) and state.valid_at(end)
    assert not state.valid_at(end + timedelta(seconds=1))
    with pytest.raises(AlreadyExistsError, match="already registered to department D"):
        register(state, "E", certs, "2026-11-28T08:00:00.000000Z")
    with pytest.raises(TypeError, match="does not apply to a file certificate"):
        apply_file_certificate(state, evt)
    with pytest.raises(TypeError, match="GrantRevoked does not apply"):
        apply_file_certificate(None, GrantRevoked("g", "x"))
