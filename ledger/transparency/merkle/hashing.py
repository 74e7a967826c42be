"""RFC 6962 / RFC 9162 hashing: SHA-256 with domain separation.

Leaves are hashed with a 0x00 prefix and interior nodes with 0x01, so a leaf can never be
passed off as an interior node (second-preimage attack on the tree shape).
"""

from __future__ import annotations

import hashlib
from typing import Final

HASH_SIZE: Final = 32
"""Length in bytes of every leaf, node and root hash."""

EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
"""Root of the tree with no leaves: SHA-256 of the empty string (RFC 6962 §2.1)."""

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"


def hash_leaf(data: bytes) -> bytes:
    """Return SHA-256(0x00 || data), the hash of one leaf entry."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()
