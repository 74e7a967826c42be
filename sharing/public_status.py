"""The status behind a QR code (Art. 17(3)): what the public may learn from a reference.

Only the licence's type, issuer, validity window and live status, plus the licence
number and face fields its catalogue entry discloses when the type is public. Nothing
about holders of licences that are not public. Read from the event store, not a cache,
so a revocation shows at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from commands.bootstrap import Services
from ledger.domain import file_records as fr
from ledger.domain import streams
from ledger.domain.licence import (
    CANCELLED,
    EXPIRED,
    PENALTY_REVOKED,
    REVOKED,
    SUSPENDED,
    TRANSFERRED_OUT,
    VALID,
    Licence,
    apply_licence,
)
from ledger.domain.localtime import beijing_date
from ledger.integrity.canonical import format_instant
from sharing.stored_state import fold_stream, get_department

STATUS_WORDS = {"valid": "有效", "suspended": "已暂停", "cancelled": "已注销",
                "revoked": "已撤销", "expired": "已过期", "superseded": "已被新版本取代",
                "transferred_out": "已迁出", "other": "状态待核实"}
_STATUS = {VALID: "valid", SUSPENDED: "suspended", CANCELLED: "cancelled", REVOKED: "revoked",
           PENALTY_REVOKED: "revoked", EXPIRED: "expired", TRANSFERRED_OUT: "transferred_out"}


def public_status(services: Services, reference: str, now: datetime | None = None
                  ) -> dict[str, Any] | None:
    """The public answer for ``reference``, or None if no file carries it."""
    if not fr.REFERENCE.fullmatch(reference):
        return None
    indexed = fold_stream(services, fr.reference_stream(reference), fr.apply_indexed)
    if indexed is None:
        return None
    licence: Licence | None = fold_stream(services, UUID(indexed.licence_stream), apply_licence)
    if licence is None:
        return None
    now = now or datetime.now(UTC)
    status = _status(licence, indexed, beijing_date(now).isoformat())
    definition = _catalogue(services, licence.type_code)
    issuer = get_department(services, licence.issuer_code)
    answer: dict[str, Any] = {
        "reference": reference, "status": status, "status_text": STATUS_WORDS[status],
        "status_code": licence.status, "licence_type": str(definition.get("name", "")),
        "licence_type_code": licence.type_code,
        "issuer": issuer.name if issuer else licence.issuer_code,
        "issuer_code": licence.issuer_code,
        "valid_from": licence.fields.get("valid_from"),
        "valid_until": licence.fields.get("valid_until"),
        "file": {"kind": indexed.kind, "format": indexed.format,
                 **({"copy_valid_until": indexed.valid_until}
                    if indexed.kind == fr.COPY else {})},
        "changed_at": _last_change(services, UUID(indexed.licence_stream)),
        "checked_at": format_instant(now),
    }
    if definition.get("disclosure") == "public":
        face = licence.fields.get("face") or {}
        answer["licence_number"] = licence.licence_number
        answer["public_fields"] = {name: face[name] for name in
                                   definition.get("public_fields", []) if name in face}
    return answer


def _status(licence: Licence, indexed: fr.FileIndexed, today: str) -> str:
    if indexed.identifier != licence.identifier:
        return "superseded"
    status = _STATUS.get(licence.status, "other")
    until = licence.fields.get("valid_until")
    if status == "valid" and until and str(until) < today:
        return "expired"  # past its end date, before anyone recorded the expiry
    return status


FILE_EVENTS = frozenset({"LicenceFileRecorded", "CopyFileRecorded"})


def _last_change(services: Services, stream: UUID) -> str | None:
    """When the licence itself last changed (issued, a new version, a status change): a
    file rendered from it or a copy made of it is no change of the licence."""
    changes = [r.at for r in services.store.read_stream(stream) if r.type not in FILE_EVENTS]
    return changes[-1] if changes else None


def _catalogue(services: Services, type_code: str) -> dict[str, Any]:
    """The current catalogue definition: a revision of what is disclosed applies at once."""
    last = services.store.last_of_stream(streams.catalogue_stream(type_code))
    definition: dict[str, Any] = last.data["definition"] if last else {}
    return definition
