"""Is everything a command needs from *other* aggregates already in the ledger?

Commands for different aggregates travel on different partitions, so a command can
arrive before the department, key, catalogue entry or grant it needs (posted earlier,
but still waiting on another partition). Such a command is not handled yet: the
consumer parks its partition until the dependency appears or it is certain it never
will (see :mod:`consumers.parking`). Dependencies on the command's *own* key are left
to the partition's order and to the handlers.

What each command waits for, besides the ledger's first department and its actor's
department and signing key:

- ``IssueLicence``, ``SetUsageList``: the catalogue entries of their types;
- ``GrantFunctionalUse``: the grantee department and the catalogue entries it grants;
- ``GrantHolderConsent``: the grantee department;
- a read (verify, view, download, annotate): its grant, and, by government function
  by a department with the ``using`` role, that department's usage list. The licence
  needs no wait: reads are keyed by the licence, as are its lifecycle and its holder's
  consents and delegations, so they are ordered with all of those in one partition;
- ``RevokeGrant``: every command posted before it (a *barrier*). The reads under a
  grant travel on their licences' partitions, so a revocation must not overtake a read
  posted before it: nothing in the ledger says when it may go, only the release rule
  (every other partition has decided everything stamped before it).

This check only delays: it never rejects. Whatever it lets through, the bus decides.
Waiting makes a command see every *creation* posted before it; what it cannot order
(changes to another aggregate posted before it, reads posted after a revocation,
daily caps) is listed in docs/kafka.md, "Order across aggregates".
"""

from __future__ import annotations

from collections.abc import Collection

from commands.messages.base import Command
from commands.messages.core import IssueLicence, RegisterDepartment, SetUsageList
from commands.messages.use import (
    DelegateUse,
    GrantFunctionalUse,
    GrantHolderConsent,
    RevokeGrant,
    _Read,
)
from commands.signed.envelope import SignedCommand
from ledger.domain import streams
from ledger.domain.catalogue import CatalogueEntry, apply_catalogue
from ledger.domain.departments import Department, apply_department
from ledger.domain.events import DomainEvent
from ledger.domain.grants import FUNCTION, Grant, apply_grant
from ledger.store.application import Ledger

BARRIER = "every command posted before it (a grant revocation waits for earlier reads)"


def _genesis(state: object, evt: DomainEvent) -> DomainEvent:
    return evt


def missing_dependency(ledger: Ledger, signed: SignedCommand,
                       granted: Collection[str] = ()) -> str | None:
    """What the command still waits for (a short description), or None if nothing.

    ``granted``: grant ids created by commands handled just before this one in the
    same transaction (earlier in its batch), which count as present.
    """
    if ledger.get(streams.registry_stream(), _genesis) is None:
        cmd = signed.command
        if isinstance(cmd, RegisterDepartment) and signed.actor == cmd.code:
            return None  # the genesis command itself
        return "the ledger's first (management) department"
    actor: Department | None = ledger.get(streams.department_stream(signed.actor),
                                          apply_department)
    if actor is None:
        return f"department {signed.actor} (the actor)"
    if signed.key_id not in actor.keys:
        return f"key {signed.key_id} of department {signed.actor}"
    return _other_aggregates(ledger, signed.command, actor, granted)


def _other_aggregates(ledger: Ledger, cmd: Command, actor: Department,
                      granted: Collection[str]) -> str | None:
    if isinstance(cmd, RevokeGrant):
        return BARRIER
    for type_code in _catalogue_needs(cmd):
        entry: CatalogueEntry | None = ledger.get(streams.catalogue_stream(type_code),
                                                  apply_catalogue)
        if entry is None:
            return f"licence type {type_code} in the catalogue"
    if isinstance(cmd, GrantFunctionalUse | GrantHolderConsent):
        code = cmd.department if isinstance(cmd, GrantFunctionalUse) else cmd.grantee
        grantee: Department | None = ledger.get(streams.department_stream(code),
                                                apply_department)
        if grantee is None:
            return f"department {code} (the grantee)"
    if isinstance(cmd, _Read):
        if cmd.grant_id not in granted:
            grant: Grant | None = ledger.get(streams.grant_stream(cmd.grant_id), apply_grant)
            if grant is None:
                return f"grant {cmd.grant_id}"
        # A function read checks the usage list first; a department without the using
        # role is refused whatever its list says, so it has nothing to wait for.
        if cmd.mode == FUNCTION and actor.has_role("using") and not actor.usage_list:
            return f"the usage list of department {actor.code}"
    return None


def _catalogue_needs(cmd: Command) -> tuple[str, ...]:
    if isinstance(cmd, IssueLicence):
        return (cmd.type_code,)
    if isinstance(cmd, SetUsageList):
        return tuple(dict.fromkeys(e.type_code for e in cmd.entries))
    if isinstance(cmd, GrantFunctionalUse):
        return tuple(dict.fromkeys(cmd.type_codes))
    return ()


def grant_created(signed: SignedCommand) -> str | None:
    """The grant id a command creates, if it creates one (for ``granted`` above)."""
    cmd = signed.command
    if isinstance(cmd, GrantFunctionalUse | GrantHolderConsent | DelegateUse):
        return cmd.grant_id
    return None
