"""The face of a licence (证照照面): what its file shows, from its state and template.

Built from the licence's current state and the catalogue entry at the version the
licence records, so a file always says which template (id and version) rendered it.
The QR code carries only an unguessable verification reference, never licence data:
whoever scans it must still ask the ledger, and learns nothing from the picture.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.domain.licence import Licence
from ledger.errors import LedgerError

QR_PREFIX = "LLV1:"  # licence-ledger verification reference, version 1


class UnrenderableTextError(LedgerError):
    """The face holds characters the installed font cannot show."""

    code = "unrenderable_text"


class FaceDoesNotFitError(LedgerError):
    """The face data is too long for one page of the template."""

    code = "face_does_not_fit"


@dataclass(frozen=True)
class FaceLine:
    label: str
    value: str


@dataclass(frozen=True)
class Face:
    title: str  # the licence type's name
    identifier: str
    lines: tuple[FaceLine, ...]
    reference: str
    template_id: str
    template_version: int

    @property
    def qr_payload(self) -> str:
        return QR_PREFIX + self.reference

    @property
    def footer(self) -> tuple[str, str]:
        return (f"证照标识 {self.identifier}",
                f"模板 {self.template_id} 第{self.template_version}版 · 核验码 {self.reference}")


def build_face(licence: Licence, definition: Mapping[str, Any], issuer_name: str,
               reference: str) -> Face:
    """The face of ``licence`` under its catalogue ``definition``."""
    f = licence.fields
    until = f.get("valid_until")
    lines = [FaceLine("证照编号", licence.licence_number)]
    lines += [FaceLine("持证主体", f"{h['name']}（{h['code']}）") for h in licence.holders]
    lines += [
        FaceLine("签发机关", issuer_name),
        FaceLine("签发日期", str(f["issue_date"])),
        FaceLine("有效期限", f"{f['valid_from']} 至 {until or '长期'}"),
    ]
    face = f.get("face") or {}
    for spec in definition["face_fields"]:
        value = face.get(spec["name"])
        if value is not None:
            lines.append(FaceLine(str(spec.get("label") or spec["name"]), str(value)))
    template = definition["template"]
    return Face(str(definition["name"]), licence.identifier, tuple(lines), reference,
                str(template["id"]), int(template["version"]))


def face_texts(face: Face) -> list[tuple[str, str]]:
    """Every text the face shows, with where it comes from (for glyph checks)."""
    out = [("name", face.title), ("footer", " ".join(face.footer))]
    out += [(line.label, f"{line.label} {line.value}") for line in face.lines]
    return out


def annotation_texts(purpose: str, maker: str, recipient: str, valid_until: str,
                     made_on: str) -> tuple[str, ...]:
    """The lines of an annotated copy's visible annotation (加注)."""
    return (f"加注件 · 用证事由：{purpose}", f"制作单位：{maker}", f"接收方：{recipient}",
            f"制作日期：{made_on}  有效期至：{valid_until}", "本加注件仅限上述事由使用")
