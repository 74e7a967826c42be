"""The QR code of a face: only the verification reference, as a module matrix.

New files encode ``{LEDGER_PUBLIC_URL}/v/{reference}``, the sharing service's status page,
so a phone's camera opens it; the reference is still the only thing the code carries.
Files made before carry ``LLV1:<reference>``; both name the same reference, and
verification reads it from the document's metadata, not from the picture.
"""

from __future__ import annotations

import segno


def qr_modules(payload: str) -> list[list[bool]]:
    """Dark/light modules, with a two-module quiet zone, medium error correction."""
    code = segno.make(payload, error="m", micro=False)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=2)]


def verification_url(reference: str, public_url: str) -> str:
    """What a new file's QR code encodes: the status page of its reference
    (``public_url`` is ``settings.files.public_url``, LEDGER_PUBLIC_URL)."""
    return f"{public_url}/v/{reference}"
