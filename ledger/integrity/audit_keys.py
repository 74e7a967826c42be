"""The keys an audit judges signatures with, as the log has told them so far.

Ledger keys come from :class:`~ledger.integrity.ledger_keys.LedgerKeyHistory` (a later key
must be endorsed by an earlier one); department keys are
:class:`~ledger.domain.departments.KeyRecord` and judged by its one validity rule, at the
signing time a command claims and the instant the ledger recorded it.
"""

from __future__ import annotations

from typing import Any, Final, Generic, TypeVar

from ledger.domain.departments import (
    NOT_YET_VALID,
    REVOKED,
    DepartmentKeyRegistered,
    DepartmentKeyRevoked,
    KeyEvent,
    KeyRecord,
    apply_key,
)
from ledger.errors import InvalidSignatureError
from ledger.integrity.audit_report import AuditFailure
from ledger.integrity.canonical import parse_instant
from ledger.integrity.ledger_keys import UNENDORSED, LedgerKeyHistory
from ledger.integrity.mapper import Record
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import b64decode, verify

KEY_EVENTS: Final = frozenset({"LedgerKeyRegistered", "LedgerKeyRetired",
                               "DepartmentKeyRegistered", "DepartmentKeyRetired",
                               "DepartmentKeyRevoked"})
ENDINGS: Final = frozenset({"DepartmentKeyRetired", "DepartmentKeyRevoked"})
"""Key events that end a department key: applied only after the command that caused them
was judged, since such a command is often signed by the very key it ends."""


E = TypeVar("E")


class DelayedKeyEndings(Generic[E]):
    """The one rule for when a rotation or revocation takes effect, kept by the audit and the
    archive check alike: a key ends at the very instant its ending command was signed, yet
    that command is judged by the keys as they were before it. An ending waits here under
    its command's id until that command's receipt was checked; an ending with no command
    (a ledger-initiated one) is released at once."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[E]] = {}

    def hold(self, command_id: str, ending: E) -> None:
        self._waiting.setdefault(command_id, []).append(ending)

    def release(self, command_id: str) -> list[E]:
        """The endings ``command_id`` caused, to apply now that it was judged (once)."""
        return self._waiting.pop(command_id, [])


class AuditKeys:
    """Ledger and department keys met so far; raises :class:`AuditFailure` on misuse."""

    def __init__(self) -> None:
        """Start with no keys."""
        self.ledger = LedgerKeyHistory()
        self.departments: dict[tuple[str, str], tuple[KeyRecord, bytes]] = {}

    def apply(self, record: Record) -> None:
        """Fold in one of :data:`KEY_EVENTS`."""
        d = record.data
        if record.type == "LedgerKeyRegistered":
            fault = self.ledger.endorsement_fault(d)
            if fault == UNENDORSED:
                raise AuditFailure(f"ledger key {d['key_id']} is not endorsed by an earlier"
                                   " ledger key")
            if fault is not None:
                raise AuditFailure(f"endorsement of ledger key {d['key_id']} does not verify")
            self.ledger.register(d)
        elif record.type == "LedgerKeyRetired":
            if not self.ledger.is_registered(d["key_id"]):
                raise AuditFailure("retires a ledger key that was never registered")
            self.ledger.retire(d["key_id"], d["retired_at"])
        else:
            self._department_key(record)

    def _department_key(self, record: Record) -> None:
        evt = record.event()
        assert isinstance(evt, KeyEvent)
        where = (evt.code, evt.key_id)
        if isinstance(evt, DepartmentKeyRegistered):
            public = b64decode(evt.public_key, what="department public key")
            self.departments[where] = apply_key(None, evt), public
            return
        entry = self.departments.get(where)
        if entry is None:
            raise AuditFailure(("revokes" if isinstance(evt, DepartmentKeyRevoked) else
                                "retires") + " a key that was never registered")
        self.departments[where] = apply_key(entry[0], evt), entry[1]

    def verify_command(self, command: dict[str, Any], recorded_at: str) -> None:
        """A department's signed command, recorded at ``recorded_at``: its key and signature."""
        entry = self.departments.get((command["actor"], command["key_id"]))
        if entry is None:
            raise AuditFailure(f"key {command['key_id']} was not registered to"
                               f" {command['actor']}")
        key, public = entry
        fault = key.fault(parse_instant(command["issued_at"]), recorded_at)
        if fault == NOT_YET_VALID:
            raise AuditFailure("signed before its key was registered")
        if fault == REVOKED:
            raise AuditFailure(f"accepted after its key was revoked at {key.revoked_at}")
        if fault is not None:
            raise AuditFailure(f"signed after its key was retired at {key.retired_at}")
        try:
            verify(key.algorithm, public, signing_bytes(command),
                   b64decode(command["signature"], what="command signature"))
        except (InvalidSignatureError, ValueError):
            raise AuditFailure("department signature does not verify") from None
