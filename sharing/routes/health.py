"""``GET /healthz``: 200 when the ledger answers a query, 503 otherwise."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from commands.bootstrap import Services
from sharing.problems import problem
from sharing.routes.common import on_writer, problems

router = APIRouter(tags=["health"])
HEALTH_TIMEOUT = 5.0


@router.get("/healthz", responses=problems(503))
async def healthz(request: Request) -> JSONResponse:
    """Whether the ledger's database answers (a read of its size)."""
    try:
        await asyncio.wait_for(on_writer(request, _size), HEALTH_TIMEOUT)
    except Exception as exc:
        return problem(503, "unavailable", f"the ledger does not answer ({type(exc).__name__})")
    return JSONResponse({"status": "ok"})


def _size(services: Services) -> int:
    """Asked of the writer (in its own process, sharing/writer_process.py): a writer that
    cannot reach the database, or is gone, makes the service unhealthy."""
    return services.store.max_notification_id()


@router.get("/api/v1/version")
async def version() -> JSONResponse:
    """A constant answer: which service and API version this is (no ledger involved)."""
    return JSONResponse({"service": "licence-ledger", "api": 1})
