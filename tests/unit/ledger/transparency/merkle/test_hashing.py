"""RFC 6962 leaf and node hashing (ledger/transparency/merkle/hashing.py)."""

from __future__ import annotations

import hashlib

from ledger.transparency.merkle import (
    EMPTY_ROOT,
    hash_children,
    hash_leaf,
)


def test_hashing_is_rfc6962() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert hash_leaf(b"") == hashlib.sha256(b"\x00").digest()
    assert hash_children(b"L", b"R") == hashlib.sha256(b"\x01LR").digest()
    # RFC 6962 test data: the root of the one-leaf tree over the empty entry.
    assert hash_leaf(b"").hex().startswith("6e340b9cffb37a98")
