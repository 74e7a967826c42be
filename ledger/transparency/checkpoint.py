"""Signed checkpoints of the transparency log: a C2SP tlog-checkpoint note and a JSON form.

A checkpoint commits the ledger to the first ``size`` events of its global order through
their RFC 6962 Merkle root (each leaf is a stored event's canonical bytes). Its text is
a C2SP signed note (https://c2sp.org/tlog-checkpoint, https://c2sp.org/signed-note)::

    licence-ledger/ed25519:5c1f…          origin: names this log, never changes
    1234                                  tree size (leaves)
    q2Zx…=                                base64 root hash
    time 2026-11-27T08:00:00.000000Z      extension line: when the ledger signed it
                                          (blank line ends the signed text)
    — ed25519:5c1f… AbCd…==               key name, base64(key hash ‖ Ed25519 signature)

The signature covers exactly the four body lines, so the JSON form (``size``, ``root``,
``time``, ``key_id``, ``signature``) carries the same signature and either form can be
checked. For one prefix of the log the body differs only in its time: the origin, size
and root are a function of the events alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ledger.errors import InvalidSignatureError, LedgerError
from ledger.integrity.canonical import format_instant, parse_instant
from ledger.integrity.sealing import CheckpointPublished
from ledger.integrity.signing import SigningKey, b64decode, b64encode, verify
from ledger.transparency.merkle import HASH_SIZE

ORIGIN_PREFIX = "licence-ledger/"
DASH = "\u2014"  # the signed-note signature line marker, "—"
# Signed-note signature types (c2sp.org/signed-note): 0x01 is Ed25519; 0xff marks a type
# the spec does not list, which is what another pluggable scheme (SM2) would use.
_NOTE_TYPES = {"ed25519": b"\x01"}
_UNLISTED_TYPE = b"\xff"

KeyHistory = Mapping[str, tuple[str, bytes]]
"""Ledger keys by key id: (algorithm, raw public key)."""


class CheckpointError(LedgerError):
    """A checkpoint is malformed, or its signature does not verify with the ledger's key."""

    code = "bad_checkpoint"


def log_origin(first_ledger_key_id: str) -> str:
    """The log's origin line: fixed by the first ledger key, so rotation never changes it."""
    return ORIGIN_PREFIX + first_ledger_key_id


def note_key_hash(key_id: str, algorithm: str, public_key: bytes) -> bytes:
    """The signed-note key hash: SHA-256(name ‖ 0x0A ‖ type ‖ public key), first 4 bytes."""
    kind = _NOTE_TYPES.get(algorithm, _UNLISTED_TYPE)
    return hashlib.sha256(key_id.encode() + b"\n" + kind + public_key).digest()[:4]


def note_body(origin: str, size: int, root: bytes, time: str) -> bytes:
    """The signed text of a checkpoint: origin, size, root and time lines."""
    return f"{origin}\n{size}\n{b64encode(root)}\ntime {time}\n".encode()


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head. Build one with :func:`sign_checkpoint`, check it with
    :func:`verify_checkpoint`."""

    origin: str
    size: int
    root: bytes
    time: str
    key_id: str
    key_hash: bytes
    signature: bytes

    def body(self) -> bytes:
        """The bytes the signature covers."""
        return note_body(self.origin, self.size, self.root, self.time)

    def note(self) -> str:
        """The checkpoint as a C2SP signed note."""
        line = f"{DASH} {self.key_id} {b64encode(self.key_hash + self.signature)}\n"
        return self.body().decode() + "\n" + line

    def to_json(self) -> dict[str, Any]:
        """The JSON form: ``size``, ``root``, ``time``, ``key_id``, ``signature`` and more."""
        return {
            "origin": self.origin, "size": self.size, "root": b64encode(self.root),
            "time": self.time, "key_id": self.key_id, "key_hash": self.key_hash.hex(),
            "signature": b64encode(self.signature), "note": self.note(),
        }

    def to_event(self) -> CheckpointPublished:
        """The event that records this checkpoint in the ledger."""
        return CheckpointPublished(self.origin, self.size, b64encode(self.root), self.time,
                                   self.key_id, self.key_hash.hex(), b64encode(self.signature))


def sign_checkpoint(origin: str, size: int, root: bytes, time: str,
                    signer: SigningKey) -> Checkpoint:
    """Sign the checkpoint of a tree of ``size`` leaves with ``root``, at instant ``time``."""
    _check_fields(origin, size, root, time)
    signature = signer.sign(note_body(origin, size, root, time))
    key_hash = note_key_hash(signer.key_id, signer.algorithm, signer.public_key)
    return Checkpoint(origin, size, root, time, signer.key_id, key_hash, signature)


def verify_checkpoint(checkpoint: Checkpoint, keys: KeyHistory) -> None:
    """Raise :class:`CheckpointError` unless a key in ``keys`` signed ``checkpoint``."""
    key = keys.get(checkpoint.key_id)
    if key is None:
        raise CheckpointError(f"checkpoint of size {checkpoint.size} is signed by"
                              f" {checkpoint.key_id}, which is not a ledger key in the history")
    if note_key_hash(checkpoint.key_id, *key) != checkpoint.key_hash:
        raise CheckpointError(f"checkpoint of size {checkpoint.size}: the key hash in its"
                              f" signature line does not match ledger key {checkpoint.key_id}")
    try:
        verify(key[0], key[1], checkpoint.body(), checkpoint.signature)
    except InvalidSignatureError:
        raise CheckpointError(f"checkpoint of size {checkpoint.size}: the signature does not"
                              f" verify with ledger key {checkpoint.key_id}") from None


def parse_note(text: str) -> Checkpoint:
    """Parse a signed note strictly (the first signature line is the ledger's)."""
    body, sep, signatures = text.partition("\n\n")
    if not sep or not signatures.endswith("\n"):
        raise CheckpointError("checkpoint note must be its text, a blank line, and signature"
                              " lines, each ending in a newline")
    lines = body.split("\n")
    if len(lines) != 4:
        raise CheckpointError(f"checkpoint text has {len(lines)} lines; expected 4 (origin,"
                              " size, root hash, time)")
    origin, size_text, root_text, time_line = lines
    if not size_text.isascii() or not size_text.isdigit() or (
            size_text.startswith("0") and size_text != "0"):
        raise CheckpointError(f"checkpoint size {size_text!r} is not a decimal number"
                              " without leading zeros")
    if not time_line.startswith("time "):
        raise CheckpointError(f"checkpoint's fourth line {time_line!r} should be 'time INSTANT'")
    root = _b64(root_text, "checkpoint root hash")
    parts = signatures[:-1].split("\n")[0].split(" ")
    if len(parts) != 3 or parts[0] != DASH:
        raise CheckpointError("checkpoint's first signature line is not '— NAME SIGNATURE'")
    blob = _b64(parts[2], "checkpoint signature")
    if len(blob) < 5:
        raise CheckpointError("checkpoint signature line is too short to hold a signature")
    checkpoint = Checkpoint(origin, int(size_text), root, time_line[5:], parts[1], blob[:4],
                            blob[4:])
    _check_fields(checkpoint.origin, checkpoint.size, checkpoint.root, checkpoint.time)
    if checkpoint.body().decode() != body + "\n":
        raise CheckpointError("checkpoint text is not in canonical form")
    return checkpoint


def from_json(data: Any) -> Checkpoint:
    """Read the JSON form; the optional ``note`` must say exactly the same."""
    if not isinstance(data, Mapping):
        raise CheckpointError("checkpoint JSON must be an object")
    try:
        origin, size, time, key_id = (data[k] for k in ("origin", "size", "time", "key_id"))
        root, key_hash = _b64(data["root"], "checkpoint root hash"), _hex(data["key_hash"])
        signature = _b64(data["signature"], "checkpoint signature")
    except KeyError as exc:
        raise CheckpointError(f"checkpoint JSON lacks the field {exc.args[0]!r}") from None
    if type(size) is not int or not all(isinstance(v, str) for v in (origin, time, key_id)):
        raise CheckpointError("checkpoint JSON: size must be an integer; origin, time and"
                              " key_id text")
    checkpoint = Checkpoint(origin, size, root, time, key_id, key_hash, signature)
    _check_fields(checkpoint.origin, checkpoint.size, checkpoint.root, checkpoint.time)
    if "note" in data and data["note"] != checkpoint.note():
        raise CheckpointError("checkpoint JSON: its note text says something else")
    return checkpoint


def parse_held(text: str) -> Checkpoint:
    """A checkpoint as a third party keeps it: the JSON of ``ledger checkpoint --json``
    (extra fields such as ``published`` are ignored) or its signed-note text."""
    if text.lstrip().startswith("{"):
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise CheckpointError(f"checkpoint file is not valid JSON: {exc}") from None
        return from_json(data)
    return parse_note(text)


def from_event(evt: Mapping[str, Any]) -> Checkpoint:
    """Rebuild a checkpoint from a stored ``CheckpointPublished``'s data."""
    return from_json(evt)


def _check_fields(origin: str, size: int, root: bytes, time: str) -> None:
    if not origin or any(c.isspace() for c in origin) or "+" in origin:
        raise CheckpointError(f"checkpoint origin {origin!r} must be non-empty, without"
                              " spaces or '+'")
    if size < 0:
        raise CheckpointError(f"checkpoint size {size} is negative")
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"checkpoint root has {len(root)} bytes; expected {HASH_SIZE}")
    try:
        canonical = format_instant(parse_instant(time))
    except ValueError:
        canonical = None
    if canonical != time:
        raise CheckpointError(f"checkpoint time {time!r} is not an instant written"
                              " YYYY-MM-DDTHH:MM:SS.ffffffZ")


def _b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise CheckpointError(f"{what} must be base64 text")
    try:
        raw = b64decode(text, what=what)
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None
    if b64encode(raw) != text:  # one spelling only, so a note has one canonical form
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def _hex(text: Any) -> bytes:
    if not isinstance(text, str) or len(text) != 8:
        raise CheckpointError("checkpoint key_hash must be 8 hex digits")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise CheckpointError("checkpoint key_hash must be 8 hex digits") from None
    if raw.hex() != text:
        raise CheckpointError("checkpoint key_hash must be lower-case hex")
    return raw
