"""The keys an audit judges signatures with, as the log has told them so far.

Ledger keys come from :class:`~ledger.integrity.ledger_keys.LedgerKeyHistory` (a later key
must be endorsed by an earlier one); department keys are
:class:`~ledger.domain.departments.KeyRecord` and judged by its one validity rule, at the
signing time a command claims and the instant the ledger recorded it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Final

from ledger.domain.departments import NOT_YET_VALID, REVOKED, KeyRecord
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
        elif record.type == "DepartmentKeyRegistered":
            self.departments[(d["code"], d["key_id"])] = (
                KeyRecord(d["key_id"], d["algorithm"], d["public_key"], d["registered_at"]),
                b64decode(d["public_key"], what="department public key"))
        else:
            self._end(record.type, d)

    def _end(self, event_type: str, d: dict[str, Any]) -> None:
        entry = self.departments.get((d["code"], d["key_id"]))
        revoked = event_type == "DepartmentKeyRevoked"
        if entry is None:
            raise AuditFailure(("revokes" if revoked else "retires")
                               + " a key that was never registered")
        key, public = entry
        ended = (replace(key, revoked_at=d["revoked_at"]) if revoked
                 else replace(key, retired_at=d["retired_at"]))
        self.departments[(d["code"], d["key_id"])] = ended, public

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
