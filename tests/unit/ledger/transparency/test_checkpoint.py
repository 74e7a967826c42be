"""Signed checkpoints: the C2SP note and JSON forms, and every way to break them."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from typing import Any

import pytest

from ledger.integrity.signing import SigningKey
from ledger.transparency.checkpoint import (
    Checkpoint,
    CheckpointError,
    from_json,
    log_origin,
    note_key_hash,
    parse_note,
    sign_checkpoint,
    verify_checkpoint,
)

KEY = SigningKey("ed25519", hashlib.sha256(b"transparency-test-ledger").digest())
OTHER = SigningKey("ed25519", hashlib.sha256(b"someone-else").digest())
KEYS = {KEY.key_id: ("ed25519", KEY.public_key)}
ROOT = hashlib.sha256(b"root").digest()
TIME = "2026-11-27T08:00:00.000000Z"


def checkpoint(size: int = 1234, root: bytes = ROOT, key: SigningKey = KEY) -> Checkpoint:
    return sign_checkpoint(log_origin(KEY.key_id), size, root, TIME, key)


def test_the_note_has_the_c2sp_shape() -> None:
    cp = checkpoint()
    lines = cp.note().split("\n")
    assert lines[:5] == [f"licence-ledger/{KEY.key_id}", "1234",
                         base64.b64encode(ROOT).decode(), f"time {TIME}", ""]
    dash, name, blob = lines[5].split(" ")
    assert (dash, name) == ("\u2014", KEY.key_id) and lines[6:] == [""]
    raw = base64.b64decode(blob)
    # The signed-note key hash is SHA-256(name ‖ LF ‖ 0x01 ‖ public key)[:4].
    assert raw[:4] == hashlib.sha256(KEY.key_id.encode() + b"\n\x01" + KEY.public_key).digest()[:4]
    assert raw[4:] == KEY.sign(cp.body()) and len(raw) == 68


def test_round_trips_and_verifies() -> None:
    cp = checkpoint()
    assert parse_note(cp.note()) == cp
    assert from_json(cp.to_json()) == cp
    assert from_json(cp.to_event().to_data()) == cp
    verify_checkpoint(parse_note(cp.note()), KEYS)
    json = cp.to_json()
    assert {"size", "root", "time", "key_id", "signature"} <= set(json)
    assert json["size"] == 1234 and base64.b64decode(json["root"]) == ROOT


def test_the_empty_tree_can_be_checkpointed() -> None:
    cp = checkpoint(size=0, root=hashlib.sha256(b"").digest())
    verify_checkpoint(parse_note(cp.note()), KEYS)


def test_every_single_byte_change_of_the_note_is_refused() -> None:
    note = checkpoint().note().encode()
    for index in range(len(note)):
        for mask in (0x01, 0x20, 0x80):
            changed = bytearray(note)
            changed[index] ^= mask
            with pytest.raises((CheckpointError, UnicodeDecodeError)):
                verify_checkpoint(parse_note(bytes(changed).decode()), KEYS)


@pytest.mark.parametrize("change", [
    {"size": 1235}, {"size": 0}, {"root": hashlib.sha256(b"other").digest()},
    {"time": "2026-11-27T08:00:00.000001Z"}, {"origin": "licence-ledger/elsewhere"},
    {"signature": bytes(64)}, {"key_hash": b"\0\0\0\0"}, {"key_id": OTHER.key_id},
])
def test_a_changed_field_breaks_the_signature(change: dict[str, Any]) -> None:
    with pytest.raises(CheckpointError):
        verify_checkpoint(replace(checkpoint(), **change), KEYS)


def test_a_signature_from_another_checkpoint_is_refused() -> None:
    one, two = checkpoint(10), checkpoint(11)
    with pytest.raises(CheckpointError, match="does not verify"):
        verify_checkpoint(replace(two, signature=one.signature), KEYS)


def test_a_foreign_key_is_refused_even_when_its_signature_is_good() -> None:
    forged = checkpoint(key=OTHER)
    with pytest.raises(CheckpointError, match="not a ledger key"):
        verify_checkpoint(forged, KEYS)
    with pytest.raises(CheckpointError, match="key hash"):
        verify_checkpoint(replace(forged, key_id=KEY.key_id), KEYS)


def test_key_hash_depends_on_name_algorithm_and_key() -> None:
    base = note_key_hash("a", "ed25519", KEY.public_key)
    assert base != note_key_hash("b", "ed25519", KEY.public_key)
    assert base != note_key_hash("a", "sm2", KEY.public_key)
    assert base != note_key_hash("a", "ed25519", OTHER.public_key)


@pytest.mark.parametrize("text, reason", [
    ("", "blank line"),
    ("o\n1\nAAAA\n", "blank line"),
    ("o\n1\n{root}\ntime {time}\n\n— k AAAA", "newline"),
    ("o\n1\n{root}\n\n— k {sig}\n", "lines"),
    ("o\n1\n{root}\ntime {time}\nextra\n\n— k {sig}\n", "lines"),
    ("o\n01\n{root}\ntime {time}\n\n— k {sig}\n", "leading zeros"),
    ("o\n-1\n{root}\ntime {time}\n\n— k {sig}\n", "decimal"),
    ("o\n1\n{root}\nwhen {time}\n\n— k {sig}\n", "time INSTANT"),
    ("o\n1\n{root}\ntime 2026-11-27T08:00:00Z\n\n— k {sig}\n", "instant"),
    ("o\n1\nAAAA\ntime {time}\n\n— k {sig}\n", "bytes"),
    ("o\n1\n{root}\ntime {time}\n\n- k {sig}\n", "signature line"),
    ("o\n1\n{root}\ntime {time}\n\n— k\n", "signature line"),
    ("o\n1\n{root}\ntime {time}\n\n— k AAA=\n", "too short"),
    ("o\n1\n{root}\ntime {time}\n\n— k not*base64\n", "base64"),
    ("o p\n1\n{root}\ntime {time}\n\n— k {sig}\n", "origin"),
    ("o+p\n1\n{root}\ntime {time}\n\n— k {sig}\n", "origin"),
])
def test_malformed_notes_are_refused_with_a_reason(text: str, reason: str) -> None:
    sig = base64.b64encode(bytes(68)).decode()
    note = text.format(root=base64.b64encode(ROOT).decode(), time=TIME, sig=sig)
    with pytest.raises(CheckpointError, match=reason):
        parse_note(note)


@pytest.mark.parametrize("change, reason", [
    ({"size": "12"}, "integer"), ({"size": True}, "integer"), ({"origin": 5}, "text"),
    ({"root": "AAAA"}, "bytes"), ({"root": 7}, "base64"), ({"key_hash": "XYZ"}, "8 hex"),
    ({"key_hash": "ABCDEF01"}, "lower-case"), ({"signature": "%%"}, "base64"),
    ({"note": "other"}, "note text"), ({"size": -1}, "negative"),
])
def test_malformed_json_is_refused_with_a_reason(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        from_json({**checkpoint().to_json(), **change})


@pytest.mark.parametrize("field", ["origin", "size", "root", "time", "key_id", "key_hash",
                                   "signature"])
def test_json_missing_a_field_is_refused(field: str) -> None:
    data = checkpoint().to_json()
    del data[field]
    with pytest.raises(CheckpointError, match=field):
        from_json(data)
    with pytest.raises(CheckpointError, match="object"):
        from_json([data])


def test_non_canonical_base64_is_refused() -> None:
    # A last character with unused low bits set decodes to the same bytes: refuse it,
    # so that one checkpoint has exactly one text.
    text = base64.b64encode(ROOT).decode()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    sloppy = text[:-2] + alphabet[alphabet.index(text[-2]) ^ 1] + "="
    assert sloppy != text and base64.b64decode(sloppy) == ROOT
    data = checkpoint().to_json()
    del data["note"]
    with pytest.raises(CheckpointError, match="canonical"):
        from_json({**data, "root": sloppy})
