"""A deliberately simple, recursive RFC 6962 §2.1 reference, used only by the tests.

Each function transcribes the RFC's definition, slicing lists and recursing, with no
caching or cleverness, so that :class:`~ledger.transparency.merkle.tree.MerkleTree` can be checked
against it. Inputs are leaf hashes (already ``hash_leaf``-ed), the form the tree holds:
the RFC's MTH({d(0)}) = SHA-256(0x00 || d(0)) is then simply the one leaf hash.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.transparency.merkle.hashing import EMPTY_ROOT, hash_children


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]): the Merkle Tree Hash of the given leaf hashes."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = _split(n)
    return hash_children(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path of leaf ``m``, for ``0 <= m < n``."""
    n = len(leaves)
    if not 0 <= m < n:
        raise ValueError(f"leaf {m} is outside a tree of {n} leaves")
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true): the consistency proof, for ``0 < m <= n``."""
    if not 0 < m <= len(leaves):
        raise ValueError(f"need 0 < m <= n, got m={m}, n={len(leaves)}")
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], known: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if known else [mth(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], known), mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n``."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k
