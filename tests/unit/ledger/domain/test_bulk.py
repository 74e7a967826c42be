"""Bulk analysis needs management's approval, within its dates and types
(ledger/domain/bulk.py)."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.bulk import (
    BulkAnalysisDecided,
    BulkAnalysisRequested,
    BulkRequest,
    apply_bulk,
    check_bulk_read,
    decide,
    request,
)
from ledger.domain.grants import GrantRevoked
from ledger.errors import AccessRefusedError, AlreadyExistsError, IllegalTransitionError

ASKED = BulkAnalysisRequested("r1", "U", ("T1", "T2"), "statistics")
TODAY = date(2026, 11, 27)


def approved(until: str | None = "2026-12-31") -> BulkRequest:
    req = apply_bulk(None, request(None, ASKED))
    return apply_bulk(req, decide(req, BulkAnalysisDecided("r1", True, until, "ok")))


def test_an_approved_request_allows_reads_of_its_types() -> None:
    check_bulk_read(approved(), "r1", "U", "T1", TODAY)
    check_bulk_read(approved(), "r1", "U", "T2", date(2026, 12, 31))  # its last day
    check_bulk_read(approved(None), "r1", "U", "T2", date(2099, 1, 1))  # no end


def refused(req: BulkRequest | None, department: str = "U", type_code: str = "T1",
            today: date = TODAY) -> str:
    with pytest.raises(AccessRefusedError) as info:
        check_bulk_read(req, "r1", department, type_code, today)
    return info.value.code


def test_reads_are_refused_without_an_approval_of_this_department() -> None:
    pending = apply_bulk(None, request(None, ASKED))
    rejected = apply_bulk(pending, BulkAnalysisDecided("r1", False, None, "no"))
    assert refused(None) == "no_approval"
    assert refused(pending) == "no_approval"
    assert refused(rejected) == "no_approval"
    assert refused(approved(), department="V") == "no_approval"  # another's approval


def test_reads_are_refused_after_the_approval_ends_or_outside_its_types() -> None:
    assert refused(approved(), today=date(2027, 1, 1)) == "approval_expired"
    assert refused(approved(), type_code="T3") == "type_not_granted"


def test_a_request_is_made_once_and_decided_once() -> None:
    pending = apply_bulk(None, request(None, ASKED))
    with pytest.raises(AlreadyExistsError, match="r1 already exists"):
        request(pending, ASKED)
    decided = apply_bulk(pending, decide(pending, BulkAnalysisDecided("r1", False, None, "no")))
    assert decided.decision == "rejected"
    with pytest.raises(IllegalTransitionError, match="was already rejected"):
        decide(decided, BulkAnalysisDecided("r1", True, None, "changed my mind"))


def test_deciding_an_unknown_request_is_not_found() -> None:
    with pytest.raises(IllegalTransitionError) as info:
        decide(None, BulkAnalysisDecided("r9", True, None, "ok"))
    assert info.value.code == "not_found"


def test_only_bulk_events_apply() -> None:
    with pytest.raises(TypeError, match="BulkAnalysisDecided does not apply"):
        apply_bulk(None, BulkAnalysisDecided("r1", True, None, "ok"))
    with pytest.raises(TypeError, match="GrantRevoked does not apply"):
        apply_bulk(approved(), GrantRevoked("g", "x"))
