"""Licences and their lifecycle, with the national status and operation codes.

One stream per licence lineage (type, issuer, serial). A change, correction or renewal
makes a new version with a new identifier linked to the previous one; status changes
keep the version. Illegal transitions are refused with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.events import DomainEvent, event
from ledger.domain.file_records import CopyFileRecorded, LicenceFileRecorded
from ledger.errors import AlreadyExistsError, IllegalTransitionError, InvalidCommandError
from ledger.integrity.canonical import parse_date

# Status codes (DOMAIN.md §5).
VALID, SUSPENDED, REVOKED, CANCELLED, EXPIRED, TRANSFERRED_OUT, PENALTY_REVOKED, OTHER = (
    "01", "02", "03", "04", "05", "06", "07", "99",
)
STATUS_NAMES = {
    VALID: "valid", SUSPENDED: "suspended", REVOKED: "revoked", CANCELLED: "cancelled",
    EXPIRED: "expired", TRANSFERRED_OUT: "transferred out", PENALTY_REVOKED: "penalty revoked",
    OTHER: "other",
}
# Operation codes.
OP_ISSUE, OP_RENEW, OP_SUSPEND, OP_EXPIRE, OP_WITHDRAW, OP_END_SUSPENSION = (
    "01", "02", "03", "04", "05", "06",
)
OP_OTHER, OP_TRANSFER_IN, OP_CHANGE, OP_CANCEL_TRANSFER_OUT = "07", "08", "09", "10"

# The matter code of an IssueLicence that converts an existing paper licence (存量证照,
# Art. 12 ¶2): not a new issue, so reconciliation leaves it out of the month's issues.
STOCK_CONVERSION = "STOCK-CONVERSION"

# Statuses in which the licence no longer counts as live for its holders.
WITHDRAWN = frozenset({REVOKED, CANCELLED, EXPIRED, TRANSFERRED_OUT, PENALTY_REVOKED})
VERSION_FIELDS = (
    "licence_number", "holders", "issue_date", "valid_from", "valid_until", "area_code",
    "face", "file_hash", "matter_code", "case_number", "paper_number",
)


@dataclass(frozen=True)
class Licence:
    """Current state of one licence lineage."""

    type_code: str
    issuer_code: str
    serial: str
    identifier: str
    version: int
    catalogue_version: int
    status: str
    fields: Mapping[str, Any]
    previous_identifier: str | None
    identifiers: tuple[str, ...]
    last_operation: str
    status_reason: str | None = None
    cancel_kind: str | None = None
    copies: tuple[Mapping[str, str], ...] = ()  # annotated copies (加注件) made of it

    @property
    def holders(self) -> tuple[Mapping[str, str], ...]:
        return tuple(self.fields["holders"])

    @property
    def licence_number(self) -> str:
        return str(self.fields["licence_number"])

    @property
    def live(self) -> bool:
        return self.status not in WITHDRAWN


@event
@dataclass(frozen=True)
class LicenceIssued(DomainEvent):
    identifier: str
    type_code: str
    issuer_code: str
    serial: str
    version: int
    catalogue_version: int
    operation: str
    fields: Mapping[str, Any]
    previous_identifier: str | None


@event
@dataclass(frozen=True)
class LicenceVersioned(DomainEvent):
    """A change (09), correction (09, kind ``correction``) or renewal (02)."""

    identifier: str
    version: int
    previous_identifier: str
    catalogue_version: int
    operation: str
    kind: str
    reason: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class LicenceStatusChanged(DomainEvent):
    identifier: str
    operation: str
    status: str
    reason: str


@event
@dataclass(frozen=True)
class LicenceSuspended(LicenceStatusChanged):
    pass


@event
@dataclass(frozen=True)
class LicenceSuspensionEnded(LicenceStatusChanged):
    pass


@event
@dataclass(frozen=True)
class LicenceCancelled(LicenceStatusChanged):
    """注销. ``issued_in_error`` keeps error cancellations apart for metrics (DOMAIN §5)."""

    issued_in_error: bool


@event
@dataclass(frozen=True)
class LicenceRevoked(LicenceStatusChanged):
    """撤销: the administrative act is annulled."""


@event
@dataclass(frozen=True)
class LicencePenaltyRevoked(LicenceStatusChanged):
    """吊销: revoked as a penalty."""


@event
@dataclass(frozen=True)
class LicenceExpired(LicenceStatusChanged):
    as_of: str


@event
@dataclass(frozen=True)
class LicenceTransferredOut(LicenceStatusChanged):
    destination: str


@event
@dataclass(frozen=True)
class LicenceTransferOutCancelled(LicenceStatusChanged):
    pass


@event
@dataclass(frozen=True)
class LicenceStatusSetOther(LicenceStatusChanged):
    """Status 99 其他 always carries a description (the reason)."""


@event
@dataclass(frozen=True)
class AnnotatedCopyMade(DomainEvent):
    """加注件: an event on the licence, never a new version (DOMAIN §7)."""

    identifier: str
    copy_id: str
    purpose: str
    maker: str
    recipient: str
    made_on: str
    valid_until: str


# operation name -> (event class, statuses it may start from, status it leads to, op code)
TRANSITIONS: dict[str, tuple[type[LicenceStatusChanged], frozenset[str], str, str]] = {
    "suspend": (LicenceSuspended, frozenset({VALID}), SUSPENDED, OP_SUSPEND),
    "end_suspension": (LicenceSuspensionEnded, frozenset({SUSPENDED}), VALID, OP_END_SUSPENSION),
    "cancel": (LicenceCancelled, frozenset({VALID, SUSPENDED, EXPIRED, OTHER}), CANCELLED,
               OP_WITHDRAW),
    "revoke": (LicenceRevoked, frozenset({VALID, SUSPENDED, OTHER}), REVOKED, OP_WITHDRAW),
    "penalty_revoke": (LicencePenaltyRevoked, frozenset({VALID, SUSPENDED, OTHER}),
                       PENALTY_REVOKED, OP_WITHDRAW),
    "expire": (LicenceExpired, frozenset({VALID, SUSPENDED}), EXPIRED, OP_EXPIRE),
    "transfer_out": (LicenceTransferredOut, frozenset({VALID}), TRANSFERRED_OUT, OP_WITHDRAW),
    "cancel_transfer_out": (LicenceTransferOutCancelled, frozenset({TRANSFERRED_OUT}), VALID,
                            OP_CANCEL_TRANSFER_OUT),
    "set_other": (LicenceStatusSetOther, frozenset({VALID, SUSPENDED}), OTHER, OP_OTHER),
}


def check_validity(entry: CatalogueEntry, fields: Mapping[str, Any]) -> None:
    """Dates are real, ordered, and within the catalogue's validity rule."""
    issue = _date(fields, "issue_date")
    start = _date(fields, "valid_from")
    if start < issue:
        raise InvalidCommandError(
            f"valid_from {start} is before issue_date {issue}; a licence cannot be valid"
            " before it is issued"
        )
    until = fields.get("valid_until")
    if until is None:
        if not entry.open_ended_allowed:
            raise InvalidCommandError(
                f"valid_until is required: licence type {entry.type_code} is not open-ended"
            )
        return
    end = _date(fields, "valid_until")
    if end < start:
        raise InvalidCommandError(f"valid_until {end} is before valid_from {start}")
    years = entry.max_validity_years
    if years is not None and end > _add_years(start, years):
        raise InvalidCommandError(
            f"valid_until {end} exceeds the catalogue's limit of {years} years from {start}"
        )


def _date(fields: Mapping[str, Any], name: str) -> date:
    try:
        return parse_date(fields[name])
    except ValueError as exc:
        raise InvalidCommandError(f"{name}: {exc}") from None


def _add_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def issue(
    current: Licence | None,
    entry: CatalogueEntry,
    identifier: str,
    issuer_code: str,
    serial: str,
    fields: Mapping[str, Any],
    previous_identifier: str | None,
) -> LicenceIssued:
    if current is not None:
        raise AlreadyExistsError(
            f"serial {serial} of type {entry.type_code} was already issued by {issuer_code}"
            f" (now {current.identifier}); change it instead of issuing it again"
        )
    check_validity(entry, fields)
    operation = OP_TRANSFER_IN if previous_identifier else OP_ISSUE
    return LicenceIssued(
        identifier, entry.type_code, issuer_code, serial, 1, entry.version, operation,
        fields, previous_identifier,
    )


def new_version(
    current: Licence, entry: CatalogueEntry, identifier: str, kind: str, reason: str,
    fields: Mapping[str, Any],
) -> LicenceVersioned:
    if kind == "renewal":
        allowed, operation = frozenset({VALID, EXPIRED}), OP_RENEW
    else:
        allowed, operation = frozenset({VALID, SUSPENDED}), OP_CHANGE
    if current.status not in allowed:
        raise IllegalTransitionError(
            f"cannot {kind} licence {current.identifier}: its status is {current.status}"
            f" ({STATUS_NAMES[current.status]}); {kind} needs one of"
            f" {', '.join(sorted(allowed))}"
        )
    check_validity(entry, fields)
    return LicenceVersioned(
        identifier, current.version + 1, current.identifier, entry.version, operation, kind,
        reason, fields,
    )


def change_status(
    current: Licence, action: str, reason: str, **extra: Any
) -> LicenceStatusChanged:
    cls, allowed, target, operation = TRANSITIONS[action]
    if current.status not in allowed:
        raise IllegalTransitionError(
            f"cannot {action.replace('_', ' ')} licence {current.identifier}: its status is"
            f" {current.status} ({STATUS_NAMES[current.status]}); this operation needs"
            f" status {' or '.join(sorted(allowed))}"
        )
    if action == "expire":
        as_of = parse_date(extra["as_of"])
        until = current.fields.get("valid_until")
        if until is None or parse_date(until) >= as_of:
            raise IllegalTransitionError(
                f"licence {current.identifier} is valid until {until or 'further notice'};"
                f" it has not expired as of {as_of}"
            )
    return cls(current.identifier, operation, target, reason, **extra)


def apply_licence(state: Licence | None, evt: DomainEvent) -> Licence:
    if isinstance(evt, LicenceIssued):
        return Licence(
            evt.type_code, evt.issuer_code, evt.serial, evt.identifier, evt.version,
            evt.catalogue_version, VALID, evt.fields, evt.previous_identifier,
            (evt.identifier,), evt.operation,
        )
    if state is None:
        raise TypeError(f"{type(evt).__name__} before LicenceIssued")
    if isinstance(evt, LicenceVersioned):
        return replace(
            state, identifier=evt.identifier, version=evt.version,
            catalogue_version=evt.catalogue_version, fields=evt.fields,
            previous_identifier=evt.previous_identifier,
            identifiers=(*state.identifiers, evt.identifier), last_operation=evt.operation,
            status=VALID if evt.kind == "renewal" else state.status,
            status_reason=None if evt.kind == "renewal" else state.status_reason,
        )
    if isinstance(evt, LicenceStatusChanged):
        return replace(
            state, status=evt.status, status_reason=evt.reason, last_operation=evt.operation,
            cancel_kind=(
                ("issued_in_error" if evt.issued_in_error else "business")
                if isinstance(evt, LicenceCancelled) else None
            ),
        )
    if isinstance(evt, AnnotatedCopyMade):
        copy = {"copy_id": evt.copy_id, "made_on": evt.made_on, "valid_until": evt.valid_until}
        return replace(state, copies=(*state.copies, copy))
    if isinstance(evt, LicenceFileRecorded | CopyFileRecorded):
        return state  # a file's hash is history; the licence's state is unchanged
    raise TypeError(f"{type(evt).__name__} does not apply to a licence")
