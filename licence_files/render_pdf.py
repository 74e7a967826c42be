"""Draw a page layout as PDF (reportlab): the face of an original, or an annotation stamp.

The fonts are subset and embedded by reportlab. The licence identifier, the verification
reference and the template are written into the document information as well, where a
verifier can read them (they are covered by the signature like everything else).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

from commands.setting_sections import DEFAULT_PUBLIC_URL
from licence_files.face import Face, FaceDoesNotFitError, annotation_texts, face_texts
from licence_files.fonts import PT_PER_MM, FaceFont
from licence_files.layout import Box, Page, TextRun, lay_out, wrap
from licence_files.qr import qr_modules, verification_url

K = PT_PER_MM


def keywords(face: Face) -> str:
    return (f"identifier={face.identifier} reference={face.reference}"
            f" template={face.template_id}:{face.template_version}")


def render_face_pdf(face: Face, font: FaceFont, author: str,
                    public_url: str = DEFAULT_PUBLIC_URL) -> bytes:
    """The unsigned PDF of a face (one A4 page)."""
    font.check(face_texts(face))
    page = lay_out(face)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(page.width * K, page.height * K), pageCompression=1,
                      initialFontName=font.name)
    c.setTitle(f"{face.title} {face.identifier}")
    c.setAuthor(author)
    c.setSubject("电子证照")
    c.setCreator("licence-ledger")
    c.setKeywords(keywords(face))
    _draw(c, page, font, qr_modules(verification_url(face.reference, public_url)))
    c.showPage()
    c.save()
    return out.getvalue()


def _draw(c: canvas.Canvas, page: Page, font: FaceFont,
          modules: Sequence[Sequence[bool]] | None) -> None:
    for run in page.texts:
        _text(c, page, run, font)
    c.setLineWidth(0.3 * K)
    for frame in page.frames:
        c.rect(frame.x * K, (page.height - frame.y - frame.height) * K, frame.width * K,
               frame.height * K, stroke=1, fill=0)
    if modules:
        _qr(c, page.height, page.qr, modules)


def _text(c: canvas.Canvas, page: Page, run: TextRun, font: FaceFont) -> None:
    c.setFont(font.name, run.size * K)
    x, y = run.x * K, (page.height - run.y) * K
    if run.centred:
        c.drawCentredString(x, y, run.text)
    else:
        c.drawString(x, y, run.text)


def _qr(c: canvas.Canvas, height: float, box: Box, modules: Sequence[Sequence[bool]]) -> None:
    step = box.width / len(modules)
    path = c.beginPath()
    for row, line in enumerate(modules):
        for col, dark in enumerate(line):
            if dark:
                path.rect((box.x + col * step) * K, (height - box.y - (row + 1) * step) * K,
                          step * K, step * K)
    c.drawPath(path, stroke=0, fill=1)


STAMP_SIZE = 3.2


def render_stamp_pdf(box: Box, font: FaceFont, purpose: str, maker: str, recipient: str,
                     valid_until: str, made_on: str, reference: str,
                     public_url: str = DEFAULT_PUBLIC_URL) -> bytes:
    """The visible annotation of a copy, sized to the reserved box, as a one-page PDF."""
    qr = Box(box.width - 33.0, 6.0, 30.0, 30.0)
    lines: list[str] = []
    for text in annotation_texts(purpose, maker, recipient, valid_until, made_on):
        lines += wrap(text, STAMP_SIZE, qr.x - 6.0)
    runs = [TextRun(3.0, 7.0 + i * 4.8, STAMP_SIZE, line) for i, line in enumerate(lines)]
    if len(runs) > 8:
        raise FaceDoesNotFitError("the annotation does not fit its box: shorten the purpose,"
                                  " the maker's or the recipient's name")
    font.check([("annotation", " ".join(lines))])
    page = Page(box.width, box.height, tuple(runs), (Box(0.5, 0.5, box.width - 1.0,
                                                         box.height - 1.0),), qr, box)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(box.width * K, box.height * K), pageCompression=1,
                      initialFontName=font.name)
    _draw(c, page, font, qr_modules(verification_url(reference, public_url)))
    c.showPage()
    c.save()
    return out.getvalue()
