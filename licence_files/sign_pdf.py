"""PAdES signatures with pyHanko: the issuer certifies the original, a maker annotates it.

The original gets two signature fields *before* it is certified: its own, and an empty
one over the annotation box. Adding a field after certification would break the
original's signature; filling a field that is already there is a change the
certification (DocMDP level 2, form filling) allows. The signer's certificate chain and
CRLs go into the document security store in the same revision, so every signature
covers the revocation information it was checked against, and a copy's second signature
is an incremental update that leaves the original's bytes untouched.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from pyhanko.pdf_utils import content
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.stamp.static import StaticStampStyle

from licence_files.certificates import FileSigner
from licence_files.fonts import PT_PER_MM
from licence_files.layout import PAGE_HEIGHT, Box

ORIGINAL_FIELD, ANNOTATION_FIELD = "LicenceOriginal", "LicenceAnnotation"
RESERVED = 12_288  # bytes for the CMS container: no dry-run signature to size it


def _box(box: Box) -> tuple[int, int, int, int]:
    k = PT_PER_MM
    return (round(box.x * k), round((PAGE_HEIGHT - box.y - box.height) * k),
            round((box.x + box.width) * k), round((PAGE_HEIGHT - box.y) * k))


def _sign(writer: IncrementalPdfFileWriter, signer: FileSigner, meta: signers.PdfSignatureMetadata,
          stamp: Any = None) -> bytes:
    signer.check_usable(datetime.now(UTC))
    DocumentSecurityStore.supply_dss_in_writer(writer, None, certs=list(signer.chain),
                                               crls=list(signer.crls))
    out = io.BytesIO()
    pdf_signer = signers.PdfSigner(meta, signer.pyhanko_signer(), stamp_style=stamp)
    pdf_signer.sign_pdf(writer, output=out, bytes_reserved=RESERVED)
    return out.getvalue()


def sign_original(pdf: bytes, signer: FileSigner, annotation_box: Box) -> bytes:
    """Reserve the annotation field, then certify the whole original as its issuer."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    fields.append_signature_field(writer, SigFieldSpec(ORIGINAL_FIELD))
    fields.append_signature_field(writer, SigFieldSpec(ANNOTATION_FIELD, on_page=0,
                                                       box=_box(annotation_box)))
    meta = signers.PdfSignatureMetadata(
        field_name=ORIGINAL_FIELD, certify=True, docmdp_permissions=MDPPerm.FILL_FORMS,
        subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256", reason="电子证照原件")
    return _sign(writer, signer, meta)


class _PdfBytes(content.PdfContent):
    """A page of an in-memory PDF, drawn as a form XObject (the annotation stamp)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        super().__init__()

    def render(self) -> bytes:
        xobject = self._ensure_writer.import_page_as_xobject(
            PdfFileReader(io.BytesIO(self.data)), page_ix=0)
        self.resources.xobject["/Stamp"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/Stamp Do"


def sign_copy(original: bytes, signer: FileSigner, stamp_pdf: bytes, purpose: str) -> bytes:
    """Sign the reserved annotation field with the stamp as its appearance (incremental)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    meta = signers.PdfSignatureMetadata(
        field_name=ANNOTATION_FIELD, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=f"加注件：{purpose}")
    style = StaticStampStyle(background=_PdfBytes(stamp_pdf), border_width=0)
    return _sign(writer, signer, meta, style)
