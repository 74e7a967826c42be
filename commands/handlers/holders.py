"""Handlers for the signed queries of platforms (for holders) and issuers.

A handler decides and records from the signer, the command and (for a holder's download)
the licence's own stream, so the replay (``ledger audit --replay``) records the same event
again. A refused query is
recorded, then refused, as a refused read is (Art. 27). ``ctx.answer`` names what was
allowed (``query`` and its subject); the service adds the data from the read models.
"""

from __future__ import annotations

from commands.authorisation import policy
from commands.handlers.context import Context
from commands.handlers.use import _find
from commands.messages.holder import (
    DownloadHolderLicence,
    GetHolderAccessLog,
    GetIssuerAccessLog,
    GetIssuerStatistics,
    ListHolderLicences,
    _HolderQuery,
    _IssuerQuery,
)
from ledger.domain import streams
from ledger.domain.access import AccessRecorded
from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.licence import STATUS_NAMES, Licence
from ledger.domain.localtime import beijing_date
from ledger.errors import AccessRefusedError

QUERY_OF = {ListHolderLicences.type_name: "holder_licences",
            GetHolderAccessLog.type_name: "holder_access_log",
            GetIssuerAccessLog.type_name: "issuer_access_log",
            GetIssuerStatistics.type_name: "issuer_statistics"}
HOLDER_DOWNLOAD = "holder_download"  # not "download": a holder's own, not a use in a case
HOLDER_MATTER = "holder_query"  # the matter recorded for a platform acting for a holder
ISSUER_MATTER = "issuer_query"
DEFAULT_LIMIT = 1000  # the most reads one GetIssuerAccessLog answers


def _for_holder(cmd: _HolderQuery, ctx: Context) -> None:
    policy.may_act_for_holder(ctx.actor, cmd.holder_code, cmd.agent_auth)


def holder_query(cmd: _HolderQuery, ctx: Context) -> None:
    query = QUERY_OF[cmd.type_name]
    try:
        _for_holder(cmd, ctx)
    except AccessRefusedError as exc:
        _record(ctx, cmd, query, HOLDER_MATTER, cmd.holder_code, exc)
        raise exc.as_recorded() from None
    _record(ctx, cmd, query, HOLDER_MATTER, cmd.holder_code, None)
    ctx.answer = {"query": query, "holder_code": cmd.holder_code}


def download_holder_licence(cmd: DownloadHolderLicence, ctx: Context) -> None:
    """A read of one licence by its holder, through the platform: every face field."""
    found: tuple[Licence, str, CatalogueEntry] | None = None
    try:
        _for_holder(cmd, ctx)
        found = _find(ctx, cmd.identifier)
        policy.require_holder(cmd.holder_code, found[0].holders, cmd.identifier)
    except AccessRefusedError as exc:
        _record(ctx, cmd, HOLDER_DOWNLOAD, HOLDER_MATTER, cmd.holder_code, exc, found)
        raise exc.as_recorded() from None
    licence = found[0]
    face = licence.fields["face"]
    fields = tuple(sorted(face))  # sorted: as read_licence, whichever state is cached
    _record(ctx, cmd, HOLDER_DOWNLOAD, HOLDER_MATTER, cmd.holder_code, None, found, fields)
    ctx.answer = {
        "identifier": cmd.identifier, "current_identifier": licence.identifier,
        "is_current_version": cmd.identifier == licence.identifier,
        "status": licence.status, "status_name": STATUS_NAMES[licence.status],
        "valid_until": licence.fields["valid_until"], "face": {k: face[k] for k in fields}}


def issuer_query(cmd: _IssuerQuery, ctx: Context) -> None:
    query = QUERY_OF[cmd.type_name]
    try:
        policy.may_query_issuer(ctx.actor, cmd.issuer_code)
    except AccessRefusedError as exc:
        _record(ctx, cmd, query, ISSUER_MATTER, cmd.issuer_code, exc)
        raise exc.as_recorded() from None
    _record(ctx, cmd, query, ISSUER_MATTER, cmd.issuer_code, None)
    ctx.answer = {"query": query, "issuer_code": cmd.issuer_code}


def _record(ctx: Context, cmd: _HolderQuery | _IssuerQuery, query: str, matter: str,
            case: str, refusal: AccessRefusedError | None,
            found: tuple[Licence, str, CatalogueEntry] | None = None,
            fields: tuple[str, ...] = ()) -> None:
    """One ``AccessRecorded`` per query. The case number is the holder's (or issuer's)
    code, so the ledger says whose data was read; no licence is named, so the query is not
    counted as a use of a licence in the statistics nor shown as a read of one; a holder's
    download names its licence (``found``), so its issuer sees it like any read."""
    licence = found[0] if found else None
    ctx.emit(streams.access_stream(ctx.signed.command_id), lambda s, e: e, AccessRecorded(
        query, "holder" if matter == HOLDER_MATTER else "issuer",
        "refused" if refusal else "allowed", getattr(cmd, "identifier", None),
        found[1] if found else None, licence.type_code if licence else None,
        licence.issuer_code if licence else None, ctx.actor.code,
        cmd.operator, matter, case, cmd.purpose, None, refusal.code if refusal else None,
        refusal.message if refusal else None, fields, beijing_date(ctx.now).isoformat()))
