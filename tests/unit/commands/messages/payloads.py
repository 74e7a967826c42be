"""Smallest valid payloads, built from a command's own field types (the wire types the
decoder reads), so every command type can be decoded and refused field by field."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, get_args, get_origin, get_type_hints

import pytest

from commands.messages.base import Command
from commands.messages.catalog import COMMAND_TYPES, decode_payload
from commands.messages.wire_types import Items, Range, Shape, Text
from ledger.domain import text as policy
from ledger.errors import InvalidCommandError

_TEXT = {policy.CODE: "C-1", policy.NUMBER: "No.1", policy.NAME: "名称",
         policy.TEXT: "说明", policy.PEM: "-----BEGIN CERTIFICATE-----"}
_FORMS = {"date": "2026-11-27", "area_code": "320581", "period": "2026-11"}


def sample(annotation: Any) -> Any:
    """A small value the decoder accepts for ``annotation``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, rule = get_args(annotation)[:2]
        if isinstance(rule, Text):
            return _FORMS[rule.form] if rule.form else _TEXT[rule.kind]
        if isinstance(rule, Range):
            return max(rule.low, min(1, rule.high))
        if isinstance(rule, Items):
            return {} if get_origin(base) in (Mapping, typing.Mapping) or base is Mapping else [
                sample(get_args(base)[0])]
        if isinstance(rule, Shape):
            hints = get_type_hints(rule.cls, include_extras=True)
            if rule.only:
                return {rule.only[0]: sample(hints[rule.only[0]])}
            return payload_for(rule.cls)
        return sample(base)
    if origin in (typing.Union, types.UnionType):
        return sample(next(a for a in get_args(annotation) if a is not type(None)))
    if annotation is str:
        return "文本"
    if annotation is bool:
        return True
    if annotation is int:
        return 1
    if origin is tuple:
        return [sample(get_args(annotation)[0])]
    if dataclasses.is_dataclass(annotation):
        return payload_for(annotation)  # type: ignore[arg-type]
    raise TypeError(f"no sample for {annotation!r}")


def required(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]


def payload_for(cls: type) -> dict[str, Any]:
    """Only the required fields, each with a sample value."""
    hints = get_type_hints(cls, include_extras=True)
    return {name: sample(hints[name]) for name in required(cls)}


def commands_of(module: types.ModuleType) -> list[str]:
    names = [n for n, c in COMMAND_TYPES.items() if c.__module__ == module.__name__]
    assert names, f"no command types registered from {module.__name__}"
    return names


def check_command_type(name: str, prefixes: tuple[str, ...]) -> Command:
    """The smallest payload decodes and keys its aggregate; every required field, a wrong
    kind of value and an unknown field are refused naming the field."""
    cls = COMMAND_TYPES[name]
    assert cls.type_name == name
    good = payload_for(cls)
    command = decode_payload(name, good)
    assert isinstance(command, cls)
    key = command.partition_key("11320581MB0000A1XX")
    assert any(key.startswith(p) and len(key) > len(p) for p in prefixes), key
    for field in required(cls):
        missing = {k: v for k, v in good.items() if k != field}
        with pytest.raises(InvalidCommandError, match=f"payload.{field}: required field"):
            decode_payload(name, missing)
        with pytest.raises(InvalidCommandError, match=f"payload.{field}"):
            decode_payload(name, {**good, field: 3.5})  # no field is a decimal number
    with pytest.raises(InvalidCommandError, match=r"unknown field.*zz_unknown"):
        decode_payload(name, {**good, "zz_unknown": 1})
    with pytest.raises(InvalidCommandError, match="expected an object"):
        decode_payload(name, [good])
    return command
