"""``POST /api/v1/commands``: one signed envelope in, its result object out.

The body is the wire format, so the HTTP layer adds nothing to trust: what the ledger
checks and records is the department's own signature. On the embedded default the
command runs in-process through the writer's group commit; with Kafka configured (on
PostgreSQL) it is posted to the commands topic and the answer waits, bounded, for its result
(202 with a URL to poll past the bound).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from commands.bus.pipeline import Result, decode_any
from commands.signed.envelope import SignedCommand
from sharing.answers import complete, wants_more
from sharing.kafka_door import KafkaDoor
from sharing.problems import answer, problem, result_answer
from sharing.routes.common import on_ledger, problems, settings_of, writer_of

router = APIRouter(tags=["commands"])
PATH = "/api/v1/commands"
RESULT = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Result"}}}}
ENVELOPE_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Envelope"}}}}}


@router.post(PATH, openapi_extra=ENVELOPE_BODY,
             responses={200: {"description": "the result object, as published on"
                              " licence.results, plus `data` for reads", **RESULT},
                        202: {"description": "with Kafka: no result in time; poll the URL"},
                        **problems(400, 401, 403, 404, 408, 409, 413, 429, 503)})
async def post_command(request: Request) -> JSONResponse:
    """Handle one signed command; a repeated command id returns the original result."""
    door: KafkaDoor | None = request.app.state.kafka
    writer = writer_of(request)
    if door is None:
        writer.expect()  # the batch being gathered waits for this command
    try:
        raw = await request.body()
        decoded = decode_any(raw)
    except BaseException:
        if door is None:
            writer.unexpect()
        raise
    if isinstance(decoded, Result):
        if door is None:
            writer.unexpect()
        return result_answer(decoded)
    if door is None:
        submitted = writer.submit(decoded, expected=True)  # no await before: counted once
        result = await asyncio.wait_for(asyncio.wrap_future(submitted),
                                        settings_of(request).request_timeout)
        body: dict[str, Any] = result.to_json()
    else:
        posted = await door.post(decoded, raw)
        if posted is None:
            return pending(decoded.command_id, request.app.state.awaiting.remember(decoded))
        body = posted
    return answer(await completed(request, decoded, body))


async def completed(request: Request, signed: SignedCommand,
                    body: dict[str, Any]) -> dict[str, Any]:
    """A signed query's data, or a file read's download reference, added to its result."""
    if not wants_more(signed, body):
        return body
    state = request.app.state
    return await on_ledger(request, lambda s: complete(s, state.downloads, state.files,
                                                       signed, body))


def pending(command_id: str, token: str | None) -> JSONResponse:
    """202 with the URL to poll; for a read, the URL carries the token that alone gets its
    data (sharing/answers.py ``Awaiting``)."""
    url = f"/api/v1/results/{command_id}" + (f"?token={token}" if token else "")
    return JSONResponse({"command_id": command_id, "status": "pending", "poll": url},
                        status_code=202, headers={"Location": url, "Retry-After": "1"})


@router.get("/api/v1/results/{command_id}", responses={
    200: {"description": "the result", **RESULT}, 202: {"description": "no result yet: poll"},
    **problems(400, 401, 403, 404, 409)})
async def get_result(request: Request, command_id: str, token: Annotated[str, Query(
        max_length=32, pattern="^[0-9a-f]*$")] = "") -> JSONResponse:
    """With Kafka: the result of a command answered 202, once the ledger gave it (a read's
    data only with the ``token`` of the poll URL the 202 gave)."""
    door: KafkaDoor | None = request.app.state.kafka
    if door is None:
        return problem(404, "not_found", "without Kafka every command is answered at once;"
                       " there is nothing to poll")
    body = door.result(command_id)
    if body is None:
        return pending(command_id, token or None)
    signed = request.app.state.awaiting.take(command_id, token)
    return answer(body if signed is None else await completed(request, signed, body))


class Direct:
    """``POST /api/v1/commands`` straight to :func:`post_command`, as plain ASGI inside the
    service's own middleware (body limit, security headers, access log).

    The route stays declared (OpenAPI, other methods, a trailing slash); only its hot
    path skips Starlette's router (a match against every route), FastAPI's request
    wrapper and dependency solving, and the exception middleware's per-request set-up,
    which together cost about as much CPU as decoding the command. The endpoint takes
    the raw request, so FastAPI validated nothing here; a refusal raised goes to the same
    exception handlers (sharing/errors.py) as on the route, and what no handler takes
    goes on to Starlette's server-error handler, as from the route.
    """

    def __init__(self, app: ASGIApp, service: FastAPI) -> None:
        self.app = app
        self.service = service
        self.route = next(r for r in router.routes if isinstance(r, APIRoute)
                          and r.path == PATH and "POST" in (r.methods or ()))
        # What Starlette's ExceptionMiddleware handles: all but the catch-all (500).
        self.handlers = {k: v for k, v in service.exception_handlers.items()
                         if isinstance(k, type) and k is not Exception}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route  # the access log names the route template
        request = Request(scope, receive, send)
        response: Response
        try:
            response = await post_command(request)
        except Exception as exc:
            handler = next((self.handlers[c] for c in type(exc).__mro__
                            if c in self.handlers), None)
            if handler is None:
                raise
            answered = handler(request, exc)
            response = await answered if inspect.isawaitable(answered) else answered
        await response(scope, receive, send)
