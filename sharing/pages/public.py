"""The page a QR code opens (``/v/{reference}``, zh-CN): the public status and the signed
checkpoint it reflects. Rate-limited like the JSON door (sharing/routes/public.py) and
listed with it in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from commands.bootstrap import Services
from sharing.pages.render import page
from sharing.public_status import public_status
from sharing.ratelimit import RateLimiter
from sharing.routes.common import on_ledger

router = APIRouter(tags=["public"])
RETRY_AFTER_SECONDS = 5


def _limited(request: Request) -> HTMLResponse | None:
    """The JSON door's rate limit (same bucket per client address), answered as a page: a
    person who scanned too often reads 请稍后再试, not a problem document."""
    limiter: RateLimiter = request.app.state.limiter
    if limiter.allow(request.client.host if request.client else "-"):
        return None
    response = page(request, "status.html", status_code=429, cookie=False, found=False,
                    limited=True)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _with_checkpoint(services: Services, reference: str) -> dict[str, Any] | None:
    """The status and the latest signed checkpoint (read, never published here: a public
    page view writes nothing)."""
    answer = public_status(services, reference)
    if answer is None:
        return None
    latest = services.transparency_log().latest()
    checkpoint = None if latest is None else {
        "size": latest.size, "time": latest.time, "root_hex": latest.root.hex()}
    covered = latest is not None and (answer["changed_at"] or "") <= latest.time
    return {**answer, "checkpoint": checkpoint, "covered": covered}


@router.get("/v/{reference}", response_class=HTMLResponse, responses={
    404: {"description": "no file carries this reference (a page that says only that)",
          "content": {"text/html": {}}},
    429: {"description": "too many queries from this address (a page asking to wait)",
          "content": {"text/html": {}}}})
async def status_page(request: Request, reference: str) -> HTMLResponse:
    """The page a QR code opens (zh-CN)."""
    if (limited := _limited(request)) is not None:
        return limited
    answer = await on_ledger(request, lambda s: _with_checkpoint(s, reference))
    if answer is None:
        return page(request, "status.html", status_code=404, cookie=False, found=False)
    shown = {k: v for k, v in answer.items() if k != "status_code"}  # the ledger's own code
    return page(request, "status.html", cookie=False, found=True,
                **{"public_fields": {}, "licence_number": None, **shown})


@router.get("/v/{reference}/{rest:path}", response_class=HTMLResponse, include_in_schema=False)
async def not_a_reference(request: Request, reference: str, rest: str) -> HTMLResponse:
    """A path under /v/ that is no reference: the unknown reference's page, which repeats
    nothing of the request (not the API's 404, which names the path)."""
    if (limited := _limited(request)) is not None:
        return limited
    return page(request, "status.html", status_code=404, cookie=False, found=False)
