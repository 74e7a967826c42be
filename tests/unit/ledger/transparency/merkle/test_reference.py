"""The RFC 6962 reference the tree is checked against is itself checked against published
values (ledger/transparency/merkle/reference.py): the roots of the RFC 6962 test leaves
used by certificate-transparency and transparency-dev/merkle, and the happy-path proofs of
the transparency-dev vectors in tests/vectors/data/merkle (provenance there)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.transparency.merkle import reference as ref
from ledger.transparency.merkle.hashing import EMPTY_ROOT, hash_leaf

VECTORS = Path(__file__).resolve().parents[5] / "tests" / "vectors" / "data" / "merkle"
LEAVES = [hash_leaf(bytes.fromhex(x)) for x in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [  # MTH of the first n leaves, n = 1..8
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def happy(kind: str) -> list[dict[str, Any]]:
    files = sorted((VECTORS / kind).glob("[0-9]/happy-path.json"))
    assert len(files) == 5, f"happy-path {kind} vectors missing under {VECTORS}"
    return [json.loads(f.read_text()) for f in files]


def b64(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


@pytest.mark.parametrize("n", range(1, 9))
def test_roots_of_the_rfc6962_test_leaves(n: int) -> None:
    assert ref.mth(LEAVES[:n]).hex() == ROOTS[n - 1]


def test_the_empty_tree_is_the_hash_of_nothing() -> None:
    assert ref.mth([]) == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("case", happy("inclusion"), ids=lambda c: f"{c['leafIdx']}-of-"
                         f"{c['treeSize']}")
def test_audit_paths_are_the_published_ones(case: dict[str, Any]) -> None:
    leaves = LEAVES[:case["treeSize"]]
    assert base64.b64decode(case["root"]) == ref.mth(leaves)
    assert base64.b64decode(case["leafHash"]) == leaves[case["leafIdx"]]
    assert ref.path(case["leafIdx"], leaves) == b64(case["proof"])


@pytest.mark.parametrize("case", happy("consistency"), ids=lambda c: f"{c['size1']}-to-"
                         f"{c['size2']}")
def test_consistency_proofs_are_the_published_ones(case: dict[str, Any]) -> None:
    leaves = LEAVES[:case["size2"]]
    assert base64.b64decode(case["root1"]) == ref.mth(leaves[:case["size1"]])
    assert base64.b64decode(case["root2"]) == ref.mth(leaves)
    assert ref.proof(case["size1"], leaves) == b64(case["proof"])


@pytest.mark.parametrize(("m", "n"), [(-1, 3), (3, 3), (0, 0)])
def test_a_path_outside_the_tree_is_refused(m: int, n: int) -> None:
    with pytest.raises(ValueError):
        ref.path(m, LEAVES[:n])


@pytest.mark.parametrize(("m", "n"), [(0, 3), (4, 3), (-1, 3)])
def test_a_proof_between_impossible_sizes_is_refused(m: int, n: int) -> None:
    with pytest.raises(ValueError):
        ref.proof(m, LEAVES[:n])


def test_a_tree_is_consistent_with_itself_by_an_empty_proof() -> None:
    assert ref.proof(8, LEAVES) == []
