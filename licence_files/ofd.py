"""The OFD original: the face as an OFD package, signed with a detached CMS signature.

The package holds the XML parts (:mod:`licence_files.ofd_xml`), a TrueType subset of the
face font with a Unicode cmap (so the text is shown with the fonts embedded and can be
extracted), and the signature parts (:mod:`licence_files.ofd_signature`). The CMS
signature over Signature.xml carries the signer's chain and the CA's CRLs.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime

from asn1crypto import cms  # type: ignore[import-untyped]

from commands.setting_sections import DEFAULT_PUBLIC_URL
from licence_files.certificates import FileSigner
from licence_files.face import Face, face_texts
from licence_files.fonts import FaceFont
from licence_files.layout import lay_out
from licence_files.ofd_signature import SIGNATURE_PATH, SIGNED_VALUE_PATH, signature_parts
from licence_files.ofd_xml import FONT_PATH, DocInfo, ofd_entry, package_parts
from licence_files.qr import qr_modules, verification_url


def render_ofd(face: Face, font: FaceFont, author: str, created_on: str,
               doc_id: str, public_url: str = DEFAULT_PUBLIC_URL) -> dict[str, bytes]:
    """Every file of the unsigned package, by path."""
    font.check(face_texts(face))
    page = lay_out(face)
    info = DocInfo(doc_id, f"{face.title} {face.identifier}", author, created_on, {
        "LicenceIdentifier": face.identifier, "VerificationReference": face.reference,
        "TemplateId": face.template_id, "TemplateVersion": str(face.template_version)})
    advances = [font.advances_mm(run.text, run.size) for run in page.texts]
    qr = qr_modules(verification_url(face.reference, public_url))
    files = {"OFD.xml": ofd_entry(info), **package_parts(page, info, font.family, advances, qr)}
    files[FONT_PATH] = font.subset("".join(run.text for run in page.texts))
    return files


def sign_ofd(files: Mapping[str, bytes], signer: FileSigner) -> bytes:
    """Add Signatures.xml, Signature.xml (the digest list) and its CMS signature; zip.

    Signing time is the machine's clock, as in the CMS signature pyHanko makes."""
    now = datetime.now(UTC)
    signer.check_usable(now)
    parts = signature_parts(files, now.strftime("%Y%m%d%H%M%SZ"))
    info = asyncio.run(signer.pyhanko_signer().async_sign_general_data(
        parts[SIGNATURE_PATH], "sha256", detached=True))
    # The CRLs sit outside the signed attributes, where CMS keeps revocation information.
    info["content"]["crls"] = cms.RevocationInfoChoices(
        [cms.RevocationInfoChoice(name="crl", value=c) for c in signer.crls])
    package = {**files, **parts, SIGNED_VALUE_PATH: info.dump()}
    out = io.BytesIO()
    stamp = now.timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in ["OFD.xml", *sorted(p for p in package if p != "OFD.xml")]:
            archive.writestr(zipfile.ZipInfo(path, date_time=stamp), package[path],
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
