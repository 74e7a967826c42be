"""The QR code of a face: only the verification reference, as a module matrix."""

from __future__ import annotations

import segno


def qr_modules(payload: str) -> list[list[bool]]:
    """Dark/light modules, with a two-module quiet zone, medium error correction."""
    code = segno.make(payload, error="m", micro=False)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=2)]
