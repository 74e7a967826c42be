"""The JSON Schema of the wire format, generated from the command types.

Generated, not hand-written, so it cannot drift from the decoder; a test checks that the
committed ``commands/schema/command.schema.json`` equals what this module generates.
Regenerate with ``ledger schema > commands/schema/command.schema.json``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, get_args, get_origin, get_type_hints

from commands.definitions import LicenceTypeDefinition
from commands.fields import MAX_TEXT
from commands.messages import COMMAND_TYPES

UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
INSTANT_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"


def _schema_for(annotation: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return {"anyOf": [_schema_for(options[0], defs), {"type": "null"}]}
    if annotation is str:
        return {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if origin is tuple:
        return {"type": "array", "items": _schema_for(get_args(annotation)[0], defs)}
    if origin in (Mapping, dict) or annotation is Mapping:
        return {"type": "object"}
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        name = annotation.__name__
        if name not in defs:
            defs[name] = {}
            defs[name] = _object_schema(annotation, defs)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no schema for {annotation!r}")


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = get_type_hints(cls)
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
    _schema_for(LicenceTypeDefinition, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://licence-ledger.example/schema/command.schema.json",
        "title": "Signed ledger command",
        "description": (
            "The signature is Ed25519 (base64) over the canonical JSON (keys sorted, no"
            " white space, UTF-8, no floats; RFC 8785 for this subset) of the envelope"
            " without its signature member. RegisterLicenceType/ReviseLicenceType payload"
            " 'definition' follows $defs/LicenceTypeDefinition."
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
            "signature": {"type": "string", "pattern": "^[A-Za-z0-9+/]+={0,2}$"},
        },
        "allOf": branches,
        "$defs": dict(sorted(defs.items())),
    }
