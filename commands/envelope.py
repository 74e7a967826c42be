"""The signed envelope: the wire format every department produces.

    {"command_id": "<uuid>", "type": "<CommandType>", "actor": "<USCC>",
     "key_id": "<algorithm>:<24 hex>", "issued_at": "<ISO 8601 instant>",
     "payload": {...}, "signature": "<base64>"}

The signature covers the canonical bytes (:mod:`ledger.canonical`) of the envelope
without its ``signature`` member. ``schema/command.schema.json`` describes the format
for other languages.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from commands.fields import describe
from commands.messages import COMMAND_TYPES, Command, decode_payload
from ledger.canonical import canonical_bytes, parse_instant, sha256_hex
from ledger.errors import InvalidCommandError
from ledger.signing import SigningKey, b64decode, b64encode

ENVELOPE_FIELDS = ("command_id", "type", "actor", "key_id", "issued_at", "payload", "signature")


@dataclass(frozen=True)
class SignedCommand:
    """A decoded envelope. ``raw`` is the envelope as received, for the receipt."""

    command_id: str
    type: str
    actor: str
    key_id: str
    issued_at: datetime
    command: Command
    signature: bytes
    signing_bytes: bytes
    raw: dict[str, Any]

    @property
    def digest(self) -> str:
        return sha256_hex(self.signing_bytes)

    @property
    def cause(self) -> dict[str, Any]:
        """What every resulting event records about the command that caused it."""
        return {
            "actor": self.actor, "command_id": self.command_id, "key_id": self.key_id,
            "signature": self.raw["signature"],
        }

    def partition_key(self) -> str:
        return self.command.partition_key(self.actor)


def signing_bytes(envelope: dict[str, Any]) -> bytes:
    return canonical_bytes({k: v for k, v in envelope.items() if k != "signature"})


def command_id_of(raw: Any) -> str:
    """Best-effort command id for answering a command that could not be decoded."""
    if isinstance(raw, dict) and isinstance(raw.get("command_id"), str):
        return str(raw["command_id"])[:64]
    return "-"


def decode_envelope(raw: Any) -> SignedCommand:
    """Decode and type-check an envelope (signature not yet verified)."""
    if not isinstance(raw, dict):
        raise InvalidCommandError(f"command: expected a JSON object, got {describe(raw)}")
    unknown = sorted(set(raw) - set(ENVELOPE_FIELDS))
    if unknown:
        raise InvalidCommandError(
            f"command: unknown field(s) {', '.join(unknown)}; expected {', '.join(ENVELOPE_FIELDS)}"
        )
    missing = [f for f in ENVELOPE_FIELDS if f not in raw]
    if missing:
        raise InvalidCommandError(f"command: missing field(s) {', '.join(missing)}")
    for name in ("command_id", "type", "actor", "key_id", "issued_at", "signature"):
        if not isinstance(raw[name], str):
            raise InvalidCommandError(f"command.{name}: expected text, got {describe(raw[name])}")
    try:
        command_id = str(uuid.UUID(raw["command_id"]))
    except ValueError:
        raise InvalidCommandError(
            f"command.command_id: {raw['command_id']!r} is not a UUID"
            " (expected e.g. 3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60)"
        ) from None
    if command_id != raw["command_id"]:
        raise InvalidCommandError(
            "command.command_id: write the UUID in lower-case 8-4-4-4-12 form"
        )
    if raw["type"] not in COMMAND_TYPES:
        raise InvalidCommandError(
            f"command.type: unknown command type {raw['type']!r}; expected one of"
            f" {', '.join(sorted(COMMAND_TYPES))}",
            code="unknown_command_type",
        )
    try:
        issued_at = parse_instant(raw["issued_at"])
    except ValueError as exc:
        raise InvalidCommandError(f"command.issued_at: {exc}") from None
    try:
        signature = b64decode(raw["signature"], what="command.signature")
    except ValueError as exc:
        raise InvalidCommandError(str(exc), code="bad_signature") from None
    command = decode_payload(raw["type"], raw["payload"])
    return SignedCommand(
        command_id, raw["type"], raw["actor"], raw["key_id"], issued_at, command, signature,
        signing_bytes(raw), raw,
    )


def decode_json_line(line: bytes | str) -> SignedCommand:
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise InvalidCommandError(f"not valid JSON: {exc}", code="malformed_json") from None
    return decode_envelope(raw)


def sign_envelope(
    key: SigningKey, *, command_type: str, actor: str, payload: dict[str, Any],
    issued_at: str, command_id: str | None = None,
) -> dict[str, Any]:
    """Build a signed envelope as a department's client would."""
    envelope: dict[str, Any] = {
        "command_id": command_id or str(uuid.uuid4()),
        "type": command_type,
        "actor": actor,
        "key_id": key.key_id,
        "issued_at": issued_at,
        "payload": payload,
    }
    envelope["signature"] = b64encode(key.sign(signing_bytes(envelope)))
    return envelope
