"""Departments as the ledger knows them (their roles), and the platform department the
holder portal acts as, with its command key from LEDGER_KEYS_DIR."""

from __future__ import annotations

from pathlib import Path

from commands.bootstrap import Services
from ledger.domain.departments import Department
from ledger.integrity.signing import SigningKey, load_signing_key
from projections.models.queries import get_catalogue
from sharing.stored_state import get_department


def known_departments(services: Services, keys_dir: Path) -> list[Department]:
    """The departments whose command keys this server holds (the demo's keys folder):
    the choices the stand-in logins offer."""
    found = []
    for path in sorted(keys_dir.glob("*.pem")) if keys_dir.is_dir() else []:
        code = path.name.removesuffix(".pem")
        if "." in code or not code.isalnum():  # file certificates, CRLs, the demo CA
            continue
        department = get_department(services, code)
        if department is not None:
            found.append(department)
    return found


def platform_of(services: Services, keys_dir: Path) -> Department | None:
    return next((d for d in known_departments(services, keys_dir) if "platform" in d.roles),
                None)


def platform_key(keys_dir: Path, code: str) -> SigningKey:
    return load_signing_key(keys_dir / f"{code}.pem")


def names(services: Services, codes: set[str]) -> dict[str, str]:
    """Department names by code (the code itself where none is registered)."""
    out = {}
    for code in codes:
        department = get_department(services, code) if code else None
        out[code] = department.name if department else code
    return out


def type_names(services: Services) -> dict[str, str]:
    """Licence type names by code, from the catalogue's read model."""
    return {r["type_code"]: r["name"] for r in get_catalogue(services.read_db)}
