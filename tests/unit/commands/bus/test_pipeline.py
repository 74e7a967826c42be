"""The bus's decode stage and its answers: every record becomes a decoded command or a
result saying why not, and never raises (commands/bus/pipeline.py). Handling a batch
needs a ledger, so MessageBus.execute is tested in tests/integration."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from commands.bus.pipeline import (
    Result,
    decode_any,
    internal_error,
    rejected,
    too_large,
)
from commands.signed.envelope import SignedCommand, sign_envelope
from ledger.errors import InvalidCommandError, NotFoundError
from ledger.integrity.signing import SigningKey

KEY = SigningKey("ed25519", bytes(range(32)))
ID = "3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60"


def envelope(**changes: Any) -> dict[str, Any]:
    env = sign_envelope(KEY, command_type="SetUsageList", actor="11320581MB0000A1XX",
                        payload={"code": "11320581MB0000A1XX", "entries": []},
                        issued_at="2026-11-27T08:00:00.000000Z", command_id=ID)
    return {**env, **changes}


def test_an_accepted_result_is_one_short_line_and_a_json_object() -> None:
    result = Result(ID, True, events=(("stream-a", 3),), command_type="SetUsageList")
    assert result.status == "accepted" and result.line() == f"{ID}\taccepted"
    assert result.to_json() == {
        "command_id": ID, "status": "accepted", "code": None, "message": None,
        "type": "SetUsageList", "duplicate": False,
        "events": [{"stream": "stream-a", "version": 3}]}


def test_a_refusal_line_keeps_tabs_and_newlines_out_of_its_message() -> None:
    result = rejected(ID, NotFoundError("licence\tX\nnot found"), "ViewLicence")
    assert result.status == "rejected" and not result.accepted
    assert result.line() == f"{ID}\trejected\tnot_found\tlicence X not found"
    assert result.line().count("\n") == 0 and result.line().count("\t") == 3
    assert result.to_json()["type"] == "ViewLicence"


def test_data_appears_in_json_only_when_a_read_returned_some() -> None:
    assert "data" not in Result(ID, True).to_json()
    assert Result(ID, True, data={"n": 1}).to_json()["data"] == {"n": 1}


def test_notifications_and_data_do_not_make_two_answers_differ() -> None:
    assert Result(ID, True, notifications=(1, 2), data={"a": 1}) == Result(ID, True)


def test_an_internal_error_says_nothing_of_what_was_raised() -> None:
    result = internal_error(ID, "IssueLicence")
    assert (result.code, result.command_type, result.accepted) == (
        "internal_error", "IssueLicence", False)
    assert "not applied" in (result.message or "")


def test_too_large_names_the_limit_and_no_command_id() -> None:
    result = too_large(2_000_000, 1_048_576)
    assert result.command_id == "-" and result.code == "invalid_command"
    assert "2000000 bytes" in (result.message or "")
    assert "LEDGER_MAX_RECORD_BYTES" in (result.message or "")


@pytest.mark.parametrize("item", [
    envelope(), orjson.dumps(envelope()), orjson.dumps(envelope()).decode()])
def test_an_envelope_decodes_from_an_object_bytes_or_text(item: Any) -> None:
    decoded = decode_any(item)
    assert isinstance(decoded, SignedCommand)
    assert (decoded.command_id, decoded.type) == (ID, "SetUsageList")


def test_a_line_over_the_limit_is_refused_before_it_is_parsed() -> None:
    line = orjson.dumps(envelope())
    answer = decode_any(line, max_bytes=len(line) - 1)
    assert isinstance(answer, Result) and answer.command_id == "-"  # not even its id read
    assert isinstance(decode_any(line, max_bytes=len(line)), SignedCommand)


@pytest.mark.parametrize(("item", "code"), [
    (None, "malformed_json"),  # a Kafka tombstone
    (b"", "malformed_json"),
    (b"{not json", "malformed_json"),
    (b"[]", "invalid_command"),
    ("42", "invalid_command"),
    ({"command_id": ID}, "invalid_command"),
])
def test_what_is_not_an_envelope_is_answered_not_raised(item: Any, code: str) -> None:
    answer = decode_any(item)
    assert isinstance(answer, Result) and not answer.accepted
    assert answer.code == code


def test_a_refusal_keeps_the_command_id_when_one_can_be_read() -> None:
    broken = envelope(type="NoSuchCommand")
    for item in (broken, orjson.dumps(broken)):
        answer = decode_any(item)
        assert isinstance(answer, Result) and answer.command_id == ID
    assert "NoSuchCommand" in (decode_any(broken).message or "")  # type: ignore[union-attr]


def test_an_unknown_payload_field_is_refused_at_decoding() -> None:
    item = envelope(payload={"code": "11320581MB0000A1XX", "entries": [], "x": 1})
    answer = decode_any(item)
    assert isinstance(answer, Result) and answer.code == "invalid_command"


def test_a_wrong_signature_decodes_authentication_checks_it_later() -> None:
    decoded = decode_any(envelope(signature="AAAA"))
    assert isinstance(decoded, SignedCommand) and decoded.signature == b"\x00\x00\x00"


def test_a_signature_that_is_not_canonical_base64_is_refused_at_decoding() -> None:
    answer = decode_any(envelope(signature="x" * 86 + "=="))
    assert isinstance(answer, Result) and answer.code == "bad_signature"
    assert answer.command_id == ID and "canonical base64" in (answer.message or "")


def test_a_decoding_refusal_is_an_invalid_command_error_underneath() -> None:
    answer = decode_any({"command_id": ID, "type": "SetUsageList"})
    assert isinstance(answer, Result)
    assert answer.code == InvalidCommandError.code
