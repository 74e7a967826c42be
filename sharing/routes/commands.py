"""``POST /api/v1/commands``: one signed envelope in, its result object out.

The body is the wire format, so the HTTP layer adds nothing to trust: what the ledger
checks and records is the department's own signature. On the embedded default the
command runs in-process through the writer's group commit.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from commands.bus import Result, decode_any
from sharing.problems import result_answer
from sharing.routes.common import problems, settings_of, writer_of

router = APIRouter(tags=["commands"])
ENVELOPE_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Envelope"}}}}}


@router.post("/api/v1/commands", openapi_extra=ENVELOPE_BODY,
             responses={200: {"description": "the result object, as published on"
                              " licence.results, plus `data` for reads"},
                        **problems(400, 401, 403, 404, 409, 413, 429, 503)})
async def post_command(request: Request) -> JSONResponse:
    """Handle one signed command; a repeated command id returns the original result."""
    decoded = decode_any(await request.body())
    if isinstance(decoded, Result):
        return result_answer(decoded)
    result = await asyncio.wait_for(writer_of(request).execute(decoded),
                                    settings_of(request).request_timeout)
    return result_answer(result)
