"""Bulk analysis of many licences needs the management department's approval (Art. 15)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from ledger.domain.events import DomainEvent, event
from ledger.errors import AccessRefusedError, AlreadyExistsError, IllegalTransitionError
from ledger.integrity.canonical import parse_date


@dataclass(frozen=True)
class BulkRequest:
    request_id: str
    department: str
    type_codes: tuple[str, ...]
    decision: str | None = None  # "approved" / "rejected"
    valid_until: str | None = None


@event
@dataclass(frozen=True)
class BulkAnalysisRequested(DomainEvent):
    request_id: str
    department: str
    type_codes: tuple[str, ...]
    purpose: str


@event
@dataclass(frozen=True)
class BulkAnalysisDecided(DomainEvent):
    request_id: str
    approved: bool
    valid_until: str | None
    reason: str


def decide(current: BulkRequest | None, evt: BulkAnalysisDecided) -> BulkAnalysisDecided:
    if current is None:
        raise IllegalTransitionError(f"bulk analysis request {evt.request_id} does not exist",
                                     code="not_found")
    if current.decision is not None:
        raise IllegalTransitionError(f"request {evt.request_id} was already {current.decision}")
    return evt


def request(current: BulkRequest | None, evt: BulkAnalysisRequested) -> BulkAnalysisRequested:
    if current is not None:
        raise AlreadyExistsError(f"bulk analysis request {evt.request_id} already exists")
    return evt


def check_bulk_read(req: BulkRequest | None, request_id: str, department: str, type_code: str,
                    today: date) -> None:
    def no(code: str, message: str) -> AccessRefusedError:
        return AccessRefusedError(message, code=code)

    if req is None or req.department != department:
        raise no("no_approval", f"no bulk analysis request {request_id} from {department}")
    if req.decision != "approved":
        raise no("no_approval", f"bulk analysis request {request_id} is"
                 f" {req.decision or 'awaiting the management department'}")
    if req.valid_until is not None and parse_date(req.valid_until) < today:
        raise no("approval_expired", f"approval of {request_id} ended on {req.valid_until}")
    if type_code not in req.type_codes:
        raise no("type_not_granted", f"request {request_id} does not cover {type_code}")


def apply_bulk(state: BulkRequest | None, evt: DomainEvent) -> BulkRequest:
    if isinstance(evt, BulkAnalysisRequested):
        return BulkRequest(evt.request_id, evt.department, tuple(evt.type_codes))
    if isinstance(evt, BulkAnalysisDecided) and state is not None:
        return replace(state, decision="approved" if evt.approved else "rejected",
                       valid_until=evt.valid_until)
    raise TypeError(f"{type(evt).__name__} does not apply to a bulk request")
