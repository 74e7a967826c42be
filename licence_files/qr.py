"""The QR code of a face: only the verification reference, as a module matrix.

New files encode ``{LEDGER_PUBLIC_URL}/v/{reference}``, the sharing service's status page,
so a phone's camera opens it; the reference is still the only thing the code carries.
Files made before carry ``LLV1:<reference>``; both name the same reference, and
verification reads it from the document's metadata, not from the picture.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import segno

from ledger.errors import ConfigurationError

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"


def qr_modules(payload: str) -> list[list[bool]]:
    """Dark/light modules, with a two-module quiet zone, medium error correction."""
    code = segno.make(payload, error="m", micro=False)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=2)]


def public_url_from(env: Mapping[str, str] | None = None) -> str:
    """``LEDGER_PUBLIC_URL`` without a trailing slash: an http(s) URL with no query."""
    env = os.environ if env is None else env
    text = (env.get("LEDGER_PUBLIC_URL") or DEFAULT_PUBLIC_URL).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query \
            or parts.fragment:
        raise ConfigurationError(
            f"LEDGER_PUBLIC_URL={text!r}: expected the service's base URL, such as"
            " https://licences.example.gov.cn (http or https, no query or fragment)")
    return text


def verification_url(reference: str, public_url: str | None = None) -> str:
    """What a new file's QR code encodes: the status page of its reference."""
    return f"{public_url or public_url_from()}/v/{reference}"
