"""The JSON Schema of the wire format, generated from the command types.

Generated, not hand-written, so it cannot drift from the decoder; a test checks that the
committed ``commands/schema/command.schema.json`` equals what this module generates.
Regenerate with ``ledger schema > commands/schema/command.schema.json``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from commands.messages import limits
from commands.messages.catalog import COMMAND_TYPES
from commands.messages.wire_types import Items, Range, Shape, Text
from ledger.domain import text as policy

UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# [0-9], never \d: in many regex engines \d matches any script's digits.
INSTANT_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
                   r"(Z|[+-][0-9]{2}:[0-9]{2})$")
FORM_PATTERNS = {
    "date": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "area_code": "^[0-9]{6}$",
    "period": "^[0-9]{4}-(0[1-9]|1[0-2])$",
}
# The text policy (ledger/domain/text.py) in schema form: what each kind may never contain.
_NEVER = (r"\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e"
          r"\u2060-\u206f\ufeff")
KIND_PATTERNS = {
    policy.CODE: "^[!-~]+$", policy.PEM: "^[ -~\\r\\n]+$",
    policy.NUMBER: f"^[^\\t\\n{_NEVER}]+$", policy.NAME: f"^[^\\t\\n{_NEVER}]+$",
    policy.TEXT: f"^[^{_NEVER}]+$",
}


def _schema_for(annotation: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, rule = get_args(annotation)[:2]
        return _bounded(base, rule, defs)
    if origin in (typing.Union, types.UnionType):
        options = [_schema_for(a, defs) for a in get_args(annotation) if a is not type(None)]
        if type(None) in get_args(annotation):
            options.append({"type": "null"})
        return {"anyOf": options}
    if annotation is str:
        return _bounded(str, Text(policy.NAME, limits.MAX_TEXT), defs)
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return _bounded(int, Range(-limits.MAX_INTEGER, limits.MAX_INTEGER), defs)
    if origin is tuple:
        return _bounded(annotation, Items(limits.MAX_ITEMS), defs)
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        name = annotation.__name__
        if name not in defs:
            defs[name] = {}
            defs[name] = _object_schema(annotation, defs)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no schema for {annotation!r}")


def _bounded(base: Any, rule: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if isinstance(rule, Text):
        out: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": rule.max_len,
                               "pattern": FORM_PATTERNS.get(rule.form or "",
                                                            KIND_PATTERNS[rule.kind])}
        return out
    if isinstance(rule, Range):
        return {"type": "integer", "minimum": rule.low, "maximum": rule.high}
    if isinstance(rule, Items) and get_origin(base) is tuple:
        return {"type": "array", "maxItems": rule.max_items,
                "items": _schema_for(get_args(base)[0], defs)}
    if isinstance(rule, Items):
        key, value = get_args(base)
        return {"type": "object", "maxProperties": rule.max_items,
                "propertyNames": _schema_for(key, defs),
                "additionalProperties": _schema_for(value, defs)}
    if isinstance(rule, Shape) and not rule.only:
        return _schema_for(rule.cls, defs)
    if isinstance(rule, Shape):
        if rule.name not in defs:
            hints = get_type_hints(rule.cls, include_extras=True)
            defs[rule.name] = {
                "type": "object", "minProperties": 1, "additionalProperties": False,
                "properties": {n: _schema_for(hints[n], defs) for n in rule.only},
                "description": f"One or more fields of {rule.cls.__name__}, each as there.",
            }
        return {"$ref": f"#/$defs/{rule.name}"}
    raise TypeError(f"no schema for {base!r} with {rule!r}")


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = get_type_hints(cls, include_extras=True)
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        props[f.name] = _schema_for(hints[f.name], defs)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    out: dict[str, Any] = {"type": "object", "properties": props,
                           "additionalProperties": False}
    if required:
        out["required"] = required
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
        out["description"] = " ".join(cls.__doc__.split())
    return out


def command_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    branches = []
    for name, cls in sorted(COMMAND_TYPES.items()):
        _schema_for(cls, defs)
        branches.append({"if": {"properties": {"type": {"const": name}}},
                         "then": {"properties": {"payload": {"$ref": f"#/$defs/{name}"}}}})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://licence-ledger.example/schema/command.schema.json",
        "title": "Signed ledger command",
        "description": (
            "The signature is Ed25519 (base64) over the canonical JSON (keys sorted, no"
            " white space, UTF-8, no floats; RFC 8785 for this subset) of the envelope"
            " without its signature member. Bounds (docs/commands.md): a record is at most"
            f" {limits.MAX_RECORD_BYTES} bytes by default, nested at most {limits.MAX_DEPTH}"
            " levels; text follows one policy (ledger/domain/text.py), of which the patterns"
            " below are the part a schema can say."
        ),
        "type": "object",
        "required": ["command_id", "type", "actor", "key_id", "issued_at", "payload",
                     "signature"],
        "additionalProperties": False,
        "properties": {
            "command_id": {"type": "string", "pattern": UUID_PATTERN},
            "type": {"enum": sorted(COMMAND_TYPES)},
            "actor": {"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"},
            "key_id": {"type": "string", "pattern": "^[a-z0-9]+:[0-9a-f]{24}$"},
            "issued_at": {"type": "string", "pattern": INSTANT_PATTERN},
            "payload": {"type": "object"},
            "signature": {"type": "string", "maxLength": limits.MAX_SIGNATURE,
                          "pattern": "^[A-Za-z0-9+/]+={0,2}$"},
        },
        "allOf": branches,
        "$defs": dict(sorted(defs.items())),
    }
