"""Exception handlers: every failure leaves as a problem document, never a traceback.

Bad input is always a 4xx; a database or broker that went away is 503; only a bug in the
service itself is a 500, logged here with its traceback and answered without it.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from kafka.errors import KafkaError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledger.errors import LedgerError
from ledger.store.event_store import DRIVER_ERRORS
from sharing.middleware import BodyTooLargeError, BodyTooSlowError
from sharing.problems import problem, status_of
from sharing.writer import WriterDatabaseError, WriterStoppedError

log = logging.getLogger("sharing.errors")
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              413: "too_large", 415: "unsupported_media_type", 429: "rate_limited"}


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(BodyTooLargeError, _too_large)
    app.add_exception_handler(BodyTooSlowError, _too_slow)
    app.add_exception_handler(LedgerError, _ledger)
    app.add_exception_handler(WriterStoppedError, _stopping)
    app.add_exception_handler(TimeoutError, _timeout)
    app.add_exception_handler(KafkaError, _broker)
    # Handled here, not by the catch-all: Starlette re-raises what reaches that one.
    for driver_error in (*DRIVER_ERRORS, WriterDatabaseError):
        app.add_exception_handler(driver_error, _unexpected)
    app.add_exception_handler(Exception, _unexpected)


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
                      for e in exc.errors()[:10])
    return problem(400, "invalid_request", f"the request is not what this endpoint takes:"
                   f" {where}")


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else code
    if exc.status_code == 404:
        detail = f"there is nothing at {request.url.path[:200]}"
    return problem(exc.status_code, code, detail, headers=exc.headers)


async def _too_large(request: Request, exc: Exception) -> Response:
    return too_large_response(exc.limit if isinstance(exc, BodyTooLargeError) else 0)


async def _too_slow(request: Request, exc: Exception) -> Response:
    seconds = exc.seconds if isinstance(exc, BodyTooSlowError) else 0
    return problem(408, "too_slow", f"the request body stalled: each part must arrive within"
                   f" {seconds:g} s", headers={"Connection": "close"})


def too_large_response(limit: int) -> JSONResponse:
    return problem(413, "too_large", f"the request body is larger than {limit} bytes, the"
                   " bound for this endpoint", limit=limit)


async def _ledger(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LedgerError)
    return problem(status_of(exc.code), exc.code, exc.message)


async def _stopping(request: Request, exc: Exception) -> Response:
    return problem(503, "shutting_down", "the service is shutting down; nothing was done."
                   " Send the request again")


async def _timeout(request: Request, exc: Exception) -> Response:
    return problem(503, "unavailable", "the ledger did not answer in time. A command may"
                   " still take effect: post it again with the same command id, and the"
                   " answer will be its one result")


def stopped_response() -> JSONResponse:
    """For a request the service's stop cut off while it waited (sharing/middleware.py)."""
    return problem(503, "unavailable", "the service stopped before the ledger answered. A"
                   " command may still take effect: post it again with the same command id,"
                   " and the answer will be its one result")


async def _broker(request: Request, exc: Exception) -> Response:
    log.warning("Kafka error: %s", type(exc).__name__)
    return problem(503, "broker", "the Kafka brokers did not take the command; post it again"
                   " (with the same command id: the ledger applies it at most once)")


async def _unexpected(request: Request, exc: Exception) -> Response:
    if database_error(exc):
        log.warning("database error: %s", type(exc).__name__)
        return problem(503, "database", "the database is not answering; what was committed"
                       " stays and nothing is half-written. Send the request again later")
    log.error("internal error on %s", request.url.path, exc_info=exc)
    return problem(500, "internal_error", f"internal error ({type(exc).__name__}); nothing"
                   " was acknowledged")


def database_error(exc: BaseException) -> bool:
    """An error of a database driver (sqlite3, psycopg)."""
    return isinstance(exc, (*DRIVER_ERRORS, WriterDatabaseError))
