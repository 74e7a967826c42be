"""Properties of ledger.transparency.merkle over random trees of up to ~300 leaves.

Honest proofs verify and agree with the RFC 6962 reference; flipping any bit of any proof
element, of either root or of the leaf is always rejected.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.transparency.merkle import (
    MerkleTree,
    ProofError,
    hash_leaf,
    verify_consistency,
    verify_inclusion,
)
from ledger.transparency.merkle import reference as ref

MAX_SIZE = 300
sizes = st.integers(min_value=1, max_value=MAX_SIZE)
salts = st.binary(max_size=16)  # makes the leaves' contents differ between examples
bits = st.integers(min_value=0, max_value=255)


def _leaves(salt: bytes, size: int) -> list[bytes]:
    return [hash_leaf(salt + i.to_bytes(4, "big")) for i in range(size)]


def _flip(data: bytes, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


@settings(max_examples=30, deadline=None)
@given(size=sizes, salt=salts)
@example(size=MAX_SIZE, salt=b"")
def test_incremental_root_equals_reference_at_every_size(size: int, salt: bytes) -> None:
    leaves = _leaves(salt, size)
    tree = MerkleTree()
    for n, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        assert tree.root() == ref.mth(leaves[:n])
    # Historical roots, rebuilt from the leaves, agree with the incremental ones too.
    for n in range(0, size + 1, 7):
        assert tree.root(n) == ref.mth(leaves[:n])


@settings(max_examples=200, deadline=None)
@given(size=sizes, salt=salts, data=st.data())
def test_inclusion_proof_verifies_and_any_tampering_is_rejected(
    size: int, salt: bytes, data: st.DataObject
) -> None:
    leaves = _leaves(salt, size)
    tree = MerkleTree(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof, root = tree.inclusion_proof(index), tree.root()
    assert proof == ref.path(index, leaves)
    verify_inclusion(leaves[index], index, size, proof, root)

    leaf = leaves[index]
    target = data.draw(st.integers(min_value=-2, max_value=len(proof) - 1), label="target")
    bit = data.draw(bits, label="bit")
    if target == -2:
        root = _flip(root, bit)
    elif target == -1:
        leaf = _flip(leaf, bit)
    else:
        proof = [_flip(h, bit) if i == target else h for i, h in enumerate(proof)]
    try:
        verify_inclusion(leaf, index, size, proof, root)
    except ProofError:
        return
    raise AssertionError(f"tampered target {target}, bit {bit} was accepted")


@settings(max_examples=200, deadline=None)
@given(size2=sizes, salt=salts, data=st.data())
def test_consistency_proof_verifies_and_any_tampering_is_rejected(
    size2: int, salt: bytes, data: st.DataObject
) -> None:
    leaves = _leaves(salt, size2)
    tree = MerkleTree(leaves)
    size1 = data.draw(st.integers(min_value=1, max_value=size2), label="size1")
    proof, root1, root2 = tree.consistency_proof(size1), tree.root(size1), tree.root()
    assert proof == ref.proof(size1, leaves)
    verify_consistency(size1, size2, proof, root1, root2)

    target = data.draw(st.integers(min_value=-2, max_value=len(proof) - 1), label="target")
    bit = data.draw(bits, label="bit")
    if target == -2:
        root1 = _flip(root1, bit)
    elif target == -1:
        root2 = _flip(root2, bit)
    else:
        proof = [_flip(h, bit) if i == target else h for i, h in enumerate(proof)]
    try:
        verify_consistency(size1, size2, proof, root1, root2)
    except ProofError:
        return
    raise AssertionError(f"tampered target {target}, bit {bit} was accepted")
