"""Departments, their roles, their signing keys and their usage lists (用证清单, Art. 18).

Key history lives in the ledger itself: keys are registered, retired on rotation and
revoked as events. A *retired* key signed honestly until it was rotated out; a *revoked*
key is presumed compromised, so from the moment of revocation nothing it signs is
accepted, whatever signing time the command claims (a thief can backdate). Events the
ledger accepted before the revocation stay valid: they were checked when they arrived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from ledger.domain.events import DomainEvent, event
from ledger.errors import (
    AlreadyExistsError,
    IllegalTransitionError,
    InvalidCommandError,
    KeyNotValidError,
    NotFoundError,
    UnknownKeyError,
)
from ledger.integrity.canonical import parse_instant

# "platform": the trusted service platform through which real-name-verified holders
# show their licences and give consent (Art. 5, 16, 23).
ROLES = ("management", "issuing", "using", "platform")

# Why a key may not sign a command (KeyRecord.fault).
NOT_YET_VALID: Final = "not_yet_valid"
"""The command claims to be signed before the key was registered."""
REVOKED: Final = "revoked"
"""The key was revoked before the command was accepted."""
RETIRED: Final = "retired"
"""The command claims to be signed at or after a rotation retired the key."""


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    algorithm: str
    public_key: str  # base64
    registered_at: str
    retired_at: str | None = None
    revoked_at: str | None = None
    revocation_reason: str | None = None

    @property
    def active(self) -> bool:
        """Neither retired by a rotation nor revoked."""
        return self.revoked_at is None and self.retired_at is None

    def fault(self, signed_at: datetime, accepted_at: str | None = None) -> str | None:
        """Why this key may not sign a command signed at ``signed_at``, or None if it may.

        The one rule for the ledger, its audit and the archive verifier: a key signs from
        its registration until a rotation retires it, judged by the signing time the
        command claims; a revoked key signs nothing accepted from the moment of
        revocation, whatever that claim. ``accepted_at`` is when the ledger accepted the
        command, for judging history; None means now, with this record as the ledger
        holds it, so every revocation it knows of counts. Returns :data:`NOT_YET_VALID`,
        :data:`REVOKED` or :data:`RETIRED`; ValueError if a stored instant is not one.
        """
        if signed_at < parse_instant(self.registered_at):
            return NOT_YET_VALID
        # Both are the ledger's own instants, fixed width (format_instant): they sort as text.
        if self.revoked_at is not None and (accepted_at is None or self.revoked_at <= accepted_at):
            return REVOKED
        if self.retired_at is not None and signed_at >= parse_instant(self.retired_at):
            return RETIRED
        return None

    def check_usable(self, signed_at: datetime) -> None:
        """Raise unless this key may sign at ``signed_at`` and be accepted now."""
        fault = self.fault(signed_at)
        if fault == NOT_YET_VALID:
            raise KeyNotValidError(
                f"key {self.key_id} was registered at {self.registered_at},"
                " after the command claims to have been signed",
            )
        if fault == REVOKED:
            raise KeyNotValidError(
                f"key {self.key_id} was revoked at {self.revoked_at}"
                f" ({self.revocation_reason}); nothing it signs is accepted any more",
            )
        if fault == RETIRED:
            raise KeyNotValidError(
                f"key {self.key_id} was retired at {self.retired_at} by a key rotation;"
                " sign with the department's current key",
            )


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    roles: tuple[str, ...]
    area_code: str
    keys: Mapping[str, KeyRecord] = field(default_factory=dict)
    usage_list: tuple[Mapping[str, Any], ...] = ()

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def key(self, key_id: str) -> KeyRecord:
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownKeyError(
                f"key {key_id} is not registered to department {self.code}"
            ) from None

    def active_keys(self) -> list[KeyRecord]:
        return [k for k in self.keys.values() if k.active]


@event
@dataclass(frozen=True)
class DepartmentRegistered(DomainEvent):
    code: str
    name: str
    roles: tuple[str, ...]
    area_code: str


@event
@dataclass(frozen=True)
class DepartmentKeyRegistered(DomainEvent):
    code: str
    key_id: str
    algorithm: str
    public_key: str
    registered_at: str


@event
@dataclass(frozen=True)
class DepartmentKeyRetired(DomainEvent):
    code: str
    key_id: str
    retired_at: str
    replaced_by: str


@event
@dataclass(frozen=True)
class DepartmentKeyRevoked(DomainEvent):
    code: str
    key_id: str
    revoked_at: str
    reason: str


@event
@dataclass(frozen=True)
class UsageListSet(DomainEvent):
    code: str
    entries: tuple[Mapping[str, Any], ...]


@event
@dataclass(frozen=True)
class GenesisRecorded(DomainEvent):
    """The first management department; afterwards only management registers departments."""

    management_code: str


def register_department(
    current: Department | None, code: str, name: str, roles: tuple[str, ...], area_code: str
) -> DepartmentRegistered:
    if current is not None:
        raise AlreadyExistsError(f"department {code} is already registered as {current.name!r}")
    return DepartmentRegistered(code, name, roles, area_code)


def register_key(
    dept: Department, key_id: str, algorithm: str, public_key: str, at: str
) -> DepartmentKeyRegistered:
    if key_id in dept.keys:
        raise AlreadyExistsError(f"key {key_id} is already registered to department {dept.code}")
    return DepartmentKeyRegistered(dept.code, key_id, algorithm, public_key, at)


def retire_key(dept: Department, key_id: str, replaced_by: str, at: str) -> DepartmentKeyRetired:
    record = dept.key(key_id)
    if not record.active:
        raise IllegalTransitionError(f"key {key_id} of {dept.code} is no longer active")
    return DepartmentKeyRetired(dept.code, key_id, at, replaced_by)


def revoke_key(dept: Department, key_id: str, reason: str, at: str) -> DepartmentKeyRevoked:
    record = dept.key(key_id)
    if record.revoked_at is not None:
        raise IllegalTransitionError(f"key {key_id} of {dept.code} is already revoked")
    return DepartmentKeyRevoked(dept.code, key_id, at, reason)


KeyEvent = DepartmentKeyRegistered | DepartmentKeyRetired | DepartmentKeyRevoked


def apply_key(current: KeyRecord | None, evt: KeyEvent) -> KeyRecord:
    """A department key after one of its events; KeyError if it ends a key never registered.

    The department's state, the audit and the archive verifier all follow keys by this."""
    if isinstance(evt, DepartmentKeyRegistered):
        return KeyRecord(evt.key_id, evt.algorithm, evt.public_key, evt.registered_at)
    if current is None:
        raise KeyError(evt.key_id)
    if isinstance(evt, DepartmentKeyRetired):
        return replace(current, retired_at=evt.retired_at)
    return replace(current, revoked_at=evt.revoked_at, revocation_reason=evt.reason)


def apply_department(state: Department | None, evt: DomainEvent) -> Department:
    if isinstance(evt, DepartmentRegistered):
        return Department(evt.code, evt.name, tuple(evt.roles), evt.area_code)
    if state is None:
        raise NotFoundError(f"{type(evt).__name__} before DepartmentRegistered")
    if isinstance(evt, DepartmentKeyRegistered | DepartmentKeyRetired | DepartmentKeyRevoked):
        record = apply_key(state.keys.get(evt.key_id), evt)
        return replace(state, keys={**state.keys, evt.key_id: record})
    if isinstance(evt, UsageListSet):
        return replace(state, usage_list=tuple(evt.entries))
    raise TypeError(f"{type(evt).__name__} does not apply to a department")


# -- genesis: the first command of a ledger ------------------------------------------------
def check_genesis_command(is_department_registration: bool) -> None:
    """Before genesis, the only command a ledger accepts registers a department."""
    if not is_department_registration:
        raise UnknownKeyError(
            "the ledger has no departments yet: the first command must register the"
            " management department", code="unknown_actor",
        )


def genesis(code: str, roles: tuple[str, ...]) -> GenesisRecorded:
    """The first department registered must be the management one; it records genesis
    (afterwards only management registers departments)."""
    if "management" not in roles:
        raise InvalidCommandError(
            "payload.roles: the first department registered must be the management one")
    return GenesisRecorded(code)
