"""transparency-dev/merkle's published proof vectors, run against ledger.transparency.merkle.verify.

The vectors live as data in ``tests/vectors/data/merkle`` (copied unchanged from the team's
``shared/vectors/merkle``; provenance in ``tests/vectors/PROVENANCE.md``), so the repository
tests itself without anything beside it. Each JSON file is one case and one test id:
``wantErr: false`` must verify, ``wantErr: true`` must raise ProofError. A missing folder
fails the run: skipping would hide lost coverage.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.transparency.merkle import ProofError, verify_consistency, verify_inclusion

_VECTORS = Path(__file__).resolve().parent / "data" / "merkle"
_MISSING = "vector-folder-missing"


def _vector_files() -> list[str]:
    files = sorted(str(p.relative_to(_VECTORS)) for p in _VECTORS.rglob("*.json"))
    # One failing placeholder instead of an empty (silently skipped) parameter set.
    return files or [_MISSING]


def _hashes(values: list[str] | None) -> list[bytes]:
    return [_b64(v) for v in values or []]


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _check(case: dict[str, Any]) -> None:
    if "leafIdx" in case:
        verify_inclusion(
            _b64(case["leafHash"]),
            case["leafIdx"],
            case["treeSize"],
            _hashes(case["proof"]),
            _b64(case["root"]),
        )
    else:
        verify_consistency(
            case["size1"],
            case["size2"],
            _hashes(case["proof"]),
            _b64(case["root1"]),
            _b64(case["root2"]),
        )


def test_both_vector_kinds_are_present() -> None:
    for kind in ("inclusion", "consistency"):
        assert list((_VECTORS / kind).rglob("*.json")), (
            f"no {kind} vectors under {_VECTORS}"
        )


@pytest.mark.parametrize("name", _vector_files())
def test_vector(name: str) -> None:
    if name == _MISSING:
        pytest.fail(
            f"Merkle vectors not found at {_VECTORS}"
        )
    case = json.loads((_VECTORS / name).read_text())
    if case["wantErr"]:
        with pytest.raises(ProofError):
            _check(case)
    else:
        _check(case)
