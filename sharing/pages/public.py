"""The page a QR code opens (``/v/{reference}``, zh-CN): the public status and the signed
checkpoint it reflects. Rate-limited like the JSON door (sharing/routes/public.py) and
listed with it in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from commands.bootstrap import Services
from sharing.pages.render import page
from sharing.public_status import public_status
from sharing.routes.common import on_ledger, problems
from sharing.routes.public import rate_limited

router = APIRouter(tags=["public"], dependencies=[Depends(rate_limited)])


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
          "content": {"text/html": {}}}, **problems(429)})
async def status_page(request: Request, reference: str) -> HTMLResponse:
    """The page a QR code opens (zh-CN)."""
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
    return page(request, "status.html", status_code=404, cookie=False, found=False)
