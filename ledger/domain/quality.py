"""Data-quality findings and their rectification (数据质量检查与整改, Art. 12, 14).

A check over the ledger (see :mod:`ledger.stock.quality_checks`) finds a problem; the
issuer (or the management department) records it as a finding, which stays open until it
is closed as ``fixed`` (the check no longer finds it) or ``explained`` (a written reason
why it is not a defect). The open findings, with their age, are the rectification plan
(整改方案) the management department follows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final
from uuid import UUID, uuid5

from ledger.domain.events import DomainEvent, event
from ledger.errors import IllegalTransitionError, NotFoundError

CHECKS: Final = ("missing_field", "code_invalid", "expired_still_valid", "paper_count_differs",
                 "holder_name_differs", "suspicious_duplicate")
RESOLUTIONS: Final = ("fixed", "explained")
NAMESPACE: Final = UUID("0b7f3f54-9a1e-5c47-8d2b-6e3a1c9f4d20")  # of finding ids


def finding_id(issuer_code: str, check: str, subject: str) -> str:
    """One id per problem, so the same problem found again is the same finding."""
    return str(uuid5(NAMESPACE, f"{issuer_code}|{check}|{subject}"))


def finding_stream(finding: str) -> UUID:
    return uuid5(NAMESPACE, f"quality-finding:{finding}")


@dataclass(frozen=True)
class QualityFinding:
    finding_id: str
    issuer_code: str
    open: bool
    times: int  # how many times it was recorded (a fixed problem may come back)
    resolution: str | None = None  # of the last closure

    @property
    def explained(self) -> bool:
        """Closed as not a defect: the checks' later runs do not record it again."""
        return not self.open and self.resolution == "explained"


@event
@dataclass(frozen=True)
class QualityFindingRecorded(DomainEvent):
    finding_id: str
    issuer_code: str
    check: str
    subject: str
    message: str
    recorded_by: str


@event
@dataclass(frozen=True)
class QualityFindingClosed(DomainEvent):
    finding_id: str
    resolution: str
    note: str
    closed_by: str


def record(current: QualityFinding | None, evt: QualityFindingRecorded) -> QualityFindingRecorded:
    if current is not None and current.open:
        raise IllegalTransitionError(f"finding {evt.finding_id} is already open",
                                     code="already_open")
    return evt


def close(current: QualityFinding | None, evt: QualityFindingClosed) -> QualityFindingClosed:
    if current is None:
        raise NotFoundError(f"finding {evt.finding_id} was never recorded")
    if not current.open:
        raise IllegalTransitionError(f"finding {evt.finding_id} is already closed",
                                     code="already_closed")
    return evt


def apply_finding(state: QualityFinding | None, evt: DomainEvent) -> QualityFinding:
    if isinstance(evt, QualityFindingRecorded):
        times = state.times + 1 if state else 1
        return QualityFinding(evt.finding_id, evt.issuer_code, True, times)
    if isinstance(evt, QualityFindingClosed) and state is not None:
        return replace(state, open=False, resolution=evt.resolution)
    raise TypeError(f"{type(evt).__name__} does not apply to a quality finding")
