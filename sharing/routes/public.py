"""The public's door (Art. 17(3)): the status behind a QR code, as JSON (the page a QR
code opens is sharing/pages/public.py, behind the same rate limit).

Rate-limited per client address. An unknown reference and a malformed one get the same
404, so probing learns nothing; only catalogue-disclosed fields are ever shown.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ledger.errors import LedgerError
from sharing.problems import problem
from sharing.public_status import public_status
from sharing.ratelimit import RateLimiter
from sharing.routes.common import on_ledger, problems

UNKNOWN = "no licence file carries this reference"


class RateLimitedError(LedgerError):
    code = "rate_limited"


def rate_limited(request: Request) -> None:
    limiter: RateLimiter = request.app.state.limiter
    client = request.client.host if request.client else "-"
    if not limiter.allow(client):
        raise RateLimitedError("too many public queries from this address; wait a moment")


router = APIRouter(tags=["public"], dependencies=[Depends(rate_limited)])


async def _lookup(request: Request, reference: str) -> dict[str, Any] | None:
    return await on_ledger(request, lambda s: public_status(s, reference))


@router.get("/api/v1/public/status/{reference}", responses=problems(404, 429))
async def status_json(request: Request, reference: str) -> JSONResponse:
    """The live status of the licence behind a file's verification reference."""
    answer = await _lookup(request, reference)
    if answer is None:
        return problem(404, "not_found", UNKNOWN)
    return JSONResponse(answer)
