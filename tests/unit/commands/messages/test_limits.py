"""Every bound of the wire format is checked at decoding, with a clean, short refusal.

Each case changes one value of a real envelope and expects ``InvalidCommandError`` (and
nothing else) whose message names the field and what is allowed, and never echoes more
than a short escaped prefix of the bad value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest

from commands.demo.scenario import Scenario
from commands.messages import limits
from commands.messages.fields import check_depth
from commands.signed.envelope import command_id_of, decode_envelope, decode_json_line
from ledger.errors import InvalidCommandError

UUID = "3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60"
HUGE = "x" * (50 * 1024 * 1024)  # 50 MB: the size that once grew a database 60-fold


@pytest.fixture(scope="module")
def envelopes() -> dict[str, dict[str, Any]]:
    scenario = Scenario(7, lambda: "2026-11-27T08:00:00.000000Z")
    items = list(scenario.setup()) + list(scenario.issue(4))
    items += list(scenario.lifecycle(date(2026, 11, 27)))
    by_type: dict[str, dict[str, Any]] = {}
    for e in items:
        by_type.setdefault(e["type"], e)
    change = by_type["ChangeLicence"]
    by_type["SuspendLicence"] = {**change, "type": "SuspendLicence", "payload": {
        "identifier": change["payload"]["identifier"], "reason": "inspection"}}
    return by_type


def refusal(item: Any, code: str = "invalid_command") -> str:
    with pytest.raises(InvalidCommandError) as info:
        if isinstance(item, bytes | str):
            decode_json_line(item)
        else:
            decode_envelope(item)
    assert info.value.code == code, info.value.message
    assert len(info.value.message) < 1000, "a refusal must stay short"
    return info.value.message


def with_payload(envelope: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**envelope, "payload": {**envelope["payload"], **changes}}


# -- whole records --------------------------------------------------------------------------
def test_a_record_over_the_size_limit_is_refused_unread(
        envelopes: dict[str, dict[str, Any]]) -> None:
    line = orjson.dumps(envelopes["IssueLicence"])
    decode_json_line(line, max_bytes=len(line))
    message = refusal(b"{" + b" " * limits.MAX_RECORD_BYTES + b"}")
    assert f"at most {limits.MAX_RECORD_BYTES}" in message
    with pytest.raises(InvalidCommandError, match="bytes; at most"):
        decode_json_line(line, max_bytes=len(line) - 1)
    with pytest.raises(InvalidCommandError, match="bytes; at most"):
        decode_json_line(line.decode(), max_bytes=len(line) - 1)  # text is measured in UTF-8


@pytest.mark.parametrize("depth", [17, 800, 1023, 1025, 100_000])
def test_deep_nesting_is_refused_without_recursion(depth: int) -> None:
    for line in (b"[" * depth + b"]" * depth,
                 b'{"type":' + b"[" * depth + b"1" + b"]" * depth + b"}",
                 b'{"payload":{"face":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}}"):
        with pytest.raises(InvalidCommandError) as info:
            decode_json_line(line, max_bytes=10 * 1024 * 1024)
        assert info.value.code in ("invalid_command", "malformed_json")


def test_depth_is_checked_iteratively_on_parsed_values() -> None:
    deep: list[Any] = []
    for _ in range(200_000):  # far past Python's recursion limit
        deep = [deep]
    with pytest.raises(InvalidCommandError, match="nested more than 16 levels"):
        check_depth(deep)
    with pytest.raises(InvalidCommandError, match="nested more than 16 levels"):
        decode_envelope({"command_id": "x", "payload": deep})
    check_depth([[[[1]]]])


def test_nesting_inside_face_changes_and_definition_is_refused(
        envelopes: dict[str, dict[str, Any]]) -> None:
    nested: Any = "x"
    for _ in range(12):
        nested = {"k": nested}
    for kind, field in (("IssueLicence", "face"), ("ChangeLicence", "changes"),
                        ("RegisterLicenceType", "definition")):
        message = refusal(with_payload(envelopes[kind], **{field: {"name": nested}}))
        assert f"payload.{field}" in message


# -- text lengths -----------------------------------------------------------------------------
@pytest.mark.parametrize("field, most", [
    ("licence_number", limits.MAX_NUMBER), ("case_number", limits.MAX_NUMBER),
    ("serial", limits.MAX_CODE), ("matter_code", limits.MAX_CODE),
    ("paper_number", limits.MAX_NUMBER), ("transferred_from", limits.MAX_IDENTIFIER),
])
def test_each_text_field_has_its_length(envelopes: dict[str, dict[str, Any]], field: str,
                                        most: int) -> None:
    message = refusal(with_payload(envelopes["IssueLicence"], **{field: "A" * (most + 1)}))
    assert f"payload.{field}: too long ({most + 1} characters, at most {most})" in message


def test_a_huge_unknown_type_is_not_echoed(envelopes: dict[str, dict[str, Any]]) -> None:
    message = refusal({**envelopes["SuspendLicence"], "type": HUGE})
    assert "command.type: too long" in message and "x" * 64 not in message
    message = refusal({**envelopes["SuspendLicence"], "type": "Nope\u202e"})
    assert "U+202E" in message and "\u202e" not in message
    message = refusal({**envelopes["SuspendLicence"], "type": "Nope" * 16},
                      code="unknown_command_type")
    assert "NopeNope" in message


def test_an_unknown_field_name_is_quoted_escaped_and_cut(
        envelopes: dict[str, dict[str, Any]]) -> None:
    message = refusal({**envelopes["SuspendLicence"], "bad\nname\x00" + "y" * 500: 1})
    assert "\n" not in message and "\x00" not in message and "y" * 40 not in message
    many = {f"extra{i}": i for i in range(10_000)}
    message = refusal(with_payload(envelopes["SuspendLicence"], **many))
    assert "and 9995 more" in message


def test_changes_paper_number_is_bounded_text(envelopes: dict[str, dict[str, Any]]) -> None:
    change = envelopes["ChangeLicence"]
    for value, words in ((HUGE, "too long"), ({"a": 1}, "expected text"),
                         ([1, 2], "expected text"), (1.5, "expected text")):
        message = refusal(with_payload(change, changes={"paper_number": value}))
        assert "payload.changes.paper_number" in message and words in message
    decode_envelope(with_payload(change, changes={"paper_number": None}))
    decode_envelope(with_payload(change, changes={"valid_until": None}))


@pytest.mark.parametrize("changes, words", [
    ({}, "expected one or more of"),
    ({"colour": "red"}, "unknown: colour"),
    ({"licence_number": None}, "expected text, got null"),
    ({"holders": [{"name": "x", "code": "y"}]}, "payload.changes.holders[0].code_type"),
    ({"area_code": "３２０５８１"}, "full-width; use half-width ASCII"),
    ({"issue_date": "9999-12-31"}, "outside the years"),
    ({"face": {"a": {"b": 1}}}, "payload.changes.face.a"),
])
def test_changes_are_typed(envelopes: dict[str, dict[str, Any]], changes: dict[str, Any],
                           words: str) -> None:
    message = refusal(with_payload(envelopes["ChangeLicence"], changes=changes))
    assert words in message


@pytest.mark.parametrize("face, words", [
    ({"company_name": {"nested": "x"}}, "expected text or an integer or null, got an object"),
    ({"company_name": ["x"]}, "got a list"),
    ({"company_name": 1.5}, "decimal numbers are not allowed"),
    ({"company_name": "x" * 501}, "at most 500"),
    ({"company_name": 2**53}, "out of range"),
    ({"x" * 65: "v"}, "a field name"),
    ({"a\u200bb": "v"}, "U+200B"),
    ({f"f{i}": "v" for i in range(101)}, "too many members (101, at most 100)"),
])
def test_face_values_are_bounded_text_or_integers(envelopes: dict[str, dict[str, Any]],
                                                  face: dict[str, Any], words: str) -> None:
    assert words in refusal(with_payload(envelopes["IssueLicence"], face=face))


def test_a_definition_is_typed(envelopes: dict[str, dict[str, Any]]) -> None:
    register = envelopes["RegisterLicenceType"]
    definition = register["payload"]["definition"]
    assert "payload.definition: expected an object" in refusal(
        with_payload(register, definition=[1]))
    assert "unknown field(s) colour" in refusal(
        with_payload(register, definition={**definition, "colour": "red"}))
    assert "payload.definition.name: required" in refusal(
        with_payload(register, definition={k: v for k, v in definition.items() if k != "name"}))
    assert "payload.definition.face_fields: too many entries" in refusal(with_payload(
        register, definition={**definition, "face_fields": [definition["face_fields"][0]] * 101}))


# -- list lengths -------------------------------------------------------------------------------
def test_lists_have_their_maximum(envelopes: dict[str, dict[str, Any]]) -> None:
    issue = envelopes["IssueLicence"]
    holder = issue["payload"]["holders"][0]
    assert "payload.holders: too many entries (33, at most 32)" in refusal(
        with_payload(issue, holders=[holder] * 33))
    decode_envelope(with_payload(issue, holders=[holder] * 32))
    usage = envelopes["SetUsageList"]
    entry = usage["payload"]["entries"][0]
    assert "at most 500" in refusal(with_payload(usage, entries=[entry] * 501))
    assert "payload.entries[0].scenarios: too many entries" in refusal(
        with_payload(usage, entries=[{**entry, "scenarios": ["M"] * 101}]))
    # 655k holders once took 4.9 GB; now the list is refused after a length check.
    assert "too many entries (655360" in refusal(with_payload(issue, holders=[holder] * 655_360))


# -- integers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("value, words", [
    (-1, "-1 is out of range; expected 0.."), (2**53, "out of range"),
    (10**30, "an integer of 100 bits"), (1.0, "expected an integer, got a decimal number"),
    (True, "expected an integer, got a boolean"), ("3", "expected an integer, got text"),
])
def test_counts_are_non_negative_safe_integers(value: Any, words: str) -> None:
    assert words in refusal(_paper_count(value))


def test_an_integer_too_big_to_print_is_refused_by_its_size() -> None:
    assert "an integer of 16610 bits is out of range" in refusal(_paper_count(10**5000))


def _paper_count(value: Any) -> dict[str, Any]:
    payload = {"type_code": "X" * 21, "period": "2026-11", "issued": value, "changed": 0,
               "withdrawn": 0, "in_force": 0}
    envelope = {"command_id": "3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60",
                "type": "ReportPaperCount", "actor": "X" * 18, "key_id": "ed25519:" + "0" * 24,
                "issued_at": "2026-11-27T08:00:00Z", "payload": payload, "signature": "AAAA"}
    return envelope


# -- dates, months, area codes, instants ----------------------------------------------------
@pytest.mark.parametrize("value, words", [
    ("9999-12-31", "outside the years 1900..2199"), ("1899-12-31", "outside the years"),
    ("2200-01-01", "outside the years"), ("2026-02-30", "not a real date"),
    ("２０２６-01-01", "full-width"), ("٢٠٢٦-01-01", "non-ASCII digit"), ("2026-1-1", "YYYY-MM-DD"),
    ("20260101", "YYYY-MM-DD"), ("2026-01-01T00:00:00Z", "too long"),
])
def test_dates_are_ascii_and_in_range(envelopes: dict[str, dict[str, Any]], value: str,
                                      words: str) -> None:
    for field in ("issue_date", "valid_from", "valid_until"):
        message = refusal(with_payload(envelopes["IssueLicence"], **{field: value}))
        assert f"payload.{field}" in message and words in message


@pytest.mark.parametrize("value", ["３２０５８１", "٣٢٠٥٨١", "۳۲۰۵۸۱", "32058", "3205811",
                                   "32058a"])
def test_area_codes_are_six_ascii_digits(envelopes: dict[str, dict[str, Any]],
                                         value: str) -> None:
    for kind in ("IssueLicence", "RegisterDepartment"):
        message = refusal(with_payload(envelopes[kind], area_code=value))
        assert "payload.area_code" in message


@pytest.mark.parametrize("value", ["２０２６-11", "٢٠٢٦-11", "2026-13", "2026-00", "26-11",
                                   "9999-12", "2026-1"])
def test_periods_are_ascii_months_in_range(value: str) -> None:
    payload = {"matter_code": "M", "type_code": "T", "period": value, "cases": 1}
    envelope = {"command_id": "3f2b8c1e-0d4a-4e57-9b7f-1a2c3d4e5f60",
                "type": "ReportCaseCount", "actor": "X" * 18, "key_id": "ed25519:" + "0" * 24,
                "issued_at": "2026-11-27T08:00:00Z", "payload": payload, "signature": "AAAA"}
    assert "payload.period" in refusal(envelope)


@pytest.mark.parametrize("value, words", [
    ("0001-01-01T00:00:00+05:00", "outside the years 1970..2199"),
    ("9999-12-31T23:59:59-05:00", "outside the years"),
    ("1969-12-31T23:59:59Z", "outside the years"),
    ("2026-11-27T08:00:00+14:01", "beyond ±14:00"), ("2026-11-27T08:00:00-23:59", "beyond"),
    ("2026-11-27T08:00:00+05:60", "beyond"), ("2026-11-27T24:00:00Z", "not a real time"),
    ("20261127T080000Z", "expected an ISO 8601 instant"),
    ("2026-W48-5T08:00:00Z", "expected an ISO 8601 instant"),
    ("２０２６-11-27T08:00:00Z", "full-width"),
    ("2026-11-27t08:00:00z", "expected an ISO 8601 instant"),
])
def test_instants_are_strict_and_in_range(envelopes: dict[str, dict[str, Any]], value: str,
                                          words: str) -> None:
    message = refusal({**envelopes["SuspendLicence"], "issued_at": value})
    assert "command.issued_at" in message and words in message


def test_widest_real_offsets_are_accepted(envelopes: dict[str, dict[str, Any]]) -> None:
    for value in ("2026-11-27T08:00:00+14:00", "2026-11-27T08:00:00-12:00",
                  "2026-11-27T08:00:00.123456789+08:00"):
        decode_envelope({**envelopes["SuspendLicence"], "issued_at": value})


# -- answering what cannot be decoded -------------------------------------------------------
@pytest.mark.parametrize("raw, expected", [
    ({"command_id": UUID}, UUID),
    ({"command_id": "a\tb"}, "-"), ({"command_id": "a\nrejected"}, "-"),
    ({"command_id": "x" * 65}, "-"), ({"command_id": "\u202e1"}, "-"), ({"command_id": 5}, "-"),
    ([1], "-"), (None, "-"),
])
def test_the_echoed_command_id_is_safe_on_one_line(raw: Any, expected: str) -> None:
    assert command_id_of(raw) == expected
