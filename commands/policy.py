"""Who may do what (Art. 7-9, 15, 18): checks that raise :class:`UnauthorisedError`.

Authentication (is the signature the actor's, with a key valid when it signed) is in
:mod:`commands.authenticate`; this module only answers whether an authenticated
department may perform an action on an object.
"""

from __future__ import annotations

from ledger.catalogue import CatalogueEntry
from ledger.departments import Department
from ledger.errors import UnauthorisedError
from ledger.licence import Licence


def require_role(actor: Department, role: str, action: str) -> None:
    if not actor.has_role(role):
        raise UnauthorisedError(
            f"{action} needs the {role} role; department {actor.code} ({actor.name}) has"
            f" {', '.join(actor.roles) or 'no roles'}"
        )


def require_catalogue_owner(actor: Department, action: str) -> None:
    """The management department keeps the catalogue (Art. 9)."""
    require_role(actor, "management", action)


def require_department_admin(actor: Department, target_code: str, action: str) -> None:
    """A department manages its own keys and usage list; management may act for any."""
    if actor.code != target_code and not actor.has_role("management"):
        raise UnauthorisedError(
            f"{action} for department {target_code}: only that department or the"
            f" management department may do this, not {actor.code}"
        )


def require_issuer_of_type(actor: Department, entry: CatalogueEntry) -> None:
    """A department issues only types whose catalogue entry lists it (Art. 7, 9)."""
    require_role(actor, "issuing", f"issuing {entry.name}")
    if actor.code not in entry.issuers:
        raise UnauthorisedError(
            f"department {actor.code} is not among the issuers of licence type"
            f" {entry.type_code} ({entry.name}) in catalogue version {entry.version}"
        )


def require_licence_issuer(actor: Department, licence: Licence, action: str,
                           *, management_too: bool = False) -> None:
    """Only the issuing department changes its own licences (Art. 7, 11)."""
    if actor.code == licence.issuer_code:
        return
    if management_too and actor.has_role("management"):
        return
    raise UnauthorisedError(
        f"{action} licence {licence.identifier}: it was issued by {licence.issuer_code},"
        f" and {actor.code} may not change another department's licences"
    )
