"""Strict decoding of JSON payloads into frozen command types.

Each field is checked against the dataclass annotation; the error names the field's path
(``payload.holders[1].code``), what was found and what is expected. Unknown fields are
refused so that a typo never silently drops data.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, cast, get_args, get_origin, get_type_hints

from ledger.canonical import freeze
from ledger.errors import InvalidCommandError

T = TypeVar("T")
MAX_TEXT = 2000


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def fail(where: str, message: str) -> typing.NoReturn:
    raise InvalidCommandError(f"{where}: {message}")


def decode_value(where: str, annotation: Any, value: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if value is None:
            if type(None) in get_args(annotation):
                return None
            fail(where, "must not be null")
        return decode_value(where, options[0], value)
    if annotation is str:
        if not isinstance(value, str):
            fail(where, f"expected text, got {describe(value)}")
        if not value.strip():
            fail(where, "must not be empty")
        if len(value) > MAX_TEXT:
            fail(where, f"too long ({len(value)} characters, at most {MAX_TEXT})")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            fail(where, f"expected true or false, got {describe(value)}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            fail(where, f"expected an integer, got {describe(value)}")
        return value
    if origin is tuple:
        (item_type, _ellipsis) = get_args(annotation)
        if not isinstance(value, list):
            fail(where, f"expected a list, got {describe(value)}")
        return tuple(decode_value(f"{where}[{i}]", item_type, v) for i, v in enumerate(value))
    if origin in (Mapping, dict) or annotation is Mapping:
        if not isinstance(value, dict):
            fail(where, f"expected an object, got {describe(value)}")
        _reject_floats(where, value)
        return freeze(value)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        return decode_object(where, annotation, value)
    raise TypeError(f"no decoder for {annotation!r}")  # a programming error, not bad input


def _reject_floats(where: str, value: Any) -> None:
    # Floats have no single canonical text form, so they could not be signed reliably.
    if isinstance(value, float):
        fail(where, "decimal numbers are not allowed; write them as text")
    if isinstance(value, dict):
        for k, v in value.items():
            _reject_floats(f"{where}.{k}", v)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _reject_floats(f"{where}[{i}]", v)


@functools.cache
def _shape(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field[Any]]]:
    """Type hints and fields of a command type, computed once (they never change)."""
    return get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)}


def decode_object(where: str, cls: type[T], value: Any) -> T:
    if not isinstance(value, dict):
        fail(where, f"expected an object, got {describe(value)}")
    hints, fields = _shape(cast(type, cls))
    unknown = sorted(set(value) - set(fields))
    if unknown:
        fail(where, f"unknown field(s) {', '.join(unknown)}; expected {', '.join(fields)}")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in value:
            has_default = (
                f.default is not dataclasses.MISSING
                or f.default_factory is not dataclasses.MISSING
            )
            if has_default:
                continue
            fail(f"{where}.{name}", "required field is missing")
        kwargs[name] = decode_value(f"{where}.{name}", hints[name], value[name])
    return cls(**kwargs)
