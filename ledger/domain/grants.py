"""Permission to use licences (Art. 15-17): by government function, or by the holder.

* A *functional* grant from the management department lets one using department verify,
  view or download licence types on its usage list, returning only the named face
  fields, inside a date window, optionally capped per day.
* A *consent* grant is given by a holder (through the trusted platform): a named party
  may verify and/or download one licence, for one matter, inside a window.
* A *delegation* lets an agent use one licence for one matter inside a window.
All are revocable at once; an expired or revoked grant refuses use.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from ledger.domain.events import DomainEvent, event
from ledger.errors import AlreadyExistsError, IllegalTransitionError, NotFoundError
from ledger.integrity.canonical import parse_date

FUNCTION, CONSENT, DELEGATION = "function", "consent", "delegation"


@dataclass(frozen=True)
class Grant:
    grant_id: str
    kind: str
    grantee: str  # department (function, consent) or agent code (delegation)
    valid_from: str
    valid_until: str
    type_codes: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    daily_cap: int | None = None
    scenarios: tuple[str, ...] = ()
    licence_stream: str | None = None
    holder_code: str | None = None
    rights: tuple[str, ...] = ()
    matter_code: str | None = None
    revoked: bool = False
    revocation_reason: str | None = None

    def live_on(self, day: date) -> bool:
        """Whether the grant may be used on ``day``, a Beijing date. ``valid_from`` and
        ``valid_until`` are written on the departments' calendar (China Standard Time, like
        every date on a licence), inclusive at both ends: a grant valid until 2026-03-01
        still serves at 2026-03-01T15:59:59Z and no longer at 16:00:00Z. Judging them by
        the UTC date would end every grant eight hours late."""
        return (not self.revoked
                and parse_date(self.valid_from) <= day <= parse_date(self.valid_until))


@event
@dataclass(frozen=True)
class FunctionalUseGranted(DomainEvent):
    grant_id: str
    department: str
    type_codes: tuple[str, ...]
    fields: tuple[str, ...]
    valid_from: str
    valid_until: str
    daily_cap: int | None
    scenarios: tuple[str, ...]


@event
@dataclass(frozen=True)
class ConsentGranted(DomainEvent):
    grant_id: str
    licence_stream: str
    identifier: str
    holder_code: str
    grantee: str
    rights: tuple[str, ...]
    matter_code: str
    valid_from: str
    valid_until: str


@event
@dataclass(frozen=True)
class UseDelegated(DomainEvent):
    grant_id: str
    licence_stream: str
    identifier: str
    holder_code: str
    agent_code: str
    agent_name: str
    matter_code: str
    valid_from: str
    valid_until: str


@event
@dataclass(frozen=True)
class GrantRevoked(DomainEvent):
    grant_id: str
    reason: str


def check_window(valid_from: str, valid_until: str, today: date) -> None:
    """A window is well ordered and not over yet; ``today`` is the Beijing date."""
    start, end = parse_date(valid_from), parse_date(valid_until)
    if end < start:
        raise IllegalTransitionError(f"valid_until {end} is before valid_from {start}",
                                     code="invalid_command")
    if end < today:
        raise IllegalTransitionError(f"the window ends on {end}, which is already past",
                                     code="invalid_command")


def new_grant(current: Grant | None, grant_id: str) -> None:
    if current is not None:
        raise AlreadyExistsError(f"grant {grant_id} already exists")


def revoke(current: Grant | None, grant_id: str, reason: str) -> GrantRevoked:
    if current is None:
        raise NotFoundError(f"grant {grant_id} does not exist")
    if current.revoked:
        raise IllegalTransitionError(f"grant {grant_id} is already revoked")
    return GrantRevoked(grant_id, reason)


def apply_grant(state: Grant | None, evt: DomainEvent) -> Grant:
    if isinstance(evt, FunctionalUseGranted):
        return Grant(evt.grant_id, FUNCTION, evt.department, evt.valid_from, evt.valid_until,
                     tuple(evt.type_codes), tuple(evt.fields), evt.daily_cap,
                     tuple(evt.scenarios))
    if isinstance(evt, ConsentGranted):
        return Grant(evt.grant_id, CONSENT, evt.grantee, evt.valid_from, evt.valid_until,
                     licence_stream=evt.licence_stream, holder_code=evt.holder_code,
                     rights=tuple(evt.rights), matter_code=evt.matter_code)
    if isinstance(evt, UseDelegated):
        return Grant(evt.grant_id, DELEGATION, evt.agent_code, evt.valid_from, evt.valid_until,
                     licence_stream=evt.licence_stream, holder_code=evt.holder_code,
                     rights=("verify", "view", "download"), matter_code=evt.matter_code)
    if isinstance(evt, GrantRevoked) and state is not None:
        return replace(state, revoked=True, revocation_reason=evt.reason)
    raise TypeError(f"{type(evt).__name__} does not apply to a grant")
