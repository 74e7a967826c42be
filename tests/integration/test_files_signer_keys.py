"""File signers loaded from key files on disk (licence_files/certificates.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from commands.settings import load_settings
from ledger.errors import ConfigurationError
from licence_files.certificates import load_signer
from licence_files.dev_ca import DevCA

NOW = datetime.now(UTC)


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
