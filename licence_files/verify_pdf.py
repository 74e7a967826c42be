"""Check a presented PDF's bytes: every signature intact, trusted, and the last one
covering the whole file (earlier ones their revision, changed only by form filling).

Trust anchors are the self-signed roots the file itself carries: the ledger then decides
whether the *leaf* certificate is one a department registered (a forged root cannot
have signed a registered leaf, so nothing is lost by starting from the file's roots).
Revocation comes from the CRLs in the document security store, checked at the time the
signer reports: the ledger's record of the file's hash bounds that time from above.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from asn1crypto.crl import CertificateList  # type: ignore[import-untyped]
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.status import SignatureCoverageLevel, SignatureStatus

from ledger.domain.file_verdict import Presented
from ledger.integrity.canonical import sha256_hex
from licence_files.certificates import (
    fingerprint,
    missing_crl_point,
    validation_context,
)

UNSIGNED = ("unsigned: the PDF carries no signature; a re-rendered, printed, scanned or"
            " photographed licence has no effect (Art. 20)")


def inspect_pdf(data: bytes) -> Presented:
    file_hash = sha256_hex(data)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
        reference = _reference(reader)
    except Exception as exc:  # untrusted input: any parse failure is a verdict, not a crash
        return Presented(file_hash, "pdf", (), (), (f"unreadable: not a readable PDF ({exc})",))
    if not signatures:
        return Presented(file_hash, "pdf", (), (), (UNSIGNED,), reference)
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        crls = [CertificateList.load(ref.get_object().data) for ref in dss.crls]
        dss_certs = list(dss.load_certs())
    except NoDSSFoundError:
        crls, dss_certs = [], []
    except Exception as exc:  # a damaged security store
        return Presented(file_hash, "pdf", (), (), (f"unreadable: its DSS is damaged ({exc})",))
    problems: list[str] = []
    signers: list[str] = []
    revisions: list[str] = []
    for i, sig in enumerate(signatures):
        last = i == len(signatures) - 1
        try:
            signers.append(fingerprint(sig.signer_cert))
            end = sig.byte_range[2] + sig.byte_range[3]
            revisions.append(sha256_hex(data[:end]))
            problems += _check(sig, i + 1, last, crls, dss_certs)
        except Exception as exc:  # a damaged signature dictionary or CMS blob
            problems.append(f"signature_broken: signature {i + 1} cannot be read ({exc})")
    return Presented(file_hash, "pdf", tuple(signers), tuple(revisions), tuple(problems),
                     reference)


def _check(sig: Any, n: int, last: bool, crls: list[Any], dss_certs: list[Any]) -> list[str]:
    embedded = [sig.signer_cert, *sig.other_embedded_certs, *dss_certs]
    moment = sig.self_reported_timestamp or datetime.now(UTC)
    status = validate_pdf_signature(sig, validation_context(embedded, crls, moment))
    problems = _status_problems(status, n) + no_crl_point(embedded[:1], n)
    if last and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append(f"not_whole_file: signature {n} does not cover the whole file:"
                        " bytes were added after the last signature")
    if not last and (status.coverage < SignatureCoverageLevel.ENTIRE_REVISION
                     or status.modification_level > ModificationLevel.FORM_FILLING
                     or not status.docmdp_ok):
        problems.append(f"not_whole_file: after signature {n} the document was changed"
                        " beyond filling its reserved annotation field")
    return problems


def _status_problems(status: SignatureStatus, n: int) -> list[str]:
    if not status.intact:
        return [f"signature_broken: signature {n} does not match the bytes it covers:"
                " the file was edited"]
    if not status.valid:
        return [f"signature_broken: signature {n} does not verify"]
    if not status.trusted:
        why = str(status.trust_problem_indic or "untrusted")
        return [f"untrusted_certificate: the certificate of signature {n} failed path or"
                f" revocation checks ({why})"]
    return []


def no_crl_point(signer: list[Any], n: int) -> list[str]:
    if missing_crl_point(signer) is None:
        return []
    return [f"untrusted_certificate: the certificate of signature {n} has no CRL distribution"
            " point: its revocation cannot be checked"]


def _reference(reader: PdfFileReader) -> str | None:
    try:
        keywords = str(reader.trailer["/Info"].get("/Keywords", ""))
    except (KeyError, TypeError, AttributeError):
        return None
    for word in keywords.split():
        if word.startswith("reference="):
            return word.split("=", 1)[1]
    return None
