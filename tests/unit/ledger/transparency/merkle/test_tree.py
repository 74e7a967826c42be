"""The Merkle tree builder: roots and proofs agree with the reference
(ledger/transparency/merkle/tree.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ledger.transparency.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from ledger.transparency.merkle import reference as ref
from tests.unit.ledger.transparency.merkle.leaves import LEAVES, MAX, SIZES, TREE


@pytest.mark.parametrize("size", SIZES)
def test_roots_match_reference(size: int) -> None:
    incremental = MerkleTree(LEAVES[:size])
    expected = ref.mth(LEAVES[:size])
    assert incremental.size == size
    assert incremental.root() == expected
    assert TREE.root(size) == expected


@pytest.mark.parametrize("size", SIZES[1:])
def test_inclusion_proofs_match_reference_and_verify(size: int) -> None:
    root = TREE.root(size)
    for index in range(size):
        proof = TREE.inclusion_proof(index, size)
        assert proof == ref.path(index, LEAVES[:size])
        verify_inclusion(LEAVES[index], index, size, proof, root)
        assert root_from_inclusion_proof(LEAVES[index], index, size, proof) == root


@pytest.mark.parametrize("size2", SIZES[1:])
def test_consistency_proofs_match_reference_and_verify(size2: int) -> None:
    root2 = TREE.root(size2)
    for size1 in range(1, size2 + 1):
        proof = TREE.consistency_proof(size1, size2)
        assert proof == ref.proof(size1, LEAVES[:size2])
        verify_consistency(size1, size2, proof, TREE.root(size1), root2)


@pytest.mark.parametrize(
    "call",
    [
        lambda: TREE.root(MAX + 1),
        lambda: TREE.root(-1),
        lambda: TREE.inclusion_proof(0, 0),
        lambda: TREE.inclusion_proof(5, 5),
        lambda: TREE.inclusion_proof(-1, 5),
        lambda: TREE.consistency_proof(0, 5),
        lambda: TREE.consistency_proof(6, 5),
        lambda: TREE.consistency_proof(1, MAX + 1),
        lambda: MerkleTree().append(b"too short"),
    ],
)
def test_builder_refuses_impossible_arguments(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


def test_empty_tree_and_defaults() -> None:
    tree = MerkleTree()
    assert tree.size == 0
    assert tree.root() == EMPTY_ROOT
    tree.append(LEAVES[0])
    assert tree.root() == LEAVES[0]
    assert tree.inclusion_proof(0) == []
    assert TREE.consistency_proof(MAX) == []
    assert TREE.inclusion_proof(3) == TREE.inclusion_proof(3, MAX)
