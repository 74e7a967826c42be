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
from collections.abc import Callable, Mapping
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


Decoder = Callable[[str, Any], Any]


def decode_value(where: str, annotation: Any, value: Any) -> Any:
    return decoder(annotation)(where, value)


@functools.cache
def decoder(annotation: Any) -> Decoder:
    """A function ``(where, value) -> decoded`` for ``annotation``, built once per type.

    Resolving annotations (``get_origin``, type hints, dataclass fields) on every value
    cost more than the checks themselves; the closures below only check.
    """
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        nullable = type(None) in get_args(annotation)
        inner = decoder(options[0])

        def optional(where: str, value: Any) -> Any:
            if value is None:
                if nullable:
                    return None
                fail(where, "must not be null")
            return inner(where, value)
        return optional
    if annotation is str:
        return _text
    if annotation is bool:
        return _boolean
    if annotation is int:
        return _integer
    if origin is tuple:
        (item_type, _ellipsis) = get_args(annotation)
        item = decoder(item_type)

        def sequence(where: str, value: Any) -> Any:
            if not isinstance(value, list):
                fail(where, f"expected a list, got {describe(value)}")
            return tuple(item(f"{where}[{i}]", v) for i, v in enumerate(value))
        return sequence
    if origin in (Mapping, dict) or annotation is Mapping:
        return _mapping
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        cls = annotation

        def record(where: str, value: Any) -> Any:
            return decode_object(where, cls, value)
        return record
    raise TypeError(f"no decoder for {annotation!r}")  # a programming error, not bad input


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str):
        fail(where, f"expected text, got {describe(value)}")
    if not value.strip():
        fail(where, "must not be empty")
    if len(value) > MAX_TEXT:
        fail(where, f"too long ({len(value)} characters, at most {MAX_TEXT})")
    return value


def _boolean(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        fail(where, f"expected true or false, got {describe(value)}")
    return value


def _integer(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(where, f"expected an integer, got {describe(value)}")
    return value


def _mapping(where: str, value: Any) -> Any:
    if not isinstance(value, dict):
        fail(where, f"expected an object, got {describe(value)}")
    _reject_floats(where, value)
    return freeze(value)


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
def _shape(cls: type) -> tuple[frozenset[str], str, tuple[tuple[str, Decoder, bool], ...]]:
    """Field names, their list for messages, and (name, decoder, required) of each field."""
    hints = get_type_hints(cls)
    fields = dataclasses.fields(cls)
    plan = tuple(
        (f.name, decoder(hints[f.name]),
         f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        for f in fields
    )
    return frozenset(f.name for f in fields), ", ".join(f.name for f in fields), plan


def decode_object(where: str, cls: type[T], value: Any) -> T:
    if not isinstance(value, dict):
        fail(where, f"expected an object, got {describe(value)}")
    names, listed, plan = _shape(cast(type, cls))
    if not names.issuperset(value):
        unknown = sorted(set(value) - names)
        fail(where, f"unknown field(s) {', '.join(unknown)}; expected {listed}")
    kwargs: dict[str, Any] = {}
    for name, decode, required in plan:
        if name in value:
            kwargs[name] = decode(f"{where}.{name}", value[name])
        elif required:
            fail(f"{where}.{name}", "required field is missing")
    return cls(**kwargs)
