"""The OpenAPI document: FastAPI's, with the envelope's JSON Schema (the same one
``schema/command.schema.json`` publishes, made from the command types) as the body of
``POST /api/v1/commands`` and the problem document as a component.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PREFIX = "Cmd"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["type", "title", "status", "detail", "code"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "code": {"type": "string", "description": "the ledger's own code"},
                   "command_id": {"type": "string"}, "result": {"type": "object"}},
}
RESULT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["command_id", "status", "type", "duplicate", "events"],
    "description": "the result object, as published on licence.results (with Kafka also"
                   " its topic, partition and offset)",
    "properties": {
        "command_id": {"type": "string"}, "status": {"enum": ["accepted", "rejected"]},
        "code": {"type": ["string", "null"]}, "message": {"type": ["string", "null"]},
        "type": {"type": ["string", "null"]}, "duplicate": {"type": "boolean"},
        "events": {"type": "array", "items": {"type": "object", "properties": {
            "stream": {"type": "string"}, "version": {"type": "integer"}}}},
        "data": {"type": "object", "description": "what a read returns"}},
}


def envelope_schemas() -> dict[str, Any]:
    """The envelope schema and its definitions, with references rewritten for OpenAPI."""
    text = resources.files("commands").joinpath("schema/command.schema.json").read_text("utf-8")
    text = text.replace('"#/$defs/', f'"#/components/schemas/{PREFIX}')
    schema = json.loads(text)
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    return {"Envelope": schema, **{PREFIX + name: d for name, d in defs.items()}}


def install(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(envelope_schemas())
            schemas["Problem"] = PROBLEM_SCHEMA
            schemas["Result"] = RESULT_SCHEMA
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
            for operations in document["paths"].values():
                for operation in operations.values():
                    _invalid_is_400(operation["responses"])
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _invalid_is_400(responses: dict[str, Any]) -> None:
    """Invalid parameters are answered 400 with a problem document, not FastAPI's 422."""
    if responses.pop("422", None) is not None:
        responses.setdefault("400", {"description": "a problem document (RFC 9457)",
                                     "content": {"application/problem+json": {"schema": {
                                         "$ref": "#/components/schemas/Problem"}}}})
