"""What a presented file is, from its bytes alone: a signed PDF, a signed OFD, or neither.

Pictures (PNG, JPEG, …) are screenshots, scans or photos: they have no effect (Art. 20),
whatever they show, and are answered as such without looking further.
"""

from __future__ import annotations

from ledger.domain.file_verdict import Presented
from ledger.integrity.canonical import sha256_hex
from licence_files.verify_ofd import inspect_ofd
from licence_files.verify_pdf import inspect_pdf

PICTURES = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
            (b"GIF8", "a GIF image"), (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
            (b"BM", "a bitmap image"), (b"RIFF", "a WebP image"))


def inspect_file(data: bytes) -> Presented:
    """Check the file's bytes; the ledger's part of the verdict comes after."""
    if b"%PDF-" in data[:1024]:
        return inspect_pdf(data)
    if data.startswith(b"PK\x03\x04"):
        return inspect_ofd(data)
    what = next((name for magic, name in PICTURES if data.startswith(magic)),
                "neither a PDF nor an OFD file")
    return Presented(sha256_hex(data), "other", (), (), (
        f"not_a_licence_file: the file is {what}, not a signed licence file; screenshots,"
        " scans and photos of a licence have no effect (Art. 20)",))
