"""The OFD package of a face (GB/T 33190-2016): the XML parts, built from a page layout.

An OFD is a ZIP of XML: ``OFD.xml`` (entry, document info with our custom data) ▸
``Doc_0/Document.xml`` (page area, resources, pages) ▸ ``Doc_0/PublicRes.xml`` (the
embedded font) ▸ ``Doc_0/Pages/Page_0/Content.xml`` (text objects whose ``TextCode`` is
the Unicode text, so it can be extracted, plus paths for frames and the QR code). Units
are millimetres from the top-left corner. Glyph advances come from the caller, which
holds the font; this module only writes XML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from licence_files.layout import Box, Page

NS = "http://www.ofdspec.org/2016"
ET.register_namespace("ofd", NS)
FONT_PATH = "Doc_0/Res/font_0.ttf"
SIGNATURES_PATH = "Doc_0/Signs/Signatures.xml"


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _xml(root: ET.Element) -> bytes:
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, q(tag), attrs)
    if text is not None:
        element.text = text
    return element


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class DocInfo:
    doc_id: str
    title: str
    author: str
    creation_date: str  # YYYY-MM-DD
    custom: Mapping[str, str]  # name -> value (identifier, reference, template)


def ofd_entry(info: DocInfo) -> bytes:
    root = ET.Element(q("OFD"), {"Version": "1.0", "DocType": "OFD"})
    body = _sub(root, "DocBody")
    doc = _sub(body, "DocInfo")
    for tag, value in (("DocID", info.doc_id), ("Title", info.title),
                       ("Author", info.author), ("CreationDate", info.creation_date),
                       ("Creator", "licence-ledger")):
        _sub(doc, tag, value)
    customs = _sub(doc, "CustomDatas")
    for name, value in info.custom.items():
        _sub(customs, "CustomData", value, Name=name)
    _sub(body, "DocRoot", "Doc_0/Document.xml")
    _sub(body, "Signatures", SIGNATURES_PATH)
    return _xml(root)


def package_parts(page: Page, info: DocInfo, font_name: str, advances: Sequence[Sequence[float]],
                  qr_modules: Sequence[Sequence[bool]]) -> dict[str, bytes]:
    """Every XML part of the package (the font file itself is added by the caller).

    ``advances[i]`` are the advance widths, in mm, of the characters of ``page.texts[i]``.
    """
    ids = iter(range(1, 1_000_000))
    document = ET.Element(q("Document"))
    common = _sub(document, "CommonData")
    max_id = _sub(common, "MaxUnitID")
    area = _sub(common, "PageArea")
    _sub(area, "PhysicalBox", f"0 0 {_n(page.width)} {_n(page.height)}")
    _sub(common, "PublicRes", "PublicRes.xml")
    page_id = str(next(ids))
    _sub(_sub(document, "Pages"), "Page", ID=page_id, BaseLoc="Pages/Page_0/Content.xml")

    res = ET.Element(q("Res"), {"BaseLoc": "Res"})
    font_id = str(next(ids))
    font = _sub(_sub(res, "Fonts"), "Font", ID=font_id, FontName=font_name,
                FamilyName=font_name)
    _sub(font, "FontFile", FONT_PATH.rsplit("/", 1)[1])

    content = ET.Element(q("Page"))
    layer = _sub(_sub(content, "Content"), "Layer", ID=str(next(ids)))
    for run, widths in zip(page.texts, advances, strict=True):
        width = sum(widths)
        left = run.x - width / 2 if run.centred else run.x
        top = run.y - run.size
        text = _sub(layer, "TextObject", ID=str(next(ids)), Font=font_id, Size=_n(run.size),
                    Boundary=f"{_n(left)} {_n(top)} {_n(width + 1)} {_n(run.size * 1.3)}")
        _sub(text, "FillColor", Value="0 0 0")
        attrs = {"X": "0", "Y": _n(run.size)}
        if len(run.text) > 1:
            attrs["DeltaX"] = " ".join(_n(w) for w in widths[:-1])
        _sub(text, "TextCode", run.text, **attrs)
    for frame in page.frames:
        _path(layer, str(next(ids)), frame, fill=False,
              data=f"M 0 0 L {_n(frame.width)} 0 L {_n(frame.width)} {_n(frame.height)}"
                   f" L 0 {_n(frame.height)} C")
    _path(layer, str(next(ids)), page.qr, fill=True, data=_qr_path(page.qr, qr_modules))
    max_id.text = str(next(ids) - 1)
    return {"Doc_0/Document.xml": _xml(document), "Doc_0/PublicRes.xml": _xml(res),
            "Doc_0/Pages/Page_0/Content.xml": _xml(content)}


def _path(layer: ET.Element, unit_id: str, box: Box, *, fill: bool, data: str) -> None:
    path = _sub(layer, "PathObject", ID=unit_id, LineWidth="0.3",
                Boundary=f"{_n(box.x)} {_n(box.y)} {_n(box.width)} {_n(box.height)}",
                Stroke="false" if fill else "true", Fill="true" if fill else "false")
    if fill:
        _sub(path, "FillColor", Value="0 0 0")
    _sub(path, "AbbreviatedData", data)


def _qr_path(box: Box, modules: Sequence[Sequence[bool]]) -> str:
    step = box.width / max(len(modules), 1)
    parts = []
    for row, line in enumerate(modules):
        for col, dark in enumerate(line):
            if dark:
                x, y = col * step, row * step
                parts.append(f"M {_n(x)} {_n(y)} L {_n(x + step)} {_n(y)} L {_n(x + step)}"
                             f" {_n(y + step)} L {_n(x)} {_n(y + step)} C")
    return " ".join(parts)
