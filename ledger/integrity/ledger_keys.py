"""The ledger-key history: which ledger keys were registered, endorsed and retired.

The ledger registers its first key on first use; each later key is rotated in with the
endorsement of a key registered before it, and the key it replaces is retired. A seal or
a checkpoint verifies with a registered ledger key that was not retired before it was
signed. Everyone who needs the history folds it here, from the ``LedgerKeyRegistered``
and ``LedgerKeyRetired`` events in log order: the ledger before it signs, the audit, the
checkpoint audit, the archive export and its offline verifier, and the restore check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from ledger.errors import InvalidSignatureError
from ledger.integrity.mapper import Record
from ledger.integrity.sealing import endorsement_message
from ledger.integrity.signing import b64decode, verify

UNENDORSED: Final = "unendorsed"
"""A later key names no earlier key as its endorser, or carries no endorsement."""
BAD_ENDORSEMENT: Final = "bad_endorsement"
"""A later key's endorsement does not verify with the key it names."""

_EXPORTED: Final = ("key_id", "algorithm", "public_key", "registered_at", "endorsed_by",
                    "endorsement")


class LedgerKeyHistory:
    """The ledger keys registered so far, in order, and which of them were retired."""

    def __init__(self) -> None:
        """Start with no key registered."""
        self.keys: dict[str, tuple[str, bytes]] = {}
        """Registered keys by id: (algorithm, raw public key); the first key comes first."""
        self.retired: dict[str, str] = {}
        """Retired keys by id: when each was (first) retired."""
        self._registrations: list[dict[str, Any]] = []

    @classmethod
    def of(cls, records: Iterable[Record]) -> LedgerKeyHistory:
        """The history told by ``records`` (other events among them are passed over)."""
        history = cls()
        for record in records:
            history.apply(record.type, record.data)
        return history

    def apply(self, event_type: str, data: Mapping[str, Any]) -> None:
        """Fold one event in, if it is a ledger-key event."""
        if event_type == "LedgerKeyRegistered":
            self.register(data)
        elif event_type == "LedgerKeyRetired":
            self.retire(str(data["key_id"]), data["retired_at"])

    def register(self, data: Mapping[str, Any]) -> None:
        """Add the key a ``LedgerKeyRegistered`` event's data describes (its endorsement is
        :meth:`endorsement_fault`'s to judge); ValueError if its public key is not base64."""
        public = b64decode(data["public_key"], what="ledger public key")
        self._registrations.append({k: data[k] for k in _EXPORTED} | {"retired_at": None})
        self.keys[data["key_id"]] = (data["algorithm"], public)

    def retire(self, key_id: str, at: str) -> None:
        """Mark ``key_id`` retired at ``at`` (a key never registered is remembered too)."""
        self.retired.setdefault(key_id, at)
        for registration in self._registrations:
            if registration["key_id"] == key_id:
                registration["retired_at"] = at

    def endorsement_fault(self, data: Mapping[str, Any]) -> str | None:
        """Why the key in ``data`` may not join the history, or None: the first key needs
        no endorsement; every later one must be endorsed by a key registered before it."""
        if not self.keys:
            return None
        endorser = self.keys.get(data["endorsed_by"] or "")
        if endorser is None or data["endorsement"] is None:
            return UNENDORSED
        try:
            verify(endorser[0], endorser[1],
                   endorsement_message(data["key_id"], data["public_key"]),
                   b64decode(data["endorsement"], what="endorsement"))
        except (InvalidSignatureError, ValueError):
            return BAD_ENDORSEMENT
        return None

    def is_registered(self, key_id: str) -> bool:
        """Whether ``key_id`` was ever registered."""
        return key_id in self.keys

    def is_retired(self, key_id: str) -> bool:
        """Whether ``key_id`` was retired by a rotation."""
        return key_id in self.retired

    @property
    def first(self) -> str | None:
        """The first key registered (it names the transparency log for ever), if any."""
        return next(iter(self.keys), None)

    @property
    def current(self) -> str | None:
        """The key registered last: the one the ledger signs with, if any."""
        return self._registrations[-1]["key_id"] if self._registrations else None

    def to_json(self) -> list[dict[str, Any]]:
        """Every registration in order, with when its key was retired (the archive's
        ``ledger-keys.json``)."""
        return [dict(r) for r in self._registrations]
