"""RFC 6962 / RFC 9162 Merkle trees: hashing, an incremental tree, proof verification.

Cut by concept, after transparency-dev/merkle: :mod:`.hashing` (domain-separated SHA-256),
:mod:`.compact` (the compact range: a prefix's subtree roots), :mod:`.tree` (building roots
and proofs), :mod:`.verify` (checking proofs, which raises
:class:`ProofError` or returns nothing). :mod:`.reference` is a slow RFC transcription for
tests and is deliberately not exported.
"""

from ledger.transparency.merkle.compact import CompactRange
from ledger.transparency.merkle.hashing import EMPTY_ROOT, HASH_SIZE, hash_children, hash_leaf
from ledger.transparency.merkle.tree import MerkleTree
from ledger.transparency.merkle.verify import (
    ProofError,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "MerkleTree",
    "ProofError",
    "hash_children",
    "hash_leaf",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
]
