"""The wire format: strict decoding with specific errors, and the schema kept in sync."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from commands.cli.schema_gen import command_schema
from commands.demo.scenario import Scenario
from commands.signed.envelope import decode_envelope, decode_json_line, sign_envelope
from ledger.errors import InvalidCommandError
from ledger.integrity.canonical import canonical_bytes
from ledger.integrity.signed_bytes import signing_bytes

REPO = Path(__file__).resolve().parents[4]  # tests/unit/commands/signed/ → the repository
SCHEMA_FILE = REPO / "commands" / "schema" / "command.schema.json"


@pytest.fixture(scope="module")
def envelopes() -> list[dict[str, Any]]:
    scenario = Scenario(7, lambda: "2026-11-27T08:00:00.000000Z")
    items = list(scenario.setup()) + list(scenario.issue(8))
    items += list(scenario.lifecycle(__import__("datetime").date(2026, 11, 27)))
    return items


def test_committed_schema_is_the_generated_one() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == command_schema()


def test_every_generated_command_fits_the_schema_and_decodes(
    envelopes: list[dict[str, Any]],
) -> None:
    validator = jsonschema.Draft202012Validator(command_schema())
    for envelope in envelopes:
        validator.validate(envelope)
        decoded = decode_envelope(envelope)
        assert decoded.signing_bytes == signing_bytes(envelope)


def test_signing_bytes_are_canonical_and_exclude_the_signature(
    envelopes: list[dict[str, Any]],
) -> None:
    envelope = envelopes[0]
    body = {k: v for k, v in envelope.items() if k != "signature"}
    assert signing_bytes(envelope) == canonical_bytes(body)
    assert b" " not in signing_bytes(envelope).split(b'"name"')[0]
    assert list(json.loads(signing_bytes(envelope))) == sorted(body)


def _bad(envelope: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = dict(envelope)
    for k, v in changes.items():
        if v is ...:
            del out[k]
        else:
            out[k] = v
    return out


@pytest.mark.parametrize("changes, code, fragment", [
    ({"extra": 1}, "invalid_command", "unknown field(s) extra"),
    ({"payload": ...}, "invalid_command", "missing field(s) payload"),
    ({"actor": 5}, "invalid_command", "command.actor: expected text, got an integer"),
    ({"command_id": "not-a-uuid"}, "invalid_command", "is not a UUID"),
    ({"command_id": "3F2B8C1E-0D4A-4E57-9B7F-1A2C3D4E5F60"}, "invalid_command", "lower-case"),
    ({"type": "IssueLicense"}, "unknown_command_type", "unknown command type"),
    ({"issued_at": "2026-11-27 08:00"}, "invalid_command", "command.issued_at"),
    ({"issued_at": "2026-11-27T08:00:00"}, "invalid_command", "no time zone"),
    ({"signature": "***"}, "bad_signature", "not valid base64"),
])
def test_envelope_errors_are_specific(envelopes: list[dict[str, Any]], changes: dict[str, Any],
                                      code: str, fragment: str) -> None:
    with pytest.raises(InvalidCommandError) as info:
        decode_envelope(_bad(envelopes[0], **changes))
    assert info.value.code == code
    assert fragment in info.value.message


def _issue(envelopes: list[dict[str, Any]]) -> dict[str, Any]:
    return next(e for e in envelopes if e["type"] == "IssueLicence")


@pytest.mark.parametrize("field, value, fragment", [
    ("serial", 12, "payload.serial: expected text, got an integer"),
    ("holders", "someone", "payload.holders: expected a list, got text"),
    ("holders", [{"name": "x", "code": "y"}], "payload.holders[0].code_type: required field"),
    ("holders", [{"name": "x", "code": "y", "code_type": "001", "age": 3}],
     "payload.holders[0]: unknown field(s) age"),
    ("face", {"n": 1.5}, "payload.face.n: decimal numbers are not allowed"),
    ("valid_until", 20261127, "payload.valid_until: expected text, got an integer"),
    ("issue_date", "", "payload.issue_date: must not be empty"),
    ("colour", "red", "payload: unknown field(s) colour"),
])
def test_payload_errors_name_the_field(envelopes: list[dict[str, Any]], field: str, value: Any,
                                       fragment: str) -> None:
    envelope = _issue(envelopes)
    envelope = {**envelope, "payload": {**envelope["payload"], field: value}}
    with pytest.raises(InvalidCommandError) as info:
        decode_envelope(envelope)
    assert fragment in info.value.message


def test_missing_required_payload_field(envelopes: list[dict[str, Any]]) -> None:
    envelope = _issue(envelopes)
    payload = {k: v for k, v in envelope["payload"].items() if k != "licence_number"}
    with pytest.raises(InvalidCommandError, match=r"payload\.licence_number: required field"):
        decode_envelope({**envelope, "payload": payload})


@pytest.mark.parametrize("line", [b"", b"{", b"[1,2]", b"null", b'"text"', b"\xff\xfe"])
def test_lines_that_are_not_envelopes(line: bytes) -> None:
    with pytest.raises(InvalidCommandError) as info:
        decode_json_line(line)
    assert info.value.code in ("malformed_json", "invalid_command")


def test_sign_envelope_round_trip(envelopes: list[dict[str, Any]]) -> None:
    key = Scenario(7, lambda: "x").city.management.key
    env = sign_envelope(key, command_type="SuspendLicence", actor="X" * 18,
                        payload={"identifier": "1", "reason": "r"},
                        issued_at="2026-11-27T08:00:00Z")
    decoded = decode_envelope(env)
    assert decoded.key_id == key.key_id and decoded.signature


def test_committed_command_docs_are_the_generated_ones() -> None:
    from commands.cli.docs_gen import render

    docs = REPO / "docs" / "commands.md"
    assert docs.read_text() == render()
