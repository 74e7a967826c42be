"""Handlers for the catalogue and for departments: validate everything, then emit."""

from __future__ import annotations

from commands.authorisation import policy
from commands.handlers.context import Context
from commands.messages.core import (
    RegisterDepartment,
    RegisterDepartmentKey,
    RegisterLicenceType,
    ReviseLicenceType,
    RevokeDepartmentKey,
    RotateDepartmentKey,
    SetUsageList,
)
from commands.messages.definitions import decode_definition
from commands.messages.fields import fail
from ledger.domain import catalogue, departments, streams
from ledger.domain.catalogue import apply_catalogue
from ledger.domain.departments import Department, apply_department
from ledger.domain.identifiers import IdentifierError, validate_uscc
from ledger.domain.text import is_ascii_digits
from ledger.errors import InvalidCommandError, NotFoundError
from ledger.integrity.signing import SCHEMES, b64decode, key_id_for


def register_licence_type(cmd: RegisterLicenceType, ctx: Context) -> None:
    definition = decode_definition(cmd.type_code, cmd.definition)
    stream = streams.catalogue_stream(cmd.type_code)
    current = ctx.get(stream, apply_catalogue)
    ctx.emit(stream, apply_catalogue, catalogue.register_type(current, cmd.type_code, definition))


def revise_licence_type(cmd: ReviseLicenceType, ctx: Context) -> None:
    definition = decode_definition(cmd.type_code, cmd.definition)
    stream = streams.catalogue_stream(cmd.type_code)
    current = ctx.get(stream, apply_catalogue)
    ctx.emit(stream, apply_catalogue, catalogue.revise_type(current, cmd.type_code, definition))


def _key_id(algorithm: str, public_key: str) -> str:
    if algorithm not in SCHEMES:
        fail("payload.algorithm", f"{algorithm!r} is not supported; use {', '.join(SCHEMES)}")
    try:
        raw = b64decode(public_key, what="payload.public_key")
    except ValueError as exc:
        raise InvalidCommandError(str(exc)) from None
    if algorithm == "ed25519" and len(raw) != 32:
        fail("payload.public_key", f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return key_id_for(algorithm, raw)


def register_department(cmd: RegisterDepartment, ctx: Context, *, genesis: bool) -> None:
    try:
        validate_uscc(cmd.code)
    except IdentifierError as exc:
        fail("payload.code", str(exc))
    roles = tuple(dict.fromkeys(cmd.roles))
    bad = [r for r in roles if r not in departments.ROLES]
    if bad or not roles:
        fail("payload.roles", f"expected one or more of {', '.join(departments.ROLES)}")
    if not is_ascii_digits(cmd.area_code, 6):
        fail("payload.area_code", "expected a 6-digit GB/T 2260 area code")
    key_id = _key_id(cmd.algorithm, cmd.public_key)
    if genesis:
        ctx.emit(streams.registry_stream(), lambda s, e: e,
                 departments.genesis(cmd.code, roles))
    else:
        policy.may_register_department(ctx.actor)
    stream = streams.department_stream(cmd.code)
    current = ctx.get(stream, apply_department)
    ctx.emit(stream, apply_department,
             departments.register_department(current, cmd.code, cmd.name, roles, cmd.area_code))
    dept = ctx.get(stream, apply_department)
    ctx.emit(stream, apply_department,
             departments.register_key(dept, key_id, cmd.algorithm, cmd.public_key, ctx.signed_at))


def _target(ctx: Context, code: str) -> Department:
    """The department a key or usage-list command names (the bus has authorised it)."""
    dept: Department | None = ctx.get(streams.department_stream(code), apply_department)
    if dept is None:
        raise NotFoundError(f"department {code} is not registered")
    return dept


def register_department_key(cmd: RegisterDepartmentKey, ctx: Context) -> None:
    dept = _target(ctx, cmd.code)
    key_id = _key_id(cmd.algorithm, cmd.public_key)
    ctx.emit(streams.department_stream(cmd.code), apply_department,
             departments.register_key(dept, key_id, cmd.algorithm, cmd.public_key, ctx.signed_at))


def rotate_department_key(cmd: RotateDepartmentKey, ctx: Context) -> None:
    dept = _target(ctx, cmd.code)
    key_id = _key_id(cmd.algorithm, cmd.public_key)
    retire = departments.retire_key(dept, cmd.old_key_id, key_id, ctx.signed_at)
    register = departments.register_key(dept, key_id, cmd.algorithm, cmd.public_key,
                                        ctx.signed_at)
    stream = streams.department_stream(cmd.code)
    ctx.emit(stream, apply_department, register)
    ctx.emit(stream, apply_department, retire)


def revoke_department_key(cmd: RevokeDepartmentKey, ctx: Context) -> None:
    dept = _target(ctx, cmd.code)
    ctx.emit(streams.department_stream(cmd.code), apply_department,
             departments.revoke_key(dept, cmd.key_id, cmd.reason, ctx.at))


def set_usage_list(cmd: SetUsageList, ctx: Context) -> None:
    """A using department keeps its own usage list (Art. 18); management may set it too."""
    dept = _target(ctx, cmd.code)
    entries = []
    for i, entry in enumerate(cmd.entries):
        if ctx.get(streams.catalogue_stream(entry.type_code), apply_catalogue) is None:
            raise NotFoundError(
                f"payload.entries[{i}].type_code: licence type {entry.type_code} is not in"
                " the catalogue"
            )
        entries.append({"type_code": entry.type_code, "scenarios": entry.scenarios})
    ctx.emit(streams.department_stream(dept.code), apply_department,
             departments.UsageListSet(dept.code, tuple(entries)))
