"""A licence lineage's writes: each step's licence event with the uniqueness claims it
needs (a licence number per type; where the catalogue says so, one live licence per
holder), checked against the type's catalogue entry.

Pure: the caller loads the licence, the catalogue entry and (through ``current``) the
claims, then writes the ``claims`` and, last, the ``licence`` event, in that order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.domain import indexes
from ledger.domain import licence as lic
from ledger.domain.catalogue import CatalogueEntry, check_licence_fields
from ledger.domain.identifiers import LicenceIdentifier
from ledger.domain.licence import Licence, LicenceIssued, LicenceStatusChanged, LicenceVersioned


@dataclass(frozen=True)
class Step:
    claims: indexes.Writes
    licence: LicenceIssued | LicenceVersioned | LicenceStatusChanged


def issue(current: Licence | None, entry: CatalogueEntry, identifier: str, issuer_code: str,
          serial: str, fields: Mapping[str, Any], previous_identifier: str | None,
          claims: indexes.Lookup) -> Step:
    """Issue (01) or transfer in (08): fields checked, the serial new, number and slots free."""
    check_licence_fields(entry, fields)
    issued = lic.issue(current, entry, identifier, issuer_code, serial, fields,
                       previous_identifier)
    return Step(indexes.claims(entry.type_code, entry.multiple_per_holder, fields, identifier,
                               None, claims), issued)


def new_version(current: Licence, entry: CatalogueEntry, ident: LicenceIdentifier, kind: str,
                reason: str, fields: Mapping[str, Any], claims: indexes.Lookup) -> Step:
    """A change, correction or renewal of the version ``ident``: the next version claims
    what it newly needs."""
    check_licence_fields(entry, fields)
    identifier = str(ident.next_version())
    versioned = lic.new_version(current, entry, identifier, kind, reason, fields)
    # A lapsed licence released its holder slots; renewing it must take them back.
    previous = current.fields if current.live else {**current.fields, "holders": ()}
    return Step(indexes.claims(entry.type_code, entry.multiple_per_holder, fields, identifier,
                               previous, claims), versioned)


def change_status(current: Licence, entry: CatalogueEntry, action: str, reason: str,
                  claims: indexes.Lookup, **extra: Any) -> Step:
    """A status change: withdrawing frees the holders' slots, reinstating takes them back."""
    evt = lic.change_status(current, action, reason, **extra)
    writes: indexes.Writes = []
    if not entry.multiple_per_holder:
        if current.live and evt.status in lic.WITHDRAWN:
            writes = indexes.release_slots(current.type_code, current.holders,
                                           current.identifier)
        elif not current.live and evt.status not in lic.WITHDRAWN:
            writes = indexes.claims(current.type_code, entry.multiple_per_holder,
                                    current.fields, current.identifier,
                                    {**current.fields, "holders": ()}, claims)
    return Step(writes, evt)
