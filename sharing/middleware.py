"""What every answer gets, as plain ASGI middleware: a bounded body, security headers,
and one structured access-log line without personal data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("sharing.access")

SECURITY_HEADERS = [
    # Answers that are not pages (JSON, problems, a method or path no route takes) need
    # nothing; the pages carry their own policy (sharing/pages/render.py).
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none';"
     b" base-uri 'none'; form-action 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
]


class BodyTooSlowError(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body did not arrive within {seconds:g} s")
        self.seconds = seconds


class BodyTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in SECURITY_HEADERS if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuses a body over its path's limit, by its Content-Length or while it streams, and
    a body that stalls: each part must come within ``read_timeout`` seconds (a slow client
    holds a connection; uvicorn bounds idle connections, not slow bodies)."""

    def __init__(self, app: ASGIApp, limit_of: Callable[[str], int], read_timeout: float,
                 too_large: Callable[[int], ASGIApp]) -> None:
        self.app = app
        self.limit_of = limit_of
        self.read_timeout = read_timeout
        self.too_large = too_large

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self.too_large(limit)(scope, receive, send)
            return
        seen, complete = 0, False

        async def bounded() -> Message:
            nonlocal seen, complete
            if complete:  # after the body: waiting for a disconnect is not bounded here
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.read_timeout)
            except TimeoutError:
                raise BodyTooSlowError(self.read_timeout) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if seen > limit:
                    raise BodyTooLargeError(limit)
            return message

        try:
            await self.app(scope, bounded, send)
        except BodyTooLargeError:
            await self.too_large(limit)(scope, receive, send)


class AnswerAtStop:
    """A request still waiting when the graceful stop runs out (10 s) is cancelled by
    uvicorn, which answers such a request 500 and logs a traceback for each. It gets
    ``answer_stop`` instead (503 ``unavailable``: a command it carried may still take
    effect, so post it again with the same command id); an answer already begun is cut
    off as before. Nothing else cancels a request's task (a client that goes away is told
    by ``http.disconnect``), so the cancellation is the stop's."""

    def __init__(self, app: ASGIApp, answer_stop: ASGIApp) -> None:
        self.app = app
        self.answer_stop = answer_stop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except asyncio.CancelledError:
            if started:
                raise
            await self.answer_stop(scope, receive, send)  # then end, as the stop asked


class AccessLog:
    """One JSON line per request: method, route template, status, bytes, milliseconds.

    No client address, no query string and no concrete path: a path may hold a QR
    reference, and who asked for what is recorded, signed, by the ledger itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status, size = 0, 0

        async def observe(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            route: Any = scope.get("route")
            access_log.info(orjson.dumps({
                "method": scope["method"], "route": getattr(route, "path", "(none)"),
                "status": status, "bytes": size,
                "ms": round((time.perf_counter() - start) * 1000, 2)}).decode())
