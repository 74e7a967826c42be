"""The bytes a signature covers: a signed object's canonical bytes without its signature.

A department signs a command envelope this way, and the ledger signs its reconciliation
reports the same way; the envelope decoder, the audit and the archive verifier all check
signatures over exactly these bytes, and a command's digest is their SHA-256.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger.integrity.canonical import canonical_bytes


def signing_bytes(signed: Mapping[str, Any]) -> bytes:
    """Canonical bytes (RFC 8785) of ``signed`` without its ``signature`` member."""
    return canonical_bytes({k: v for k, v in signed.items() if k != "signature"})
