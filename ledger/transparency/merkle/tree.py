"""An in-memory, append-only RFC 6962 Merkle tree that builds proofs.

The tree holds leaf hashes, not entries: the caller hashes its canonical bytes with
:func:`~ledger.transparency.merkle.hashing.hash_leaf` and appends the result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ledger.transparency.merkle.compact import CompactRange
from ledger.transparency.merkle.hashing import EMPTY_ROOT, HASH_SIZE, hash_children

# Complete subtrees of at least 2**4 leaves are remembered; smaller ones cost at most 15
# hashes to rebuild, which is cheaper than the memory of remembering all of them.
_MEMO_MIN_LEVEL: Final = 4


class MerkleTree:
    """An append-only Merkle tree over leaf hashes, with RFC 6962 roots and proofs.

    ``append`` and ``root()`` at the current size cost O(log n) hashes at most (amortised
    O(1) for ``append``). Roots and proofs for earlier sizes are rebuilt from the leaves,
    reusing remembered complete subtrees. Invalid sizes or indexes raise ``ValueError``.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        """Create a tree, optionally appending ``leaf_hashes`` in order."""
        self._leaves: list[bytes] = []
        # Hashes of complete, aligned subtrees keyed by (level, index). Leaves are never
        # rewritten, so an entry stays true for ever.
        self._memo: dict[tuple[int, int], bytes] = {}
        # The complete subtrees that together cover every leaf: the current root.
        self._frontier = CompactRange(self._memo, _MEMO_MIN_LEVEL)
        self._root: bytes | None = EMPTY_ROOT
        for leaf_hash in leaf_hashes:
            self.append(leaf_hash)

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return len(self._leaves)

    def leaf(self, index: int) -> bytes:
        """The hash of leaf ``index``."""
        return self._leaves[index]

    def append(self, leaf_hash: bytes) -> None:
        """Add a leaf hash (32 bytes) at index ``size``."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash has {len(leaf_hash)} bytes, want {HASH_SIZE}")
        self._leaves.append(leaf_hash)
        self._frontier.append(leaf_hash)
        self._root = None

    def root(self, size: int | None = None) -> bytes:
        """Return the RFC 6962 root (MTH) of the first ``size`` leaves (default: all)."""
        size = self._checked_size(size)
        if size == 0:
            return EMPTY_ROOT
        if size < len(self._leaves):
            return self._range_hash(0, size)
        if self._root is None:
            self._root = self._frontier.root()
        return self._root

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the RFC 6962 audit path (PATH) of leaf ``index`` in the tree of ``size``."""
        size = self._checked_size(size)
        if not 0 <= index < size:
            raise ValueError(f"index {index} is outside a tree of size {size}")
        path: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            split = start + _largest_power_of_two_below(end - start)
            if index < split:
                path.append(self._range_hash(split, end))
                end = split
            else:
                path.append(self._range_hash(start, split))
                start = split
        path.reverse()  # PATH lists siblings from the leaf upward; we walked downward.
        return path

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Return the RFC 6962 consistency proof (PROOF) from size ``size1`` to ``size2``.

        Requires ``0 < size1 <= size2``; like the verifier, it refuses the empty tree.
        """
        size2 = self._checked_size(size2)
        if not 0 < size1 <= size2:
            raise ValueError(f"need 0 < size1 <= size2, got {size1} and {size2}")
        proof: list[bytes] = []
        start, end = 0, size2
        # SUBPROOF's flag: whether the verifier already knows MTH(D[start:end]).
        known = True
        while size1 - start != end - start:
            split = start + _largest_power_of_two_below(end - start)
            if size1 <= split:
                proof.append(self._range_hash(split, end))
                end = split
            else:
                proof.append(self._range_hash(start, split))
                start = split
                known = False
        if not known:
            proof.append(self._range_hash(start, end))
        proof.reverse()  # SUBPROOF appends on the way back up; we walked downward.
        return proof

    def _checked_size(self, size: int | None) -> int:
        if size is None:
            return len(self._leaves)
        if not 0 <= size <= len(self._leaves):
            raise ValueError(f"size {size} is outside 0..{len(self._leaves)}")
        return size

    def _range_hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a non-empty range whose start RFC 6962's split aligns."""
        width = end - start
        if width & (width - 1) == 0:
            level = width.bit_length() - 1
            return self._node(level, start >> level)
        # The left part is a complete subtree whose width divides start.
        left = _largest_power_of_two_below(width)
        level = left.bit_length() - 1
        return hash_children(self._node(level, start >> level), self._range_hash(start + left, end))

    def _node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree of 2**level leaves starting at index << level."""
        if level == 0:
            return self._leaves[index]
        cached = self._memo.get((level, index))
        if cached is None:
            cached = hash_children(
                self._node(level - 1, 2 * index), self._node(level - 1, 2 * index + 1)
            )
            if level >= _MEMO_MIN_LEVEL:
                self._memo[(level, index)] = cached
        return cached


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 6962 §2.1: the largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)
