"""Quality findings: one id per problem, recorded while closed, closed while open
(ledger/domain/quality.py)."""

from __future__ import annotations

from uuid import UUID

import pytest

from ledger.domain.grants import GrantRevoked
from ledger.domain.quality import (
    NAMESPACE,
    QualityFindingClosed,
    QualityFindingRecorded,
    apply_finding,
    close,
    finding_id,
    finding_stream,
    record,
)
from ledger.errors import IllegalTransitionError, NotFoundError

FID = finding_id("I", "expired_but_valid", "ID1")
FOUND = QualityFindingRecorded(FID, "I", "expired_but_valid", "ID1", "still valid", "M")


def test_the_same_problem_has_the_same_id_and_stream_forever() -> None:
    assert UUID("0b7f3f54-9a1e-5c47-8d2b-6e3a1c9f4d20") == NAMESPACE
    assert finding_id("I", "expired_but_valid", "ID1") == FID
    assert len({FID, finding_id("J", "expired_but_valid", "ID1"),
                finding_id("I", "holder_name_differs", "ID1"),
                finding_id("I", "expired_but_valid", "ID2")}) == 4
    assert finding_stream(FID) != finding_stream(finding_id("J", "expired_but_valid", "ID1"))
    assert finding_stream(FID) != UUID(FID)


def test_a_finding_is_recorded_closed_and_may_come_back() -> None:
    found = apply_finding(None, record(None, FOUND))
    assert found.open and found.times == 1 and not found.explained
    fixed = apply_finding(found, close(found, QualityFindingClosed(FID, "fixed", "done", "I")))
    assert not fixed.open and fixed.resolution == "fixed" and not fixed.explained
    again = apply_finding(fixed, record(fixed, FOUND))
    assert again.open and again.times == 2


def test_an_explained_finding_is_closed_as_not_a_defect() -> None:
    found = apply_finding(None, FOUND)
    closed = apply_finding(found, QualityFindingClosed(FID, "explained", "by law", "I"))
    assert closed.explained


def test_an_open_finding_is_not_recorded_again() -> None:
    with pytest.raises(IllegalTransitionError) as info:
        record(apply_finding(None, FOUND), FOUND)
    assert info.value.code == "already_open"


def test_only_an_open_finding_is_closed() -> None:
    closing = QualityFindingClosed(FID, "fixed", "", "I")
    with pytest.raises(NotFoundError, match="was never recorded"):
        close(None, closing)
    closed = apply_finding(apply_finding(None, FOUND), closing)
    with pytest.raises(IllegalTransitionError) as info:
        close(closed, closing)
    assert info.value.code == "already_closed"


def test_only_finding_events_apply() -> None:
    with pytest.raises(TypeError, match="QualityFindingClosed does not apply"):
        apply_finding(None, QualityFindingClosed(FID, "fixed", "", "I"))
    with pytest.raises(TypeError, match="GrantRevoked does not apply"):
        apply_finding(apply_finding(None, FOUND), GrantRevoked("g", "x"))
