"""Handlers for the licence lifecycle: load, call one step of the domain's lineage
(:mod:`ledger.domain.lineage`: field checks, the licence event and its uniqueness claims),
save.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from commands.handlers.context import Context
from commands.messages.core import (
    STATUS_ACTIONS,
    ChangeLicence,
    Holder,
    IssueLicence,
    _StatusCommand,
)
from commands.messages.fields import decode_value, fail
from ledger.domain import licence as lic
from ledger.domain import lineage, streams
from ledger.domain.catalogue import CatalogueEntry, apply_catalogue
from ledger.domain.identifiers import (
    IdentifierError,
    LicenceIdentifier,
    make_licence_identifier,
    parse_licence_identifier,
)
from ledger.domain.indexes import Lookup, apply_claim
from ledger.domain.licence import Licence, apply_licence
from ledger.domain.localtime import beijing_date
from ledger.errors import IllegalTransitionError, InvalidCommandError, NotFoundError
from ledger.integrity.canonical import parse_date, thaw


def _entry(ctx: Context, type_code: str) -> CatalogueEntry:
    entry: CatalogueEntry | None = ctx.get(streams.catalogue_stream(type_code), apply_catalogue)
    if entry is None:
        raise NotFoundError(f"licence type {type_code} is not in the catalogue")
    return entry


def _holders(raw: Any) -> tuple[dict[str, str], ...]:
    decoded = decode_value("payload.holders", tuple[Holder, ...], thaw(raw))
    return tuple({"name": h.name, "code": h.code, "code_type": h.code_type} for h in decoded)


class LoadedFacts:
    """What the policy's rules need (commands.authorisation.policy.Facts), loaded as these
    handlers load it, with the same refusals (not in the catalogue, not found, superseded)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def entry(self, type_code: str) -> CatalogueEntry:
        return _entry(self._ctx, type_code)

    def licence(self, identifier: str) -> Licence:
        return _current(self._ctx, identifier)[0]


def _write(ctx: Context, stream: UUID, step: lineage.Step) -> None:
    """Save a lineage step: its claims, then the licence event."""
    for claim_stream, evt in step.claims:
        ctx.emit(claim_stream, apply_claim, evt)
    ctx.emit(stream, apply_licence, step.licence)


def _claims(ctx: Context) -> Lookup:
    return lambda stream: ctx.get(stream, apply_claim)


def issue_licence(cmd: IssueLicence, ctx: Context) -> None:
    entry = _entry(ctx, cmd.type_code)
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
    stream = streams.licence_stream(cmd.type_code, ctx.actor.code, cmd.serial)
    _write(ctx, stream, lineage.issue(
        ctx.get(stream, apply_licence), entry, str(ident), ctx.actor.code, cmd.serial, fields,
        cmd.transferred_from, _claims(ctx)))


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
    stream = streams.licence_stream(licence.type_code, licence.issuer_code, licence.serial)
    _write(ctx, stream, lineage.new_version(licence, entry, ident, cmd.kind, cmd.reason, fields,
                                            _claims(ctx)))


def change_status(cmd: _StatusCommand, ctx: Context) -> None:
    action = STATUS_ACTIONS[cmd.type_name]
    licence, _ = _current(ctx, cmd.identifier)
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
    entry = _entry(ctx, licence.type_code)
    stream = streams.licence_stream(licence.type_code, licence.issuer_code, licence.serial)
    _write(ctx, stream, lineage.change_status(licence, entry, action, cmd.reason, _claims(ctx),
                                              **extra))
