"""A compact range: the roots of the complete subtrees that cover a prefix of the leaves.

One hash per complete subtree, largest first, so a prefix of any length costs O(log n)
memory and its RFC 6962 root is their right-to-left fold. :class:`~.tree.MerkleTree`
keeps one as its frontier; the checkpoint audit keeps one at the last checkpoint's size.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.transparency.merkle.hashing import EMPTY_ROOT, hash_children

Closed = Callable[[int, int, bytes], None]
"""Told of each complete subtree an append closes: (level, index at that level, hash)."""


class CompactRange:
    """The roots of the complete subtrees that cover a prefix of the leaves, largest first."""

    def __init__(self) -> None:
        """Start with the empty prefix."""
        self.size = 0
        self.nodes: list[bytes] = []

    def append(self, leaf_hash: bytes, closed: Closed | None = None) -> None:
        """Extend the prefix by one leaf hash; ``closed`` hears of each subtree completed."""
        node, index, level = leaf_hash, self.size, 0
        while index & 1:  # each odd index closes a complete subtree
            node = hash_children(self.nodes.pop(), node)
            index >>= 1
            level += 1
            if closed is not None:
                closed(level, index, node)
        self.nodes.append(node)
        self.size += 1

    def root(self) -> bytes:
        """RFC 6962 root of the prefix."""
        if not self.nodes:
            return EMPTY_ROOT
        root = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            root = hash_children(left, root)
        return root

    def copy(self) -> CompactRange:
        """An independent copy."""
        other = CompactRange()
        other.size, other.nodes = self.size, list(self.nodes)
        return other
