"""The strict decoder of command payloads: objects, fields, lists, maps, numbers,
booleans, nesting, and refusals that name where (commands/messages/fields.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import pytest

from commands.messages.fields import (
    check_depth,
    decode_object,
    decode_value,
    decoder,
    describe,
    field_names,
)
from commands.messages.wire_types import Code, Count, Items, Name, Shape
from ledger.errors import InvalidCommandError


@dataclass(frozen=True)
class Inner:
    code: Code


@dataclass(frozen=True)
class Sample:
    name: Name
    count: Count
    flag: bool
    inner: Inner
    codes: Annotated[tuple[Code, ...], Items(2)]
    extra: Code | None = None


@dataclass(frozen=True)
class Changes:
    name: Name
    count: Count


GOOD: dict[str, Any] = {"name": "名称", "count": 3, "flag": True, "inner": {"code": "A"},
                        "codes": ["x", "y"]}


def refusal(value: Any, cls: type = Sample) -> str:
    with pytest.raises(InvalidCommandError) as info:
        decode_object("payload", cls, value)
    assert info.value.code == "invalid_command"
    return info.value.message


def test_a_good_object_decodes_into_its_class_with_tuples() -> None:
    sample = decode_object("payload", Sample, GOOD)
    assert sample == Sample("名称", 3, True, Inner("A"), ("x", "y"))
    assert decode_object("payload", Sample, {**GOOD, "extra": None}).extra is None


@pytest.mark.parametrize(("value", "expected"), [
    ([], "payload: expected an object, got a list"),
    ({**GOOD, "colour": 1}, "payload: unknown field(s) colour; expected name, count, flag"),
    ({k: v for k, v in GOOD.items() if k != "count"}, "payload.count: required field is missing"),
    ({**GOOD, "count": True}, "payload.count: expected an integer, got a boolean"),
    ({**GOOD, "count": 1.0}, "payload.count: expected an integer, got a decimal number"),
    ({**GOOD, "count": -1}, "payload.count: -1 is out of range"),
    ({**GOOD, "count": 2**70}, "an integer of 71 bits is out of range"),
    ({**GOOD, "flag": 1}, "payload.flag: expected true or false, got an integer"),
    ({**GOOD, "flag": "true"}, "payload.flag: expected true or false, got text"),
    ({**GOOD, "inner": "A"}, "payload.inner: expected an object, got text"),
    ({**GOOD, "inner": {}}, "payload.inner.code: required field is missing"),
    ({**GOOD, "codes": "x"}, "payload.codes: expected a list, got text"),
    ({**GOOD, "codes": ["x", "y", "z"]}, "payload.codes: too many entries (3, at most 2)"),
    ({**GOOD, "codes": ["x", 7]}, "payload.codes[1]"),
    ({**GOOD, "name": None}, "payload.name"),
    ({**GOOD, "extra": 5}, "payload.extra"),
])
def test_refusals_name_the_field_and_what_was_wrong(value: Any, expected: str) -> None:
    assert expected in refusal(value)


def test_unknown_field_names_are_quoted_escaped_and_counted() -> None:
    message = refusal({**GOOD, **{f"bad\n{i}": 1 for i in range(7)}})
    assert "\n" not in message and "and 2 more" in message


def test_field_names_show_plain_keys_as_they_are() -> None:
    assert field_names(["a", "b_2"]) == "a, b_2"
    assert field_names(["a b"]) != "a b"  # quoted
    assert field_names(list("abcdefg"), most=3) == "a, b, c and 4 more"


@pytest.mark.parametrize(("value", "words"), [
    (None, "null"), (True, "a boolean"), (1, "an integer"), (1.5, "a decimal number"),
    ("x", "text"), ([], "a list"), ((), "a list"), ({}, "an object"), (b"x", "bytes"),
])
def test_values_are_described_in_json_words(value: Any, words: str) -> None:
    assert describe(value) == words


def test_nesting_is_bounded_at_any_depth_without_recursion() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidCommandError, match="nested more than 16 levels"):
        check_depth(deep)
    check_depth([[[]]], most=3)
    with pytest.raises(InvalidCommandError, match="more than 2 levels"):
        check_depth({"a": [{}]}, most=2)


def test_a_partial_shape_takes_any_non_empty_subset_of_its_fields() -> None:
    only = Annotated[Mapping[str, Any], Shape(Changes, only=("name", "count"))]
    assert decode_value("changes", only, {"count": 2}) == {"count": 2}
    for bad, words in (({}, "expected one or more of name, count"),
                       ({"colour": "red"}, "unknown: colour"),
                       ({"count": "2"}, "changes.count: expected an integer"),
                       ([], "expected an object")):
        with pytest.raises(InvalidCommandError, match=words):
            decode_value("changes", only, bad)


def test_a_whole_shape_is_checked_and_kept_as_a_frozen_mapping() -> None:
    whole = Annotated[Mapping[str, Any], Shape(Sample)]
    assert decode_value("d", whole, GOOD)["codes"] == ("x", "y")
    with pytest.raises(InvalidCommandError, match=r"d\.count"):
        decode_value("d", whole, {**GOOD, "count": "3"})


def test_a_type_without_bounds_has_no_decoder() -> None:
    with pytest.raises(TypeError, match="no decoder"):
        decoder(Any)
    assert decoder(Code) is decoder(Code)  # built once per type
