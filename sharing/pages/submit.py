"""A page's write: a signed envelope through the same path as ``POST /api/v1/commands``
(decoded from its bytes, then the writer's group commit, or the commands topic with
Kafka), never a write of its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import Request

from commands.bus.pipeline import Result, decode_any
from commands.signed.envelope import SignedCommand, sign_envelope
from ledger.integrity.canonical import format_instant
from ledger.integrity.signing import SigningKey
from sharing.kafka_door import KafkaDoor
from sharing.routes.common import settings_of, writer_of


async def submit(request: Request, key: SigningKey, actor: str, command_type: str,
                 payload: dict[str, Any]) -> dict[str, Any]:
    """Sign and run one command; its result object (``status``, ``code``, ``message``)."""
    return (await submit_signed(request, key, actor, command_type, payload))[1]


async def submit_signed(request: Request, key: SigningKey, actor: str, command_type: str,
                        payload: dict[str, Any]
                        ) -> tuple[SignedCommand | None, dict[str, Any]]:
    """As :func:`submit`, with the signed command too (None when it did not decode), so a
    read can be completed as ``POST /api/v1/commands`` completes it."""
    envelope = sign_envelope(key, command_type=command_type, actor=actor, payload=payload,
                             issued_at=format_instant(datetime.now(UTC)))
    raw = orjson.dumps(envelope)
    decoded = decode_any(raw)
    if isinstance(decoded, Result):
        return None, decoded.to_json()
    return decoded, await _run(request, decoded, raw)


async def _run(request: Request, decoded: SignedCommand, raw: bytes) -> dict[str, Any]:
    door: KafkaDoor | None = request.app.state.kafka
    if door is None:
        result = await asyncio.wait_for(writer_of(request).execute(decoded),
                                        settings_of(request).request_timeout)
        return result.to_json()
    body = await door.post(decoded, raw)
    if body is None:
        return {"status": "pending", "code": "pending", "command_id": decoded.command_id,
                "message": "the ledger has not answered yet"}
    return body
