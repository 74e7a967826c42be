"""The public's door (Art. 17(3)): the status behind a QR code, as JSON and as a page.

Rate-limited per client address. An unknown reference and a malformed one get the same
404, so probing learns nothing; only catalogue-disclosed fields are ever shown.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from commands.bootstrap import Services
from ledger.errors import LedgerError
from ledger.transparency.log import TransparencyLog
from sharing.pages.render import page
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


def _with_checkpoint(services: Services, reference: str) -> dict[str, Any] | None:
    """The status and the latest signed checkpoint (read, never published here: a public
    page view writes nothing)."""
    answer = public_status(services, reference)
    if answer is None:
        return None
    latest = TransparencyLog(services.store, services.read_db).latest()
    checkpoint = None if latest is None else {
        "size": latest.size, "time": latest.time, "root_hex": latest.root.hex()}
    covered = latest is not None and (answer["changed_at"] or "") <= latest.time
    return {**answer, "checkpoint": checkpoint, "covered": covered}


@router.get("/api/v1/public/status/{reference}", responses=problems(404, 429))
async def status_json(request: Request, reference: str) -> JSONResponse:
    """The live status of the licence behind a file's verification reference."""
    answer = await _lookup(request, reference)
    if answer is None:
        return problem(404, "not_found", UNKNOWN)
    return JSONResponse(answer)


@router.get("/v/{reference}", response_class=HTMLResponse, responses={
    404: {"description": "no file carries this reference (a page that says only that)",
          "content": {"text/html": {}}}, **problems(429)})
async def status_page(request: Request, reference: str) -> HTMLResponse:
    """The page a QR code opens (zh-CN)."""
    answer = await on_ledger(request, lambda s: _with_checkpoint(s, reference))
    if answer is None:
        return page(request, "status.html", status_code=404, cookie=False, found=False)
    shown = {k: v for k, v in answer.items() if k != "status_code"}  # the ledger's own code
    return page(request, "status.html", cookie=False, found=True,
                **{"public_fields": {}, "licence_number": None, **shown})
