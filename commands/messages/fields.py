"""Strict decoding of JSON payloads into frozen command types.

Each field is checked against the dataclass annotation; the error names the field's path
(``payload.holders[1].code``), what was found and what is expected. Unknown fields are
refused so that a typo never silently drops data. Annotations carry their bounds
(:mod:`commands.messages.wire_types`): text kind and length, list length, integer range; a bare
``str`` is a name of at most ``MAX_TEXT`` characters, a bare tuple at most ``MAX_ITEMS``
entries, a bare ``int`` within ±(2^53 - 1). Decoding never recurses deeper than the
types do, and raises nothing but :class:`InvalidCommandError`.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar, cast, get_args, get_origin, get_type_hints

from commands.messages import limits
from commands.messages.wire_types import Items, Range, Shape, Text
from ledger.domain import text as policy
from ledger.errors import InvalidCommandError
from ledger.integrity.canonical import MAX_YEAR, MIN_YEAR, freeze, parse_date

T = TypeVar("T")
MAX_TEXT = limits.MAX_TEXT
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_]{1,64}")
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


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
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def fail(where: str, message: str) -> typing.NoReturn:
    raise InvalidCommandError(f"{where}: {message}")


def field_names(keys: typing.Iterable[Any], most: int = 5) -> str:
    """Keys for a message: plain ones as they are, others quoted and escaped, five at most."""
    keys = list(keys)
    shown = [k if isinstance(k, str) and _PLAIN_KEY.fullmatch(k) else policy.quote(k, 32)
             for k in keys[:most]]
    return ", ".join(shown) + (f" and {len(keys) - most} more" if len(keys) > most else "")


def check_depth(value: Any, where: str = "command", most: int = limits.MAX_DEPTH) -> None:
    """Refuse arrays and objects nested deeper than ``most``; iterative, so any depth is safe."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > most:
            fail(where, f"arrays and objects are nested more than {most} levels deep")
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list | tuple))


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
    if origin is Annotated:
        base, *meta = get_args(annotation)
        return _bounded(base, meta[0])
    if origin in (typing.Union, types.UnionType):
        return _union(annotation)
    if annotation is str:
        return _text(Text(policy.NAME, limits.MAX_TEXT))
    if annotation is bool:
        return _boolean
    if annotation is int:
        return _integer(Range(-limits.MAX_INTEGER, limits.MAX_INTEGER))
    if origin is tuple:
        return _sequence(annotation, Items(limits.MAX_ITEMS))
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        cls = annotation

        def record(where: str, value: Any) -> Any:
            return decode_object(where, cls, value)
        return record
    # "Any JSON" has no decoder on purpose: every field has a real type and bounds.
    raise TypeError(f"no decoder for {annotation!r}")  # a programming error, not bad input


def _bounded(base: Any, rule: Any) -> Decoder:
    if isinstance(rule, Text) and base is str:
        return _text(rule)
    if isinstance(rule, Range) and base is int:
        return _integer(rule)
    if isinstance(rule, Items) and get_origin(base) is tuple:
        return _sequence(base, rule)
    if isinstance(rule, Items) and get_origin(base) in (Mapping, dict):
        return _mapping(base, rule)
    if isinstance(rule, Shape):
        return _shape_of(rule)
    raise TypeError(f"no decoder for {base!r} with {rule!r}")


def _json_kind(annotation: Any) -> type:
    """The JSON type a value of ``annotation`` arrives as (str, int, bool, list or dict)."""
    if get_origin(annotation) is Annotated:
        return _json_kind(get_args(annotation)[0])
    if annotation in (str, int, bool):
        return cast(type, annotation)
    return list if get_origin(annotation) is tuple else dict


def _union(annotation: Any) -> Decoder:
    options = [a for a in get_args(annotation) if a is not type(None)]
    nullable = type(None) in get_args(annotation)
    by_kind = {_json_kind(a): decoder(a) for a in options}
    names = {str: "text", int: "an integer", bool: "true or false", list: "a list",
             dict: "an object"}
    expected = " or ".join(names[k] for k in by_kind) + (" or null" if nullable else "")
    only = decoder(options[0])  # one option: its own messages say what is expected

    def union(where: str, value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            fail(where, "must not be null")
        kind = bool if isinstance(value, bool) else type(value)
        inner = by_kind.get(kind) if len(by_kind) > 1 else only
        if inner is None:
            if isinstance(value, float):
                fail(where, "decimal numbers are not allowed; write them as text")
            fail(where, f"expected {expected}, got {describe(value)}")
        return inner(where, value)
    return union


def _text(rule: Text) -> Decoder:
    form = _FORMS.get(rule.form) if rule.form else None
    kind, most, check = rule.kind, rule.max_len, policy.check_text  # locals: a hot path

    def text(where: str, value: Any) -> str:
        if not isinstance(value, str):
            fail(where, f"expected text, got {describe(value)}")
        if len(value) > most:
            fail(where, f"too long ({len(value)} characters, at most {most})")
        if not value or value.isspace():
            fail(where, "must not be empty")
        try:
            check(value, kind)
        except policy.TextPolicyError as exc:
            fail(where, f"{policy.quote(value)}: {exc}")
        if form is not None:
            form(where, value)
        return value
    return text


def _date(where: str, value: str) -> None:
    try:
        parse_date(value)
    except ValueError as exc:
        fail(where, str(exc))


def _area_code(where: str, value: str) -> None:
    if not policy.is_ascii_digits(value, 6):
        fail(where, f"expected a 6-digit GB/T 2260 area code (digits 0-9), got"
                    f" {policy.quote(value)}")


def _period(where: str, value: str) -> None:
    if not _PERIOD.fullmatch(value) or not MIN_YEAR <= int(value[:4]) <= MAX_YEAR:
        fail(where, f"expected a month written YYYY-MM (digits 0-9, years"
                    f" {MIN_YEAR}..{MAX_YEAR}), got {policy.quote(value)}")


_FORMS: dict[str, Callable[[str, str], None]] = {
    "date": _date, "area_code": _area_code, "period": _period,
}


def _boolean(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        fail(where, f"expected true or false, got {describe(value)}")
    return value


def _integer(rule: Range) -> Decoder:
    def integer(where: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            fail(where, f"expected an integer, got {describe(value)}")
        if not rule.low <= value <= rule.high:
            # str() of a huge integer is slow and refused past 4300 digits: give its size.
            shown = value if abs(value) < 10**20 else f"an integer of {value.bit_length()} bits"
            fail(where, f"{shown} is out of range; expected {rule.low}..{rule.high}")
        return value
    return integer


def _sequence(annotation: Any, rule: Items) -> Decoder:
    (item_type, _ellipsis) = get_args(annotation)
    item = decoder(item_type)

    def sequence(where: str, value: Any) -> Any:
        if not isinstance(value, list):
            fail(where, f"expected a list, got {describe(value)}")
        if len(value) > rule.max_items:
            fail(where, f"too many entries ({len(value)}, at most {rule.max_items})")
        return tuple(item(f"{where}[{i}]", v) for i, v in enumerate(value))
    return sequence


def _mapping(annotation: Any, rule: Items) -> Decoder:
    key_type, value_type = get_args(annotation)
    key, item = decoder(key_type), decoder(value_type)

    def mapping(where: str, value: Any) -> Any:
        if not isinstance(value, dict):
            fail(where, f"expected an object, got {describe(value)}")
        if len(value) > rule.max_items:
            fail(where, f"too many members ({len(value)}, at most {rule.max_items})")
        return {key(f"{where} (a field name)", k): item(f"{where}.{k}", v)
                for k, v in value.items()}
    return mapping


def _shape_of(rule: Shape) -> Decoder:
    if not rule.only:
        def whole(where: str, value: Any) -> Any:
            decode_object(where, rule.cls, value)
            return freeze(value)
        return whole
    hints = get_type_hints(rule.cls, include_extras=True)
    plan = {name: decoder(hints[name]) for name in rule.only}
    listed = ", ".join(rule.only)

    def partial(where: str, value: Any) -> Any:
        if not isinstance(value, dict):
            fail(where, f"expected an object, got {describe(value)}")
        unknown = [k for k in value if k not in plan]
        if unknown or not value:
            fail(where, f"expected one or more of {listed}"
                        + (f"; unknown: {field_names(unknown)}" if unknown else ""))
        for name, v in value.items():
            plan[name](f"{where}.{name}", v)
        return freeze(value)
    return partial


@functools.cache
def _shape(cls: type) -> tuple[frozenset[str], str, tuple[tuple[str, Decoder, bool], ...]]:
    """Field names, their list for messages, and (name, decoder, required) of each field."""
    hints = get_type_hints(cls, include_extras=True)
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
        unknown = [k for k in value if k not in names]
        fail(where, f"unknown field(s) {field_names(unknown)}; expected {listed}")
    kwargs: dict[str, Any] = {}
    for name, decode, required in plan:
        if name in value:
            kwargs[name] = decode(f"{where}.{name}", value[name])
        elif required:
            fail(f"{where}.{name}", "required field is missing")
    return cls(**kwargs)
