"""The signed envelope: the wire format every department produces.

    {"command_id": "<uuid>", "type": "<CommandType>", "actor": "<USCC>",
     "key_id": "<algorithm>:<24 hex>", "issued_at": "<ISO 8601 instant>",
     "payload": {...}, "signature": "<base64>"}

The signature covers the canonical bytes (:mod:`ledger.integrity.canonical`) of the envelope
without its ``signature`` member. ``schema/command.schema.json`` describes the format
for other languages.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import orjson

from commands.messages import limits
from commands.messages.base import Command
from commands.messages.catalog import COMMAND_TYPES, decode_payload
from commands.messages.fields import check_depth, decoder, describe, field_names
from commands.messages.wire_types import Code, Text
from ledger.domain import text as policy
from ledger.domain.text import quote
from ledger.errors import InvalidCommandError
from ledger.integrity.canonical import canonical_bytes, parse_instant, sha256_hex
from ledger.integrity.signed_bytes import signing_bytes
from ledger.integrity.signing import SigningKey, b64decode, b64encode

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


_COMMAND_ID = re.compile(r"[0-9A-Za-z._:-]{1,64}")
_ENVELOPE_TEXT = {name: decoder(annotation) for name, annotation in {
    "command_id": Code, "type": Code, "actor": Code, "key_id": Code, "issued_at": Code,
    "signature": Annotated[str, Text(policy.CODE, limits.MAX_SIGNATURE)],
}.items()}


def command_id_of(raw: Any) -> str:
    """Best-effort command id for answering a command that could not be decoded.

    Only an id that is safe to print on one answer line is echoed (at most 64 letters,
    digits and ``._:-``); anything else is answered as ``-``.
    """
    if isinstance(raw, dict):
        value = raw.get("command_id")
        if isinstance(value, str) and _COMMAND_ID.fullmatch(value):
            return value
    return "-"


def decode_envelope(raw: Any) -> SignedCommand:
    """Decode and type-check an envelope (signature not yet verified).

    Raises :class:`InvalidCommandError` and nothing else, whatever ``raw`` holds.
    """
    check_depth(raw)
    return _decode(raw)


def _decode(raw: Any) -> SignedCommand:
    if not isinstance(raw, dict):
        raise InvalidCommandError(f"command: expected a JSON object, got {describe(raw)}")
    unknown = [k for k in raw if k not in ENVELOPE_FIELDS]
    if unknown:
        raise InvalidCommandError(
            f"command: unknown field(s) {field_names(unknown)}; expected"
            f" {', '.join(ENVELOPE_FIELDS)}"
        )
    missing = [f for f in ENVELOPE_FIELDS if f not in raw]
    if missing:
        raise InvalidCommandError(f"command: missing field(s) {', '.join(missing)}")
    for name, decode in _ENVELOPE_TEXT.items():
        decode(f"command.{name}", raw[name])
    try:
        command_id = str(uuid.UUID(raw["command_id"]))
    except ValueError:
        raise InvalidCommandError(
            f"command.command_id: {quote(raw['command_id'])} is not a UUID"
            " (expected e.g. 3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60)"
        ) from None
    if command_id != raw["command_id"]:
        raise InvalidCommandError(
            "command.command_id: write the UUID in lower-case 8-4-4-4-12 form"
        )
    if raw["type"] not in COMMAND_TYPES:
        raise InvalidCommandError(
            f"command.type: unknown command type {quote(raw['type'])}; expected one of"
            f" {', '.join(sorted(COMMAND_TYPES))}",
            code="unknown_command_type",
        )
    try:
        issued_at = parse_instant(raw["issued_at"], (limits.MIN_INSTANT_YEAR,
                                                     limits.MAX_INSTANT_YEAR))
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


def decode_json_line(line: bytes | str, max_bytes: int = limits.MAX_RECORD_BYTES) -> SignedCommand:
    """Decode one JSON line (a file line, a Kafka record's value) into a signed command.

    A line longer than ``max_bytes`` is refused before it is parsed. Raises
    :class:`InvalidCommandError` (code ``malformed_json`` for bytes that are not JSON).
    """
    size = len(line) if isinstance(line, bytes) else len(line.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise InvalidCommandError(f"command: the record is {size} bytes; at most {max_bytes}"
                                  " are accepted")
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise InvalidCommandError(f"not valid JSON: {exc}", code="malformed_json") from None
    # Fewer brackets than the limit cannot nest deeper than it (the common case, in C).
    opened = line.count(b"[") + line.count(b"{") if isinstance(line, bytes) else (
        line.count("[") + line.count("{"))
    if opened > limits.MAX_DEPTH:
        check_depth(raw)
    _check_unique_names(line if isinstance(line, bytes) else line.encode(), raw)
    return _decode(raw)


_ESCAPED_COLON = re.compile(rb"\\u003[aA]")


class _RepeatedName(Exception):
    pass


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names: dict[str, Any] = {}
    for name, value in pairs:
        if name in names:
            raise _RepeatedName(name)
        names[name] = value
    return names


def _check_unique_names(line: bytes, raw: Any) -> None:
    """Refuse an object that names a member twice (I-JSON, RFC 7493, which RFC 8785 needs).

    orjson keeps the last of repeated names, and the signature covers what was decoded,
    so nothing unsigned gets in; but a reader that keeps the first (a gateway, a person
    reading the record) would see another command than the one applied. Colons outside
    strings are the member names, so the line holds more colons than its canonical form
    only if some object repeats a name (an escaped colon, ``\\u003a``, makes the count
    unsure, so such a line is parsed again, name by name).
    """
    if not isinstance(raw, dict | list):
        return
    if _ESCAPED_COLON.search(line) is None and (
            line.count(b":") <= canonical_bytes(raw).count(b":")):
        return
    try:
        json.loads(line, object_pairs_hook=_no_repeats)
    except ValueError:  # orjson read it: the standard reader's own quirks are not ours
        return
    except _RepeatedName as exc:
        raise InvalidCommandError(
            f"command: an object names the member {quote(str(exc.args[0]))} twice; member"
            " names must be unique (I-JSON, RFC 7493)") from None


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
