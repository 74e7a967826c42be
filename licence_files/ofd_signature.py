"""The detached signature inside an OFD package: the digest list and its checks.

``Doc_0/Signs/Sign_0/Signature.xml`` lists every other file of the package with its
SHA-256 digest; ``SignedValue.dat`` is a CMS signature over that Signature.xml, so
signing the list signs every file it names. A file added to the package afterwards is
not in the list, and verification refuses it as not covered. This is a GB/T 33190 §18
*signature* (Type="Sign"), not a GB/T 38540 electronic seal: see docs/files.md.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from licence_files.ofd_xml import NS, SIGNATURES_PATH, q

SIGN_DIR = "Doc_0/Signs/Sign_0"
SIGNATURE_PATH = f"{SIGN_DIR}/Signature.xml"
SIGNED_VALUE_PATH = f"{SIGN_DIR}/SignedValue.dat"
SIGNATURE_FILES = frozenset({SIGNATURES_PATH, SIGNATURE_PATH, SIGNED_VALUE_PATH})
SHA256_OID = "2.16.840.1.101.3.4.2.1"
ECDSA_SHA256_OID = "1.2.840.10045.4.3.2"


class PackageError(Exception):
    """The package is not a signed licence OFD; ``code`` says how (see verdict reasons)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def digest(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def signature_parts(files: Mapping[str, bytes], signed_at: str) -> dict[str, bytes]:
    """Signatures.xml and the Signature.xml to be signed, listing every file given."""
    sigs = ET.Element(q("Signatures"))
    ET.SubElement(sigs, q("MaxSignId")).text = "1"
    ET.SubElement(sigs, q("Signature"), {"ID": "1", "Type": "Sign",
                                         "BaseLoc": f"/{SIGNATURE_PATH}"})
    root = ET.Element(q("Signature"))
    info = ET.SubElement(root, q("SignedInfo"))
    ET.SubElement(info, q("Provider"), {"ProviderName": "licence-ledger", "Version": "1"})
    ET.SubElement(info, q("SignatureMethod")).text = ECDSA_SHA256_OID
    ET.SubElement(info, q("SignatureDateTime")).text = signed_at
    refs = ET.SubElement(info, q("References"), {"CheckMethod": SHA256_OID})
    for path in sorted(files):
        ref = ET.SubElement(refs, q("Reference"), {"FileRef": f"/{path}"})
        ET.SubElement(ref, q("CheckValue")).text = digest(files[path])
    ET.SubElement(root, q("SignedValue")).text = f"/{SIGNED_VALUE_PATH}"
    return {SIGNATURES_PATH: ET.tostring(sigs, encoding="utf-8", xml_declaration=True),
            SIGNATURE_PATH: ET.tostring(root, encoding="utf-8", xml_declaration=True)}


def parse_xml(data: bytes, name: str) -> ET.Element:
    """Parse one XML part; no DTDs (so no entity expansion), clear error otherwise."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise PackageError("unreadable", f"{name} declares a DTD, which OFD never needs")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise PackageError("unreadable", f"{name} is not well-formed XML ({exc})") from None


def check_package(files: Mapping[str, bytes]) -> tuple[bytes, bytes, str | None]:
    """Check the digest list against every file of the package.

    Returns (Signature.xml, SignedValue.dat, the reference in the document info), or
    raises :class:`PackageError` naming the first file that is changed or not covered.
    """
    entry = files.get("OFD.xml")
    if entry is None:
        raise PackageError("not_a_licence_file", "the ZIP has no OFD.xml: not an OFD file")
    body = parse_xml(entry, "OFD.xml").find(q("DocBody"))
    location = body.findtext(q("Signatures")) if body is not None else None
    if location is None or location.lstrip("/") != SIGNATURES_PATH:
        raise PackageError("unsigned", "the OFD has no signature (no Signatures.xml)")
    sigs = parse_xml(_need(files, SIGNATURES_PATH), "Signatures.xml")
    listed = [s.get("BaseLoc", "").lstrip("/") for s in sigs.iter(q("Signature"))]
    if listed != [SIGNATURE_PATH]:
        raise PackageError("not_whole_file", f"expected exactly one signature at"
                           f" {SIGNATURE_PATH}, found {listed or 'none'}")
    signature = _need(files, SIGNATURE_PATH)
    refs = parse_xml(signature, "Signature.xml").find(f"{q('SignedInfo')}/{q('References')}")
    if refs is None or refs.get("CheckMethod") != SHA256_OID:
        raise PackageError("unreadable", "Signature.xml lists no SHA-256 references")
    covered: dict[str, str] = {}
    for ref in refs.iter(q("Reference")):
        covered[ref.get("FileRef", "").lstrip("/")] = ref.findtext(q("CheckValue")) or ""
    for path, data in files.items():
        if path in SIGNATURE_FILES:
            continue
        if path not in covered:
            raise PackageError("not_whole_file", f"{path} was added after signing: the"
                               " signature does not cover it")
        if digest(data) != covered.pop(path):
            raise PackageError("signature_broken", f"{path} was changed after signing")
    if covered:
        raise PackageError("signature_broken", f"{sorted(covered)[0]} was removed after"
                           " signing")
    return signature, _need(files, SIGNED_VALUE_PATH), _reference(entry)


def _need(files: Mapping[str, bytes], path: str) -> bytes:
    try:
        return files[path]
    except KeyError:
        raise PackageError("signature_broken", f"{path} is missing") from None


def _reference(entry: bytes) -> str | None:
    for custom in parse_xml(entry, "OFD.xml").iter(f"{{{NS}}}CustomData"):
        if custom.get("Name") == "VerificationReference":
            return custom.text
    return None
