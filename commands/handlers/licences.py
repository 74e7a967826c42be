"""Handlers for the licence lifecycle. Each validates everything before emitting.

Issuing and changing also maintain the uniqueness indexes (licence number per type,
one live licence per holder where the catalogue says so) in the same batch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from commands.authorisation.policy import require_issuer_of_type, require_licence_issuer
from commands.handlers.context import Context
from commands.messages.core import ChangeLicence, Holder, IssueLicence, _StatusCommand
from commands.messages.fields import decode_value, fail
from ledger.domain import licence as lic
from ledger.domain import streams
from ledger.domain.catalogue import (
    CatalogueEntry,
    apply_catalogue,
    check_holder_category,
    validate_face,
)
from ledger.domain.identifiers import (
    IdentifierError,
    LicenceIdentifier,
    make_licence_identifier,
    parse_licence_identifier,
    validate_holder_code,
)
from ledger.domain.indexes import (
    HolderSlotReleased,
    LicenceNumberReleased,
    apply_claim,
    claim_number,
    take_slot,
)
from ledger.domain.licence import Licence, apply_licence
from ledger.domain.localtime import beijing_date
from ledger.domain.text import comparison_key, is_ascii_digits
from ledger.errors import IllegalTransitionError, InvalidCommandError, NotFoundError
from ledger.integrity.canonical import parse_date, thaw

_SHA256 = re.compile(r"[0-9a-f]{64}")


def number_key(number: str) -> str:
    """Numbers that look the same claim one slot: full/half width folded (ledger/domain/text.py)."""
    return comparison_key(number)


def _entry(ctx: Context, type_code: str) -> CatalogueEntry:
    entry: CatalogueEntry | None = ctx.get(streams.catalogue_stream(type_code), apply_catalogue)
    if entry is None:
        raise NotFoundError(f"licence type {type_code} is not in the catalogue")
    return entry


def _check_fields(entry: CatalogueEntry, fields: Mapping[str, Any]) -> None:
    holders = fields["holders"]
    if not holders:
        fail("payload.holders", "a licence needs at least one holder")
    for i, h in enumerate(holders):
        try:
            validate_holder_code(h["code_type"], h["code"])
        except IdentifierError as exc:
            fail(f"payload.holders[{i}]", str(exc))
    check_holder_category(entry, [h["code_type"] for h in holders])
    validate_face(entry, fields["face"], "payload.face")
    area = fields["area_code"]
    if not is_ascii_digits(area, 6):
        fail("payload.area_code", f"expected a 6-digit GB/T 2260 area code, got {area!r}")
    file_hash = fields.get("file_hash")
    if file_hash is not None and not _SHA256.fullmatch(file_hash):
        fail("payload.file_hash", "expected 64 lower-case hex digits (SHA-256)")
    for name in ("licence_number", "matter_code", "case_number"):
        value = fields[name]
        if not isinstance(value, str) or not value.strip():
            fail(f"payload.{name}", "required text is missing or empty")


def _holders(raw: Any) -> tuple[dict[str, str], ...]:
    decoded = decode_value("payload.holders", tuple[Holder, ...], thaw(raw))
    return tuple({"name": h.name, "code": h.code, "code_type": h.code_type} for h in decoded)


def _claim_indexes(ctx: Context, entry: CatalogueEntry, fields: Mapping[str, Any],
                   owner: str, previous: Mapping[str, Any] | None) -> None:
    """Claim the number and holder slots this version needs; release what it drops."""
    t = entry.type_code
    new_number = number_key(fields["licence_number"])
    old_number = number_key(previous["licence_number"]) if previous else None
    if new_number != old_number:
        stream = streams.licence_number_stream(t, new_number)
        ctx.emit(stream, apply_claim,
                 claim_number(ctx.get(stream, apply_claim), t, fields["licence_number"], owner))
        if old_number is not None:
            ctx.emit(streams.licence_number_stream(t, old_number), apply_claim,
                     LicenceNumberReleased(t, previous["licence_number"], owner))  # type: ignore[index]
    if entry.multiple_per_holder:
        return
    new = {(h["code_type"], h["code"]) for h in fields["holders"]}
    old = {(h["code_type"], h["code"]) for h in previous["holders"]} if previous else set()
    for code_type, code in sorted(old - new):
        ctx.emit(streams.holder_slot_stream(t, code_type, code), apply_claim,
                 HolderSlotReleased(t, code_type, code, owner))
    for code_type, code in sorted(new - old):
        stream = streams.holder_slot_stream(t, code_type, code)
        ctx.emit(stream, apply_claim,
                 take_slot(ctx.get(stream, apply_claim), t, code_type, code, owner))


def _release_slots(ctx: Context, licence: Licence, owner: str) -> None:
    t = licence.type_code
    for h in licence.holders:
        ctx.emit(streams.holder_slot_stream(t, h["code_type"], h["code"]), apply_claim,
                 HolderSlotReleased(t, h["code_type"], h["code"], owner))


def issue_licence(cmd: IssueLicence, ctx: Context) -> None:
    entry = _entry(ctx, cmd.type_code)
    require_issuer_of_type(ctx.actor, entry)
    try:
        ident = make_licence_identifier(cmd.type_code, ctx.actor.code, cmd.serial, 1)
    except IdentifierError as exc:
        raise InvalidCommandError(f"payload: cannot form a licence identifier: {exc}") from None
    if cmd.transferred_from is not None:
        _parse(cmd.transferred_from, "payload.transferred_from")
    fields: dict[str, Any] = {
        "licence_number": cmd.licence_number,
        # Decoded with the command already: only their wire fields, as plain objects.
        "holders": tuple({"name": h.name, "code": h.code, "code_type": h.code_type}
                         for h in cmd.holders),
        "issue_date": cmd.issue_date, "valid_from": cmd.valid_from,
        "valid_until": cmd.valid_until, "area_code": cmd.area_code, "face": cmd.face,
        "file_hash": cmd.file_hash, "matter_code": cmd.matter_code,
        "case_number": cmd.case_number, "paper_number": cmd.paper_number,
    }
    _check_fields(entry, fields)
    stream = streams.licence_stream(cmd.type_code, ctx.actor.code, cmd.serial)
    issued = lic.issue(ctx.get(stream, apply_licence), entry, str(ident), ctx.actor.code,
                       cmd.serial, fields, cmd.transferred_from)
    _claim_indexes(ctx, entry, fields, str(ident), None)
    ctx.emit(stream, apply_licence, issued)


def _parse(identifier: str, where: str) -> LicenceIdentifier:
    try:
        return parse_licence_identifier(identifier)
    except IdentifierError as exc:
        raise InvalidCommandError(f"{where}: {exc}", code=exc.code) from None


def _current(ctx: Context, identifier: str) -> tuple[Licence, LicenceIdentifier]:
    ident = _parse(identifier, "payload.identifier")
    stream = streams.licence_stream(ident.type_code, ident.issuer_code, ident.serial)
    licence: Licence | None = ctx.get(stream, apply_licence)
    if licence is None or str(ident) not in licence.identifiers:
        raise NotFoundError(f"licence {identifier} is not in the ledger")
    if licence.identifier != str(ident):
        raise IllegalTransitionError(
            f"licence {identifier} is superseded: the current version is"
            f" {licence.identifier}; act on the current version",
            code="superseded_version",
        )
    return licence, ident


def change_licence(cmd: ChangeLicence, ctx: Context) -> None:
    licence, ident = _current(ctx, cmd.identifier)
    require_licence_issuer(ctx.actor, licence, cmd.kind)
    if cmd.kind not in ("change", "correction", "renewal"):
        fail("payload.kind", f"{cmd.kind!r} is not one of change, correction, renewal")
    unknown = sorted(set(cmd.changes) - set(lic.VERSION_FIELDS))
    if unknown or not cmd.changes:
        fail("payload.changes", f"expected one or more of {', '.join(lic.VERSION_FIELDS)}"
             + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    if cmd.kind == "renewal" and "valid_until" not in cmd.changes:
        fail("payload.changes.valid_until", "a renewal must give the new validity end")
    entry = _entry(ctx, licence.type_code)
    fields = dict(licence.fields)
    fields.update(cmd.changes)
    if "holders" in cmd.changes:
        fields["holders"] = _holders(cmd.changes["holders"])
    _check_fields(entry, fields)
    new_ident = str(ident.next_version())
    versioned = lic.new_version(licence, entry, new_ident, cmd.kind, cmd.reason, fields)
    # A lapsed licence released its holder slots; renewing it must take them back.
    previous = licence.fields if licence.live else {**licence.fields, "holders": ()}
    _claim_indexes(ctx, entry, fields, new_ident, previous)
    stream = streams.licence_stream(licence.type_code, licence.issuer_code, licence.serial)
    ctx.emit(stream, apply_licence, versioned)


STATUS_ACTIONS = {
    "SuspendLicence": "suspend", "EndSuspension": "end_suspension", "CancelLicence": "cancel",
    "RevokeLicence": "revoke", "PenaltyRevokeLicence": "penalty_revoke",
    "ExpireLicence": "expire", "TransferLicenceOut": "transfer_out",
    "CancelTransferOut": "cancel_transfer_out", "SetLicenceStatusOther": "set_other",
}


def change_status(cmd: _StatusCommand, ctx: Context) -> None:
    action = STATUS_ACTIONS[cmd.type_name]
    licence, _ = _current(ctx, cmd.identifier)
    require_licence_issuer(ctx.actor, licence, action.replace("_", " "),
                           management_too=(action == "expire"))
    extra: dict[str, Any] = {}
    if action == "cancel":
        extra["issued_in_error"] = getattr(cmd, "issued_in_error", False)
    elif action == "expire":
        today = beijing_date(ctx.now)  # licence dates are on the issuer's (Beijing) calendar
        as_of = getattr(cmd, "as_of", "") or today.isoformat()
        try:
            as_of_date = parse_date(as_of)
        except ValueError as exc:
            fail("payload.as_of", str(exc))
        if as_of_date > today:
            raise IllegalTransitionError(
                f"payload.as_of: {as_of} is after the ledger's date {today}; expiry"
                " follows the calendar and cannot be recorded in advance")
        extra["as_of"] = as_of
    elif action == "transfer_out":
        if not getattr(cmd, "destination", ""):
            fail("payload.destination", "say where the licence is transferred to")
        extra["destination"] = cmd.destination  # type: ignore[attr-defined]
    was_live = licence.live
    evt = lic.change_status(licence, action, cmd.reason, **extra)
    entry = _entry(ctx, licence.type_code)
    stream = streams.licence_stream(licence.type_code, licence.issuer_code, licence.serial)
    if not entry.multiple_per_holder:
        if was_live and evt.status in lic.WITHDRAWN:
            _release_slots(ctx, licence, licence.identifier)
        elif not was_live and evt.status not in lic.WITHDRAWN:
            _claim_indexes(ctx, entry, licence.fields, licence.identifier,
                           {**licence.fields, "holders": ()})
    ctx.emit(stream, apply_licence, evt)
