"""Is everything a command needs from *other* aggregates already in the ledger?

Commands for different aggregates travel on different partitions, so a command can
arrive before the department, key or catalogue entry it needs (posted earlier, but
still waiting on another partition). Such a command is not handled yet: the
consumer parks its partition until the dependency appears or it is certain it never
will (see :mod:`consumers.parking`). Dependencies on the command's *own* aggregate
are left to the partition's order and to the handlers.

This check only delays: it never rejects. Whatever it lets through, the bus decides.
"""

from __future__ import annotations

from commands.envelope import SignedCommand
from commands.messages import IssueLicence, RegisterDepartment, SetUsageList
from ledger import streams
from ledger.application import Ledger
from ledger.catalogue import CatalogueEntry, apply_catalogue
from ledger.departments import Department, apply_department
from ledger.events import DomainEvent


def _genesis(state: object, evt: DomainEvent) -> DomainEvent:
    return evt


def missing_dependency(ledger: Ledger, signed: SignedCommand) -> str | None:
    """What the command still waits for (a short description), or None if nothing."""
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
    for type_code in _catalogue_needs(signed):
        entry: CatalogueEntry | None = ledger.get(streams.catalogue_stream(type_code),
                                                  apply_catalogue)
        if entry is None:
            return f"licence type {type_code} in the catalogue"
    return None


def _catalogue_needs(signed: SignedCommand) -> tuple[str, ...]:
    cmd = signed.command
    if isinstance(cmd, IssueLicence):
        return (cmd.type_code,)
    if isinstance(cmd, SetUsageList):
        return tuple(dict.fromkeys(e.type_code for e in cmd.entries))
    return ()
