"""Property tests: generated look-alike, invisible and out-of-range tricks in real envelopes
are refused (or, for full-width forms, folded to the same number), never crash decoding."""

from __future__ import annotations

import contextlib
import unicodedata
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.demo.scenario import Scenario
from commands.messages import limits
from commands.signed.envelope import decode_envelope, decode_json_line
from ledger.domain.identifiers import IdentifierError, validate_holder_code
from ledger.domain.text import (
    KINDS,
    NUMBER,
    TextPolicyError,
    check_text,
    comparison_key,
    latin_twins,
)
from ledger.errors import InvalidCommandError
from ledger.integrity.canonical import parse_date, parse_instant

_S = Scenario(7, lambda: "2026-11-27T08:00:00.000000Z")
_ITEMS = list(_S.setup()) + list(_S.issue(2))
ISSUE: dict[str, Any] = next(e for e in _ITEMS if e["type"] == "IssueLicence")
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# Characters no text may hold, whatever its kind.
INVISIBLE = st.sampled_from([
    "\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\u00ad", "\u061c", "\u180e", "\u200b",
    "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    "\u2060", "\u2061", "\u2064", "\u2066", "\u2067", "\u2068", "\u2069", "\u206f", "\ufeff",
    "\ufff9", "\U000e0001", "\U000e007f", "\ud800", "\udbff", "\udc00", "\ue000", "\u2028",
    "\u2029", "\u3164", "\u115f", "\uffa0", "\ufe0f", "\U000e0100", "\u034f", "\u2800",
])
# Characters that make a number look like another: spaces, combining marks, other digits.
LOOK_ALIKE = st.sampled_from([
    "\u00a0", "\u2007", "\u202f", "\u3000", "\u2002", "\u0301", "\u0308", "\u20dd", "\u0338",
    "\u0660", "\u0663", "\u06f3", "\u0967", "\u09e6", "\u0e51", "\u1041",
])
# The text fields of an IssueLicence, as paths into its payload.
TEXT_FIELDS = [("licence_number",), ("case_number",), ("serial",), ("matter_code",),
               ("holders", 0, "name"), ("holders", 0, "code"), ("face", "company_name")]


def _with(path: tuple[Any, ...], value: str) -> dict[str, Any]:
    envelope = orjson.loads(orjson.dumps(ISSUE))
    target = envelope["payload"]
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return envelope


def _get(path: tuple[Any, ...]) -> str:
    target: Any = ISSUE["payload"]
    for step in path:
        target = target[step]
    return str(target)


def _refused(envelope: Any) -> str:
    with pytest.raises(InvalidCommandError) as info:
        decode_envelope(envelope)
    return info.value.message


@FAST
@given(st.sampled_from(TEXT_FIELDS), INVISIBLE, st.integers(min_value=0, max_value=40))
def test_invisible_characters_are_refused_in_every_field(path: tuple[Any, ...], ch: str,
                                                         at: int) -> None:
    original = _get(path)
    at = min(at, len(original))
    message = _refused(_with(path, original[:at] + ch + original[at:]))
    assert f"U+{ord(ch):04X}" in message or "printable ASCII" in message, message
    assert ch not in message  # quoted escaped, never raw


@FAST
@given(LOOK_ALIKE, st.integers(min_value=0, max_value=40))
def test_look_alike_tricks_in_a_licence_number_are_refused(ch: str, at: int) -> None:
    original = _get(("licence_number",))
    at = min(at, len(original))
    message = _refused(_with(("licence_number",), original[:at] + ch + original[at:]))
    assert "payload.licence_number" in message


@FAST
@given(st.lists(st.booleans(), min_size=1))
def test_full_width_forms_fold_to_the_same_number(widen: list[bool]) -> None:
    original = _get(("licence_number",))
    mixed = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and widen[i % len(widen)] else c
                    for i, c in enumerate(original))
    decoded = decode_envelope(_with(("licence_number",), mixed))
    assert comparison_key(decoded.command.licence_number) == comparison_key(original)


@FAST
@given(st.sampled_from(TEXT_FIELDS), st.integers(min_value=1, max_value=3))
def test_huge_strings_are_refused_with_a_short_message(path: tuple[Any, ...],
                                                       scale: int) -> None:
    message = _refused(_with(path, "汉" * (limits.MAX_TEXT * 10 ** scale)))
    assert "too long" in message and len(message) < 300


@FAST
@given(st.integers(min_value=limits.MAX_DEPTH + 1, max_value=5000),
       st.sampled_from(["[", '{"a":']))
def test_deep_nesting_is_refused_as_json_or_as_too_deep(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + "1" + closer * depth
    line = orjson.dumps(ISSUE).decode().replace('"face":{', f'"face":{{"deep":{nested},', 1)
    with pytest.raises(InvalidCommandError) as info:
        decode_json_line(line)
    assert info.value.code in ("invalid_command", "malformed_json")


@FAST
@given(st.sampled_from(TEXT_FIELDS), st.sampled_from(["\\ud800", "\\udfff", "\\ud83d"]))
def test_lone_surrogates_in_json_are_malformed(path: tuple[Any, ...], escape: str) -> None:
    line = orjson.dumps(_with(path, "SURROGATE")).decode().replace("SURROGATE", escape)
    with pytest.raises(InvalidCommandError) as info:
        decode_json_line(line)
    assert info.value.code == "malformed_json"


@FAST
@given(st.dates())
def test_dates_parse_only_within_the_documented_years(day: date) -> None:
    text = day.isoformat()
    if limits.MIN_YEAR <= day.year <= limits.MAX_YEAR:
        assert parse_date(text) == day
        decode_envelope(_with(("issue_date",), text))
    else:
        with pytest.raises(ValueError, match="outside the years"):
            parse_date(text)
        assert "payload.issue_date" in _refused(_with(("issue_date",), text))


@FAST
@given(st.integers(min_value=0, max_value=9999), st.integers(min_value=1, max_value=12),
       st.integers(min_value=1, max_value=28), st.sampled_from("+-"),
       st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59))
def test_instants_never_overflow(year: int, month: int, day: int, sign: str, hours: int,
                                 minutes: int) -> None:
    text = f"{year:04d}-{month:02d}-{day:02d}T00:00:00{sign}{hours:02d}:{minutes:02d}"
    wire = (limits.MIN_INSTANT_YEAR, limits.MAX_INSTANT_YEAR)
    in_range = (wire[0] <= year <= wire[1]
                and hours * 60 + minutes <= limits.MAX_OFFSET_MINUTES)
    if in_range:
        assert parse_instant(text, wire).tzinfo is not None
        return
    with pytest.raises(ValueError):
        parse_instant(text, wire)
    _refused({**ISSUE, "issued_at": text})
    with contextlib.suppress(ValueError):  # without the wire's years: never an OverflowError
        parse_instant(text)


@settings(max_examples=400, deadline=None)
@given(st.text(), st.sampled_from(KINDS))
def test_any_text_is_accepted_clean_or_refused_with_the_policy_error(value: str,
                                                                     kind: str) -> None:
    try:
        check_text(value, kind)
    except TextPolicyError:
        return
    for ch in value:
        assert unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn", "Zl", "Zp"), ch
        assert unicodedata.category(ch) != "Cc" or ch in "\n\t\r"
    if kind == NUMBER:
        assert comparison_key(comparison_key(value)) == comparison_key(value)
        assert all(not unicodedata.category(c).startswith("M") for c in value)


@FAST
@given(st.text(st.characters(exclude_categories=("C", "Z")), min_size=1, max_size=64))
def test_a_document_code_is_accepted_only_in_its_nfkc_form(code: str) -> None:
    folded = unicodedata.normalize("NFKC", code)
    if folded == code and latin_twins(code) == code:
        assert validate_holder_code("999", code) == code
    elif folded == code:  # a Greek or Cyrillic letter drawn like a Latin one: its own rule
        with pytest.raises(IdentifierError, match="Greek or Cyrillic"):
            validate_holder_code("999", code)
    else:
        with pytest.raises(IdentifierError, match="full-width or compatibility"):
            validate_holder_code("999", code)
