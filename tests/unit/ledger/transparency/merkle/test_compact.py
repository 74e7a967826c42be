"""The compact range against the RFC 6962 reference, for every prefix up to 70 leaves."""

from __future__ import annotations

from ledger.transparency.merkle import EMPTY_ROOT, CompactRange, MerkleTree, hash_leaf
from ledger.transparency.merkle import reference as ref

LEAVES = [hash_leaf(f"entry {i}".encode()) for i in range(70)]


def test_every_prefix_has_the_reference_root_and_one_node_per_set_bit() -> None:
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT
    for size, leaf in enumerate(LEAVES, 1):
        compact.append(leaf)
        assert compact.size == size
        assert compact.root() == ref.mth(LEAVES[:size])
        assert len(compact.nodes) == bin(size).count("1")


def test_a_copy_grows_apart_from_its_original() -> None:
    compact = CompactRange()
    for leaf in LEAVES[:5]:
        compact.append(leaf)
    copy = compact.copy()
    copy.append(LEAVES[5])
    assert compact.root() == ref.mth(LEAVES[:5])
    assert copy.root() == ref.mth(LEAVES[:6])


def test_other_or_reordered_leaves_give_another_root() -> None:
    swapped = CompactRange()
    for leaf in [LEAVES[1], LEAVES[0], *LEAVES[2:9]]:
        swapped.append(leaf)
    assert swapped.root() != ref.mth(LEAVES[:9])


def test_remembered_subtrees_are_the_reference_subtree_hashes() -> None:
    memo: dict[tuple[int, int], bytes] = {}
    compact = CompactRange(memo, memo_min_level=2)
    for leaf in LEAVES[:16]:
        compact.append(leaf)
    # the inner nodes of the complete tree of 16 leaves, but for its 8 lowest
    assert sorted(memo) == [(2, 0), (2, 1), (2, 2), (2, 3), (3, 0), (3, 1), (4, 0)]
    for (level, index), node in memo.items():
        width = 1 << level
        assert node == ref.mth(LEAVES[index * width:(index + 1) * width])


def test_the_merkle_tree_frontier_is_the_compact_range() -> None:
    tree = MerkleTree(LEAVES[:37])
    compact = CompactRange()
    for leaf in LEAVES[:37]:
        compact.append(leaf)
    assert tree.root() == compact.root()
