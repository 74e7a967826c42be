"""For auditors and archives: the latest signed checkpoint and Merkle proofs, exactly as
``ledger checkpoint`` and ``ledger proof … --json`` give them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from commands.bootstrap import Services
from ledger.transparency.proofs import now
from sharing.routes.common import on_writer, problems

router = APIRouter(tags=["transparency"])
Natural = Annotated[int, Query(ge=0, le=2**62)]


def _checkpoint(services: Services) -> str:
    latest, _ = services.publish_checkpoint(services.transparency_log(), now())
    return latest.note()


@router.get("/api/v1/checkpoint", response_class=PlainTextResponse, responses=problems(400, 404))
async def checkpoint(request: Request) -> PlainTextResponse:
    """The latest checkpoint as a C2SP signed note (published first if the log grew)."""
    note = await on_writer(request, _checkpoint)
    return PlainTextResponse(note, media_type="text/plain; charset=utf-8")


@router.get("/api/v1/proof/inclusion", responses=problems(400, 404))
async def inclusion(request: Request, index: Natural, size: Natural | None = None
                    ) -> JSONResponse:
    """Prove that leaf ``index`` is in the tree of ``size`` leaves (default: a checkpoint's)."""
    data: dict[str, Any] = await on_writer(request, _inclusion, size, index)
    return JSONResponse(data)


@router.get("/api/v1/proof/consistency", responses=problems(400, 404))
async def consistency(request: Request, size1: Annotated[int, Query(alias="from", ge=0,
                                                                    le=2**62)],
                      size2: Annotated[int | None, Query(alias="to", ge=0, le=2**62)] = None,
                      ) -> JSONResponse:
    """Prove that the tree of ``to`` leaves extends the tree of ``from`` leaves."""
    data: dict[str, Any] = await on_writer(request, _consistency, size1, size2)
    return JSONResponse(data)


# Proofs may publish a checkpoint first, so they run where the ledger is written.
def _inclusion(services: Services, size: int | None, index: int) -> dict[str, Any]:
    return services.proof(size, index + 1, lambda log, n: log.inclusion(index, n))


def _consistency(services: Services, size1: int, size2: int | None) -> dict[str, Any]:
    return services.proof(size2, None, lambda log, n: log.consistency(size1, n))
