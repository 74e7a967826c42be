"""The leaves and tree the Merkle builder and verifier tests share: 70 entries, every
size from the empty tree up."""

from __future__ import annotations

from ledger.transparency.merkle import MerkleTree, hash_leaf

MAX = 70
LEAVES = [hash_leaf(f"entry {i}".encode()) for i in range(MAX)]
TREE = MerkleTree(LEAVES)
SIZES = range(MAX + 1)
