"""Proof verification refuses every tampered proof (ledger/transparency/merkle/verify.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from ledger.transparency.merkle import (
    EMPTY_ROOT,
    ProofError,
    verify_consistency,
    verify_inclusion,
)
from tests.unit.ledger.transparency.merkle.leaves import LEAVES, MAX, SIZES, TREE

OTHER = hashlib.sha256(b"some other hash").digest()


def _flip(data: bytes, bit: int = 0) -> bytes:
    return bytes([data[0] ^ (1 << bit), *data[1:]])


def _rejects(check: Callable[[], None]) -> bool:
    try:
        check()
    except ProofError:
        return True
    return False


def _inclusion_tampers(index: int, size: int) -> list[tuple[str, Callable[[], None]]]:
    proof, root, leaf = TREE.inclusion_proof(index, size), TREE.root(size), LEAVES[index]

    def probe(
        i: int = index, s: int = size, p: list[bytes] = proof, r: bytes = root, h: bytes = leaf
    ) -> Callable[[], None]:
        return lambda: verify_inclusion(h, i, s, p, r)

    probes = [
        ("wrong leaf", probe(h=OTHER)),
        ("short leaf", probe(h=leaf[:-1])),
        ("flipped root", probe(r=_flip(root))),
        ("empty root", probe(r=EMPTY_ROOT)),
        ("index = size", probe(i=size)),
        ("negative index", probe(i=-1)),
        ("extended", probe(p=[*proof, root])),
        ("trailing garbage", probe(p=[*proof, b""])),
        ("preceding root", probe(p=[root, *proof])),
    ]
    probes += [(f"flipped proof[{n}]", probe(p=_replace(proof, n))) for n in range(len(proof))]
    if proof:
        probes.append(("truncated", probe(p=proof[:-1])))
    # Another index in the same tree, with this leaf and proof.
    for other in {index - 1, index + 1, index ^ 2} - {index}:
        if 0 <= other < size:
            probes.append((f"index {other}", probe(i=other)))
    # A tree of another size, with that tree's own root: the proof binds the size.
    for other in {size - 1, size + 1, size * 2, size // 2} - {size}:
        if index < other <= MAX:
            probes.append((f"size {other}", probe(s=other, r=TREE.root(other))))
    return probes


def _replace(proof: list[bytes], n: int) -> list[bytes]:
    return [_flip(h, 3) if i == n else h for i, h in enumerate(proof)]


def _consistency_tampers(size1: int, size2: int) -> list[tuple[str, Callable[[], None]]]:
    proof = TREE.consistency_proof(size1, size2)
    root1, root2 = TREE.root(size1), TREE.root(size2)

    def probe(
        m: int = size1, n: int = size2, p: list[bytes] = proof, r1: bytes = root1, r2: bytes = root2
    ) -> Callable[[], None]:
        return lambda: verify_consistency(m, n, p, r1, r2)

    probes = [
        ("flipped root1", probe(r1=_flip(root1))),
        ("flipped root2", probe(r2=_flip(root2))),
        ("size1 = 0", probe(m=0, r1=EMPTY_ROOT)),
        ("size1 > size2", probe(m=size2 + 1)),
        ("trailing root1", probe(p=[*proof, root1])),
        ("trailing root2", probe(p=[*proof, root2])),
        ("preceding root2", probe(p=[root2, *proof])),
        ("trailing garbage", probe(p=[*proof, b""])),
    ]
    probes += [(f"flipped proof[{n}]", probe(p=_replace(proof, n))) for n in range(len(proof))]
    if size1 < size2:
        probes += [
            ("swapped roots", probe(r1=root2, r2=root1)),
            ("empty proof", probe(p=[])),
            ("truncated", probe(p=proof[:-1])),
            ("preceding proof[0]", probe(p=[proof[0], *proof])),
        ]
    # Other sizes, each with its real root: a proof is only good for its own pair.
    for m in {size1 - 1, size1 + 1, size1 ^ 2} - {size1}:
        if 0 < m <= size2:
            probes.append((f"size1 {m}", probe(m=m, r1=TREE.root(m))))
    for n in {size2 - 1, size2 + 1, size2 * 2, size2 // 2} - {size2}:
        if size1 <= n <= MAX:
            probes.append((f"size2 {n}", probe(n=n, r2=TREE.root(n))))
    return probes


@pytest.mark.parametrize("size", SIZES[1:])
def test_tampered_inclusion_proofs_are_rejected(size: int) -> None:
    for index in range(size):
        accepted = [name for name, check in _inclusion_tampers(index, size) if not _rejects(check)]
        assert not accepted, f"index {index}, size {size}: accepted {accepted}"


@pytest.mark.parametrize("size2", SIZES[1:])
def test_tampered_consistency_proofs_are_rejected(size2: int) -> None:
    for size1 in range(1, size2 + 1):
        probes = _consistency_tampers(size1, size2)
        accepted = [name for name, check in probes if not _rejects(check)]
        assert not accepted, f"size1 {size1}, size2 {size2}: accepted {accepted}"


def test_equal_sizes_need_equal_roots_and_an_empty_proof() -> None:
    root = TREE.root(5)
    verify_consistency(5, 5, [], root, root)
    for proof, root2 in (([root], root), ([], OTHER)):
        with pytest.raises(ProofError):
            verify_consistency(5, 5, proof, root, root2)
    with pytest.raises(ProofError):
        verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
