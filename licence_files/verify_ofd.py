"""Check a presented OFD's bytes: a sound ZIP, every file in the signed digest list with
its digest, and the CMS signature over the list intact and trusted (see verify_pdf for
how trust and revocation are decided)."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms  # type: ignore[import-untyped]
from pyhanko.sign.validation.generic_cms import (
    async_validate_detached_cms,
    extract_self_reported_ts,
)

from ledger.domain.file_verdict import Presented
from ledger.integrity.canonical import sha256_hex
from licence_files.certificates import fingerprint, validation_context
from licence_files.ofd_signature import PackageError, check_package
from licence_files.verify_pdf import _status_problems, no_crl_point

MAX_ENTRIES, MAX_BYTES = 500, 64 * 1024 * 1024


def read_package(data: bytes) -> dict[str, bytes]:
    """The files of a ZIP, refusing duplicates, unsafe names and zip bombs."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = [e.filename for e in entries]
            if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_BYTES:
                raise PackageError("unreadable", "the ZIP is too large for a licence file")
            if len(set(names)) != len(names):
                raise PackageError("not_whole_file", "the ZIP holds two entries with one name")
            if any(n.startswith("/") or ".." in n.split("/") for n in names):
                raise PackageError("unreadable", "the ZIP holds an entry outside its root")
            return {e.filename: archive.read(e) for e in entries if not e.is_dir()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise PackageError("unreadable", f"not a readable ZIP ({exc})") from None


def inspect_ofd(data: bytes) -> Presented:
    file_hash = sha256_hex(data)
    try:
        signature, signed_value, reference = check_package(read_package(data))
    except PackageError as exc:
        return Presented(file_hash, "ofd", (), (), (f"{exc.code}: {exc.message}",))
    try:
        signed_data = cms.ContentInfo.load(signed_value)["content"]
        signer_info = signed_data["signer_infos"][0]
        certs = [c.chosen for c in signed_data["certificates"]]
        crls = [c.chosen for c in signed_data["crls"]] if signed_data["crls"] else []
        moment = extract_self_reported_ts(signer_info) or datetime.now(UTC)
        status = asyncio.run(async_validate_detached_cms(
            signature, signed_data, validation_context(certs, crls, moment)))
        signer = fingerprint(status.signing_cert)
    except Exception as exc:  # untrusted input: a damaged CMS blob is a verdict
        return Presented(file_hash, "ofd", (), (), (
            f"signature_broken: the signature value cannot be read ({exc})",), reference)
    problems: list[Any] = _status_problems(status, 1) + no_crl_point([status.signing_cert], 1)
    return Presented(file_hash, "ofd", (signer,), (), tuple(problems), reference)
