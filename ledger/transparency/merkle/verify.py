"""Verification of RFC 6962 / RFC 9162 inclusion and consistency proofs.

The semantics follow transparency-dev/merkle's ``proof`` package, including its edge cases:
a proof's length must be exactly the one its sizes imply, and a consistency proof from the
empty tree is refused as meaningless. Every failure raises :class:`ProofError`; success
returns nothing, so a caller cannot forget to look at a boolean.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.transparency.merkle.hashing import HASH_SIZE, hash_children


class ProofError(ValueError):
    """A Merkle proof does not verify, or its sizes and index are impossible."""


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    Raises :class:`ProofError` unless ``0 <= index < size`` and the proof leads to ``root``.
    """
    _require_match(root_from_inclusion_proof(leaf_hash, index, size, proof), root)


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Return the root that ``proof`` implies for leaf ``index`` in a tree of ``size`` leaves.

    Raises :class:`ProofError` if the index, the leaf hash's length or the proof's length
    cannot belong to such a tree.
    """
    if index < 0 or size < 0:
        raise ProofError(f"index {index} and size {size} must not be negative")
    if index >= size:
        raise ProofError(f"index {index} is beyond size {size}")
    if len(leaf_hash) != HASH_SIZE:
        raise ProofError(f"leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        raise ProofError(f"inclusion proof has {len(proof)} hashes, want {inner + border}")
    seed = _chain_inner(leaf_hash, proof[:inner], index)
    return _chain_border_right(seed, proof[inner:])


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` leaves with ``root2`` extends the one of ``size1``.

    Requires ``0 < size1 <= size2``; equal sizes need an empty proof and equal roots.
    Raises :class:`ProofError` on any failure.
    """
    _require_match(root_from_consistency_proof(size1, size2, proof, root1), root2)


def root_from_consistency_proof(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> bytes:
    """Return the root of size ``size2`` that ``proof`` implies, after checking ``root1``.

    Raises :class:`ProofError` if the sizes are impossible, the proof has the wrong length,
    or the proof does not lead back to ``root1``.
    """
    if size1 < 0 or size2 < 0:
        raise ProofError(f"sizes {size1} and {size2} must not be negative")
    if size2 < size1:
        raise ProofError(f"size2 {size2} is smaller than size1 {size1}")
    # Checked before size1 == size2, as upstream does: the empty tree has no root that a
    # proof could be anchored to, so 0 -> 0 is refused rather than trivially accepted.
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("sizes are equal, so the proof must be empty")
        return root1
    if not proof:
        raise ProofError("sizes differ, so the proof must not be empty")

    # The proof is the suffix of the inclusion proof of leaf size1-1 in the size2 tree,
    # starting at the level of the largest complete subtree that ends at size1.
    inner, border = _decompose(size1 - 1, size2)
    shift = ((size1 & -size1).bit_length()) - 1  # trailing zero bits of size1
    inner -= shift
    # That subtree's root opens the proof, except when it is the whole size1 tree: the
    # verifier already holds it as root1.
    seed, start = proof[0], 1
    if size1 == 1 << shift:
        seed, start = root1, 0
    want = start + inner + border
    if len(proof) != want:
        raise ProofError(f"consistency proof has {len(proof)} hashes, want {want}")
    path = proof[start:]
    mask = (size1 - 1) >> shift

    # Left siblings alone rebuild the old tree; left and right together, the new one.
    hash1 = _chain_border_right(_chain_inner_right(seed, path[:inner], mask), path[inner:])
    _require_match(hash1, root1)
    return _chain_border_right(_chain_inner(seed, path[:inner], mask), path[inner:])


def _require_match(computed: bytes, expected: bytes) -> None:
    if computed != expected:
        raise ProofError(f"computed root {computed.hex()} does not match {expected.hex()}")


def _decompose(index: int, size: int) -> tuple[int, int]:
    """Split an inclusion proof's length where the paths to ``index`` and ``size-1`` meet.

    Below that level (inner) siblings sit on either side; above it (border) they are all
    left siblings, one per set bit of the index.
    """
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Bit ``level`` of the index says whether the path runs through a right child there.
    for level, sibling in enumerate(proof):
        is_right = (index >> level) & 1
        seed = hash_children(sibling, seed) if is_right else hash_children(seed, sibling)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Right siblings lie beyond the old tree's last leaf, so they are skipped.
    for level, sibling in enumerate(proof):
        if (index >> level) & 1:
            seed = hash_children(sibling, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for sibling in proof:
        seed = hash_children(sibling, seed)
    return seed
