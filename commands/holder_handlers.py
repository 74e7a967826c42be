"""Handlers for the signed queries of platforms (for holders) and issuers.

A handler decides and records; it reads nothing but the signer and the command, so the
replay (``ledger audit --replay``) records the same event again. A refused query is
recorded, then refused, as a refused read is (Art. 27). ``ctx.answer`` names what was
allowed (``query`` and its subject); the service adds the data from the read models.
"""

from __future__ import annotations

from commands.context import Context
from commands.holder_messages import (
    GetHolderAccessLog,
    GetIssuerAccessLog,
    GetIssuerStatistics,
    ListHolderLicences,
    _HolderQuery,
    _IssuerQuery,
)
from ledger import access, streams
from ledger.access import AGENT_AUTH_METHODS, AccessRecorded
from ledger.errors import AccessRefusedError
from ledger.localtime import beijing_date

QUERY_OF = {ListHolderLicences.type_name: "holder_licences",
            GetHolderAccessLog.type_name: "holder_access_log",
            GetIssuerAccessLog.type_name: "issuer_access_log",
            GetIssuerStatistics.type_name: "issuer_statistics"}
HOLDER_MATTER = "holder_query"  # the matter recorded for a platform acting for a holder
ISSUER_MATTER = "issuer_query"
DEFAULT_LIMIT = 1000  # the most reads one GetIssuerAccessLog answers


def holder_query(cmd: _HolderQuery, ctx: Context) -> None:
    query = QUERY_OF[cmd.type_name]
    try:
        if not ctx.actor.has_role("platform"):
            raise access.refuse("unauthorised", f"acting for a holder needs the platform"
                                f" role; {ctx.actor.code} does not have it")
        if cmd.agent_auth not in AGENT_AUTH_METHODS:
            raise access.refuse("agent_not_authenticated", f"platform {ctx.actor.code} must"
                                f" attest how it authenticated holder {cmd.holder_code}'s real"
                                f" name: agent_auth is one of {', '.join(AGENT_AUTH_METHODS)},"
                                f" not {cmd.agent_auth!r:.40}")
    except AccessRefusedError as exc:
        _record(ctx, cmd, query, HOLDER_MATTER, cmd.holder_code, exc)
        raise exc.as_recorded() from None
    _record(ctx, cmd, query, HOLDER_MATTER, cmd.holder_code, None)
    ctx.answer = {"query": query, "holder_code": cmd.holder_code}


def issuer_query(cmd: _IssuerQuery, ctx: Context) -> None:
    query = QUERY_OF[cmd.type_name]
    try:
        if ctx.actor.code != cmd.issuer_code and not ctx.actor.has_role("management"):
            raise access.refuse("unauthorised", f"the reads and figures of issuer"
                                f" {cmd.issuer_code} are its own (or the management"
                                f" department's), not {ctx.actor.code}'s")
        if cmd.issuer_code == ctx.actor.code and not ctx.actor.has_role("issuing"):
            raise access.refuse("unauthorised", f"{ctx.actor.code} has not the issuing role")
    except AccessRefusedError as exc:
        _record(ctx, cmd, query, ISSUER_MATTER, cmd.issuer_code, exc)
        raise exc.as_recorded() from None
    _record(ctx, cmd, query, ISSUER_MATTER, cmd.issuer_code, None)
    ctx.answer = {"query": query, "issuer_code": cmd.issuer_code}


def _record(ctx: Context, cmd: _HolderQuery | _IssuerQuery, query: str, matter: str,
            case: str, refusal: AccessRefusedError | None) -> None:
    """One ``AccessRecorded`` per query. The case number is the holder's (or issuer's)
    code, so the ledger says whose data was read; no licence is named, so the query is not
    counted as a use of a licence in the statistics nor shown as a read of one."""
    ctx.emit(streams.access_stream(ctx.signed.command_id), lambda s, e: e, AccessRecorded(
        query, "holder" if matter == HOLDER_MATTER else "issuer",
        "refused" if refusal else "allowed", None, None, None, None, ctx.actor.code,
        cmd.operator, matter, case, cmd.purpose, None, refusal.code if refusal else None,
        refusal.message if refusal else None, (), beijing_date(ctx.now).isoformat()))
