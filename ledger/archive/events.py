"""The events of an archive package, checked with nothing but the package itself.

Shared by the export (which derives key histories and licence states with these very
functions) and the offline verifier (which derives them again and checks every chain
link, ledger seal and department signature). Problems are collected as sentences.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Final
from uuid import UUID

import orjson

from ledger.domain.departments import (
    NOT_YET_VALID,
    RETIRED,
    REVOKED,
    DepartmentKeyRegistered,
    DepartmentKeyRetired,
    DepartmentKeyRevoked,
    KeyRecord,
    apply_key,
)
from ledger.domain.licence import apply_licence
from ledger.domain.upcasting import UpcastError
from ledger.errors import InvalidSignatureError
from ledger.integrity.audit_keys import DelayedKeyEndings
from ledger.integrity.canonical import canonical_bytes, parse_instant, sha256_hex, thaw
from ledger.integrity.ledger_keys import LedgerKeyHistory
from ledger.integrity.mapper import Record, stored_body, stored_type_version
from ledger.integrity.sealing import seal_message
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import b64decode, verify
from ledger.reconciliation.reconcile import Period

ROLES: Final = ("period", "history", "department", "ledger-key", "command", "seal")
"""Why an event is in a package: it happened in the period; it is an earlier version of a
licence that did; it is the key history of a department that signed; of the ledger; it
is the signed command behind an event; it is the ledger seal over an event."""
CHAINED: Final = frozenset({"period", "history", "department", "ledger-key"})
"""Roles whose streams are carried whole from version 1, so their chains can be checked."""


def parse_record(line: bytes) -> Record:
    """A stored event from its canonical bytes; ValueError says what is wrong."""
    try:
        body = orjson.loads(line)
        record = Record(UUID(body["stream"]), body["version"], body["type"], body["at"],
                        body["data"], body["cause"], body["prev"], line,
                        type_version=stored_type_version(body))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a stored ledger event ({exc})") from None
    if canonical_bytes(stored_body(record)) != line:
        raise ValueError("not in canonical form (altered?)")
    try:
        record.event()
    except UpcastError as exc:
        raise ValueError(str(exc)) from None
    except (KeyError, TypeError):
        raise ValueError(f"data does not fit a known event type {record.type!r}") from None
    return record


def department_key_history(records: Iterable[Record]) -> dict[str, list[dict[str, Any]]]:
    """Each department's keys, in order, with retirement and revocation times."""
    keys: dict[str, dict[str, KeyRecord]] = {}
    for r in records:
        if r.type not in _DEPARTMENT_KEY_EVENTS:
            continue
        evt = r.event()
        assert isinstance(evt, DepartmentKeyRegistered | DepartmentKeyRetired
                          | DepartmentKeyRevoked)
        if isinstance(evt, DepartmentKeyRegistered):
            keys.setdefault(evt.code, {})[evt.key_id] = apply_key(None, evt)
        elif evt.key_id in keys.get(evt.code, {}):  # an ending of a key never registered
            keys[evt.code][evt.key_id] = apply_key(keys[evt.code][evt.key_id], evt)
    return {code: [{"key_id": k.key_id, "algorithm": k.algorithm, "public_key": k.public_key,
                    "registered_at": k.registered_at, "retired_at": k.retired_at,
                    "revoked_at": k.revoked_at} for k in held.values()]
            for code, held in keys.items()}


_DEPARTMENT_KEY_EVENTS: Final = frozenset({"DepartmentKeyRegistered", "DepartmentKeyRetired",
                                           "DepartmentKeyRevoked"})


def licence_states(records: Iterable[Record], streams: set[UUID],
                   period: Period) -> list[dict[str, Any]]:
    """The state at the end of ``period`` of each licence stream in ``streams``."""
    states: dict[UUID, Any] = {}
    for r in records:
        if r.stream in streams and r.at < period.end:
            states[r.stream] = apply_licence(states.get(r.stream), r.event())
    return sorted(({"stream": str(s), **{f.name: thaw(getattr(lic, f.name))
                                        for f in dataclasses.fields(lic)}}
                   for s, lic in states.items()), key=lambda s: str(s["identifier"]))


class EventChecks:
    """Chains, ledger seals and department signatures of a package's events."""

    def __init__(self) -> None:
        """Start with no keys known."""
        self.problems: list[str] = []
        self.ledger_history = LedgerKeyHistory()
        self._dept_keys: dict[tuple[str, str], KeyRecord] = {}
        self._heads: dict[UUID, tuple[int, str]] = {}
        self._unsealed: dict[str, str] = {}  # event hash -> where
        self._causes: dict[str, list[Record]] = {}
        self._pending_keys: DelayedKeyEndings[DepartmentKeyRetired | DepartmentKeyRevoked] = (
            DelayedKeyEndings())

    @property
    def ledger_keys(self) -> dict[str, tuple[str, bytes]]:
        """The ledger keys met so far: (algorithm, raw public key) by key id."""
        return self.ledger_history.keys

    def run(self, events: list[tuple[Record, str]]) -> list[str]:
        """Check ``(record, role)`` pairs given in log order; returns the problems."""
        for record, role in events:
            where = f"event {record.stream}/{record.version} ({record.type})"
            try:
                self._event(record, role, where)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                self.problems.append(f"{where}: malformed ({exc!r})")
        for where in self._unsealed.values():
            self.problems.append(f"{where}: no ledger seal in the package covers it")
        for command_id, caused in self._causes.items():
            self.problems.append(f"event {caused[0].stream}/{caused[0].version}: its command"
                                 f" {command_id} is not in the package")
        return self.problems

    def _event(self, record: Record, role: str, where: str) -> None:
        self._chain(record, role, where)
        if record.type == "BatchSealed":
            self._seal(record, where)
            return
        self._unsealed[record.hash] = where
        self._keys(record, where)
        if record.cause is not None:
            self._causes.setdefault(str(record.cause.get("command_id")), []).append(record)
        if record.type == "CommandRecorded":
            self._command(record, where)

    def _chain(self, record: Record, role: str, where: str) -> None:
        if role not in CHAINED:
            return
        version, prev = self._heads.get(record.stream, (0, None))
        if record.version != version + 1 or record.prev != prev:
            self.problems.append(f"{where}: does not follow version {version} of its stream"
                                 " (hash chain broken, or an event missing)")
        self._heads[record.stream] = (record.version, record.hash)

    def _seal(self, record: Record, where: str) -> None:
        data = record.data
        key = self.ledger_keys.get(data["key_id"])
        try:
            if key is None or self.ledger_history.is_retired(data["key_id"]):
                raise ValueError
            message = seal_message(data["lane"], record.version, record.prev,
                                   list(data["events"]), data["key_id"], record.at)
            verify(key[0], key[1], message, b64decode(data["signature"], what="seal"))
        except (InvalidSignatureError, ValueError):
            self.problems.append(f"{where}: the ledger seal does not verify with an active"
                                 " ledger key")
            return
        for h in data["events"]:
            self._unsealed.pop(h, None)

    def _keys(self, record: Record, where: str) -> None:
        d = record.data
        if record.type == "LedgerKeyRegistered":
            if self.ledger_history.endorsement_fault(d) is not None:
                self.problems.append(f"{where}: ledger key {d['key_id']} is not endorsed by"
                                     " the ledger key before it")
            self.ledger_history.register(d)
        elif record.type == "LedgerKeyRetired":
            self.ledger_history.retire(d["key_id"], d["retired_at"])
        elif record.type == "DepartmentKeyRegistered":
            evt = record.event()
            assert isinstance(evt, DepartmentKeyRegistered)
            self._dept_keys[(evt.code, evt.key_id)] = apply_key(None, evt)
        elif record.type in ("DepartmentKeyRetired", "DepartmentKeyRevoked"):
            # A rotation or revocation is often signed by the very key it ends, at the
            # instant it ends it: judge that command by the keys as they were before it.
            command_id = str((record.cause or {}).get("command_id"))
            ending = record.event()
            assert isinstance(ending, DepartmentKeyRetired | DepartmentKeyRevoked)
            self._pending_keys.hold(command_id, ending)
            if record.cause is None:
                self._end_keys(command_id)

    def _end_keys(self, command_id: str) -> None:
        for ending in self._pending_keys.release(command_id):
            key = self._dept_keys.get((ending.code, ending.key_id))
            if key is not None:
                self._dept_keys[(ending.code, ending.key_id)] = apply_key(key, ending)

    def _command(self, record: Record, where: str) -> None:
        d = record.data
        command, command_id = d["command"], d["command_id"]
        unsigned = signing_bytes(command)
        key = self._dept_keys.get((command["actor"], command["key_id"]))
        problem = None
        fault = None if key is None else key.fault(parse_instant(command["issued_at"]),
                                                   record.at)
        if key is None:
            problem = f"its key {command['key_id']} is not registered to {command['actor']}"
        elif fault == NOT_YET_VALID:
            problem = "it was signed before its key was registered"
        elif fault == REVOKED:
            problem = f"it was recorded after its key was revoked at {key.revoked_at}"
        elif fault == RETIRED:
            problem = f"it was signed after its key was retired at {key.retired_at}"
        elif sha256_hex(unsigned) != d["digest"]:
            problem = "its digest does not match the stored command"
        elif not _verifies((key.algorithm, b64decode(key.public_key, what="key")),
                           unsigned, command["signature"]):
            problem = "the department's signature does not verify"
        if problem:
            self.problems.append(f"{where}: command {command_id}: {problem}")
        self._end_keys(command_id)
        listed = {(str(s), int(v)) for s, v in d["events"]}
        for caused in self._causes.pop(command_id, []):
            cause = caused.cause or {}
            if caused is not record and (str(caused.stream), caused.version) not in listed:
                self.problems.append(f"event {caused.stream}/{caused.version}: names command"
                                     f" {command_id}, whose receipt does not list it")
            if (cause.get("actor"), cause.get("key_id"), cause.get("signature")) != (
                    command["actor"], command["key_id"], command["signature"]):
                self.problems.append(f"event {caused.stream}/{caused.version}: names command"
                                     f" {command_id} but not its signer or signature")


def _verifies(key: tuple[str, bytes], message: bytes, signature: Any) -> bool:
    try:
        verify(key[0], key[1], message, b64decode(str(signature), what="signature"))
    except (InvalidSignatureError, ValueError):
        return False
    return True
