"""Handlers for grants and reads. A refused read is recorded, then refused (Art. 27)."""

from __future__ import annotations

from datetime import date
from typing import Any

from commands.authorisation import policy
from commands.handlers.context import Context
from commands.handlers.licences import _entry, _parse
from commands.messages.fields import fail
from commands.messages.use import (
    DelegateUse,
    GrantFunctionalUse,
    GrantHolderConsent,
    QueryPublicRegister,
    RevokeGrant,
    _Read,
)
from ledger.domain import access, grants, streams
from ledger.domain.access import AccessRecorded, AnnotatedCopyMade, UseCounted
from ledger.domain.catalogue import CatalogueEntry, apply_catalogue
from ledger.domain.departments import apply_department
from ledger.domain.grants import Grant, apply_grant
from ledger.domain.licence import STATUS_NAMES, Licence, apply_licence
from ledger.domain.localtime import beijing_date
from ledger.errors import (
    AccessRefusedError,
    IllegalTransitionError,
    NotFoundError,
)
from ledger.integrity.canonical import parse_date

RIGHTS = ("verify", "view", "download")
ACTION_OF = {"VerifyLicence": "verify", "ViewLicence": "view", "DownloadLicence": "download",
             "AnnotateLicence": "annotate"}


def _today(ctx: Context) -> date:
    """The ledger's date in Beijing: grant windows, daily caps and copies' validity are
    Beijing dates, so a read at 16:30Z is judged on the next calendar day, not the UTC one."""
    return beijing_date(ctx.now)


def _dates(ctx: Context, valid_from: str, valid_until: str) -> None:
    try:
        parse_date(valid_from)
        parse_date(valid_until)
        grants.check_window(valid_from, valid_until, _today(ctx))
    except ValueError as exc:
        fail("payload.valid_from/valid_until", str(exc))
    except IllegalTransitionError as exc:
        fail("payload.valid_until", exc.message)


def _new_grant(ctx: Context, grant_id: str) -> Any:
    stream = streams.grant_stream(grant_id)
    grants.new_grant(ctx.get(stream, apply_grant), grant_id)
    return stream


def grant_functional_use(cmd: GrantFunctionalUse, ctx: Context) -> None:
    _using_department(ctx, cmd.department, "payload.department")
    known: set[str] = set()
    for i, t in enumerate(cmd.type_codes):
        entry: CatalogueEntry | None = ctx.get(streams.catalogue_stream(t), apply_catalogue)
        if entry is None:
            raise NotFoundError(f"payload.type_codes[{i}]: {t} is not in the catalogue")
        known |= {f["name"] for f in entry.definition["face_fields"]}
    unknown = sorted(set(cmd.fields) - known)
    if unknown:
        fail("payload.fields", f"not face fields of the granted types: {', '.join(unknown)}")
    if cmd.daily_cap is not None and cmd.daily_cap < 1:
        fail("payload.daily_cap", "must be at least 1 (or omitted for no cap)")
    _dates(ctx, cmd.valid_from, cmd.valid_until)
    stream = _new_grant(ctx, cmd.grant_id)
    ctx.emit(stream, apply_grant, grants.FunctionalUseGranted(
        cmd.grant_id, cmd.department, cmd.type_codes, cmd.fields, cmd.valid_from,
        cmd.valid_until, cmd.daily_cap, cmd.scenarios))


def _using_department(ctx: Context, code: str, where: str) -> None:
    """Functional grants and holder consents name a department that signs its own reads."""
    dept = ctx.get(streams.department_stream(code), apply_department)
    if dept is None or not dept.has_role("using"):
        raise NotFoundError(f"{where}: {code} is not a registered using department")


def _holder_licence(ctx: Context, identifier: str, holder_code: str) -> tuple[str, Licence]:
    ident = _parse(identifier, "payload.identifier")
    stream = streams.licence_stream(ident.type_code, ident.issuer_code, ident.serial)
    licence: Licence | None = ctx.get(stream, apply_licence)
    if licence is None or str(ident) not in licence.identifiers:
        raise NotFoundError(f"licence {identifier} is not in the ledger")
    policy.require_holder(holder_code, licence.holders, identifier)
    return str(stream), licence


def grant_holder_consent(cmd: GrantHolderConsent, ctx: Context) -> None:
    stream, _ = _holder_licence(ctx, cmd.identifier, cmd.holder_code)
    _using_department(ctx, cmd.grantee, "payload.grantee")
    bad = sorted(set(cmd.rights) - set(RIGHTS)) or ([] if cmd.rights else ["(none)"])
    if bad:
        fail("payload.rights", f"expected some of {', '.join(RIGHTS)}; not {', '.join(bad)}")
    _dates(ctx, cmd.valid_from, cmd.valid_until)
    ctx.emit(_new_grant(ctx, cmd.grant_id), apply_grant, grants.ConsentGranted(
        cmd.grant_id, stream, cmd.identifier, cmd.holder_code, cmd.grantee, cmd.rights,
        cmd.matter_code, cmd.valid_from, cmd.valid_until))


def delegate_use(cmd: DelegateUse, ctx: Context) -> None:
    stream, _ = _holder_licence(ctx, cmd.identifier, cmd.holder_code)
    _dates(ctx, cmd.valid_from, cmd.valid_until)
    ctx.emit(_new_grant(ctx, cmd.grant_id), apply_grant, grants.UseDelegated(
        cmd.grant_id, stream, cmd.identifier, cmd.holder_code, cmd.agent_code, cmd.agent_name,
        cmd.matter_code, cmd.valid_from, cmd.valid_until))


def revoke_grant(cmd: RevokeGrant, ctx: Context) -> None:
    stream = streams.grant_stream(cmd.grant_id)
    grant: Grant | None = ctx.get(stream, apply_grant)
    if grant is None:
        raise NotFoundError(f"grant {cmd.grant_id} does not exist")
    policy.may_revoke_grant(ctx.actor, functional=grant.kind == grants.FUNCTION)
    ctx.emit(stream, apply_grant, grants.revoke(grant, cmd.grant_id, cmd.reason))


def read_licence(cmd: _Read, ctx: Context) -> None:
    action = ACTION_OF[cmd.type_name]
    found: tuple[Licence, str, CatalogueEntry] | None = None
    fields: tuple[str, ...] = ()
    try:
        found = _find(ctx, cmd.identifier)
        licence, stream, entry = found
        effects = _authorise(cmd, ctx, action, licence, stream, entry)
        fields = effects.pop("fields")
    except AccessRefusedError as exc:
        _record(ctx, cmd, action, found, "refused", (), exc.code, exc.message)
        raise exc.as_recorded() from None
    for emit in effects.values():
        emit()
    _record(ctx, cmd, action, found, "allowed", fields, None, None)
    face = licence.fields["face"]
    ctx.answer = {
        "identifier": cmd.identifier, "current_identifier": licence.identifier,
        "is_current_version": cmd.identifier == licence.identifier,
        "status": licence.status, "status_name": STATUS_NAMES[licence.status],
        "valid_until": licence.fields["valid_until"],
        "face": {k: face[k] for k in fields if k in face},
    }


def _find(ctx: Context, identifier: str) -> tuple[Licence, str, CatalogueEntry]:
    try:
        ident = _parse(identifier, "payload.identifier")
    except Exception as exc:
        raise AccessRefusedError(str(exc), code="not_found") from None
    stream = streams.licence_stream(ident.type_code, ident.issuer_code, ident.serial)
    licence: Licence | None = ctx.get(stream, apply_licence)
    if licence is None or str(ident) not in licence.identifiers:
        raise AccessRefusedError(f"licence {identifier} is not in the ledger", code="not_found")
    return licence, str(stream), _entry(ctx, licence.type_code)


def _authorise(cmd: _Read, ctx: Context, action: str, licence: Licence, stream: str,
               entry: CatalogueEntry) -> dict[str, Any]:
    """Check every rule; return the granted fields and the effects to emit if allowed."""
    today = _today(ctx)
    grant = ctx.get(streams.grant_stream(cmd.grant_id), apply_grant)
    effects: dict[str, Any] = {}
    if cmd.mode != grants.DELEGATION and (cmd.agent_code or cmd.agent_auth):
        fail("payload.agent_code/agent_auth", f"only a delegation names an agent; this read"
             f" is by {cmd.mode!r:.40}")
    if cmd.mode == grants.FUNCTION:
        policy.may_read_by_function(ctx.actor, action)
        fields = access.check_function_use(ctx.actor, grant, cmd.grant_id, licence,
                                           cmd.matter_code, today)
        if grant.daily_cap is not None:
            # One counter stream per grant and Beijing day: the cap resets at 00:00 Beijing
            # (16:00Z). Counters written before this rule were keyed by the UTC date.
            counter = streams.usage_counter_stream(cmd.grant_id, today.isoformat())
            used = ctx.uow.version_of(counter, lambda s, e: e)
            access.check_cap(grant, used)
            effects["count"] = lambda: ctx.emit(counter, lambda s, e: e,
                                                UseCounted(cmd.grant_id, today.isoformat()))
    elif cmd.mode in (grants.CONSENT, grants.DELEGATION):
        right = "view" if action == "annotate" else action
        use = access.HolderUse(ctx.actor, cmd.mode, cmd.agent_code, cmd.agent_auth)
        access.check_holder_use(use, grant, cmd.grant_id, stream, right, cmd.matter_code,
                                today)
        # Sorted: a licence state built from the stored (canonical) bytes has its face keys
        # sorted, one still cached from the command has them as posted; the recorded event
        # must not depend on which one this process happened to hold.
        fields = tuple(sorted(licence.fields["face"]))
    else:
        fail("payload.mode", f"{cmd.mode!r} is not one of function, consent, delegation")
    if action == "verify":
        fields = ()
    if action == "annotate":
        copy_id, recipient, until = (getattr(cmd, n) for n in ("copy_id", "recipient",
                                                              "valid_until"))
        if not (copy_id and recipient and until):
            fail("payload", "an annotation needs copy_id, recipient and valid_until")
        try:
            parse_date(until)
        except ValueError as exc:
            fail("payload.valid_until", str(exc))
        access.check_annotation(licence, entry, licence.copies, until, today)
        effects["copy"] = lambda: ctx.emit(
            streams.licence_stream(licence.type_code, licence.issuer_code, licence.serial),
            apply_licence, AnnotatedCopyMade(licence.identifier, copy_id, cmd.purpose,
                                             ctx.actor.code, recipient, today.isoformat(), until))
    effects["fields"] = fields
    return effects


def _record(ctx: Context, cmd: Any, action: str,
            found: tuple[Licence, str, CatalogueEntry] | None, outcome: str,
            fields: tuple[str, ...], code: str | None, reason: str | None) -> None:
    licence = found[0] if found else None
    ctx.emit(streams.access_stream(ctx.signed.command_id), lambda s, e: e, AccessRecorded(
        action, getattr(cmd, "mode", "public"), outcome, cmd.identifier,
        found[1] if found else None, licence.type_code if licence else None,
        licence.issuer_code if licence else None, ctx.actor.code, cmd.operator,
        getattr(cmd, "matter_code", "-"), getattr(cmd, "case_number", "-"), cmd.purpose,
        getattr(cmd, "grant_id", None), code, reason, fields, _today(ctx).isoformat()))


def query_public_register(cmd: QueryPublicRegister, ctx: Context) -> None:
    found = None
    try:
        policy.may_query_public_register(ctx.actor)
        found = _find(ctx, cmd.identifier)
        view = access.public_view(found[2], found[0])
    except AccessRefusedError as exc:
        _record(ctx, cmd, "public_query", found, "refused", (), exc.code, exc.message)
        raise exc.as_recorded() from None
    _record(ctx, cmd, "public_query", found, "allowed", tuple(view["face"]), None, None)
    ctx.answer = view
