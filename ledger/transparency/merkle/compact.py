"""A compact range: the roots of the complete subtrees that cover a prefix of the leaves.

One hash per complete subtree, largest first, so a prefix of any length costs O(log n)
memory and its RFC 6962 root is their right-to-left fold. :class:`~.tree.MerkleTree`
keeps one as its frontier; the checkpoint audit keeps one at the last checkpoint's size.
"""

from __future__ import annotations

from ledger.transparency.merkle.hashing import EMPTY_ROOT, hash_children

Memo = dict[tuple[int, int], bytes]
"""Complete subtrees by (level, index at that level): their hashes."""


class CompactRange:
    """The roots of the complete subtrees that cover a prefix of the leaves, largest first."""

    def __init__(self, memo: Memo | None = None, memo_min_level: int = 1) -> None:
        """Start with the empty prefix; complete subtrees of ``memo_min_level`` or more
        levels that appends close are written to ``memo``, if given."""
        self.size = 0
        self.nodes: list[bytes] = []
        self._memo = memo
        self._memo_min_level = memo_min_level

    def append(self, leaf_hash: bytes) -> None:
        """Extend the prefix by one leaf hash."""
        index = self.size
        self.size = index + 1
        nodes = self.nodes
        if not index & 1:  # half of all appends close no subtree
            nodes.append(leaf_hash)
            return
        node, level, memo, keep = leaf_hash, 0, self._memo, self._memo_min_level
        while index & 1:  # each odd index closes a complete subtree
            node = hash_children(nodes.pop(), node)
            index >>= 1
            level += 1
            if memo is not None and level >= keep:
                memo[(level, index)] = node
        nodes.append(node)

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
