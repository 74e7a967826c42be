"""Signed reconciliation reports (ledger/reconciliation/report.py)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from ledger.domain.identifiers import make_uscc
from ledger.integrity.signing import SigningKey
from ledger.reconciliation.report import (
    ReportError,
    build_report,
    sign_report,
    verify_report,
)
from ledger.transparency.checkpoint import log_origin, sign_checkpoint

KEY = SigningKey("ed25519", hashlib.sha256(b"reconcile-test").digest())


KEYS = {KEY.key_id: ("ed25519", KEY.public_key)}


DEPT = make_uscc("11320581", "MB000001")


TYPE = DEPT + "001"


def _report() -> dict[str, Any]:
    cp = sign_checkpoint(log_origin(KEY.key_id), 5, hashlib.sha256(b"r").digest(),
                         "2026-04-01T00:00:00.000000Z", KEY)
    row = {"department": DEPT, "licence_type": TYPE, "period": "2026-03",
           "paper": {"issued": 1, "changed": 0, "withdrawn": 0, "in_force": 1},
           "ledger": {"issued": 1, "changed": 0, "withdrawn": 0, "in_force": 1, "voided": 0},
           "matches": True, "mismatches": [], "licences": {}}
    return sign_report(build_report([row], cp, "2026-04-01T00:00:00.000000Z", "paper.csv"),
                       KEY)


def test_a_signed_report_verifies_and_names_its_checkpoint() -> None:
    report = _report()
    verify_report(report, KEYS)
    assert report["ok"] is True and report["mismatches"] == 0
    assert report["checkpoint"]["size"] == 5 and report["signature"]["key_id"] == KEY.key_id


@pytest.mark.parametrize("path, value", [
    (("ok",), False), (("rows", 0, "ledger", "issued"), 2), (("checkpoint", "size"), 6),
    (("computed_at",), "2026-04-02T00:00:00.000000Z"), (("signature", "value"), "AAAA"),
    (("signature", "key_id"), "ed25519:000000000000000000000000"),
    (("signature", "algorithm"), "sm2"), (("format",), "other/1"),
])
def test_any_change_to_a_signed_report_is_caught(path: tuple[Any, ...], value: Any) -> None:
    report = copy.deepcopy(_report())
    target: Any = report
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(ReportError):
        verify_report(report, KEYS)


def test_an_unsigned_report_is_refused() -> None:
    report = _report()
    del report["signature"]
    with pytest.raises(ReportError, match="not a signed"):
        verify_report(report, KEYS)
