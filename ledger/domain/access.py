"""Use of licences (Art. 15-23, 27): every read is a recorded fact, allowed or refused.

The checks here are pure: they take the states involved and today's date and raise
:class:`AccessRefusedError` naming the rule that refuses the read. "Today" is always the
Beijing date (:func:`ledger.domain.localtime.beijing_date`): the departments, their grant windows
and their daily caps live on Beijing's calendar, not on UTC's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ledger.domain.catalogue import CatalogueEntry
from ledger.domain.departments import Department
from ledger.domain.events import DomainEvent, event
from ledger.domain.grants import CONSENT, DELEGATION, FUNCTION, Grant
from ledger.domain.licence import VALID, AnnotatedCopyMade, Licence
from ledger.errors import AccessRefusedError
from ledger.integrity.canonical import parse_date

__all__ = ["AnnotatedCopyMade"]

ACTIONS = ("verify", "view", "download", "annotate", "public_query", "bulk_read")


@event
@dataclass(frozen=True)
class AccessRecorded(DomainEvent):
    """One read of one licence (or one bulk read), with everything Art. 27 asks to log."""

    action: str
    mode: str
    outcome: str  # "allowed" or "refused"
    identifier: str | None
    licence_stream: str | None
    type_code: str | None
    issuer_code: str | None
    organisation: str
    operator: str
    matter_code: str
    case_number: str
    purpose: str
    grant_id: str | None
    code: str | None
    reason: str | None
    fields_returned: tuple[str, ...]
    day: str  # Beijing date of the read (UTC dates in events recorded before that rule)


@event
@dataclass(frozen=True)
class UseCounted(DomainEvent):
    """One allowed read under a capped grant on one Beijing day (the stream's length is the
    count, so the cap resets at 00:00 Beijing, 16:00Z)."""

    grant_id: str
    day: str


def refuse(code: str, message: str) -> AccessRefusedError:
    return AccessRefusedError(message, code=code)


def check_grant_live(grant: Grant | None, grant_id: str, today: date) -> Grant:
    if grant is None:
        raise refuse("no_grant", f"grant {grant_id} does not exist")
    if grant.revoked:
        raise refuse("grant_revoked", f"grant {grant_id} was revoked ({grant.revocation_reason})")
    if not grant.live_on(today):
        code = "grant_not_yet_valid" if today < parse_date(grant.valid_from) else "grant_expired"
        raise refuse(code, f"grant {grant_id} is valid {grant.valid_from} to"
                     f" {grant.valid_until}, not on {today}")
    return grant


def check_function_use(dept: Department, grant: Grant | None, grant_id: str, licence: Licence,
                       matter_code: str, today: date) -> tuple[str, ...]:
    """Use by government function: usage list plus a live grant; returns fields granted."""
    listed = [e for e in dept.usage_list if e["type_code"] == licence.type_code]
    if not listed:
        raise refuse("not_in_usage_list", f"licence type {licence.type_code} is not on the"
                     f" usage list (用证清单) of {dept.code}")
    scenarios = {s for e in listed for s in e["scenarios"]}
    if scenarios and matter_code not in scenarios:
        raise refuse("not_in_usage_list", f"matter {matter_code} is not among the scenarios"
                     f" {sorted(scenarios)} on the usage list of {dept.code}")
    g = check_grant_live(grant, grant_id, today)
    if g.kind != FUNCTION or g.grantee != dept.code:
        raise refuse("wrong_party", f"grant {grant_id} is not a functional grant to {dept.code}")
    if licence.type_code not in g.type_codes:
        raise refuse("type_not_granted", f"grant {grant_id} does not cover licence type"
                     f" {licence.type_code}")
    if g.scenarios and matter_code not in g.scenarios:
        raise refuse("matter_not_granted", f"grant {grant_id} does not cover matter {matter_code}")
    return g.fields


def check_cap(grant: Grant, used_today: int) -> None:
    if grant.daily_cap is not None and used_today >= grant.daily_cap:
        raise refuse("cap_exceeded", f"grant {grant.grant_id} allows {grant.daily_cap} read(s)"
                     " a day and they are used up")


# How a platform authenticated a delegate's real name before acting for them (Art. 28:
# digital certificate, electronic seal, biometrics). A platform that cannot say which of
# these it used has not attested anything, so the read is refused.
AGENT_AUTH_METHODS = ("certificate", "seal", "biometric")


@dataclass(frozen=True)
class HolderUse:
    """Who asks to use a licence under a holder's grant, and in which capacity."""

    actor: Department
    mode: str  # consent | delegation, as the read says
    agent_code: str | None = None  # delegation through a platform: the delegate presented
    agent_auth: str | None = None  # ...and how the platform authenticated their real name


def check_holder_use(use: HolderUse, grant: Grant | None, grant_id: str, licence_stream: str,
                     action: str, matter_code: str, today: date) -> None:
    """Use by holder consent or delegation, for this licence, matter, action and party.

    A consent is used only by the department it names. A delegation is used only by the
    delegate: with its own registered key (a delegate that is itself a department), or
    through a platform department that attests, in the read, the delegate's code and how
    it authenticated their real name (Art. 16-17, 28). Any other signer is refused, whatever
    agent it names.
    """
    g = check_grant_live(grant, grant_id, today)
    if g.kind not in (CONSENT, DELEGATION) or g.licence_stream != licence_stream:
        raise refuse("wrong_party", f"grant {grant_id} is not the holder's grant for this licence")
    if g.kind != use.mode:
        raise refuse("wrong_party", f"grant {grant_id} is a {g.kind}, not a {use.mode}")
    if g.kind == CONSENT:
        if g.grantee != use.actor.code:
            raise refuse("wrong_party", f"grant {grant_id} was given to {g.grantee}, not"
                         f" {use.actor.code}")
    else:
        _check_delegate(use, g)
    if action not in g.rights:
        raise refuse("right_not_granted", f"grant {grant_id} allows {', '.join(g.rights)},"
                     f" not {action}")
    if g.matter_code != matter_code:
        raise refuse("matter_not_granted", f"grant {grant_id} is for matter {g.matter_code},"
                     f" not {matter_code}")


def _check_delegate(use: HolderUse, g: Grant) -> None:
    actor = use.actor
    if actor.code == g.grantee:  # the delegate itself, authenticated by its own key
        if use.agent_code not in (None, actor.code):
            raise refuse("wrong_party", f"{actor.code} signs as the delegate of grant"
                         f" {g.grant_id} but names {use.agent_code} as the agent")
        return
    if not actor.has_role("platform"):
        raise refuse("unauthorised", f"delegated use under grant {g.grant_id} is exercised"
                     " by the delegate, with its own key or through a platform department"
                     f" attesting its real-name authentication; {actor.code} is neither")
    if use.agent_code != g.grantee:
        # Not naming the delegate: a person's ID number is not told to whoever guesses wrong.
        raise refuse("wrong_party", f"grant {g.grant_id} does not delegate to"
                     f" {use.agent_code or 'no agent'}, whom platform {actor.code} attests")
    if use.agent_auth not in AGENT_AUTH_METHODS:
        raise refuse("agent_not_authenticated", f"platform {actor.code} must attest how it"
                     f" authenticated agent {use.agent_code}'s real name: agent_auth is one of"
                     f" {', '.join(AGENT_AUTH_METHODS)}, not {use.agent_auth!r:.40}")


def public_view(entry: CatalogueEntry, licence: Licence) -> dict[str, Any]:
    """What the public may see of a licence (Art. 17(3)); refuses non-public types."""
    if entry.disclosure != "public":
        raise refuse("not_public", f"licence type {entry.type_code} ({entry.name}) is"
                     f" {entry.disclosure}, not publicly disclosed")
    public_fields = tuple(entry.definition.get("public_fields", ()))
    face: Mapping[str, Any] = licence.fields["face"]
    return {"identifier": licence.identifier, "licence_type": entry.name,
            "licence_number": licence.licence_number, "issuer": licence.issuer_code,
            "status": licence.status,
            "face": {k: face[k] for k in public_fields if k in face}}


def check_annotation(licence: Licence, entry: CatalogueEntry, copies: tuple[Any, ...],
                     valid_until: str, today: date) -> None:
    """Copies: licence valid, end not past and within the cap, at most K live per window."""
    if licence.status != VALID:
        raise refuse("licence_not_valid", f"licence {licence.identifier} has status"
                     f" {licence.status}; annotated copies are made of valid licences only")
    end = parse_date(valid_until)
    limits = entry.definition.get("annotation") or {"max_days": 90, "max_live": 3}
    max_days = int(limits["max_days"])
    if end < today:
        raise refuse("copy_expired", f"valid_until {end} is in the past")
    licence_end = licence.fields.get("valid_until")
    if licence_end is not None and parse_date(licence_end) < today:
        raise refuse("licence_not_valid", f"licence {licence.identifier} was valid until"
                     f" {licence_end}; it has lapsed even if no expiry was recorded yet")
    if licence_end is not None and end > parse_date(licence_end):
        raise refuse("copy_outlives_licence", f"a copy valid until {end} would outlive the"
                     f" licence, which is valid until {licence_end}")
    if end > today + timedelta(days=max_days):
        raise refuse("copy_too_long", f"an annotated copy of {entry.name} may be valid for at"
                     f" most {max_days} days (until {today + timedelta(days=max_days)})")
    window_start = today - timedelta(days=max_days)
    live = [c for c in copies
            if parse_date(c["valid_until"]) >= today and parse_date(c["made_on"]) > window_start]
    if len(live) >= int(limits["max_live"]):
        raise refuse("too_many_copies", f"licence {licence.identifier} already has"
                     f" {len(live)} live annotated copies; at most {limits['max_live']} per"
                     f" {limits['max_days']} days")
